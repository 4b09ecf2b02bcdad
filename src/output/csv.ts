/**
 * CSV for spreadsheets (RFC 4180, https://www.rfc-editor.org/rfc/rfc4180#section-2) with `csv-stringify`:
 * a header row, CRLF line ends, fields quoted when they hold a comma, a double quote, CR or LF (quotes
 * doubled), UTF-8 with an optional byte order mark (Excel needs it to read UTF-8).
 *
 * Cells: numbers stay numbers (written as JSON writes them, never quoted), booleans `true`/`false`, null
 * and absent values empty, objects and arrays as their JSON text in one cell.
 *
 * Captured contents are attacker-controlled, so by default (OWASP, CSV injection:
 * https://owasp.org/www-community/attacks/CSV_Injection) every text cell is made inert:
 *  - characters that drive a terminal (ESC, OSC, C1, bidi controls: the rule of ./escape.ts) become visible
 *    escapes, as in the text view, so `cat export.csv` cannot repaint the screen; CR, LF and tab too;
 *  - a cell whose first character other than blanks is a formula character (`=`, `+`, `-`, `@`, their
 *    fullwidth `＝＋－＠` and small `﹦﹢﹣﹫` forms, the minus sign `−`) gets a leading single quote, so a
 *    spreadsheet shows it as text;
 *  - a cell holding a separator (`,` `;` `|`; tabs are escaped) is quoted, so no spreadsheet
 *    splits it into cells (Excel in locales whose list separator is `;` splits `x;=1+1` at the `;` and runs
 *    the formula in the second cell unless the field is quoted).
 * Only text is touched: numbers (negative ones included) are numbers, not formulas. `--no-sanitize` writes
 * text exactly as captured (RFC 4180 quoting only).
 */
import type { stringify as Stringify } from 'csv-stringify/sync';
import { escapeCell, escapeJson } from './escape';

export interface CsvOptions {
  /** Neutralize formula-like text cells (default true; `--no-sanitize` turns it off). */
  sanitize?: boolean;
  /** Start with a UTF-8 byte order mark. */
  bom?: boolean;
}

/** Rows buffered before csv-stringify formats them: amortizes its per-call set-up. */
const CSV_BATCH_ROWS = 256;

/** Characters that start a formula in Excel, LibreOffice or Google Sheets, with their look-alikes. */
const FORMULA_CHARS = '=+\\-@\\uff1d\\uff0b\\uff0d\\uff20\\ufe66\\ufe62\\ufe63\\ufe6b\\u2212';
/** A formula character after blanks (spreadsheets trim leading spaces before they look), or a tab or CR. */
const FORMULA_START = new RegExp(`^(?:\\s*[${FORMULA_CHARS}]|[\\t\\r])`);
/** A text cell holding a separator is quoted (sanitized output only): a formula after it cannot start a cell. */
const NEEDS_QUOTES = /[,;|]/;

/** The OWASP neutralization of one text cell: terminal-safe, and a leading quote before a formula. */
export function neutralizeCell(text: string): string {
  const safe = escapeCell(text);
  return FORMULA_START.test(safe) ? "'" + safe : safe;
}

/** One value as a CSV cell value: a number, or text (sanitized when asked). */
export function csvCell(value: unknown, sanitize: boolean): string | number {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  let text: string;
  if (typeof value === 'string') text = value;
  else if (typeof value === 'boolean') text = value ? 'true' : 'false';
  else if (typeof value === 'bigint') return value.toString();
  else text = sanitize ? escapeJson(JSON.stringify(value) ?? '') : (JSON.stringify(value) ?? '');
  return sanitize ? neutralizeCell(text) : text;
}

const STRINGIFY_OPTIONS = {
  record_delimiter: 'windows' as const,
  // csv-stringify quotes a field holding the record delimiter (CRLF) but not a lone CR or LF; RFC 4180
  // needs both quoted, or a reader would see a new row.
  quoted_match: /[\r\n]/,
  cast: { number: (n: number) => String(n) },
};

const SANITIZED_OPTIONS = {
  ...STRINGIFY_OPTIONS,
  cast: {
    number: (n: number) => String(n),
    string: (s: string) => (NEEDS_QUOTES.test(s) ? { value: s, quoted: true } : s),
  },
};

/**
 * Formats rows of cell values (csvCell output) as CSV text, CRLF after each row; `sanitize` (default true)
 * also quotes every text cell holding a separator or a formula character.
 */
export function formatCsvRows(rows: Array<Array<string | number>>, sanitize = true): string {
  return rows.length === 0 ? '' : csvStringify()(rows, sanitize ? SANITIZED_OPTIONS : STRINGIFY_OPTIONS);
}

let stringify: typeof Stringify | null = null;

/** csv-stringify, loaded on the first CSV row: `stats` imports this file but most runs write no CSV. */
function csvStringify(): typeof Stringify {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  stringify ??= (require('csv-stringify/sync') as { stringify: typeof Stringify }).stringify;
  return stringify;
}

/**
 * A CSV writer over a `write` function: the header first (with the BOM when asked), then rows as they
 * come, formatted in batches of CSV_BATCH_ROWS; `end()` writes what is left.
 */
export class CsvWriter {
  private batch: Array<Array<string | number>> = [];
  private readonly sanitize: boolean;

  constructor(
    private readonly write: (text: string) => void,
    readonly columns: readonly string[],
    options: CsvOptions = {},
  ) {
    this.sanitize = options.sanitize ?? true;
    const header = formatCsvRows([columns.map((c) => csvCell(c, this.sanitize))], this.sanitize);
    write((options.bom ? '\uFEFF' : '') + header);
  }

  /** One row of raw values, in column order. */
  row(values: readonly unknown[]): void {
    this.batch.push(values.map((v) => csvCell(v, this.sanitize)));
    if (this.batch.length >= CSV_BATCH_ROWS) this.flush();
  }

  flush(): void {
    if (this.batch.length === 0) return;
    const text = formatCsvRows(this.batch, this.sanitize);
    this.batch = [];
    this.write(text);
  }

  end(): void {
    this.flush();
  }
}
