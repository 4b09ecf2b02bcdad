/**
 * Is this connection HTTP/2? The test the detector (../detect/) asks over the first bytes of both directions.
 *
 * Three kinds of evidence, strongest first:
 *  - a captured start: the client connection preface (RFC 9113 §3.4) at the start of either direction, a
 *    server preface (a SETTINGS frame) waiting for it, or an HTTP/1.1 request asking for `Upgrade: h2c`
 *    (RFC 7540 §3.2);
 *  - `--http2-port`: the user says connections to this server port are HTTP/2 (a hint that forces it when
 *    the start was not captured);
 *  - for a connection whose start was not captured (no SYN, or a gap before the first bytes), a *frame run*:
 *    from some offset within the first frame's reach, frame headers that follow one another exactly to the
 *    end of the bytes held (each header where the previous frame's length says), every one plausible (a
 *    type RFC 9113 defines, only the flags §6 defines for it, the reserved bit clear, a length within the
 *    default SETTINGS_MAX_FRAME_SIZE and the fixed sizes of §6, stream 0 exactly where §6 requires it,
 *    client-initiated streams odd), with at least one HEADERS or DATA frame, and DATA that begins a gRPC
 *    message agreeing with its 5-byte prefix. Other protocols do not make such runs: TLS and HTTP/1.x
 *    lengths read as frame lengths are far above 16 KiB, PostgreSQL's and Redis's ASCII type bytes likewise,
 *    and random bytes match one header in about a million positions (test/http2/detect.test.ts tries all
 *    of them on real traffic).
 *
 * Which side is the client, when the start was not captured: a request header block begins with a request
 * pseudo-header (static table entries 1 to 7: `:authority`, `:method`, `:path`, `:scheme`) and a response
 * block with `:status` (entries 8 to 14) (RFC 9113 §8.3, every stack sends pseudo-headers first); failing
 * that, the lower port is the server's, a guess (ephemeral ports can be lower than a server's) that the
 * HTTP/2 handler corrects at the first header block that shows its sender's role.
 */
import type { Claim, DetectView } from '../detect/types';
import type { Direction } from '../tcp/types';
import {
  CLIENT_PREFACE,
  DEFAULT_MAX_FRAME_SIZE,
  DEFINED_FLAGS,
  FRAME_HEADER_LENGTH,
  FrameFlag,
  FrameType,
  LAST_KNOWN_FRAME_TYPE,
  SETTINGS_ENTRY_LENGTH,
} from './constants';
import { MAX_H1_HEAD_BYTES } from './h2c';

/** How the HTTP/2 handler starts on a connection the test claimed. */
export type Http2Verdict =
  /**
   * `synced[d]`: direction d begins on a frame boundary (its start was captured). `sidesGuessed`: no
   * evidence told the client from the server (no SYN, no header block in the bytes held), the lower port
   * was taken as the server's; the first header block that shows its sender's role settles it
   * (connection.ts). `runOffsets[d]`: where direction d's frame run begins in its first bytes (-1: no run),
   * so that the frames before the next packet are read from the packets that carried them.
   */
  | { kind: 'h2'; clientIndex: Direction; synced: [boolean, boolean]; sidesGuessed?: boolean; runOffsets?: [number, number] }
  /** An HTTP/1.1 request asking for h2c: followed until the server's 101 (h2c.ts). */
  | { kind: 'upgrade'; clientIndex: Direction };

export interface Http2Probe {
  claim: Claim;
  /** Set with 'yes'. */
  verdict?: Http2Verdict;
}

/** Frames a run must hold to be believed (three headers that each land where the one before said). */
export const MIN_FRAME_RUN = 3;

/**
 * Where a run may begin: the first captured byte can be anywhere in a frame of up to the default
 * SETTINGS_MAX_FRAME_SIZE, so the first header is within that many octets.
 */
const RUN_START_REACH = DEFAULT_MAX_FRAME_SIZE + FRAME_HEADER_LENGTH;

const HTTP_SLASH = Uint8Array.from(Buffer.from('HTTP/', 'latin1'));

const enum Looks {
  NOTHING_YET,
  UNDECIDED,
  PREFACE,
  /** A SETTINGS frame header: an HTTP/2 server preface (§3.4), sent before the client's arrived. */
  SETTINGS,
  HTTP1_REQUEST,
  HTTP1_RESPONSE,
  OTHER,
}

/** What a captured start of a direction looks like. */
function looks(h: Uint8Array): Looks {
  const n = h.length;
  if (n === 0) return Looks.NOTHING_YET;
  let prefix = true;
  for (let i = 0; i < n && i < CLIENT_PREFACE.length; i++) {
    if (h[i] !== CLIENT_PREFACE[i]) {
      prefix = false;
      break;
    }
  }
  if (prefix) return n >= CLIENT_PREFACE.length ? Looks.PREFACE : Looks.UNDECIDED;
  if (startsWith(h, HTTP_SLASH)) return Looks.HTTP1_RESPONSE;
  if (n < HTTP_SLASH.length && startsWith(HTTP_SLASH, h)) return Looks.UNDECIDED;
  // A request line: a method token (RFC 9110 §9: uppercase letters in practice) and a space.
  let i = 0;
  while (i < n && h[i] >= 0x41 && h[i] <= 0x5a) i++;
  if (i > 0 && i < n && h[i] === 0x20) return Looks.HTTP1_REQUEST;
  if (i === n && n < 16) return Looks.UNDECIDED;
  if (n < FRAME_HEADER_LENGTH) return h[0] === 0 ? Looks.UNDECIDED : Looks.OTHER;
  const len = (h[0] << 16) | (h[1] << 8) | h[2];
  if (h[3] === FrameType.SETTINGS && h[4] === 0 && len % SETTINGS_ENTRY_LENGTH === 0 && len <= DEFAULT_MAX_FRAME_SIZE) {
    if ((h[5] | h[6] | h[7] | h[8]) === 0) return Looks.SETTINGS;
  }
  return Looks.OTHER;
}

/**
 * An HTTP/1.1 request head asking for h2c: 'yes' when the head is complete and has an `Upgrade` field
 * naming h2c, 'no' when it is complete without one (or too long to be one we follow), 'more' before.
 */
function h2cRequest(h: Uint8Array, final: boolean): Claim {
  const end = Buffer.from(h.buffer, h.byteOffset, h.length).indexOf('\r\n\r\n', 0, 'latin1');
  if (end < 0) return final || h.length > MAX_H1_HEAD_BYTES ? 'no' : 'more';
  const head = Buffer.from(h.buffer, h.byteOffset, end).toString('latin1');
  for (const line of head.split('\r\n').slice(1)) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    if (line.slice(0, colon).trim().toLowerCase() !== 'upgrade') continue;
    if (line.slice(colon + 1).split(',').some((t) => t.trim().toLowerCase() === 'h2c')) return 'yes';
  }
  return 'no';
}

/** One direction's frame run: where it starts and what it says about the sender. */
export interface FrameRun {
  /** Offset of the first trusted frame header. */
  offset: number;
  frames: number;
  /** Header blocks that begin with a request pseudo-header, and with :status (see the file comment). */
  requestBlocks: number;
  responseBlocks: number;
}

/** Is 9 octets at `off` a plausible frame header for a connection joined midway? */
function plausibleHeader(b: Uint8Array, off: number): boolean {
  const type = b[off + 3];
  if (type > LAST_KNOWN_FRAME_TYPE) return false;
  const flags = b[off + 4];
  if ((flags & ~DEFINED_FLAGS[type]) !== 0) return false;
  if (b[off + 5] & 0x80) return false;
  const len = (b[off] << 16) | (b[off + 1] << 8) | b[off + 2];
  if (len > DEFAULT_MAX_FRAME_SIZE) return false;
  const sid = ((b[off + 5] << 24) | (b[off + 6] << 16) | (b[off + 7] << 8) | b[off + 8]) >>> 0;
  switch (type) {
    case FrameType.PRIORITY:
      if (len !== 5 || sid === 0) return false;
      break;
    case FrameType.RST_STREAM:
      if (len !== 4 || sid === 0) return false;
      break;
    case FrameType.WINDOW_UPDATE:
      if (len !== 4) return false;
      break;
    case FrameType.SETTINGS:
      if (sid !== 0 || (flags & FrameFlag.ACK ? len !== 0 : len % SETTINGS_ENTRY_LENGTH !== 0)) return false;
      break;
    case FrameType.PING:
      if (sid !== 0 || len !== 8) return false;
      break;
    case FrameType.GOAWAY:
      if (sid !== 0 || len < 8) return false;
      break;
    case FrameType.PUSH_PROMISE:
      // Pushed by servers on a stream the client opened (odd).
      if (sid === 0 || (sid & 1) === 0 || len < 4) return false;
      break;
    default:
      // DATA, HEADERS, CONTINUATION: on client-initiated (odd) streams; gRPC has no server push.
      if (sid === 0 || (sid & 1) === 0) return false;
      if (flags & FrameFlag.PADDED && len === 0) return false;
      if (type === FrameType.HEADERS && len === 0) return false;
      if (type === FrameType.HEADERS && flags & FrameFlag.PRIORITY && len < 5) return false;
  }
  return true;
}

/**
 * The frame run of `b`, or null. A run is a chain of plausible headers from an offset within
 * RUN_START_REACH that ends exactly at the end of `b` (or whose last frame is cut by it), of at least
 * MIN_FRAME_RUN frames, with a HEADERS or DATA frame among them, DATA that starts a gRPC message agreeing
 * with its prefix, and stream ids that do not leap.
 */
export function findFrameRun(b: Uint8Array, minFrames = MIN_FRAME_RUN, exact = minFrames < MIN_FRAME_RUN): FrameRun | null {
  const reach = Math.min(RUN_START_REACH, b.length - FRAME_HEADER_LENGTH);
  for (let off = 0; off <= reach; off++) {
    if (b[off] !== 0 || !plausibleHeader(b, off)) continue;
    const run = walk(b, off, minFrames, exact);
    if (run !== null) return run;
  }
  return null;
}

/** Largest step between the stream ids of two frames of a run (streams open in order, §5.1.1). */
const STREAM_LEAP = 1 << 16;

function walk(b: Uint8Array, off: number, minFrames: number, exact: boolean): FrameRun | null {
  const run: FrameRun = { offset: off, frames: 0, requestBlocks: 0, responseBlocks: 0 };
  let streamFrames = 0;
  let lastSid = 0;
  let p = off;
  while (p + FRAME_HEADER_LENGTH <= b.length) {
    if (!plausibleHeader(b, p)) return null;
    const len = (b[p] << 16) | (b[p + 1] << 8) | b[p + 2];
    const type = b[p + 3];
    const flags = b[p + 4];
    const sid = ((b[p + 5] & 0x7f) << 24) | (b[p + 6] << 16) | (b[p + 7] << 8) | b[p + 8];
    if (sid !== 0) {
      if (lastSid !== 0 && Math.abs(sid - lastSid) > STREAM_LEAP) return null;
      lastSid = sid;
    }
    const payload = p + FRAME_HEADER_LENGTH;
    const end = payload + len;
    if (type === FrameType.DATA || type === FrameType.HEADERS) streamFrames++;
    if (end <= b.length) {
      if (type === FrameType.DATA && !(flags & FrameFlag.PADDED) && !grpcPrefixAgrees(b, payload, end)) return null;
      if (type === FrameType.HEADERS) {
        const first = firstFieldIndex(b, payload, end, flags);
        if (first >= 1 && first <= 7) run.requestBlocks++;
        else if (first >= 8 && first <= 14) run.responseBlocks++;
      }
    }
    run.frames++;
    p = end;
  }
  // p past the end: the last frame is cut by the end of what is held; p == length: exact.
  if (p < b.length) {
    // Fewer than 9 octets left: they must at least begin like a header (length's high octet 0).
    if (b[p] !== 0) return null;
  }
  if (run.frames < minFrames) return null;
  // A short run (the other direction of a connection whose run is already found) must end exactly.
  if (exact && p !== b.length) return null;
  if (minFrames >= MIN_FRAME_RUN && streamFrames === 0) return null;
  return run;
}

/**
 * A DATA payload that starts a gRPC message (compressed flag 0 or 1, then a 4-octet length) must hold a
 * message of that length or end inside it, or be followed by the next prefix. Payloads that begin in the
 * middle of a message (joined midway) rarely look like a prefix at all; when they do by chance, a wrong
 * length is still usually caught here, and a rejected run only delays the decision to the next offset.
 */
function grpcPrefixAgrees(b: Uint8Array, start: number, end: number): boolean {
  if (end - start < 5) return true;
  if (b[start] > 1) return true; // not a message start: nothing to check
  const len = ((b[start + 1] << 24) | (b[start + 2] << 16) | (b[start + 3] << 8) | b[start + 4]) >>> 0;
  const next = start + 5 + len;
  if (next >= end) return true; // the message ends here or continues in the next DATA frame
  return b[next] <= 1; // another message starts right after
}

/** Static-table index of the first field of a header block (after size updates), or 0. */
function firstFieldIndex(b: Uint8Array, start: number, end: number, flags: number): number {
  let p = start;
  if (flags & FrameFlag.PADDED) p++;
  if (flags & FrameFlag.PRIORITY) p += 5;
  while (p < end && (b[p] & 0xe0) === 0x20) {
    // §6.3 dynamic table size update: skip its integer.
    if ((b[p] & 0x1f) === 0x1f) {
      p++;
      while (p < end && b[p] & 0x80) p++;
    }
    p++;
  }
  if (p >= end) return 0;
  const x = b[p];
  if (x & 0x80) return x & 0x7f; // indexed (indices up to 126 fit the first octet)
  if (x & 0x40) return x & 0x3f;
  return x & 0x0f;
}

function startsWith(h: Uint8Array, prefix: Uint8Array): boolean {
  if (h.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (h[i] !== prefix[i]) return false;
  return true;
}

/** The server endpoint when `ports` applies (the connection's start was not seen), else null. */
function forcedServer(view: DetectView, ports: ReadonlySet<number>): Direction | null {
  if (ports.size === 0) return null;
  const [a, b] = view.conn.endpoints;
  if (view.conn.synSeen) {
    // endpoints[0] sent the SYN: it is the client, and its first bytes (the preface, or not HTTP/2) were
    // captured unless a gap came first.
    return ports.has(b.port) && view.startLost[0] ? 1 : null;
  }
  const inA = ports.has(a.port);
  const inB = ports.has(b.port);
  if (inA && inB) return a.port < b.port ? 0 : 1;
  if (inA) return 0;
  if (inB) return 1;
  return null;
}

/** The HTTP/2 test of the detector. `ports`: `--http2-port`. */
export function probeHttp2(view: DetectView, ports: ReadonlySet<number>): Http2Probe {
  const heads: [Uint8Array, Uint8Array] = [view.head(0), view.head(1)];
  const startSeen: [boolean, boolean] = [
    !view.startLost[0] && (view.conn.synSeen || true),
    !view.startLost[1] && (view.conn.synSeen || true),
  ];
  // Without a SYN, the first bytes of a direction may be anywhere in it: only the preface, which cannot
  // be mistaken, is read as a start; the rest is judged as a frame run.
  const lk: [Looks, Looks] = [
    view.startLost[0] ? Looks.OTHER : looks(heads[0]),
    view.startLost[1] ? Looks.OTHER : looks(heads[1]),
  ];
  for (const d of [0, 1] as const) {
    if (lk[d] === Looks.PREFACE) return yes({ kind: 'h2', clientIndex: d, synced: [startSeen[0], startSeen[1]] });
  }
  const forced = forcedServer(view, ports);
  if (forced !== null) {
    const clientIndex = (1 - forced) as Direction;
    if (lk[0] === Looks.UNDECIDED || lk[1] === Looks.UNDECIDED) {
      if (!view.final) return { claim: 'more' };
    }
    if (lk[clientIndex] === Looks.HTTP1_REQUEST) return { claim: 'no' };
    // A server preface with the client silent so far: the client's preface may be next.
    if (lk[forced] === Looks.SETTINGS && lk[clientIndex] === Looks.NOTHING_YET && !view.final) return { claim: 'more' };
    return yes({ kind: 'h2', clientIndex, synced: [false, false] });
  }
  if (view.conn.synSeen && !view.startLost[0]) {
    // The client's start was captured: it is the preface, an h2c upgrade, or not HTTP/2.
    switch (lk[0]) {
      case Looks.UNDECIDED:
        return view.final ? { claim: 'no' } : { claim: 'more' };
      case Looks.NOTHING_YET:
        // A server preface may come first (§3.4 allows it); wait for the client's.
        if (lk[1] === Looks.NOTHING_YET || lk[1] === Looks.SETTINGS || lk[1] === Looks.UNDECIDED) {
          return view.final ? { claim: 'no' } : { claim: 'more' };
        }
        return { claim: 'no' };
      case Looks.HTTP1_REQUEST: {
        const c = h2cRequest(heads[0], view.final);
        return c === 'yes' ? yes({ kind: 'upgrade', clientIndex: 0 }) : { claim: c };
      }
      default:
        return { claim: 'no' };
    }
  }
  // No SYN: a start may still be recognisable (an HTTP/1.1 upgrade, a server preface).
  for (const d of [0, 1] as const) {
    if (lk[d] === Looks.HTTP1_REQUEST && !view.startLost[d]) {
      const c = h2cRequest(heads[d], view.final);
      if (c === 'yes') return yes({ kind: 'upgrade', clientIndex: d });
      if (c === 'more') return { claim: 'more' };
    }
  }
  return frameRuns(view, heads);
}

/** The frame-run test over both directions (see the file comment). */
function frameRuns(view: DetectView, heads: [Uint8Array, Uint8Array]): Http2Probe {
  const runs: [FrameRun | null, FrameRun | null] = [null, null];
  for (const d of [0, 1] as const) {
    const h = heads[d];
    if (h.length === 0) continue;
    runs[d] = findFrameRun(h);
    // Past the reach of a first frame header and a few frames more without a run: not HTTP/2, unless the
    // bytes are a chain of fewer frames that may still become one (two frames of 16 KiB fill that reach).
    if (runs[d] === null && h.length >= RUN_START_REACH + 4 * FRAME_HEADER_LENGTH && findFrameRun(h, 1, false) === null) return { claim: 'no' };
  }
  const both = heads[0].length > 0 && heads[1].length > 0;
  // One direction's run found: the other, which may have sent little (a request or two), needs only
  // frames that end exactly where its bytes end.
  if (both && (runs[0] === null) !== (runs[1] === null)) {
    const other = runs[0] === null ? 0 : 1;
    runs[other] = findFrameRun(heads[other], 1);
  }
  if (runs[0] !== null && runs[1] !== null) return yes(joinedVerdict(view, runs));
  if (!view.final) return { claim: 'more' };
  // Final: one direction's run is enough when the other sent nothing conclusive (a server stream's DATA
  // with the client silent); a direction that sent bytes without a run where one should be is not HTTP/2.
  if (runs[0] === null && runs[1] === null) return { claim: 'no' };
  if (both) {
    const other = runs[0] === null ? 0 : 1;
    if (heads[other].length >= FRAME_HEADER_LENGTH * MIN_FRAME_RUN) return { claim: 'no' };
  }
  return yes(joinedVerdict(view, runs));
}

function joinedVerdict(view: DetectView, runs: [FrameRun | null, FrameRun | null]): Http2Verdict {
  const runOffsets: [number, number] = [runs[0]?.offset ?? -1, runs[1]?.offset ?? -1];
  let clientIndex: Direction;
  const votes = (d: Direction): number => {
    const r = runs[d];
    const o = runs[1 - d];
    return (r ? r.requestBlocks : 0) + (o ? o.responseBlocks : 0) - (r ? r.responseBlocks : 0) - (o ? o.requestBlocks : 0);
  };
  const v0 = votes(0);
  if (v0 > 0) clientIndex = 0;
  else if (v0 < 0) clientIndex = 1;
  else if (view.conn.synSeen) clientIndex = 0;
  else {
    const [a, b] = view.conn.endpoints;
    clientIndex = a.port > b.port ? 0 : 1;
    return { kind: 'h2', clientIndex, synced: [false, false], sidesGuessed: true, runOffsets };
  }
  return { kind: 'h2', clientIndex, synced: [false, false], runOffsets };
}

function yes(verdict: Http2Verdict): Http2Probe {
  return { claim: 'yes', verdict };
}
