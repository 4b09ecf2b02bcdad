/**
 * Columns of `export`: record field names from the registry (./fields.ts), with dots to reach inside
 * objects (`request_headers.user-agent`, `body.items.0.name`, `trailers.grpc-status`).
 */
import { UsageError } from '../errors';
import { DEFAULT_COLUMNS, FIELDS_BY_TYPE, type RecordType } from './fields';

/**
 * The columns to write for a record type: the registry's order when `spec` is absent, else the
 * comma-separated names given, each checked to start with a field of that type.
 */
export function resolveColumns(type: RecordType, spec?: string, flag = '--columns'): string[] {
  if (spec === undefined) return [...DEFAULT_COLUMNS[type]];
  const names = spec.split(',').map((s) => s.trim());
  const fields = FIELDS_BY_TYPE[type];
  const known = new Set(fields.map((f) => f.name));
  for (const name of names) {
    if (name.length === 0) throw new UsageError(`${flag}: empty column name in ${JSON.stringify(spec)}`);
    const top = name.split('.')[0];
    if (!known.has(name) && !known.has(top)) {
      throw new UsageError(`${flag}: unknown ${type} field ${JSON.stringify(top)} (expected one of ${fields.map((f) => f.name).join(', ')})`);
    }
  }
  return names;
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
export function projectRecord(record: unknown, columns: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const c of columns) {
    const v = pickPath(record, c);
    out[c] = v === undefined ? null : v;
  }
  return out;
}
