/**
 * The end-of-run summary: what could not be decoded, why, and what to do about it, in one place. The
 * layers only count (net, tcp, http2 and grpc counters); the words are here, so every reading command
 * (decode, stats, export) says the same thing the same way, and nothing is dropped in silence:
 *
 *   grpctk: warning: 2 TLS connections (server port 443) not decoded: the gRPC calls inside are encrypted; …
 *   grpctk: warning: 1 connection (server port 50051) not decoded: its start was not captured …; port 50051
 *           carried HTTP/2 on another connection: try --http2-port 50051
 *
 * Each line is one `grpctk: warning: …` on stderr, after the output, unless --quiet.
 */
import { escapeCell } from './output/escape';
import type { AssemblerCounters } from './tcp/types';
import type { Http2Counters } from './http2/types';
import { serverPorts, type UnrecognisedCounters, type UnrecognisedKind } from './detect/unrecognised';
import type { GrpcCounters } from './grpc/calls';
import type { PacketDecoder } from './net/decode';
import type { DetectCounters } from './detect/types';
import { formatInteger } from './units';

export interface DecodeCounters {
  net: PacketDecoder['counters'];
  tcp: AssemblerCounters;
  /** The protocol detector: connections no dissector claimed, and why. */
  detect: DetectCounters;
  http2: Http2Counters;
  grpc: GrpcCounters;
}

export interface SummaryContext {
  /** gRPC calls decoded (before any filter). */
  calls: number;
  /** Packets read. */
  packets: number;
  /** Some .proto or descriptor set was loaded. */
  schemaLoaded: boolean;
  /** --http2-port values given. */
  http2Ports: readonly number[];
}

function plural(n: number, one: string, many = one + 's'): string {
  return `${formatInteger(n)} ${n === 1 ? one : many}`;
}

/** `server port 443` or `server ports 443, 8443 …`, from a port → count map (most connections first). */
function ports(map: Map<number, number>): string {
  const list = [...map.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0]).map(([p]) => p);
  if (list.length === 0) return '';
  const shown = list.slice(0, 6).join(', ') + (list.length > 6 ? ', …' : '');
  return ` (server port${list.length === 1 ? '' : 's'} ${shown})`;
}

/** Ports of `map` that carried HTTP/2 on a recognised connection, and that were not forced already. */
function http2Elsewhere(map: Map<number, number>, http2Ports: ReadonlyMap<number, number>, forced: readonly number[]): number[] {
  return [...map.keys()].filter((p) => http2Ports.has(p) && !forced.includes(p)).sort((a, b) => a - b);
}

function portFlags(list: number[]): string {
  return list.map((p) => `--http2-port ${p}`).join(' ');
}

const CONNECTIONS: Record<UnrecognisedKind, (n: number) => string> = {
  tls: (n) => plural(n, 'TLS connection'),
  http1: (n) => plural(n, 'HTTP/1.x connection'),
  'start-not-captured': (n) => plural(n, 'TCP connection'),
  other: (n) => plural(n, 'TCP connection'),
};

/**
 * Lines about connections that no protocol took (what looked like TLS or HTTP/1.x but could not be followed,
 * connections joined midway whose bytes showed no protocol, others), with their server ports and what to do;
 * `http2Ports`: server ports of connections that were HTTP/2; `then` is appended to each (split says where
 * their packets went).
 */
export function unrecognisedLines(u: UnrecognisedCounters, http2Ports: ReadonlyMap<number, number>, forced: readonly number[], then = ''): string[] {
  const out: string[] = [];
  const serverPortsOf = (k: UnrecognisedKind) => serverPorts(u, k, http2Ports);
  const noun = (k: UnrecognisedKind) => CONNECTIONS[k](u.counts[k]);
  const verb = (k: UnrecognisedKind) => (u.counts[k] === 1 ? 'its' : 'their');
  if (u.counts.tls > 0) {
    out.push(
      `${noun('tls')}${ports(serverPortsOf('tls'))} not decoded: ${verb('tls')} first bytes look like a TLS record, but not like a run of records grpctk can follow`,
    );
  }
  if (u.counts['start-not-captured'] > 0) {
    const elsewhere = http2Elsewhere(serverPortsOf('start-not-captured'), http2Ports, forced);
    const all = [...serverPortsOf('start-not-captured').keys()].filter((p) => !forced.includes(p)).sort((a, b) => a - b);
    const hint =
      elsewhere.length > 0
        ? `; port${elsewhere.length === 1 ? '' : 's'} ${elsewhere.join(', ')} carried HTTP/2 on another connection: try ${portFlags(elsewhere)}`
        : all.length > 0
          ? `; if ${u.counts['start-not-captured'] === 1 ? 'it carries' : 'they carry'} HTTP/2, say so with ${portFlags(all.slice(0, 3))}`
          : '';
    out.push(
      `${noun('start-not-captured')}${ports(serverPortsOf('start-not-captured'))} not decoded: ${verb('start-not-captured')} start was not captured ` +
        `(the capture joined ${u.counts['start-not-captured'] === 1 ? 'it' : 'them'} midway, as a ring-buffer file does), and the bytes captured show no run of HTTP/2 frames, TLS records or HTTP/1.x${hint}`,
    );
  }
  if (u.counts.http1 > 0) {
    out.push(`${noun('http1')}${ports(serverPortsOf('http1'))} skipped: HTTP/1.x whose start could not be followed (a response first, or a request after lost bytes)`);
  }
  if (u.counts.other > 0) {
    const elsewhere = http2Elsewhere(serverPortsOf('other'), http2Ports, forced);
    const hint = elsewhere.length > 0 ? `; port${elsewhere.length === 1 ? '' : 's'} ${elsewhere.join(', ')} carried HTTP/2 on another connection: try ${portFlags(elsewhere)}` : '';
    out.push(`${noun('other')}${ports(serverPortsOf('other'))} skipped: neither HTTP/2, TLS nor HTTP/1.x${hint}`);
  }
  return then === '' ? out : out.map((line) => line + then);
}

// TLS connections the detector takes are reported by the TLS layer (tls/summary.ts): decrypted, or why not.

/**
 * What joining connections midway cost: the connections, the calls begun before the capture (request
 * headers not seen), and the calls whose :path is a header table entry from before it (named by inference,
 * or grouped as "unknown method #N").
 */
function joinedLines(h2: Http2Counters, calls: GrpcCounters): string[] {
  if (h2.joinedConnections === 0 && calls.joinedCalls === 0 && calls.unknownMethodCalls === 0) return [];
  const parts = [`${plural(h2.joinedConnections, 'connection')} joined midway (start not captured: found by its frames, or named by --http2-port)`];
  if (calls.joinedCalls) {
    const dataOnly = calls.dataOnlyCalls > 0 ? `, ${formatInteger(calls.dataOnlyCalls)} seen by their DATA alone` : '';
    parts.push(`${plural(calls.joinedCalls, 'call')} began before the capture (request headers not captured${dataOnly}: method, start and duration unknown)`);
  }
  if (calls.dataOnlyIgnored) parts.push(`${plural(calls.dataOnlyIgnored, 'DATA frame')} of further streams begun before the capture ignored (MAX_DATA_ONLY_STREAMS)`);
  if (calls.unknownMethodCalls) {
    parts.push(
      `${plural(calls.unknownMethodCalls, 'call')} whose :path is a header table entry from before it (${formatInteger(calls.inferredCalls)} named by inference, marked "inferred"; the others grouped as "unknown method #N")`,
    );
  }
  return [`HTTP/2: ${parts.join('; ')}`];
}

/** The summary lines of a capture decode, in a fixed order: the biggest losses first. */
export function decodeSummary(c: DecodeCounters, ctx: SummaryContext): string[] {
  const out: string[] = [];
  const u = c.detect.unrecognised;

  if (ctx.calls === 0 && ctx.packets > 0) {
    const conns = c.tcp.connections;
    const h2 = c.http2.connections;
    out.push(
      `no gRPC call decoded from ${plural(ctx.packets, 'packet')}: ${plural(conns, 'TCP connection')}, ` +
        (h2 === 0 ? 'none recognised as HTTP/2' : `${plural(h2, 'HTTP/2 connection')} without gRPC calls`) +
        (conns === 0 ? ' (no TCP payload: check the capture filter and the link type)' : ''),
    );
  }
  out.push(...unrecognisedLines(u, c.http2.serverPorts, ctx.http2Ports));
  out.push(...joinedLines(c.http2, c.grpc));
  if (c.grpc.otherRequests > 0) {
    const paths = c.grpc.otherRequestPaths.join(', ') + (c.grpc.otherRequests > c.grpc.otherRequestPaths.length ? ', …' : '');
    out.push(`${plural(c.grpc.otherRequests, 'HTTP request')}${ports(c.grpc.otherRequestPorts)} skipped: not gRPC, gRPC-Web or Connect (${paths})`);
  }
  const noSchema = c.grpc.methodsWithoutSchema;
  if (noSchema.size > 0) {
    const list = [...noSchema.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    const shown = list.slice(0, 4).map(([m]) => m).join(', ') + (list.length > 4 || c.grpc.otherMessagesWithoutSchema > 0 ? ', …' : '');
    const what = ctx.schemaLoaded ? 'load the .proto that defines them' : 'no schema was loaded: give the .proto files';
    out.push(
      `${plural(list.length, 'method')}${c.grpc.otherMessagesWithoutSchema > 0 ? ' (or more)' : ''} without a schema, bodies decoded raw (by field number): ${shown}; ${what} with -I DIR, --proto FILE or --descriptor-set FILE`,
    );
  }
  const net = c.net;
  if (net.unsupportedLinkType) out.push(`${plural(net.unsupportedLinkType, 'packet')} of unsupported link types skipped`);
  if (net.malformed) out.push(`${plural(net.malformed, 'malformed packet')} skipped`);
  if (net.droppedFragments) out.push(`${plural(net.droppedFragments, 'IP fragment')} could not be reassembled`);
  const tcp = c.tcp;
  if (tcp.gaps) {
    out.push(
      `TCP: ${plural(tcp.gaps, 'gap')} in reassembly, ${plural(tcp.bytesLost, 'byte')} lost (segments not captured: a larger capture buffer, dumpcap -B, or a snap length of 0 helps); the calls they touched carry an error`,
    );
  }
  if (tcp.evictedConnections) out.push(`TCP: ${plural(tcp.evictedConnections, 'connection')} closed early by --max-connections`);
  const h2 = c.http2;
  if (h2.hpackErrors) out.push(`HTTP/2: ${plural(h2.hpackErrors, 'header block')} not fully decoded (state from before the capture, lost bytes or limits: see the calls' errors)`);
  if (h2.droppedStreams) out.push(`HTTP/2: ${plural(h2.droppedStreams, 'stream')} dropped by --max-streams`);
  return out;
}

/** Print summary lines (unless --quiet): warnings, then a filter's "matched nothing" line. */
export function printSummary(warnings: readonly string[], quiet: boolean, notes: ReadonlyArray<string | null> = []): void {
  if (quiet) return;
  let text = '';
  // Warnings quote captured strings (methods, ports, hosts): one escaping rule for the terminal.
  for (const w of warnings) text += `grpctk: warning: ${escapeCell(w)}\n`;
  for (const n of notes) if (n !== null) text += `grpctk: ${escapeCell(n)}\n`;
  if (text !== '') process.stderr.write(text);
}
