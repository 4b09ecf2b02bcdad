/**
 * Why no dissector took a TCP connection (./dispatcher.ts), told from its first bytes, and the counters of
 * such connections per reason and server port: what the end-of-run summary reports (../summary.ts), so that
 * nothing is dropped in silence. Counting only; the words are the summary's.
 *
 * TLS is told by its record header (RFC 8446 §5.1): a content type from 20 to 23 (change_cipher_spec,
 * alert, handshake, application_data), then legacy_record_version 0x03 0x00-0x04, then a length of at most
 * 2^14 + 2048. That holds for the first record of a connection (a ClientHello) and, usually, for the first
 * bytes after a capture joined a connection midway (segments tend to start on record boundaries).
 */
import type { Endpoint } from '../tcp/types';

export type UnrecognisedKind =
  /** A TLS record header, but not a run of records the TLS layer could follow. */
  | 'tls'
  /** HTTP/1.x the HTTP/1.1 layer did not take (a status line first, a request line past a gap, …). */
  | 'http1'
  /** The connection's first bytes were not captured (the capture started after it, or lost them). */
  | 'start-not-captured'
  /** Something else. */
  | 'other';

/** Server ports remembered per reason; past it ports are only counted. */
export const MAX_PORTS_PER_REASON = 64;

export interface UnrecognisedCounters {
  /** Connections per reason. */
  counts: Record<UnrecognisedKind, number>;
  /** Server ports (the SYN's destination) per reason, with connection counts. */
  ports: Record<UnrecognisedKind, Map<number, number>>;
  /**
   * Port pairs of connections whose handshake was not seen, per reason (at most MAX_PORTS_PER_REASON): which
   * end is the server is settled at the end (`serverPorts`), when more connections are known.
   */
  pairs: Record<UnrecognisedKind, Array<[number, number]>>;
}

export function newUnrecognisedCounters(): UnrecognisedCounters {
  return {
    counts: { tls: 0, http1: 0, 'start-not-captured': 0, other: 0 },
    ports: { tls: new Map(), http1: new Map(), 'start-not-captured': new Map(), other: new Map() },
    pairs: { tls: [], http1: [], 'start-not-captured': [], other: [] },
  };
}

/** The server side's port: the client's peer when known, else the SYN's destination, else null. */
export function serverPort(endpoints: [Endpoint, Endpoint], synSeen: boolean, clientIndex?: 0 | 1): number | null {
  if (clientIndex !== undefined) return endpoints[1 - clientIndex].port;
  if (synSeen) return endpoints[1].port;
  return null;
}

/** Count one connection of `port` in `map`, which remembers at most MAX_PORTS_PER_REASON ports. */
export function countPort(map: Map<number, number>, port: number): void {
  const n = map.get(port);
  if (n !== undefined) map.set(port, n + 1);
  else if (map.size < MAX_PORTS_PER_REASON) map.set(port, 1);
}

export function countUnrecognised(c: UnrecognisedCounters, kind: UnrecognisedKind, endpoints: [Endpoint, Endpoint], synSeen: boolean): void {
  c.counts[kind]++;
  const port = serverPort(endpoints, synSeen);
  if (port !== null) countPort(c.ports[kind], port);
  else if (c.pairs[kind].length < MAX_PORTS_PER_REASON) c.pairs[kind].push([endpoints[0].port, endpoints[1].port]);
}

/**
 * Server ports of one reason, with connection counts: those known from a handshake, and for each pair the
 * end that is a server elsewhere (it carried HTTP/2 — `http2Ports` — or is a server port of another
 * connection or of several pairs), else the lower port.
 */
export function serverPorts(c: UnrecognisedCounters, kind: UnrecognisedKind, http2Ports: ReadonlyMap<number, number>): Map<number, number> {
  const out = new Map(c.ports[kind]);
  const seen = new Map<number, number>();
  for (const k of Object.keys(c.pairs) as UnrecognisedKind[]) {
    for (const [a, b] of c.pairs[k]) {
      seen.set(a, (seen.get(a) ?? 0) + 1);
      seen.set(b, (seen.get(b) ?? 0) + 1);
    }
  }
  const known = (p: number) =>
    http2Ports.has(p) || (Object.keys(c.ports) as UnrecognisedKind[]).some((k) => c.ports[k].has(p)) || (seen.get(p) ?? 0) > 1;
  for (const [a, b] of c.pairs[kind]) {
    const port = known(a) && !known(b) ? a : known(b) && !known(a) ? b : Math.min(a, b);
    countPort(out, port);
  }
  return out;
}

/** A TLS record header at the start of `head`. */
export function looksLikeTls(head: Uint8Array, n: number): boolean {
  if (n < 5) return false;
  const type = head[0];
  if (type < 20 || type > 23) return false;
  if (head[1] !== 0x03 || head[2] > 0x04) return false;
  const length = (head[3] << 8) | head[4];
  return length > 0 && length <= (1 << 14) + 2048;
}

/** HTTP/1.x: a request line (`GET /`, `POST /…`) or a status line (`HTTP/1.1 200`). */
function looksLikeHttp1(head: Uint8Array, n: number): boolean {
  let i = 0;
  while (i < n && head[i] >= 0x41 && head[i] <= 0x5a) i++;
  if (i >= 3 && i < n && head[i] === 0x20) return true;
  return n >= 5 && head[0] === 0x48 && head[1] === 0x54 && head[2] === 0x54 && head[3] === 0x50 && head[4] === 0x2f;
}

/**
 * Why a connection with these first bytes (per direction; `startLost`: a gap came before them; `synSeen`:
 * the handshake was captured) is not HTTP/2, or null when it carried no bytes at all (nothing was dropped).
 */
export function classifyUnrecognised(
  heads: [Uint8Array, Uint8Array],
  lengths: [number, number],
  startLost: [boolean, boolean],
  synSeen: boolean,
): UnrecognisedKind | null {
  if (lengths[0] === 0 && lengths[1] === 0 && !startLost[0] && !startLost[1]) return null;
  for (const d of [0, 1] as const) if (looksLikeTls(heads[d], lengths[d])) return 'tls';
  for (const d of [0, 1] as const) if (!startLost[d] && looksLikeHttp1(heads[d], lengths[d])) return 'http1';
  if (startLost[0] || startLost[1] || !synSeen) return 'start-not-captured';
  return 'other';
}
