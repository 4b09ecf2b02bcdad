/**
 * The stats tap: a RecordSink (like a Wireshark tap, a listener on decoded calls, never code inside the
 * decoder) that folds call records into per-group counters. It works from call records only: they carry
 * the message counts and bytes, so message records are not needed and are ignored. Memory is per group,
 * never per call (latencies: ./latency.ts).
 *
 * Definitions (the README repeats them):
 *   - calls: every call record that passed the filters, complete or not;
 *   - status: calls per status label (`status_name`, else the number; NONE when no grpc-status was sent
 *     and the call was reset or answered with an HTTP error; STATUS_UNKNOWN when no grpc-status could be
 *     read and nothing says the call failed: trailers lost, or not yet sent at the capture's end);
 *   - errors: calls that failed (../records/status.ts callOutcome): a grpc-status other than 0, or none
 *     and a reset or an HTTP error. status_unknown: calls whose status could not be read, neither OK nor
 *     errors; error_rate = errors / (calls - status_unknown), over the calls whose outcome is known;
 *   - latency_ms: over complete calls with a duration;
 *   - first/last: earliest `start` and latest `end` (or `start` for calls that did not end);
 *   - calls_per_second: calls / the span of the whole input (the total's first to last), as Wireshark's
 *     statistics trees rate every row over the capture: a group of one call is not a burst of thousands
 *     per second. Null when the input holds fewer than two calls or no span;
 *   - interval series: calls bucketed by `start` into intervals aligned on the Unix epoch (so 1s intervals
 *     begin on whole seconds), with calls, errors and p99 of each.
 */
import { UsageError } from '../errors';
import { parseDuration as parseSeconds } from '../units';
import type { RecordFilter } from '../filter/index';
import { parseEndpoint } from '../filter/parse';
import type { RecordSink } from '../records/types';
import { callOutcome, GRPC_STATUS_NAMES, NO_STATUS, outcomeLabel, STATUS_UNKNOWN } from '../records/status';
import { formatIsoTimeNs, parseIsoTimeInto, type IsoInstant } from '../records/time';
import type { CallRecord, MessageRecord } from '../records/types';
import { LatencyDigest, round, type LatencySummary } from './latency';
import { formatInteger } from '../units';
import { methodLabel } from '../records/method';

export type GroupBy = 'method' | 'status' | 'connection' | 'server' | 'client' | 'authority' | 'sni' | 'tls' | 'protocol';
export const GROUP_BY: readonly GroupBy[] = ['method', 'status', 'connection', 'server', 'client', 'authority', 'sni', 'tls', 'protocol'];

/** What a group key is made of, per dimension. `client` is the client's address without its port. */
const KEY_OF: Record<GroupBy, (c: CallRecord) => string | null> = {
  // Inferred methods apart from seen ones, unknown ones by their group (records/method.ts).
  method: (c) => (c.method !== '' && c.inferred === undefined ? c.method : methodLabel(c)),
  status: (c) => outcomeLabel(c),
  connection: (c) => `${c.client} -> ${c.server}`,
  server: (c) => c.server,
  client: (c) => parseEndpoint(c.client).addr,
  authority: (c) => c.authority,
  // TLS: the server name the client asked for, and the version with the cipher suite (null: plaintext).
  sni: (c) => c.tls?.sni ?? null,
  tls: (c) => (c.tls !== undefined ? `${c.tls.version} ${c.tls.cipher_suite}` : null),
  // NDJSON written before the field existed has no protocol: those calls were all gRPC.
  protocol: (c) => c.protocol ?? 'grpc',
};

export type SortKey = 'calls' | 'errors' | 'error_rate' | 'min' | 'mean' | 'p50' | 'p90' | 'p99' | 'max' | 'bytes' | 'rate' | 'key' | 'first';
export const SORT_KEYS: readonly SortKey[] = ['calls', 'errors', 'error_rate', 'min', 'mean', 'p50', 'p90', 'p99', 'max', 'bytes', 'rate', 'key', 'first'];

/**
 * Distinct intervals one group may hold: 100,000. More means the interval is far too short for the
 * capture (1ms over two minutes of steady traffic); the tap stops with a UsageError rather than grow.
 */
export const MAX_INTERVALS_PER_GROUP = 100_000;

/** Durations kept exactly per interval before its p99 comes from a histogram (see ./latency.ts). */
export const EXACT_INTERVAL_LATENCY_LIMIT = 10_000;

export interface StatsOptions {
  /** Nested grouping, outermost first; default ['method']. Empty: only the total. */
  by?: GroupBy[];
  /** Interval of the time series in milliseconds; none when absent. */
  intervalMs?: number;
  /** Order of groups: numeric keys largest first, `key` and `first` ascending; default `calls`. */
  sort?: SortKey;
  filter?: RecordFilter;
}

export type GroupKey = string | null | Record<string, string | null>;

export interface IntervalStats {
  /** ISO-8601 UTC start of the interval. */
  start: string;
  calls: number;
  errors: number;
  p99_ms: number | null;
  /** JSON only: the interval's latencies for `stats --merge` (./merge.ts). */
  merge?: IntervalMergeState;
}

/** An interval's latencies: their bounds (percentiles are clamped to them) and their HDR histogram. */
export interface IntervalMergeState {
  latency_min_ms: number | null;
  latency_max_ms: number | null;
  latency_hdr: string | null;
}

/**
 * JSON only: what `stats --merge` needs beyond the visible numbers to merge a group exactly with other
 * shards' (./merge.ts): the sum of latencies (the exact mean) and all latencies as an encoded HDR histogram
 * (the percentiles, within its stated error).
 */
export interface MergeState {
  /** Format of this object; a merge refuses another. */
  version: number;
  latency_sum_ms: number;
  /** hdr-histogram-js compressed base64 of latencies in whole µs; null without latencies. */
  latency_hdr: string | null;
}

export interface GroupStats {
  key?: GroupKey;
  calls: number;
  status: Record<string, number>;
  errors: number;
  /** Calls whose status could not be read: neither OK nor errors, left out of error_rate. */
  status_unknown: number;
  error_rate: number;
  latency_ms: LatencySummary;
  request_messages: number;
  response_messages: number;
  request_bytes: number;
  response_bytes: number;
  first: string | null;
  last: string | null;
  calls_per_second: number | null;
  series?: IntervalStats[];
  merge?: MergeState;
}

export interface StatsResult {
  by: GroupBy[];
  interval_ms?: number;
  groups: GroupStats[];
  total: GroupStats;
}

/** What a series row is made of: counts, and latencies that answer percentiles (and encode themselves). */
export interface IntervalState {
  calls: number;
  errors: number;
  latency: { count: number; min: number; max: number; percentile(p: number): number | null; encodedHistogram(): string | null };
}

interface TapInterval extends IntervalState {
  latency: LatencyDigest;
}

/** Version of MergeState written and read. */
export const MERGE_STATE_VERSION = 1;

class GroupState {
  calls = 0;
  errors = 0;
  unknown = 0;
  status = new Map<string, number>();
  latency = new LatencyDigest();
  requestMessages = 0;
  responseMessages = 0;
  requestBytes = 0;
  responseBytes = 0;
  // Earliest start and latest end as (seconds, nanoseconds): exact, and no bigint per call.
  hasFirst = false;
  firstSec = 0;
  firstNsec = 0;
  firstText: string | null = null;
  lastSec = 0;
  lastNsec = 0;
  lastText: string | null = null;
  series: Map<number, TapInterval> | null;

  constructor(
    readonly values: Array<string | null>,
    withSeries: boolean,
  ) {
    this.series = withSeries ? new Map() : null;
  }

  /**
   * `start` and `end`: the call's times parsed (null when absent or not a time); `interval`: the index of
   * the interval its start falls in (null without a series).
   */
  add(c: CallRecord, error: boolean, start: IsoInstant | null, end: IsoInstant | null, interval: number | null, intervalText: string): void {
    this.calls++;
    if (error) this.errors++;
    const label = outcomeLabel(c);
    if (label === STATUS_UNKNOWN) this.unknown++;
    this.status.set(label, (this.status.get(label) ?? 0) + 1);
    const duration = c.complete && c.duration_ms !== null ? c.duration_ms : null;
    if (duration !== null) this.latency.add(duration);
    this.requestMessages += c.request_messages;
    this.responseMessages += c.response_messages;
    this.requestBytes += c.request_bytes;
    this.responseBytes += c.response_bytes;
    if (start !== null) {
      if (!this.hasFirst || start.seconds < this.firstSec || (start.seconds === this.firstSec && start.nanos < this.firstNsec)) {
        this.firstSec = start.seconds;
        this.firstNsec = start.nanos;
        this.firstText = c.start;
      }
      const last = end ?? start;
      if (!this.hasFirst || last.seconds > this.lastSec || (last.seconds === this.lastSec && last.nanos > this.lastNsec)) {
        this.lastSec = last.seconds;
        this.lastNsec = last.nanos;
        this.lastText = end !== null ? c.end : c.start;
      }
      this.hasFirst = true;
      if (this.series !== null && interval !== null) {
        const index = interval;
        let slot = this.series.get(index);
        if (!slot) {
          if (this.series.size >= MAX_INTERVALS_PER_GROUP) {
            throw new UsageError(
              `--interval ${intervalText}: more than ${formatInteger(MAX_INTERVALS_PER_GROUP)} intervals in one group (MAX_INTERVALS_PER_GROUP); use a longer interval`,
            );
          }
          slot = { calls: 0, errors: 0, latency: new LatencyDigest(EXACT_INTERVAL_LATENCY_LIMIT) };
          this.series.set(index, slot);
        }
        slot.calls++;
        if (error) slot.errors++;
        if (duration !== null) slot.latency.add(duration);
      }
    }
  }

  /** Seconds from the first start to the last end (exact below 2^53 ns, about 104 days). */
  spanSeconds(): number {
    return this.hasFirst ? ((this.lastSec - this.firstSec) * 1e9 + (this.lastNsec - this.firstNsec)) / 1e9 : 0;
  }

  /** `spanSeconds`: the whole input's span, over which every group's rate is counted (see the file comment). */
  result(by: GroupBy[], intervalNs: bigint | null, spanSeconds: number, inputCalls: number, mergeable = false): GroupStats {
    const head: Pick<GroupStats, 'key'> = {};
    if (by.length === 1) head.key = this.values[0];
    else if (by.length > 1) head.key = Object.fromEntries(by.map((b, i) => [b, this.values[i]]));
    const series = this.series !== null && intervalNs !== null ? seriesOf(this.series, intervalNs, mergeable) : undefined;
    return groupStats(head, this, this.firstText, this.lastText, spanSeconds, inputCalls, series, mergeable ? this.latency.sumMs : null);
  }
}

/** A group's counters, as the tap keeps them and as --merge adds them up (./merge.ts). */
export interface GroupCounts {
  calls: number;
  errors: number;
  unknown: number;
  status: Map<string, number>;
  latency: { summary(): LatencySummary; encodedHistogram(): string | null };
  requestMessages: number;
  responseMessages: number;
  requestBytes: number;
  responseBytes: number;
}

/**
 * One group's row, the same for the tap and for --merge: `latencySumMs` non-null writes the merge state
 * (the exact sum and the HDR histogram) that a later --merge reads back.
 */
export function groupStats(
  head: Pick<GroupStats, 'key'>,
  g: GroupCounts,
  first: string | null,
  last: string | null,
  spanSeconds: number,
  inputCalls: number,
  series: IntervalStats[] | undefined,
  latencySumMs: number | null,
): GroupStats {
  const out: GroupStats = {
    ...head,
    calls: g.calls,
    status: orderedStatus(g.status),
    errors: g.errors,
    status_unknown: g.unknown,
    error_rate: errorRate(g.errors, g.calls, g.unknown),
    latency_ms: g.latency.summary(),
    request_messages: g.requestMessages,
    response_messages: g.responseMessages,
    request_bytes: g.requestBytes,
    response_bytes: g.responseBytes,
    first,
    last,
    calls_per_second: callsPerSecond(g.calls, spanSeconds, inputCalls),
  };
  if (series !== undefined) out.series = series;
  if (latencySumMs !== null) out.merge = { version: MERGE_STATE_VERSION, latency_sum_ms: latencySumMs, latency_hdr: g.latency.encodedHistogram() };
  return out;
}

/**
 * Rows of a series; intervals without calls between the first and the last are included as zeros (a
 * quiet gap is an answer too) unless that would pass MAX_INTERVALS_PER_GROUP rows.
 */
export function seriesOf(series: Map<number, IntervalState>, intervalNs: bigint, mergeable = false): IntervalStats[] {
  const indexes = [...series.keys()].sort((a, b) => a - b);
  if (indexes.length === 0) return [];
  const first = indexes[0];
  const last = indexes[indexes.length - 1];
  const fill = last - first + 1 <= MAX_INTERVALS_PER_GROUP;
  const out: IntervalStats[] = [];
  const row = (i: number): IntervalStats => {
    const s = series.get(i);
    const out: IntervalStats = {
      start: formatIsoTimeNs(BigInt(i) * intervalNs),
      calls: s ? s.calls : 0,
      errors: s ? s.errors : 0,
      p99_ms: s ? s.latency.percentile(99) : null,
    };
    if (mergeable) {
      const l = s && s.latency.count > 0 ? s.latency : null;
      out.merge = { latency_min_ms: l ? l.min : null, latency_max_ms: l ? l.max : null, latency_hdr: l ? l.encodedHistogram() : null };
    }
    return out;
  };
  if (fill) for (let i = first; i <= last; i++) out.push(row(i));
  else for (const i of indexes) out.push(row(i));
  return out;
}

/** Status counts in code order (OK, CANCELLED, …), then other labels alphabetically, NONE, STATUS_UNKNOWN last. */
export function orderedStatus(m: Map<string, number>): Record<string, number> {
  const rank = (label: string) => {
    const i = GRPC_STATUS_NAMES.indexOf(label);
    if (i >= 0) return i;
    return label === STATUS_UNKNOWN ? 2e9 : label === NO_STATUS ? 1e9 : 1e6;
  };
  const labels = [...m.keys()].sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(labels.map((l) => [l, m.get(l)!]));
}

/** A call that failed (see the module comment and callOutcome). */
export function isErrorCall(c: CallRecord): boolean {
  return callOutcome(c) === 'error';
}

export class StatsTap implements RecordSink {
  private readonly by: GroupBy[];
  private readonly groups = new Map<string, GroupState>();
  private readonly total: GroupState;
  private readonly intervalNs: bigint | null;
  private readonly intervalText: string;

  constructor(private readonly options: StatsOptions = {}) {
    this.by = options.by ?? ['method'];
    const ms = options.intervalMs;
    this.intervalNs = ms !== undefined ? BigInt(Math.round(ms * 1e6)) : null;
    if (this.intervalNs !== null && this.intervalNs <= 0n) throw new UsageError('--interval: must be positive');
    this.intervalText = ms !== undefined ? formatDurationMs(ms) : '';
    this.total = new GroupState([], this.intervalNs !== null);
  }

  message(_m: MessageRecord): void {
    // Call records carry message counts and bytes; messages add nothing here.
  }

  call(c: CallRecord): void {
    if (this.options.filter && !this.options.filter.matchCall(c)) return;
    const by = this.by;
    let mapKey: string;
    if (by.length === 1) {
      // One dimension (the usual case): no arrays per call.
      const v = KEY_OF[by[0]](c);
      mapKey = v === null ? '\u0001' : v;
    } else {
      mapKey = by.map((b) => KEY_OF[b](c)).map((v) => (v === null ? '\u0001' : v)).join('\u0000');
    }
    let g = this.groups.get(mapKey);
    if (!g) this.groups.set(mapKey, (g = new GroupState(by.map((b) => KEY_OF[b](c)), this.intervalNs !== null)));
    const error = isErrorCall(c);
    const start = parseIsoTimeInto(c.start, this.start) ? this.start : null;
    const end = c.end !== null && parseIsoTimeInto(c.end, this.end) ? this.end : null;
    const interval =
      start !== null && this.intervalNs !== null
        ? Number((BigInt(start.seconds) * 1_000_000_000n + BigInt(start.nanos)) / this.intervalNs)
        : null;
    g.add(c, error, start, end, interval, this.intervalText);
    this.total.add(c, error, start, end, interval, this.intervalText);
  }

  /** Scratch for the times of the call being added. */
  private readonly start: IsoInstant = { seconds: 0, nanos: 0 };
  private readonly end: IsoInstant = { seconds: 0, nanos: 0 };

  /** The answers; `mergeable` adds what `stats --merge` needs (JSON output). */
  result(options: { mergeable?: boolean } = {}): StatsResult {
    const mergeable = options.mergeable ?? false;
    const span = this.total.spanSeconds();
    const calls = this.total.calls;
    const groups = [...this.groups.values()].map((g) => g.result(this.by, this.intervalNs, span, calls, mergeable));
    groups.sort(comparator(this.options.sort ?? 'calls'));
    if (this.by.length > 1) keepOuterTogether(groups, this.by[0]);
    const total = this.total.result([], this.intervalNs, span, calls, mergeable);
    const out: StatsResult = { by: this.by, groups, total };
    if (this.options.intervalMs !== undefined) out.interval_ms = this.options.intervalMs;
    return out;
  }
}

/**
 * Nested groups: the rows of one outer value (one method under `--by method --by status`) stay together,
 * in the order of the sort; outer values come in the order of their first row. Stable, in place.
 */
/** Errors over the calls whose outcome is known (STATUS_UNKNOWN calls are neither). One rule for stats and --merge. */
export function errorRate(errors: number, calls: number, unknown: number): number {
  return calls - unknown === 0 ? 0 : round(errors / (calls - unknown));
}

/** A group's calls over the whole input's span; none from fewer than two calls. One rule for stats and --merge. */
export function callsPerSecond(calls: number, spanSeconds: number, inputCalls: number): number | null {
  return spanSeconds > 0 && inputCalls >= 2 ? round(calls / spanSeconds, 3) : null;
}

export function keepOuterTogether(groups: GroupStats[], outer: GroupBy): void {
  const rank = new Map<string | null, number>();
  const outerOf = (g: GroupStats) => (g.key as Record<string, string | null>)[outer];
  for (const g of groups) if (!rank.has(outerOf(g))) rank.set(outerOf(g), rank.size);
  const position = new Map(groups.map((g, i) => [g, i]));
  groups.sort((a, b) => rank.get(outerOf(a))! - rank.get(outerOf(b))! || position.get(a)! - position.get(b)!);
}

function keyText(k: GroupKey | undefined): string {
  if (k === undefined || k === null) return '';
  return typeof k === 'string' ? k : Object.values(k).map((v) => v ?? '').join('\u0000');
}

export function comparator(sort: SortKey): (a: GroupStats, b: GroupStats) => number {
  const byKey = (a: GroupStats, b: GroupStats) => {
    const x = keyText(a.key);
    const y = keyText(b.key);
    return x < y ? -1 : x > y ? 1 : 0;
  };
  if (sort === 'key') return byKey;
  if (sort === 'first') return (a, b) => (a.first ?? '\uffff').localeCompare(b.first ?? '\uffff') || byKey(a, b);
  const value = (g: GroupStats): number => {
    switch (sort) {
      case 'calls':
        return g.calls;
      case 'errors':
        return g.errors;
      case 'error_rate':
        return g.error_rate;
      case 'bytes':
        return g.request_bytes + g.response_bytes;
      case 'rate':
        return g.calls_per_second ?? -1;
      default:
        return g.latency_ms[sort] ?? -1;
    }
  };
  return (a, b) => value(b) - value(a) || byKey(a, b);
}

/** A duration such as 1s, 250ms, 5m, 1.5h, 100us (a bare number is seconds), in milliseconds. */
export function parseDuration(text: string, flag = '--interval'): number {
  return parseSeconds(text, flag) * 1000;
}

function formatDurationMs(ms: number): string {
  if (ms >= 1000 && ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

export type { LatencySummary };
