/**
 * The report tap: a RecordSink that folds a capture's records into what `grpctk report` draws, in memory
 * bounded by the named limits below whatever the capture's length (a million calls cost what fifty thousand
 * do). Like the stats tap it reads records only, so a capture and decode's NDJSON give the same report.
 *
 * What it keeps:
 *   - the per-method table: a StatsTap grouped by method, so its numbers are exactly those of `grpctk stats`;
 *   - latency points: every call with a duration up to REPORT_LIMITS.points; past that a uniform random
 *     sample of that many (reservoir sampling with a fixed seed: the same input gives the same report), and
 *     the page says so;
 *   - time bins of calls, errors and a latency histogram, whose width doubles whenever there would be more
 *     than REPORT_LIMITS.timeBins (the calls/s, error rate and percentile lines);
 *   - a latency histogram per method (10 buckets per decade from 1 µs), the table's distributions;
 *   - the slowest calls and the first failed calls, each with its headers, trailers, messages and HTTP/2
 *     frames (held per open stream while the call is in flight, within REPORT_LIMITS.heldBytes);
 *   - per connection (the first REPORT_LIMITS.connections), a lane per stream and its GOAWAY frames.
 *
 * Filters select calls (the stats filters); a kept call's messages and frames come with it.
 */
import type { RecordFilter } from '../filter/index';
import type { RecordSink } from '../records/types';
import { StatsTap, isErrorCall, type StatsResult } from '../stats';
import { statusLabel, GRPC_STATUS_NAMES, NO_STATUS } from '../records/status';
import { parseIsoTimeInto, type IsoInstant } from '../records/time';
import type { CallRecord, FrameRecord, MessageRecord } from '../records/types';

/** The report's bounds: each is in the README's Limits table with what happens at it. */
export const REPORT_LIMITS = Object.freeze({
  /** Latency points drawn one per call; past it a uniform sample of this many. */
  points: 50_000,
  /** Time intervals held while reading; the interval doubles to stay within. */
  timeBins: 1_000,
  /** Time intervals drawn: the interval doubles until the calls' span fits in this many (fewer for few calls). */
  drawnBins: 300,
  /** Methods with their own histogram and marker; later methods share one "other methods" entry. */
  methods: 200,
  /** Rows of the per-method table (the busiest methods; the total row counts every call). */
  tableRows: 500,
  /** Slowest calls listed, with their details. */
  slowest: 50,
  /** Failed calls listed (the first ones), with their details. */
  failed: 100,
  /** Connections with a stream timeline (the first ones seen). */
  connections: 50,
  /** Stream lanes drawn per connection: a uniform sample of its calls, plus failedLanesPerConnection. */
  lanesPerConnection: 200,
  /** Lanes of failed or reset calls always drawn per connection (the first ones), beside the sample. */
  failedLanesPerConnection: 100,
  /** Messages kept per listed call (the first ones). */
  messagesPerCall: 20,
  /** Characters of a message body's JSON kept per message. */
  bodyChars: 8_192,
  /** HTTP/2 frames kept per listed call (the first ones). */
  framesPerCall: 100,
  /** Message bytes (wire length) held for calls in flight, for the details of calls that may be listed. */
  heldBytes: 32 * 1024 * 1024,
  /** Open streams whose messages and frames are held (the oldest is let go). */
  heldStreams: 10_000,
  /** Distinct kinds of decode problems listed in the header. */
  problemKinds: 30,
  /** Distinct status labels (codes outside the table count as one label each, up to this). */
  statuses: 64,
});

/** Latency histogram: bucket i holds durations in [10^(i/10-3), 10^((i+1)/10-3)) ms, from 1 µs to 10^7 ms. */
export const HIST_BUCKETS = 100;
export const HIST_PER_DECADE = 10;
export const HIST_MIN_EXP = -3;

export function histBucket(ms: number): number {
  if (!(ms > 0.001)) return 0;
  const i = Math.floor((Math.log10(ms) - HIST_MIN_EXP) * HIST_PER_DECADE);
  return i < 0 ? 0 : i >= HIST_BUCKETS ? HIST_BUCKETS - 1 : i;
}

/** The percentile p of a histogram, as the geometric middle of the bucket that holds its rank; null if empty. */
export function histPercentile(h: ArrayLike<number>, total: number, p: number): number | null {
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * total));
  let seen = 0;
  for (let i = 0; i < h.length; i++) {
    seen += h[i];
    if (seen >= rank) return Math.pow(10, (i + 0.5) / HIST_PER_DECADE + HIST_MIN_EXP);
  }
  return null;
}

export const OTHER_METHODS = '(other methods)';

/** One kept message of a call, as collected (the body is turned into text only for listed calls). */
interface HeldMessage {
  ts: string;
  direction: 'request' | 'response';
  index: number;
  length: number;
  compressed: boolean;
  encoding: string | null;
  messageType: string | null;
  body: unknown;
  error: string | null;
}

interface HeldFrame {
  ts: string;
  frame: number;
  direction: 'request' | 'response';
  type: string;
  flags: number;
  length: number;
}

interface Held {
  messages: HeldMessage[];
  messagesMore: number;
  frames: HeldFrame[];
  framesMore: number;
  bytes: number;
}

/** A message of a listed call: its body as JSON text, cut at REPORT_LIMITS.bodyChars. */
export interface ListedMessage extends Omit<HeldMessage, 'body'> {
  body: string | null;
  bodyCut: boolean;
}

/** A listed call: its record and what was held for it. */
export interface CallDetail {
  call: CallRecord;
  messages: ListedMessage[];
  /** Messages seen but not kept (past messagesPerCall, or the held-bytes limit). */
  messagesMore: number;
  frames: HeldFrame[];
  framesMore: number;
  /** Nothing was held for the call (it was let go at heldStreams, or the input has no messages or frames). */
  nothingHeld: boolean;
}

export interface Lane {
  stream: number;
  method: number;
  start: number;
  end: number | null;
  status: number;
  reset: string | null;
}

export interface ConnectionLanes {
  tcpStream: number;
  client: string;
  server: string;
  calls: number;
  errors: number;
  /** A uniform sample of the connection's calls that did not fail (reservoir), and its failed calls. */
  lanes: Lane[];
  failedLanes: Lane[];
  /** Calls not drawn. */
  lanesMore: number;
  /** Calls offered to the sample. */
  sampleSeen: number;
  goaway: number[];
}

interface Bin {
  calls: number;
  errors: number;
  hist: Uint32Array;
  histTotal: number;
}

/** What the collector hands the page builder (times are epoch seconds as floats: microsecond precision). */
export interface Collected {
  stats: StatsResult;
  methods: string[];
  statuses: string[];
  methodHist: Uint32Array[];
  points: {
    t: Float64Array;
    d: Float64Array;
    m: Uint16Array;
    s: Uint8Array;
    tcp: Int32Array;
    stream: Float64Array;
    client: string[];
    server: string[];
    count: number;
    /** Calls with a duration (what the points sample). */
    total: number;
  };
  bins: { widthMs: number; index: number[]; calls: number[]; errors: number[]; p50: Array<number | null>; p99: Array<number | null> };
  slowest: CallDetail[];
  failed: CallDetail[];
  failedTotal: number;
  connections: ConnectionLanes[];
  connectionsTotal: number;
  /** tcp_stream values of connections seen, capped (see connectionsCapped). */
  connectionsCapped: boolean;
  incomplete: number;
  problems: Array<{ what: string; count: number }>;
  problemsMore: number;
  messagesRaw: number;
  messagesWithError: number;
  heldLimitHit: boolean;
}

/** xorshift32: a small deterministic generator for the reservoir (the same input gives the same sample). */
function makeRandom(seed = 0x9e3779b9): () => number {
  let x = seed | 0;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

const CONNECTION_COUNT_CAP = 1_000_000;

export class ReportTap implements RecordSink {
  private readonly stats: StatsTap;
  private readonly methodIndex = new Map<string, number>();
  private readonly methods: string[] = [];
  private readonly methodHist: Uint32Array[] = [];
  private readonly statusIndex = new Map<string, number>();
  private readonly statuses: string[] = [];

  private readonly cap = REPORT_LIMITS.points;
  private readonly pt = new Float64Array(this.cap);
  private readonly pd = new Float64Array(this.cap);
  private readonly pm = new Uint16Array(this.cap);
  private readonly ps = new Uint8Array(this.cap);
  private readonly ptcp = new Int32Array(this.cap);
  private readonly pstream = new Float64Array(this.cap);
  private readonly pclient: string[] = [];
  private readonly pserver: string[] = [];
  private pointCount = 0;
  private withDuration = 0;
  private readonly random = makeRandom();

  private binWidthMs = 1;
  private bins = new Map<number, Bin>();

  private readonly held = new Map<number, Held>();
  private heldBytes = 0;
  private heldLimitHit = false;

  private readonly slowest: CallDetail[] = [];
  private readonly failed: CallDetail[] = [];
  private failedTotal = 0;

  private readonly conns = new Map<number, ConnectionLanes>();
  private readonly seenConns = new Set<number>();
  private connectionsCapped = false;

  private incomplete = 0;
  private readonly problems = new Map<string, number>();
  private problemsMore = 0;
  private messagesRaw = 0;
  private messagesWithError = 0;

  private readonly scratch: IsoInstant = { seconds: 0, nanos: 0 };

  constructor(private readonly filter?: RecordFilter) {
    this.stats = new StatsTap({ by: ['method'], filter });
    for (const name of [...GRPC_STATUS_NAMES, NO_STATUS]) this.statusOf(name);
  }

  private methodOf(method: string): number {
    let i = this.methodIndex.get(method);
    if (i !== undefined) return i;
    if (this.methods.length >= REPORT_LIMITS.methods) {
      i = this.methodIndex.get(OTHER_METHODS);
      if (i !== undefined) return i;
      method = OTHER_METHODS;
    }
    i = this.methods.length;
    this.methods.push(method);
    this.methodHist.push(new Uint32Array(HIST_BUCKETS));
    this.methodIndex.set(method, i);
    return i;
  }

  private statusOf(label: string): number {
    let i = this.statusIndex.get(label);
    if (i !== undefined) return i;
    if (this.statuses.length >= REPORT_LIMITS.statuses) return this.statusIndex.get(NO_STATUS)!;
    i = this.statuses.length;
    this.statuses.push(label);
    this.statusIndex.set(label, i);
    return i;
  }

  private seconds(ts: string | null): number | null {
    if (ts === null || !parseIsoTimeInto(ts, this.scratch)) return null;
    return this.scratch.seconds + this.scratch.nanos / 1e9;
  }

  private problem(what: string): void {
    // Numbers vary from call to call (offsets, lengths, indexes): one kind per wording.
    const kind = what.replace(/\d+/g, 'N');
    const n = this.problems.get(kind);
    if (n !== undefined) this.problems.set(kind, n + 1);
    else if (this.problems.size < REPORT_LIMITS.problemKinds) this.problems.set(kind, 1);
    else this.problemsMore++;
  }

  private heldFor(tcp: number, stream: number): Held {
    const key = tcp * 4294967296 + stream;
    let h = this.held.get(key);
    if (!h) {
      if (this.held.size >= REPORT_LIMITS.heldStreams) {
        // The oldest open stream (Map order is insertion order): its call will be listed without details.
        const oldest = this.held.keys().next().value as number;
        this.release(oldest);
      }
      h = { messages: [], messagesMore: 0, frames: [], framesMore: 0, bytes: 0 };
      this.held.set(key, h);
    }
    return h;
  }

  private release(key: number): Held | undefined {
    const h = this.held.get(key);
    if (h) {
      this.heldBytes -= h.bytes;
      this.held.delete(key);
    }
    return h;
  }

  message(m: MessageRecord): void {
    if (m.message_type === null && m.body !== null) this.messagesRaw++;
    if (m.error !== null) {
      this.messagesWithError++;
      this.problem(m.error);
    }
    const h = this.heldFor(m.tcp_stream, m.stream);
    if (h.messages.length >= REPORT_LIMITS.messagesPerCall) {
      h.messagesMore++;
      return;
    }
    const cost = m.length + 256;
    if (this.heldBytes + cost > REPORT_LIMITS.heldBytes) {
      this.heldLimitHit = true;
      h.messagesMore++;
      return;
    }
    this.heldBytes += cost;
    h.bytes += cost;
    h.messages.push({
      ts: m.ts,
      direction: m.direction,
      index: m.index,
      length: m.length,
      compressed: m.compressed,
      encoding: m.encoding,
      messageType: m.message_type,
      body: m.body,
      error: m.error,
    });
  }

  frame(f: FrameRecord): void {
    if (f.stream === 0) {
      if (f.frame_type === 'GOAWAY') {
        const c = this.connection(f.tcp_stream, f.client, f.server);
        const t = this.seconds(f.ts);
        if (c && t !== null && c.goaway.length < 16) c.goaway.push(t);
      }
      return;
    }
    const h = this.heldFor(f.tcp_stream, f.stream);
    if (h.frames.length >= REPORT_LIMITS.framesPerCall) {
      h.framesMore++;
      return;
    }
    h.frames.push({ ts: f.ts, frame: f.frame, direction: f.direction, type: f.frame_type, flags: f.flags, length: f.length });
  }

  private connection(tcp: number, client: string, server: string): ConnectionLanes | undefined {
    let c = this.conns.get(tcp);
    if (!c && this.conns.size < REPORT_LIMITS.connections) {
      c = { tcpStream: tcp, client, server, calls: 0, errors: 0, lanes: [], failedLanes: [], lanesMore: 0, sampleSeen: 0, goaway: [] };
      this.conns.set(tcp, c);
    }
    return c;
  }

  call(c: CallRecord): void {
    const h = this.release(c.tcp_stream * 4294967296 + c.stream);
    if (this.filter && !this.filter.matchCall(c)) return;
    this.stats.call(c);
    if (this.seenConns.size < CONNECTION_COUNT_CAP) this.seenConns.add(c.tcp_stream);
    else if (!this.seenConns.has(c.tcp_stream)) this.connectionsCapped = true;
    if (c.errors) for (const e of c.errors) this.problem(e);
    if (!c.complete) this.incomplete++;

    const method = this.methodOf(c.method);
    const status = this.statusOf(statusLabel(c.status, c.status_name));
    const error = isErrorCall(c);
    const start = this.seconds(c.start);
    const end = this.seconds(c.end);
    const duration = c.complete && c.duration_ms !== null && Number.isFinite(c.duration_ms) ? Math.max(0, c.duration_ms) : null;

    if (duration !== null) this.methodHist[method][histBucket(duration)]++;
    if (start !== null) {
      this.addToBin(start, error, duration);
      if (duration !== null) this.addPoint(c, start, duration, method, status);
    }

    const conn = this.connection(c.tcp_stream, c.client, c.server);
    if (conn && start !== null) {
      conn.calls++;
      const lane: Lane = { stream: c.stream, method, start, end, status, reset: c.reset };
      if (error || c.reset !== null) {
        if (error) conn.errors++;
        if (conn.failedLanes.length < REPORT_LIMITS.failedLanesPerConnection) conn.failedLanes.push(lane);
        else conn.lanesMore++;
      } else {
        // Reservoir over the calls that did not fail: the lanes cover the connection's whole life.
        const seen = ++conn.sampleSeen;
        if (conn.lanes.length < REPORT_LIMITS.lanesPerConnection) conn.lanes.push(lane);
        else {
          conn.lanesMore++;
          const j = Math.floor(this.random() * seen);
          if (j < REPORT_LIMITS.lanesPerConnection) conn.lanes[j] = lane;
        }
      }
    }

    if (error) {
      this.failedTotal++;
      if (this.failed.length < REPORT_LIMITS.failed) this.failed.push(detail(c, h));
    }
    if (duration !== null) this.offerSlowest(c, duration, h);
  }

  private addPoint(c: CallRecord, t: number, d: number, m: number, s: number): void {
    this.withDuration++;
    let i: number;
    if (this.pointCount < this.cap) i = this.pointCount++;
    else {
      // Algorithm R: the n-th call replaces a kept one with probability cap/n.
      const j = Math.floor(this.random() * this.withDuration);
      if (j >= this.cap) return;
      i = j;
    }
    this.pt[i] = t;
    this.pd[i] = d;
    this.pm[i] = m;
    this.ps[i] = s;
    this.ptcp[i] = c.tcp_stream;
    this.pstream[i] = c.stream;
    this.pclient[i] = c.client;
    this.pserver[i] = c.server;
  }

  private addToBin(t: number, error: boolean, d: number | null): void {
    const key = Math.floor((t * 1000) / this.binWidthMs);
    let b = this.bins.get(key);
    if (!b) {
      b = { calls: 0, errors: 0, hist: new Uint32Array(HIST_BUCKETS), histTotal: 0 };
      this.bins.set(key, b);
      if (this.bins.size > REPORT_LIMITS.timeBins) {
        this.coarsen();
        this.addToBin(t, error, d);
        return;
      }
    }
    b.calls++;
    if (error) b.errors++;
    if (d !== null) {
      b.hist[histBucket(d)]++;
      b.histTotal++;
    }
  }

  /**
   * Doubles the interval until the bins fit (a bin of width 2w holds bins 2k and 2k+1 of width w): while
   * reading, until at most timeBins are held; for the page, until the span is at most `span` intervals.
   */
  private coarsen(span?: number): void {
    const tooMany = () => {
      if (span === undefined) return this.bins.size > REPORT_LIMITS.timeBins;
      let lo = Infinity;
      let hi = -Infinity;
      for (const k of this.bins.keys()) {
        if (k < lo) lo = k;
        if (k > hi) hi = k;
      }
      return this.bins.size > 0 && hi - lo + 1 > span;
    };
    while (tooMany()) {
      this.binWidthMs *= 2;
      const next = new Map<number, Bin>();
      for (const [k, b] of this.bins) {
        const nk = Math.floor(k / 2);
        const into = next.get(nk);
        if (!into) next.set(nk, b);
        else {
          into.calls += b.calls;
          into.errors += b.errors;
          into.histTotal += b.histTotal;
          for (let i = 0; i < HIST_BUCKETS; i++) into.hist[i] += b.hist[i];
        }
      }
      this.bins = next;
    }
  }

  private offerSlowest(c: CallRecord, d: number, h: Held | undefined): void {
    const list = this.slowest;
    if (list.length >= REPORT_LIMITS.slowest) {
      // Kept sorted slowest first: a call enters only if it beats the fastest kept one.
      const last = list[list.length - 1];
      if (d <= (last.call.duration_ms ?? 0)) return;
      list.pop();
    }
    let i = list.length;
    while (i > 0 && (list[i - 1].call.duration_ms ?? 0) < d) i--;
    list.splice(i, 0, detail(c, h));
  }

  result(): Collected {
    const stats = this.stats.result();
    // Few calls over a long span would give spikes of one call each: aim at ten calls per interval.
    this.coarsen(Math.min(REPORT_LIMITS.drawnBins, Math.max(10, Math.ceil(stats.total.calls / 10))));
    // Points in time order: the page finds the ones near the cursor by binary search.
    const n = this.pointCount;
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => this.pt[a] - this.pt[b]);
    const pick = <T extends Float64Array | Uint16Array | Uint8Array | Int32Array>(src: T, make: new (n: number) => T): T => {
      const out = new make(n);
      for (let i = 0; i < n; i++) out[i] = src[order[i]];
      return out;
    };
    const keys = [...this.bins.keys()].sort((a, b) => a - b);
    const bins = { widthMs: this.binWidthMs, index: [] as number[], calls: [] as number[], errors: [] as number[], p50: [] as Array<number | null>, p99: [] as Array<number | null> };
    if (keys.length > 0) {
      // Every interval from the first to the last, empty ones as zeros: a quiet gap is an answer too.
      for (let k = keys[0]; k <= keys[keys.length - 1]; k++) {
        const b = this.bins.get(k);
        bins.index.push(k);
        bins.calls.push(b ? b.calls : 0);
        bins.errors.push(b ? b.errors : 0);
        bins.p50.push(b ? histPercentile(b.hist, b.histTotal, 50) : null);
        bins.p99.push(b ? histPercentile(b.hist, b.histTotal, 99) : null);
      }
    }
    return {
      stats,
      methods: this.methods,
      statuses: this.statuses,
      methodHist: this.methodHist,
      points: {
        t: pick(this.pt, Float64Array),
        d: pick(this.pd, Float64Array),
        m: pick(this.pm, Uint16Array),
        s: pick(this.ps, Uint8Array),
        tcp: pick(this.ptcp, Int32Array),
        stream: pick(this.pstream, Float64Array),
        client: order.map((i) => this.pclient[i]),
        server: order.map((i) => this.pserver[i]),
        count: n,
        total: this.withDuration,
      },
      bins,
      slowest: this.slowest,
      failed: this.failed,
      failedTotal: this.failedTotal,
      connections: [...this.conns.values()],
      connectionsTotal: this.seenConns.size,
      connectionsCapped: this.connectionsCapped,
      incomplete: this.incomplete,
      problems: [...this.problems].map(([what, count]) => ({ what, count })).sort((a, b) => b.count - a.count),
      problemsMore: this.problemsMore,
      messagesRaw: this.messagesRaw,
      messagesWithError: this.messagesWithError,
      heldLimitHit: this.heldLimitHit,
    };
  }
}

/** A listed call keeps its bodies as bounded text, never the decoded objects (which may be large). */
function detail(c: CallRecord, h: Held | undefined): CallDetail {
  return {
    call: c,
    messages: h ? h.messages.map(listed) : [],
    messagesMore: h ? h.messagesMore : 0,
    frames: h ? h.frames : [],
    framesMore: h ? h.framesMore : 0,
    nothingHeld: !h,
  };
}

function listed(m: HeldMessage): ListedMessage {
  const { body, ...rest } = m;
  if (body === null || body === undefined) return { ...rest, body: null, bodyCut: false };
  let text: string;
  try {
    text = JSON.stringify(body, null, 2);
  } catch {
    text = String(body);
  }
  const cut = text.length > REPORT_LIMITS.bodyChars;
  return { ...rest, body: cut ? text.slice(0, REPORT_LIMITS.bodyChars) : text, bodyCut: cut };
}
