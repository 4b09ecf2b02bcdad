/**
 * What the filters were shown, kept small, so that a filter that matched nothing can say what was there:
 *
 *   no call matched --method Get; methods seen: /lab.v1.Inventory/Get, /lab.v1.Inventory/List; globs match
 *   the full path: try '*Get'
 *
 * Memory is bounded: at most MAX_DISTINCT values per kind are remembered (the rest are counted), whatever
 * the capture's length.
 */
import { statusLabel } from '../records/status';
import type { CallRecord } from '../records/types';
import { globToRegExp } from './parse';
import { formatInteger } from '../units';

/** Distinct methods, statuses or servers remembered; past it they are only counted. */
export const MAX_DISTINCT = 1_000;
/** Values named in the one line; the rest are counted (`… and 12 more`). */
const SHOWN = 8;

/** The filter flags as typed (only those given). */
export interface FlagsAsTyped {
  method?: string[];
  status?: string;
  minDuration?: string;
  maxDuration?: string;
  call?: string[];
  host?: string[];
  port?: string[];
  minSize?: string;
  maxSize?: string;
  since?: string;
  until?: string;
  display?: string;
  displayFields?: ReadonlySet<string>;
}

class Tally {
  readonly counts = new Map<string, number>();
  others = 0;

  add(key: string): void {
    const n = this.counts.get(key);
    if (n !== undefined) this.counts.set(key, n + 1);
    else if (this.counts.size < MAX_DISTINCT) this.counts.set(key, 1);
    else this.others++;
  }

  /** `a, b, c … and N more`, most frequent first. */
  list(withCounts = false): string {
    const entries = [...this.counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    const shown = entries.slice(0, SHOWN).map(([k, n]) => (withCounts ? `${k} (${n})` : k));
    const more = entries.length - shown.length + (this.others > 0 ? 1 : 0);
    return shown.join(', ') + (more > 0 ? `, … and ${more}${this.others > 0 ? '+' : ''} more` : '');
  }
}

export class FilterWitness {
  calls = 0;
  private readonly methods = new Tally();
  private readonly statuses = new Tally();
  private readonly servers = new Tally();
  private minMs = Infinity;
  private maxMs = -Infinity;
  private firstId: string | null = null;
  private lastId: string | null = null;

  call(c: CallRecord): void {
    this.calls++;
    this.methods.add(c.method === '' ? '(unknown: request headers not captured)' : c.method);
    this.statuses.add(statusLabel(c.status, c.status_name));
    this.servers.add(c.server);
    if (c.duration_ms !== null) {
      if (c.duration_ms < this.minMs) this.minMs = c.duration_ms;
      if (c.duration_ms > this.maxMs) this.maxMs = c.duration_ms;
    }
    const id = c.call_id ?? `${c.tcp_stream}/${c.stream}`;
    if (this.firstId === null) this.firstId = id;
    this.lastId = id;
  }

  /** The one line: which flags, what was seen for each, and a hint when one is likely. */
  report(f: FlagsAsTyped): string {
    const given: string[] = [];
    const seen: string[] = [];
    const hints: string[] = [];
    const quote = (s: string) => (/^[\w./:@,*?!-]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`);
    const fields = f.displayFields ?? new Set<string>();
    if (f.method) {
      given.push(...f.method.map((m) => `--method ${quote(m)}`));
      const bare = f.method.flatMap((m) => m.split(',')).map((m) => m.trim()).filter((m) => m.length > 0 && !/[*?]/.test(m));
      for (const b of bare) {
        const loose = globToRegExp('*' + b.replace(/^\/+/, '') + '*');
        if ([...this.methodsSeen()].some((m) => loose.test(m))) hints.push(`globs match the full path: try '*${b.replace(/^\/+/, '')}' or '*${b.replace(/^\/+/, '')}*'`);
      }
    }
    if (f.method || fields.has('method')) seen.push(`methods seen: ${this.methods.list()}`);
    if (f.status !== undefined) given.push(`--status ${quote(f.status)}`);
    if (f.status !== undefined || fields.has('status') || fields.has('status_name')) seen.push(`statuses seen: ${this.statuses.list(true)}`);
    if (f.minDuration !== undefined) given.push(`--min-duration ${f.minDuration}`);
    if (f.maxDuration !== undefined) given.push(`--max-duration ${f.maxDuration}`);
    if (f.minDuration !== undefined || f.maxDuration !== undefined || fields.has('duration_ms')) {
      seen.push(this.minMs <= this.maxMs ? `durations seen: ${ms(this.minMs)} to ${ms(this.maxMs)}` : 'no call ended within the capture');
    }
    if (f.call) {
      given.push(...f.call.map((c) => `--call ${c}`));
      seen.push(`calls seen: ${this.firstId}${this.calls > 1 ? ` to ${this.lastId}` : ''} (TCP_STREAM/STREAM)`);
    }
    if (f.host) given.push(...f.host.map((h) => `--host ${quote(h)}`));
    if (f.port) given.push(...f.port.map((p) => `--port ${p}`));
    if (f.host || f.port || fields.has('server') || fields.has('client')) seen.push(`servers seen: ${this.servers.list()}`);
    if (f.minSize !== undefined) given.push(`--min-size ${f.minSize}`);
    if (f.maxSize !== undefined) given.push(`--max-size ${f.maxSize}`);
    if (f.since !== undefined) given.push(`--since ${f.since}`);
    if (f.until !== undefined) given.push(`--until ${f.until}`);
    if (f.display !== undefined) {
      given.push(`-Y ${quote(f.display)}`);
      if (seen.length === 0) seen.push(`methods seen: ${this.methods.list()}`, `statuses seen: ${this.statuses.list(true)}`);
    }
    const n = formatInteger(this.calls);
    return [`no call matched ${given.join(' ')} (${n} call${this.calls === 1 ? '' : 's'} read)`, ...seen, ...hints].join('; ');
  }

  private methodsSeen(): IterableIterator<string> {
    return this.methods.counts.keys();
  }
}

function ms(v: number): string {
  return `${v < 10 ? v.toFixed(3).replace(/\.?0+$/, '') : formatInteger(Math.round(v))} ms`;
}
