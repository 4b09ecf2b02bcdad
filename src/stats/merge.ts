/**
 * `stats --merge`: the answers of several `stats --format json` runs (one per shard: a part of a split
 * capture, one capture of a fleet) combined into the answer one run over all of them would give:
 *  - calls, errors, statuses, messages, bytes: sums, exact;
 *  - latency count, min, max: exact; mean: exact (from the sum each shard carries);
 *  - percentiles: from the shards' HDR histograms added up (nearest rank, within the histogram's stated
 *    error: 0.1% plus 1 µs, see ./latency.ts), so `exact` is false;
 *  - first and last: the earliest and latest, exact to the nanosecond; calls per second from them;
 *  - the --interval series: per interval start, the same sums and a p99 from the histograms added up.
 * Groups are matched by their key; every shard must have been grouped (`by`) and cut (`interval_ms`) alike.
 * The merged JSON carries merge state again, so merges can be merged (a tree of reducers).
 */
import * as fs from 'fs';
import type { Histogram } from 'hdr-histogram-js';
import { InputError, UsageError } from '../errors';
import { parseIsoTimeNs } from '../records/time';
import { buildHistogram, histogramPercentile, round, type LatencySummary } from './latency';
import {
  comparator,
  groupStats,
  keepOuterTogether,
  MERGE_STATE_VERSION,
  seriesOf,
  type GroupBy,
  type GroupKey,
  type GroupStats,
  type IntervalState,
  type SortKey,
  type StatsResult,
} from './tap';

/** Largest stats JSON file read by --merge: 256 MiB (a series of 100,000 intervals per group fits). */
export const MAX_MERGE_FILE_BYTES = 256 * 1024 * 1024;

/** Latencies gathered from shards: exact count, min, max and sum; an HDR histogram for percentiles. */
class MergedLatency {
  count = 0;
  min = Infinity;
  max = -Infinity;
  sum = 0;
  private histogram: Histogram | null = null;

  add(count: number, min: number | null, max: number | null, sum: number, encoded: string | null, where: string): void {
    if (count === 0) return;
    if (encoded === null || min === null || max === null) throw new InputError(`${where}: latencies without their histogram`);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { decodeFromCompressedBase64 } = require('hdr-histogram-js') as typeof import('hdr-histogram-js');
    let h: Histogram;
    try {
      h = decodeFromCompressedBase64(encoded, 'packed');
    } catch {
      throw new InputError(`${where}: latency_hdr is not an encoded HDR histogram`);
    }
    if (h.totalCount !== count) throw new InputError(`${where}: latency_hdr holds ${h.totalCount} values, latency_ms.count says ${count}`);
    if (this.histogram === null) this.histogram = buildHistogram();
    this.histogram.add(h);
    this.count += count;
    this.sum += sum;
    if (min < this.min) this.min = min;
    if (max > this.max) this.max = max;
  }

  percentile(p: number): number | null {
    return this.histogram === null ? null : histogramPercentile(this.histogram, p, this.min, this.max);
  }

  encodedHistogram(): string | null {
    if (this.histogram === null) return null;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { encodeIntoCompressedBase64 } = require('hdr-histogram-js') as typeof import('hdr-histogram-js');
    return encodeIntoCompressedBase64(this.histogram);
  }

  summary(): LatencySummary {
    const none = this.count === 0;
    return {
      count: this.count,
      exact: none,
      min: none ? null : this.min,
      mean: none ? null : round(this.sum / this.count),
      p50: this.percentile(50),
      p90: this.percentile(90),
      p99: this.percentile(99),
      max: none ? null : this.max,
    };
  }
}

interface MergedInterval extends IntervalState {
  latency: MergedLatency;
}

class MergedGroup {
  calls = 0;
  errors = 0;
  unknown = 0;
  status = new Map<string, number>();
  latency = new MergedLatency();
  requestMessages = 0;
  responseMessages = 0;
  requestBytes = 0;
  responseBytes = 0;
  first: { ns: bigint; text: string } | null = null;
  last: { ns: bigint; text: string } | null = null;
  series = new Map<number, MergedInterval>();

  constructor(readonly key: GroupKey | undefined) {}

  add(g: GroupStats, intervalNs: bigint | null, where: string): void {
    const m = g.merge;
    if (m === undefined || m === null || typeof m !== 'object') {
      throw new InputError(`${where}: no merge state (write it with grpctk stats --format json)`);
    }
    if (m.version !== MERGE_STATE_VERSION) throw new InputError(`${where}: merge state version ${m.version}, this grpctk reads ${MERGE_STATE_VERSION}`);
    this.calls += count(g.calls, `${where}.calls`);
    this.errors += count(g.errors, `${where}.errors`);
    this.unknown += count(g.status_unknown ?? 0, `${where}.status_unknown`);
    for (const [label, n] of Object.entries(g.status ?? {})) this.status.set(label, (this.status.get(label) ?? 0) + count(n, `${where}.status`));
    this.requestMessages += count(g.request_messages, `${where}.request_messages`);
    this.responseMessages += count(g.response_messages, `${where}.response_messages`);
    this.requestBytes += count(g.request_bytes, `${where}.request_bytes`);
    this.responseBytes += count(g.response_bytes, `${where}.response_bytes`);
    const l = g.latency_ms;
    if (l === undefined || l === null) throw new InputError(`${where}: no latency_ms`);
    this.latency.add(count(l.count, `${where}.latency_ms.count`), l.min, l.max, m.latency_sum_ms, m.latency_hdr, where);
    if (g.first !== null && g.first !== undefined) {
      const ns = instant(g.first, `${where}.first`);
      if (this.first === null || ns < this.first.ns) this.first = { ns, text: g.first };
    }
    if (g.last !== null && g.last !== undefined) {
      const ns = instant(g.last, `${where}.last`);
      if (this.last === null || ns > this.last.ns) this.last = { ns, text: g.last };
    }
    if (intervalNs !== null) {
      for (const s of g.series ?? []) {
        if (s.calls === 0) continue; // a quiet interval filled in for display
        const i = Number(instant(s.start, `${where}.series`) / intervalNs);
        let slot = this.series.get(i);
        if (!slot) this.series.set(i, (slot = { calls: 0, errors: 0, latency: new MergedLatency() }));
        slot.calls += count(s.calls, `${where}.series.calls`);
        slot.errors += count(s.errors, `${where}.series.errors`);
        const sm = s.merge;
        if (sm === undefined || sm === null || typeof sm !== 'object') throw new InputError(`${where}: a series row without merge state`);
        if (sm.latency_hdr !== null) {
          slot.latency.add(histogramCount(sm.latency_hdr, where), sm.latency_min_ms, sm.latency_max_ms, 0, sm.latency_hdr, `${where}.series`);
        }
      }
    }
  }

  /** Seconds from the earliest first to the latest last. */
  spanSeconds(): number {
    return this.first !== null && this.last !== null ? Number(this.last.ns - this.first.ns) / 1e9 : 0;
  }

  /** As the stats tap does: every group's rate over the whole input's span (`spanSeconds`, `inputCalls`). */
  result(by: GroupBy[], intervalNs: bigint | null, mergeable: boolean, spanSeconds: number, inputCalls: number): GroupStats {
    const head: Pick<GroupStats, 'key'> = {};
    if (by.length > 0) head.key = this.key ?? null;
    const series = intervalNs !== null ? seriesOf(this.series, intervalNs, mergeable) : undefined;
    return groupStats(head, this, this.first?.text ?? null, this.last?.text ?? null, spanSeconds, inputCalls, series, mergeable ? this.latency.sum : null);
  }
}

function count(v: unknown, where: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new InputError(`${where}: expected a count, got ${JSON.stringify(v)}`);
  return v;
}

function instant(text: unknown, where: string): bigint {
  const ns = typeof text === 'string' ? parseIsoTimeNs(text) : null;
  if (ns === null) throw new InputError(`${where}: expected an ISO-8601 time, got ${JSON.stringify(text)}`);
  return ns;
}

function histogramCount(encoded: string, where: string): number {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { decodeFromCompressedBase64 } = require('hdr-histogram-js') as typeof import('hdr-histogram-js');
  try {
    return decodeFromCompressedBase64(encoded, 'packed').totalCount;
  } catch {
    throw new InputError(`${where}: latency_hdr is not an encoded HDR histogram`);
  }
}

/** One shard's answer, read from a `stats --format json` file. */
export interface StatsShard {
  name: string;
  result: StatsResult;
}

/** Reads and checks the shape of one stats JSON file; InputError names the file and what is wrong. */
export function readStatsFile(file: string): StatsShard {
  let text: string;
  try {
    const size = fs.statSync(file).size;
    if (size > MAX_MERGE_FILE_BYTES) throw new InputError(`${file}: ${size} bytes, more than MAX_MERGE_FILE_BYTES (${MAX_MERGE_FILE_BYTES})`);
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if (err instanceof InputError) throw err;
    const e = err as NodeJS.ErrnoException;
    throw new InputError(`cannot read ${file}: ${e.code === 'ENOENT' ? 'no such file or directory' : e.message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new InputError(`${file}: not JSON (expected grpctk stats --format json output)`);
  }
  const r = value as Partial<StatsResult> | null;
  if (r === null || typeof r !== 'object' || !Array.isArray(r.by) || !Array.isArray(r.groups) || r.total === null || typeof r.total !== 'object') {
    throw new InputError(`${file}: not grpctk stats --format json output (no by, groups and total)`);
  }
  return { name: file, result: r as StatsResult };
}

/** The shards' answers as one (see the module comment); `mergeable` keeps merge state in the result. */
export function mergeStats(shards: StatsShard[], options: { sort?: SortKey; mergeable?: boolean } = {}): StatsResult {
  if (shards.length === 0) throw new UsageError('--merge: no files');
  const first = shards[0].result;
  const by = first.by;
  const intervalMs = first.interval_ms;
  for (const s of shards) {
    if (JSON.stringify(s.result.by) !== JSON.stringify(by)) {
      throw new InputError(`${s.name}: grouped by ${s.result.by.join(',') || '(nothing)'}, ${shards[0].name} by ${by.join(',') || '(nothing)'}: merge answers of the same --by`);
    }
    if (s.result.interval_ms !== intervalMs) {
      throw new InputError(`${s.name}: --interval differs from ${shards[0].name}'s: merge answers of the same --interval`);
    }
  }
  const intervalNs = intervalMs !== undefined ? BigInt(Math.round(intervalMs * 1e6)) : null;
  const groups = new Map<string, MergedGroup>();
  const total = new MergedGroup(undefined);
  for (const s of shards) {
    s.result.groups.forEach((g, i) => {
      const id = JSON.stringify(g.key ?? null);
      let m = groups.get(id);
      if (!m) groups.set(id, (m = new MergedGroup(g.key)));
      m.add(g, intervalNs, `${s.name}: groups[${i}]`);
    });
    total.add(s.result.total, intervalNs, `${s.name}: total`);
  }
  const mergeable = options.mergeable ?? false;
  const merged = [...groups.values()].map((g) => g.result(by, intervalNs, mergeable, total.spanSeconds(), total.calls)).sort(comparator(options.sort ?? 'calls'));
  if (by.length > 1) keepOuterTogether(merged, by[0]);
  const out: StatsResult = {
    by,
    groups: merged,
    total: total.result([], intervalNs, mergeable, total.spanSeconds(), total.calls),
  };
  if (intervalMs !== undefined) out.interval_ms = intervalMs;
  return out;
}
