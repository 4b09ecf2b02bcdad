/**
 * What the report page is given: the collector's result as one plain JSON object, compact (times relative to
 * one origin, rounded to the microsecond; points as parallel arrays) and safe: every string that came from
 * the capture has its control and bidirectional characters escaped here, with the one escaping helper of
 * the project, and the page only ever sets it as text (never as markup).
 */
import { escapeJson, escapeText } from '../output/escape';
import { formatIsoTimeNs, parseIsoTimeNs } from '../records/time';
import type { CallRecord } from '../records/types';
import type { GroupStats } from '../stats';
import { HIST_BUCKETS, HIST_MIN_EXP, HIST_PER_DECADE, REPORT_LIMITS, type CallDetail, type Collected } from './collect';

export interface ReportContext {
  /** The input as the user named it ('-' for standard input). */
  input: string;
  kind: 'capture' | 'ndjson';
  bytes: number | null;
  packets: number | null;
  messages: number;
  /** One line each: what the decode skipped or lost. */
  warnings: string[];
  /** The filter flags as typed, e.g. ["--method", "/pkg.Svc/*"]. */
  filterArgs: string[];
  /** Flags that a `grpctk decode` of the same input needs (schema sources, HTTP/2 ports). */
  decodeArgs: string[];
  version: string;
  /** The input ended with a fault (a capture cut short): the reason, shown in the header. */
  fault?: string;
}

const round6 = (x: number) => Math.round(x * 1e6) / 1e6;
const round3 = (x: number) => Math.round(x * 1e3) / 1e3;

/** Shell word for a POSIX shell: bare when it is plainly safe, else single-quoted. */
export function shellWord(s: string): string {
  if (/^[A-Za-z0-9_./:@%+=,-]+$/.test(s)) return s;
  return "'" + s.replace(/'/g, `'\\''`) + "'";
}

/**
 * A --method glob that matches `method` and is safe to show and paste: every character other than letters,
 * digits, `_`, `.`, `/` and `-` becomes `?` (one character), so quotes, commas (the glob list separator),
 * glob characters, controls and bidi overrides never reach the command line. With the connection and the
 * start time beside it, it still names exactly one call.
 */
export function methodGlob(method: string): string {
  return method.replace(/[^A-Za-z0-9_./-]/gu, '?');
}

/** `grpctk decode` limited to one call: its connection (client address and port), method and start instant. */
export function decodeCommand(c: CallRecord, ctx: ReportContext): string {
  const words = ['grpctk', 'decode', ...ctx.decodeArgs];
  const client = c.client.replace(/[^0-9A-Za-z.:[\]]/g, '?');
  words.push('--host', client, '--method', methodGlob(c.method));
  const start = parseIsoTimeNs(c.start);
  if (start !== null) words.push('--since', formatIsoTimeNs(start), '--until', formatIsoTimeNs(start + 1n));
  words.push(ctx.input === '-' ? 'INPUT' : ctx.input);
  return words.map(shellWord).join(' ');
}

function headerList(h: Record<string, string> | undefined): Array<[string, string]> {
  if (!h) return [];
  return Object.entries(h).map(([k, v]) => [escapeText(k), escapeText(String(v))]);
}

function rel(t: number | null, origin: number): number | null {
  return t === null ? null : round6(t - origin);
}

function secondsOf(ts: string | null): number | null {
  if (ts === null) return null;
  const ns = parseIsoTimeNs(ts);
  return ns === null ? null : Number(ns) / 1e9;
}

function callDetail(d: CallDetail, ctx: ReportContext, statuses: string[]) {
  const c = d.call;
  const start = secondsOf(c.start);
  const offsetMs = (ts: string) => {
    const t = secondsOf(ts);
    return t === null || start === null ? null : round3((t - start) * 1000);
  };
  return {
    method: escapeText(c.method),
    status: escapeText(c.status_name ?? (c.status === null ? 'NONE' : String(c.status))),
    statusCode: c.status,
    statusIndex: Math.max(0, statuses.indexOf(c.status_name ?? (c.status === null ? 'NONE' : String(c.status)))),
    grpcMessage: c.grpc_message === null ? null : escapeText(c.grpc_message),
    httpStatus: c.http_status,
    authority: c.authority === null ? null : escapeText(c.authority),
    start: escapeText(c.start),
    end: c.end === null ? null : escapeText(c.end),
    duration: c.duration_ms,
    complete: c.complete,
    reset: c.reset === null ? null : escapeText(c.reset),
    timeout: c.timeout_ms ?? null,
    tcp: c.tcp_stream,
    client: escapeText(c.client),
    server: escapeText(c.server),
    stream: c.stream,
    firstFrame: c.first_frame,
    lastFrame: c.last_frame,
    requestHeaders: headerList(c.request_headers),
    responseHeaders: headerList(c.response_headers),
    trailers: headerList(c.trailers),
    statusDetails: c.status_details === undefined || c.status_details === null ? null : escapeJson(JSON.stringify(c.status_details, null, 2)),
    errors: (c.errors ?? []).map(escapeText),
    messages: d.messages.map((m) => ({
      dir: m.direction === 'request' ? 'request' : 'response',
      index: m.index,
      t: offsetMs(m.ts),
      length: m.length,
      compressed: m.compressed,
      encoding: m.encoding === null ? null : escapeText(m.encoding),
      type: m.messageType === null ? null : escapeText(m.messageType),
      body: m.body === null ? null : escapeJson(m.body),
      bodyCut: m.bodyCut,
      error: m.error === null ? null : escapeText(m.error),
    })),
    messagesMore: d.messagesMore,
    frames: d.frames.map((f) => [offsetMs(f.ts), f.direction === 'request' ? 0 : 1, escapeText(f.type), f.flags, f.length, f.frame]),
    framesMore: d.framesMore,
    nothingHeld: d.nothingHeld,
    command: escapeText(decodeCommand(c, ctx)),
  };
}

function tableRow(g: GroupStats, hist: Uint32Array | undefined) {
  return {
    method: g.key === null || g.key === undefined ? '' : escapeText(String(g.key)),
    calls: g.calls,
    errors: g.errors,
    error_rate: g.error_rate,
    latency: g.latency_ms,
    request_messages: g.request_messages,
    response_messages: g.response_messages,
    request_bytes: g.request_bytes,
    response_bytes: g.response_bytes,
    calls_per_second: g.calls_per_second,
    status: Object.fromEntries(Object.entries(g.status).map(([k, v]) => [escapeText(k), v])),
    // Sparse: [bucket, count] pairs.
    hist: hist ? [...hist].flatMap((n, i) => (n > 0 ? [[i, n]] : [])) : [],
  };
}

function sumHist(hists: Uint32Array[]): Uint32Array {
  const out = new Uint32Array(HIST_BUCKETS);
  for (const h of hists) for (let i = 0; i < HIST_BUCKETS; i++) out[i] += h[i];
  return out;
}

export function buildReportData(r: Collected, ctx: ReportContext) {
  const p = r.points;
  // The origin: the first call's start (the stats' `first`), else the first point.
  const firstText = r.stats.total.first;
  const origin = Math.floor(secondsOf(firstText) ?? (p.count > 0 ? p.t[0] : 0));

  const connIndex = new Map<number, number>();
  const conns: Array<[string, string, number]> = [];
  const c = new Array<number>(p.count);
  for (let i = 0; i < p.count; i++) {
    let k = connIndex.get(p.tcp[i]);
    if (k === undefined) {
      k = conns.length;
      connIndex.set(p.tcp[i], k);
      conns.push([escapeText(p.client[i]), escapeText(p.server[i]), p.tcp[i]]);
    }
    c[i] = k;
  }

  const methodIndex = new Map(r.methods.map((m, i) => [m, i]));
  const groups = r.stats.groups.slice(0, REPORT_LIMITS.tableRows);

  const notes: Array<{ what: string; count: number | null }> = [];
  if (ctx.fault) notes.push({ what: escapeText(`the input ends with a fault, the report shows what came before it: ${ctx.fault}`), count: null });
  for (const w of ctx.warnings) notes.push({ what: escapeText(w), count: null });
  if (r.incomplete > 0) notes.push({ what: 'calls still open when the capture ended (or reset before they ended): no duration', count: r.incomplete });
  if (r.messagesRaw > 0) notes.push({ what: 'messages decoded without a schema (raw, by field number): give the .proto files with -I or --proto', count: r.messagesRaw });
  for (const pr of r.problems) notes.push({ what: escapeText(pr.what), count: pr.count });
  if (r.problemsMore > 0) notes.push({ what: `more problems of ${REPORT_LIMITS.problemKinds}+ other kinds`, count: r.problemsMore });
  if (r.heldLimitHit) notes.push({ what: `message bodies held for calls in flight passed ${REPORT_LIMITS.heldBytes / (1024 * 1024)} MiB: some listed calls show fewer messages`, count: null });

  return {
    generator: `grpctk ${ctx.version}`,
    input: { name: escapeText(ctx.input === '-' ? '(standard input)' : ctx.input), kind: ctx.kind, bytes: ctx.bytes, packets: ctx.packets },
    filters: ctx.filterArgs.map(escapeText),
    span: { first: firstText === null ? null : escapeText(firstText), last: r.stats.total.last === null ? null : escapeText(r.stats.total.last) },
    totals: {
      calls: r.stats.total.calls,
      errors: r.stats.total.errors,
      connections: r.connectionsTotal,
      connectionsCapped: r.connectionsCapped,
      messages: ctx.messages,
      incomplete: r.incomplete,
      withDuration: p.total,
    },
    notes,
    origin,
    statuses: r.statuses.map(escapeText),
    methods: r.methods.map(escapeText),
    points: {
      t: Array.from(p.t, (x) => round6(x - origin)),
      d: Array.from(p.d, round3),
      m: Array.from(p.m),
      s: Array.from(p.s),
      c,
      h: Array.from(p.stream),
    },
    pointsTotal: p.total,
    sampled: p.total > p.count,
    conns,
    bins: {
      width: r.bins.widthMs / 1000,
      t: r.bins.index.map((k) => round6((k * r.bins.widthMs) / 1000 - origin)),
      calls: r.bins.calls,
      errors: r.bins.errors,
      p50: r.bins.p50.map((x) => (x === null ? null : round3(x))),
      p99: r.bins.p99.map((x) => (x === null ? null : round3(x))),
    },
    hist: { buckets: HIST_BUCKETS, perDecade: HIST_PER_DECADE, minExp: HIST_MIN_EXP },
    table: {
      rows: groups.map((g) => tableRow(g, methodIndex.has(String(g.key)) ? r.methodHist[methodIndex.get(String(g.key))!] : undefined)),
      more: r.stats.groups.length - groups.length,
      total: tableRow({ ...r.stats.total, key: 'TOTAL' }, sumHist(r.methodHist)),
    },
    slowest: r.slowest.map((d) => callDetail(d, ctx, r.statuses)),
    failed: r.failed.map((d) => callDetail(d, ctx, r.statuses)),
    failedTotal: r.failedTotal,
    connections: r.connections.map((k) => ({
      tcp: k.tcpStream,
      client: escapeText(k.client),
      server: escapeText(k.server),
      calls: k.calls,
      errors: k.errors,
      sampled: k.lanesMore > 0,
      lanes: [...k.lanes, ...k.failedLanes]
        .sort((a, b) => a.start - b.start || a.stream - b.stream)
        .map((l) => [l.stream, l.method, rel(l.start, origin), rel(l.end, origin), l.status, l.reset === null ? null : escapeText(l.reset)]),
      lanesMore: k.lanesMore,
      goaway: k.goaway.map((t) => round6(t - origin)),
    })),
    connectionsMore: Math.max(0, r.connectionsTotal - r.connections.length),
    decodePrefix: ['grpctk', 'decode', ...ctx.decodeArgs].map(escapeText),
    inputWord: escapeText(shellWord(ctx.input === '-' ? 'INPUT' : ctx.input)),
    limits: REPORT_LIMITS,
  };
}

export type ReportData = ReturnType<typeof buildReportData>;
