/**
 * Columns of `export`: record field names from the registry (./fields.ts), with dots to reach inside
 * objects (`request_headers.user-agent`, `body.items.0.name`, `trailers.grpc-status`).
 */
import { UsageError } from '../errors';
import { DEFAULT_COLUMNS, FIELDS_BY_TYPE, type RecordType } from './fields';
import { TimeOrigin } from './time';

/**
 * Columns made for spreadsheets from a record's times (they are not record fields: NDJSON never carries
 * them). LibreOffice and Excel keep the records' ISO-8601 text with nine digits as text; these they read
 * as numbers:
 *  - `<time>_datetime`: `2026-11-21 03:42:57.208` (UTC, to the millisecond, cut not rounded): a date-time
 *    cell (a spreadsheet's own time resolution is about that);
 *  - `<time>_relative_s`: seconds since the capture's start (its first packet, as tshark's
 *    frame.time_relative; from NDJSON, the first record's time), to the nanosecond: a number cell.
 */
export const DERIVED_COLUMNS: Readonly<Record<RecordType, readonly { name: string; from: string; kind: 'datetime' | 'relative' }[]>> = {
  call: [
    { name: 'start_datetime', from: 'start', kind: 'datetime' },
    { name: 'start_relative_s', from: 'start', kind: 'relative' },
    { name: 'end_datetime', from: 'end', kind: 'datetime' },
    { name: 'end_relative_s', from: 'end', kind: 'relative' },
  ],
  message: [
    { name: 'ts_datetime', from: 'ts', kind: 'datetime' },
    { name: 'ts_relative_s', from: 'ts', kind: 'relative' },
  ],
  frame: [
    { name: 'ts_datetime', from: 'ts', kind: 'datetime' },
    { name: 'ts_relative_s', from: 'ts', kind: 'relative' },
  ],
};

/**
 * Default CSV columns: the registry's order, each time field followed by its spreadsheet columns
 * (`start`, `start_datetime`, `start_relative_s`, …).
 */
export function defaultCsvColumns(type: RecordType): string[] {
  const out: string[] = [];
  for (const name of DEFAULT_COLUMNS[type]) {
    out.push(name);
    for (const d of DERIVED_COLUMNS[type]) if (d.from === name) out.push(d.name);
  }
  return out;
}

/**
 * The columns to write for a record type: `defaults` when `spec` is absent, else the comma-separated
 * names given, each checked to start with a field of that type or to be one of its spreadsheet columns.
 */
export function resolveColumns(type: RecordType, spec?: string, flag = '--columns', defaults: readonly string[] = DEFAULT_COLUMNS[type]): string[] {
  if (spec === undefined) return [...defaults];
  const names = spec.split(',').map((s) => s.trim());
  const fields = FIELDS_BY_TYPE[type];
  const known = new Set(fields.map((f) => f.name));
  const derived = new Set(DERIVED_COLUMNS[type].map((d) => d.name));
  for (const name of names) {
    if (name.length === 0) throw new UsageError(`${flag}: empty column name in ${JSON.stringify(spec)}`);
    const top = name.split('.')[0];
    if (!known.has(name) && !known.has(top) && !derived.has(name)) {
      const all = [...fields.map((f) => f.name), ...derived];
      throw new UsageError(`${flag}: unknown ${type} field ${JSON.stringify(top)} (expected one of ${all.join(', ')})`);
    }
  }
  return names;
}

/**
 * A reader per column: the record field at its path (pickPath), or a spreadsheet column computed from
 * the record's time and `origin` (see DERIVED_COLUMNS); null when the time is absent.
 */
export function columnReaders(type: RecordType, columns: readonly string[], origin: TimeOrigin = new TimeOrigin()): Array<(r: unknown) => unknown> {
  return columns.map((c) => {
    const d = DERIVED_COLUMNS[type].find((x) => x.name === c);
    if (!d) return (r: unknown) => pickPath(r, c);
    const time = (r: unknown): string | null => {
      const v = pickPath(r, d.from);
      return typeof v === 'string' ? v : null;
    };
    if (d.kind === 'datetime') return (r: unknown) => spreadsheetDateTime(time(r));
    return (r: unknown) => {
      const s = origin.secondsTo(time(r));
      return s === null ? null : Number(s.toFixed(9));
    };
  });
}

/** `2026-11-21T03:42:57.208252790Z` → `2026-11-21 03:42:57.208`; null for anything not in that form. */
export function spreadsheetDateTime(iso: string | null): string | null {
  if (iso === null) return null;
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?Z$/.exec(iso);
  if (!m) return null;
  return `${m[1]} ${m[2]}.${(m[3] ?? '').padEnd(3, '0').slice(0, 3)}`;
}

/**
 * The value at a dotted path inside a record, or undefined. A key that itself holds dots (a header named
 * `x.y`) is tried before splitting, longest first.
 */
export function pickPath(record: unknown, path: string): unknown {
  if (record !== null && typeof record === 'object' && Object.prototype.hasOwnProperty.call(record, path)) {
    return (record as Record<string, unknown>)[path];
  }
  return pick(record, path.split('.'), 0);
}

function pick(value: unknown, parts: string[], from: number): unknown {
  if (from === parts.length) return value;
  if (value === null || typeof value !== 'object') return undefined;
  for (let to = parts.length; to > from; to--) {
    const key = parts.slice(from, to).join('.');
    if (Object.prototype.hasOwnProperty.call(value, key)) {
      const found = pick((value as Record<string, unknown>)[key], parts, to);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/** A record reduced to the given columns, keyed by the column names as given (missing values null). */
export function projectRecord(record: unknown, columns: readonly string[], readers?: ReadonlyArray<(r: unknown) => unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  columns.forEach((c, i) => {
    const v = readers ? readers[i](record) : pickPath(record, c);
    out[c] = v === undefined ? null : v;
  });
  return out;
}
