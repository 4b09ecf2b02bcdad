/**
 * Tables for people, with `cli-table3`: fixed width (80 columns unless told), numbers right-aligned and
 * grouped (12,345), durations and sizes with units, one flexible column that wraps. Cells are shown as
 * text, never interpreted: control, bidi and invisible characters in captured strings (ANSI escapes that
 * would recolor or move the cursor of the terminal) are shown escaped, as \x1b (./escape.ts).
 */
import Table from 'cli-table3';
import { escapeCell } from './escape';
import { formatInteger } from '../units';

export const DEFAULT_TABLE_WIDTH = 80;

/** Narrowest the flexible column gets, even if the table then passes its width. */
const MIN_FLEX_WIDTH = 16;

/**
 * Longest cell drawn, in characters; a longer one is cut and ends with an ellipsis. cli-table3's layout
 * time grows much faster than the cell (a 2,000-character method path takes a second, 100,000 never ends),
 * and a capture can carry a :path of up to a megabyte. The whole value is in the NDJSON, JSON and CSV.
 */
export const MAX_CELL_CHARS = 120;

export interface TableSpec {
  head: string[];
  rows: string[][];
  /** 'right' for numbers; default left. */
  align?: Array<'left' | 'right'>;
  /** Index of the column that takes the width the others leave, and wraps (default 0). */
  flex?: number;
  /** Total width in characters (default DEFAULT_TABLE_WIDTH). */
  width?: number;
  /** No separator lines between rows (for long tables of one-line rows). */
  compact?: boolean;
}

/** Renders a table: every column as wide as its widest cell, the flexible one the rest. */
export function renderTable(spec: TableSpec): string {
  const flex = spec.flex ?? 0;
  const width = spec.width ?? DEFAULT_TABLE_WIDTH;
  const head = spec.head.map(terminalSafe);
  const rows = spec.rows.map((r) => r.map((cell) => clipCell(terminalSafe(cell))));
  const cols = head.length;
  // cli-table3 widths include one space of padding each side; borders take cols + 1 characters.
  const natural = head.map((h, i) => Math.max(displayWidth(h), ...rows.map((r) => displayWidth(r[i] ?? ''))) + 2);
  const others = natural.reduce((sum, w, i) => (i === flex ? sum : sum + w), 0);
  natural[flex] = Math.min(natural[flex], Math.max(MIN_FLEX_WIDTH, width - others - (cols + 1)));
  const table = new Table({
    head,
    colWidths: natural,
    colAligns: spec.align ?? [],
    // Our own wrapping below breaks at path separators; cli-table3 then only cuts what is still too long.
    wordWrap: true,
    wrapOnWordBoundary: false,
    style: { head: [], border: [], compact: spec.compact ?? false },
  });
  for (const r of rows) table.push(r.map((cell, i) => (i === flex ? wrapAtSeparators(cell, natural[flex] - 2) : cell)));
  return table.toString() + '\n';
}

/**
 * Breaks each line longer than `width` where a reader expects it: before a `/`, after `.`, `-`, `:` or a
 * space (method paths, host names, addresses); a run without any is cut at the width.
 */
export function wrapAtSeparators(text: string, width: number): string {
  if (width < 1) return text;
  const out: string[] = [];
  for (let line of text.split('\n')) {
    while (line.length > width) {
      let cut = 0;
      for (let p = 1; p <= width; p++) {
        if (line[p] === '/' || '.-: '.includes(line[p - 1])) cut = p;
      }
      if (cut === 0) cut = width;
      out.push(line.slice(0, cut).trimEnd());
      line = line.slice(cut).trimStart();
    }
    out.push(line);
  }
  return out.join('\n');
}

function clipCell(s: string): string {
  return s.length <= MAX_CELL_CHARS ? s : s.slice(0, MAX_CELL_CHARS - 1) + '…';
}

function displayWidth(s: string): number {
  let max = 0;
  for (const line of s.split('\n')) max = Math.max(max, [...line].length);
  return max;
}

/**
 * A cell made safe for a terminal by the one rule of ./escape.ts, line by line: a newline in a cell is a
 * line break the report put there (several grouping keys); a newline inside a captured value must be
 * escaped by the report before it joins values (escapeCell), and escaping twice changes nothing.
 */
export function terminalSafe(s: string): string {
  return s.includes('\n') ? s.split('\n').map(escapeCell).join('\n') : escapeCell(s);
}

/** 1234567 → 1,234,567. */
export function formatCount(n: number): string {
  return formatInteger(n);
}

/** Milliseconds with a unit that keeps 2–3 significant figures: 850µs, 12.3ms, 1.25s, 2m05s, 1h02m. */
export function formatDuration(ms: number | null): string {
  if (ms === null) return '-';
  if (ms < 1) return `${Math.round(ms * 1000)}µs`;
  if (ms < 10) return `${trim(ms.toFixed(2))}ms`;
  if (ms < 100) return `${trim(ms.toFixed(1))}ms`;
  if (ms < 999.5) return `${Math.round(ms)}ms`;
  if (ms < 59_995) return `${trim((ms / 1000).toFixed(2))}s`;
  const totalSeconds = Math.round(ms / 1000);
  if (totalSeconds < 3600) return `${Math.floor(totalSeconds / 60)}m${String(totalSeconds % 60).padStart(2, '0')}s`;
  const totalMinutes = Math.round(totalSeconds / 60);
  return `${Math.floor(totalMinutes / 60)}h${String(totalMinutes % 60).padStart(2, '0')}m`;
}

function trim(fixed: string): string {
  return fixed.includes('.') ? fixed.replace(/\.?0+$/, '') : fixed;
}

/** Bytes with binary units: 512 B, 1.5 KiB, 12.3 MiB. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v < 10 ? trim(v.toFixed(1)) : Math.round(v)} ${units[u]}`;
}

/** A ratio as a percentage: 0.0123 → 1.2%. */
export function formatPercent(ratio: number): string {
  if (ratio === 0) return '0%';
  const p = ratio * 100;
  if (p < 0.1) return '<0.1%';
  return `${p < 10 ? trim(p.toFixed(1)) : Math.round(p)}%`;
}
