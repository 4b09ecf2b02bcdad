/**
 * gRPC-Web and Connect, in front of the gRPC call tracker: an Http2Sink that takes stream events from the
 * HTTP/2 and HTTP/1.1 layers and hands the tracker the events of a gRPC call, whatever protocol carried it.
 *
 * - gRPC-Web (PROTOCOL-WEB.md): messages are gRPC's 5-byte length-prefixed messages; the trailers travel in
 *   the response body as a last frame whose flag has bit 0x80 set, holding HTTP/1-style `name: value` lines.
 *   That frame becomes the trailers event. `application/grpc-web-text` is the same, base64-encoded (each
 *   message may be encoded, and padded, on its own).
 * - Connect streaming (`application/connect+proto|json`): 5-byte envelopes as gRPC's; the response ends with
 *   an envelope flagged 0x02 holding JSON `{"error": {...}, "metadata": {...}}`, which becomes the trailers
 *   (metadata) and the status (the error's code, or OK).
 * - Connect unary (`application/proto|json`, POST; or GET with the message in the query string): the body is
 *   the one message, compressed as a whole by `content-encoding`. It is handed on as one length-prefixed
 *   message, so its `length` is the body's size on the wire after de-chunking. A response with HTTP status
 *   200 carries the message, trailers as `trailer-` prefixed headers; any other status carries a JSON error
 *   body whose code is the call's status (or, without one, the HTTP status's mapping in the Connect spec).
 *
 * The protocol, the codec and the message compression ride on the events (RpcHeadersEvent); Connect's status
 * rides on the trailers event, so `trailers` shows only what was sent. Bodies held (a Connect unary message,
 * a trailer frame, an end-stream message) are bounded by `maxBodyBytes`; past it the body is dropped and the
 * call says so. Plain gRPC streams pass through with no state.
 */
import type { DataEvent, FrameEvent, GoawayEvent, HeaderField, HeadersEvent, Http2Connection, Http2Direction, Http2Sink, RstStreamEvent } from '../http2/types';
import type { BodyStatus, RpcCodec, RpcHeadersEvent, RpcProtocol } from './types';
import { decompress } from './compression';

/** Connect error codes (connectrpc.com/docs/protocol#error-codes) → gRPC status numbers. */
const CONNECT_CODES: Record<string, number> = {
  canceled: 1,
  unknown: 2,
  invalid_argument: 3,
  deadline_exceeded: 4,
  not_found: 5,
  already_exists: 6,
  permission_denied: 7,
  resource_exhausted: 8,
  failed_precondition: 9,
  aborted: 10,
  out_of_range: 11,
  unimplemented: 12,
  internal: 13,
  unavailable: 14,
  data_loss: 15,
  unauthenticated: 16,
};

/** The Connect spec's HTTP status → code, for an error response without a usable JSON body. */
function codeOfHttpStatus(status: number): number {
  switch (status) {
    case 400: return 13; // internal
    case 401: return 16;
    case 403: return 7;
    case 404: return 12;
    case 429: return 14;
    case 502: case 503: case 504: return 14;
    default: return 2; // unknown
  }
}

/** Default bound of a body held whole (a Connect unary message or error, a trailer frame). */
export const DEFAULT_MAX_HELD_BODY_BYTES = 64 * 1024 * 1024;

/** `/Service/Method`. */
const RPC_PATH = /^\/[^/?#]+\/[^/?#]+$/;

interface Classified {
  protocol: RpcProtocol;
  codec: RpcCodec;
  unary: boolean;
}

/** What a request's headers say about its protocol; null for plain gRPC and for what is not an RPC. */
export function classify(fields: readonly HeaderField[]): Classified | null {
  let ct = '';
  let method = '';
  let path = '';
  let connectVersion = false;
  for (const [n, v] of fields) {
    if (n === 'content-type') {
      // The common case first, without allocating: plain gRPC.
      if (v === 'application/grpc' || v === 'application/grpc+proto') return null;
      ct = v.toLowerCase().split(';')[0].trim();
    }
    else if (n === ':method') method = v;
    else if (n === ':path') path = v;
    else if (n === 'connect-protocol-version') connectVersion = true;
  }
  if (ct.startsWith('application/grpc-web-text')) return { protocol: 'grpc-web-text', codec: ct.endsWith('+json') ? 'json' : 'proto', unary: false };
  if (ct.startsWith('application/grpc-web')) return { protocol: 'grpc-web', codec: ct.endsWith('+json') ? 'json' : 'proto', unary: false };
  if (ct.startsWith('application/grpc')) return null;
  if (ct === 'application/connect+proto' || ct === 'application/connect+json') {
    return { protocol: 'connect', codec: ct.endsWith('json') ? 'json' : 'proto', unary: false };
  }
  const q = path.indexOf('?');
  const bare = q < 0 ? path : path.slice(0, q);
  if (!RPC_PATH.test(bare)) return null;
  // A plain JSON POST to /a/b is not taken for Connect unless it says so, or its service is package-qualified.
  const qualified = bare.slice(1, bare.indexOf('/', 1)).includes('.');
  if (method === 'POST' && (ct === 'application/proto' || ((ct === 'application/json') && (connectVersion || qualified)))) {
    return { protocol: 'connect', codec: ct === 'application/json' ? 'json' : 'proto', unary: true };
  }
  if (method === 'GET' && q >= 0) {
    const params = new URLSearchParams(path.slice(q + 1));
    if (params.get('connect') === 'v1' || (params.has('message') && params.has('encoding'))) {
      return { protocol: 'connect', codec: params.get('encoding') === 'json' ? 'json' : 'proto', unary: true };
    }
  }
  return null;
}

/** Per stream and direction: where envelopes are in the body (gRPC-Web, Connect streaming). */
interface Envelopes {
  /** Bytes of the current envelope's payload still to pass (-1: reading a prefix). */
  left: number;
  prefix: Uint8Array;
  prefixHave: number;
  /** The envelope being held whole (a trailer frame, an end-stream message), or null while passing. */
  held: Uint8Array[] | null;
  heldBytes: number;
  heldFlags: number;
}

interface WebStream {
  cls: Classified;
  method: string;
  requestEncoding?: string;
  responseEncoding?: string;
  req: Envelopes;
  resp: Envelopes;
  /** Connect unary: the body held whole, per direction. */
  body: [Uint8Array[], Uint8Array[]];
  bodyBytes: [number, number];
  tooLarge: [boolean, boolean];
  httpStatus: number;
  /** Connect unary: `trailer-` prefixed response headers. */
  trailerFields: HeaderField[];
  /** The trailers (and END_STREAM) of the response went out: later response events are passed over. */
  responseEnded: boolean;
  /** base64 characters not yet decoded (grpc-web-text), per direction. */
  text: [string, string];
}

function envelopes(): Envelopes {
  return { left: -1, prefix: new Uint8Array(5), prefixHave: 0, held: null, heldBytes: 0, heldFlags: 0 };
}

const EMPTY = new Uint8Array(0);
const ZEROS = new Uint8Array(64 * 1024);

export class RpcProtocolAdapter implements Http2Sink {
  /** Connections with gRPC-Web or Connect streams, and those streams. */
  private readonly streams = new Map<Http2Connection, Map<number, WebStream>>();

  constructor(
    private readonly next: Http2Sink,
    private readonly maxBodyBytes: number = DEFAULT_MAX_HELD_BODY_BYTES,
  ) {}

  get wantsFrames(): boolean | undefined {
    return this.next.wantsFrames;
  }

  connection(conn: Http2Connection): void {
    this.next.connection?.(conn);
  }

  frame(ev: FrameEvent): void {
    this.next.frame?.(ev);
  }

  rstStream(ev: RstStreamEvent): void {
    this.next.rstStream(ev);
  }

  goaway(ev: GoawayEvent): void {
    this.next.goaway?.(ev);
  }

  gap(conn: Http2Connection, direction: Http2Direction, lostBytes: number, streamId?: number): void {
    const m = this.streams.get(conn);
    if (m !== undefined) {
      // Envelope boundaries after lost bytes are unknown: the stream's body is no longer followed.
      for (const [id, s] of m) if (streamId === undefined || id === streamId) (direction === 'request' ? s.req : s.resp).left = -2;
    }
    this.next.gap?.(conn, direction, lostBytes, streamId);
  }

  sidesSettled(conn: Http2Connection, swapped: boolean): void {
    this.next.sidesSettled?.(conn, swapped);
  }

  connectionClosed(conn: Http2Connection): void {
    this.streams.delete(conn);
    this.next.connectionClosed(conn);
  }

  headers(ev: HeadersEvent): void {
    const m = this.streams.get(ev.conn);
    const s = m?.get(ev.streamId);
    if (ev.direction === 'request') {
      if (s !== undefined) return this.next.headers(ev);
      const cls = classify(ev.headers);
      if (cls === null) return this.next.headers(ev);
      this.openStream(ev, cls);
      return;
    }
    if (s === undefined) return this.next.headers(ev);
    if (s.responseEnded) return;
    this.responseHeaders(s, ev);
  }

  data(ev: DataEvent): void {
    const s = this.streams.size === 0 ? undefined : this.streams.get(ev.conn)?.get(ev.streamId);
    if (s === undefined) return this.next.data(ev);
    const d = ev.direction === 'request' ? 0 : 1;
    if (d === 1 && s.responseEnded) return;
    let bytes = ev.data;
    if (s.cls.protocol === 'grpc-web-text') bytes = this.fromBase64(s, d, bytes);
    if (s.cls.unary) this.unaryBody(s, d, bytes);
    else this.envelopeBody(s, ev, d, bytes);
    if (ev.endStream) this.endBody(s, ev, d);
  }

  // --- requests ------------------------------------------------------------------------------------------

  private openStream(ev: HeadersEvent, cls: Classified): void {
    let m = this.streams.get(ev.conn);
    if (m === undefined) this.streams.set(ev.conn, (m = new Map()));
    const fields = ev.headers;
    const get = (name: string): string | undefined => fields.find((f) => f[0] === name)?.[1];
    const path = get(':path') ?? '';
    const s: WebStream = {
      cls,
      method: path,
      req: envelopes(),
      resp: envelopes(),
      body: [[], []],
      bodyBytes: [0, 0],
      tooLarge: [false, false],
      httpStatus: 0,
      trailerFields: [],
      responseEnded: false,
      text: ['', ''],
    };
    if (cls.protocol === 'connect') s.requestEncoding = cls.unary ? get('content-encoding') : get('connect-content-encoding');
    m.set(ev.streamId, s);
    const out: RpcHeadersEvent = { ...ev, protocol: cls.protocol, codec: cls.codec };
    if (s.requestEncoding !== undefined) out.messageEncoding = s.requestEncoding;
    const q = path.indexOf('?');
    if (get(':method') === 'GET' && q >= 0) {
      // Connect GET: the message is in the query string; the call's method is the path without it.
      out.headers = fields.map((f) => (f[0] === ':path' ? [':path', path.slice(0, q)] : f));
      const params = new URLSearchParams(path.slice(q + 1));
      const compression = params.get('compression') ?? undefined;
      if (compression !== undefined) s.requestEncoding = out.messageEncoding = compression;
      const raw = params.get('message') ?? '';
      const body = params.get('base64') === '1' ? Buffer.from(raw, 'base64url') : Buffer.from(raw, 'utf8');
      out.endStream = false;
      this.next.headers(out);
      this.emitMessage(ev, 'request', s.requestEncoding !== undefined && s.requestEncoding !== 'identity' ? 1 : 0, [body], body.length, true);
      return;
    }
    this.next.headers(out);
    if (ev.endStream && cls.unary) this.emitMessage(ev, 'request', 0, [], 0, true);
  }

  // --- responses -----------------------------------------------------------------------------------------

  private responseHeaders(s: WebStream, ev: HeadersEvent): void {
    const status = ev.headers.find((f) => f[0] === ':status');
    if (status === undefined) {
      // A real trailer section (gRPC-Web over HTTP/2 may use one; Connect over HTTP/1.1 chunked trailers).
      if (s.cls.protocol === 'connect' && s.cls.unary) {
        s.trailerFields.push(...ev.headers);
        if (ev.endStream) this.endBody(s, { ...ev, data: EMPTY }, 1);
        return;
      }
      if (ev.endStream) s.responseEnded = true;
      return this.next.headers(ev);
    }
    s.httpStatus = Number(status[1]);
    const out: RpcHeadersEvent = { ...ev };
    if (s.cls.protocol === 'connect') {
      s.responseEncoding = s.cls.unary ? findField(ev.headers, 'content-encoding') : findField(ev.headers, 'connect-content-encoding');
      if (s.responseEncoding !== undefined) out.messageEncoding = s.responseEncoding;
      if (s.cls.unary) {
        // Unary trailers travel as `trailer-` prefixed headers (Connect spec).
        out.headers = [];
        for (const f of ev.headers) {
          if (f[0].startsWith('trailer-')) s.trailerFields.push([f[0].slice(8), f[1]]);
          else out.headers.push(f);
        }
        if (ev.endStream) {
          out.endStream = false;
          this.next.headers(out);
          this.endBody(s, { ...ev, data: EMPTY }, 1);
          return;
        }
      }
    }
    if (ev.endStream) s.responseEnded = true; // trailers-only (gRPC-Web): the tracker reads grpc-status here
    this.next.headers(out);
  }

  // --- bodies --------------------------------------------------------------------------------------------

  /** Connect unary: hold the body whole (bounded); it is one message. */
  private unaryBody(s: WebStream, d: 0 | 1, bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    s.bodyBytes[d] += bytes.length;
    if (s.tooLarge[d]) return;
    if (s.bodyBytes[d] > this.maxBodyBytes) {
      // Past the bound only the size is kept: the message is reported with its length, undecoded.
      s.tooLarge[d] = true;
      s.body[d] = [];
      return;
    }
    s.body[d].push(bytes.slice());
  }

  private endBody(s: WebStream, ev: DataEvent | (HeadersEvent & { data: Uint8Array }), d: 0 | 1): void {
    const direction: Http2Direction = d === 0 ? 'request' : 'response';
    if (s.cls.unary) {
      const parts = s.body[d];
      const n = s.bodyBytes[d];
      s.body[d] = [];
      s.bodyBytes[d] = 0;
      if (d === 0 || s.httpStatus === 200) {
        const enc = d === 0 ? s.requestEncoding : s.responseEncoding;
        const flag = enc !== undefined && enc.toLowerCase() !== 'identity' ? 1 : 0;
        if (s.tooLarge[d]) this.emitTooLarge(ev, direction, n, d === 0);
        else this.emitMessage(ev, direction, flag, parts, n, d === 0);
        if (d === 1) this.emitTrailers(s, ev, s.trailerFields, { code: 0, message: null });
        return;
      }
      // An error: the body is JSON `{"code": "...", "message": "...", "details": [...]}`.
      const err = s.tooLarge[d] ? null : parseJson(Buffer.concat(parts), s.responseEncoding);
      this.emitTrailers(s, ev, s.trailerFields, connectError(err, s.httpStatus));
      return;
    }
    const env = d === 0 ? s.req : s.resp;
    if (d === 1 && !s.responseEnded) {
      // The body ended without a trailer frame or end-stream message: the tracker's own checks report it.
      s.responseEnded = true;
      if (env.held !== null) this.flushHeld(s, ev, env);
      else this.next.data({ ...(ev as DataEvent), data: env.prefix.slice(0, env.prefixHave), endStream: true });
      return;
    }
    if (d === 0) this.next.data({ ...(ev as DataEvent), data: EMPTY, endStream: true });
  }

  /** gRPC-Web and Connect streaming: pass messages on, take out the trailer frame / end-stream message. */
  private envelopeBody(s: WebStream, ev: DataEvent, d: 0 | 1, bytes: Uint8Array): void {
    const env = d === 0 ? s.req : s.resp;
    if (d === 0 || env.left === -2) {
      // Requests have no special envelope; after lost bytes, boundaries are the tracker's problem.
      if (bytes.length > 0) this.next.data({ ...ev, data: bytes, endStream: false });
      return;
    }
    let off = 0;
    let passFrom = 0;
    // Prefix bytes of earlier events not passed on yet: a prefix is held back until it is known not to start
    // the special envelope, so the tracker never sees part of one.
    let carried = env.prefixHave;
    let prefixStart = 0;
    while (off < bytes.length) {
      if (env.held !== null) {
        const n = Math.min(env.left, bytes.length - off);
        if (env.heldBytes + n <= this.maxBodyBytes) env.held.push(bytes.slice(off, off + n));
        env.heldBytes += n;
        off += n;
        env.left -= n;
        passFrom = off;
        if (env.left === 0) this.flushHeld(s, ev, env);
        continue;
      }
      if (env.left > 0) {
        const n = Math.min(env.left, bytes.length - off);
        off += n;
        env.left -= n;
        if (env.left === 0) env.left = -1;
        continue;
      }
      // Reading a prefix.
      if (env.prefixHave === 0) {
        prefixStart = off;
        carried = 0;
      }
      env.prefix[env.prefixHave++] = bytes[off++];
      if (env.prefixHave < 5) continue;
      env.prefixHave = 0;
      const flags = env.prefix[0];
      const len = ((env.prefix[1] << 24) >>> 0) + (env.prefix[2] << 16) + (env.prefix[3] << 8) + env.prefix[4];
      const special = s.cls.protocol === 'connect' ? (flags & 0x02) !== 0 : (flags & 0x80) !== 0;
      if (!special) {
        // A message: its held-back prefix bytes go on first (nothing of this event has gone on yet).
        if (carried > 0) this.next.data({ ...ev, data: env.prefix.slice(0, carried), endStream: false });
        carried = 0;
        env.left = len === 0 ? -1 : len;
        continue;
      }
      // Pass on the messages before this envelope; hold the envelope itself.
      const start = carried > 0 ? 0 : prefixStart;
      if (start > passFrom) this.next.data({ ...ev, data: bytes.subarray(passFrom, start), endStream: false });
      carried = 0;
      env.held = [];
      env.heldBytes = 0;
      env.heldFlags = flags;
      env.left = len;
      passFrom = off;
      if (len === 0) this.flushHeld(s, ev, env);
    }
    if (env.held === null) {
      // An unfinished prefix stays behind: its bytes of this event are not passed on yet.
      const end = bytes.length - (env.prefixHave - carried);
      if (passFrom < end) this.next.data({ ...ev, data: bytes.subarray(passFrom, end), endStream: false });
    }
  }

  /** The held trailer frame or end-stream message is complete: it becomes the trailers. */
  private flushHeld(s: WebStream, ev: DataEvent | HeadersEvent, env: Envelopes): void {
    const parts = env.held ?? [];
    const tooLarge = env.heldBytes > this.maxBodyBytes;
    env.held = null;
    env.left = -1;
    const body = Buffer.concat(parts);
    if (s.cls.protocol === 'connect') {
      const json = tooLarge ? null : parseJson(body, (env.heldFlags & 0x01) !== 0 ? s.responseEncoding : undefined) as { error?: unknown; metadata?: Record<string, unknown> } | null;
      const fields: HeaderField[] = [];
      if (json !== null && typeof json === 'object' && json.metadata && typeof json.metadata === 'object') {
        for (const [k, v] of Object.entries(json.metadata)) {
          for (const one of Array.isArray(v) ? v : [v]) fields.push([k.toLowerCase(), String(one)]);
        }
      }
      const status: BodyStatus = json === null ? { code: 2, message: 'end-stream message is not JSON' } : json.error !== undefined ? connectError(json.error, 0) : { code: 0, message: null };
      this.emitTrailers(s, ev, fields, status);
      return;
    }
    this.emitTrailers(s, ev, tooLarge ? [] : parseTrailerLines(body.toString('latin1')), undefined);
  }

  private emitTrailers(s: WebStream, ev: DataEvent | HeadersEvent, fields: HeaderField[], status: BodyStatus | undefined): void {
    s.responseEnded = true;
    const out: RpcHeadersEvent = { conn: ev.conn, direction: 'response', frame: ev.frame, tsSec: ev.tsSec, tsNsec: ev.tsNsec, streamId: ev.streamId, headers: fields, endStream: true };
    if (status !== undefined) out.status = status;
    this.next.headers(out);
  }

  /** One message of a Connect unary body, with a 5-byte prefix as the tracker reads messages. */
  private emitMessage(ev: FrameLike, direction: Http2Direction, flag: number, parts: Uint8Array[], n: number, endStream: boolean): void {
    const out = new Uint8Array(5 + n);
    out[0] = flag;
    out[1] = (n >>> 24) & 255;
    out[2] = (n >>> 16) & 255;
    out[3] = (n >>> 8) & 255;
    out[4] = n & 255;
    let o = 5;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    this.next.data({ conn: ev.conn, direction, frame: ev.frame, tsSec: ev.tsSec, tsNsec: ev.tsNsec, streamId: ev.streamId, data: out, endStream });
  }

  private emitTooLarge(ev: FrameLike, direction: Http2Direction, n: number, endStream: boolean): void {
    // The prefix declaring the body's length (over the limit), then that many bytes for the tracker to count
    // past (it keeps none of a message over the limit): views of one zero-filled block, not the body, which
    // was not kept. The record says the message was too large, with its length.
    const prefix = new Uint8Array(5);
    prefix[1] = (n >>> 24) & 255;
    prefix[2] = (n >>> 16) & 255;
    prefix[3] = (n >>> 8) & 255;
    prefix[4] = n & 255;
    const o = { conn: ev.conn, direction, frame: ev.frame, tsSec: ev.tsSec, tsNsec: ev.tsNsec, streamId: ev.streamId };
    this.next.data({ ...o, data: prefix, endStream: false });
    for (let left = n; left > 0; left -= ZEROS.length) {
      const take = Math.min(left, ZEROS.length);
      this.next.data({ ...o, data: ZEROS.subarray(0, take), endStream: endStream && take === left });
    }
    if (n === 0 && endStream) this.next.data({ ...o, data: EMPTY, endStream: true });
  }

  /** grpc-web-text: decode the base64 text so far, keeping an incomplete 4-character group for later. */
  private fromBase64(s: WebStream, d: 0 | 1, bytes: Uint8Array): Uint8Array {
    let text = s.text[d] + Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1').replace(/[\r\n\t ]/g, '');
    const whole = text.length - (text.length % 4);
    s.text[d] = text.slice(whole);
    text = text.slice(0, whole);
    if (text.length === 0) return EMPTY;
    // Each message may be encoded on its own, padding included: decode group by group after any '='.
    if (!text.includes('=')) return Buffer.from(text, 'base64');
    const parts: Buffer[] = [];
    let start = 0;
    for (let i = 0; i < text.length; i += 4) {
      if (text[i + 3] === '=') {
        parts.push(Buffer.from(text.slice(start, i + 4), 'base64'));
        start = i + 4;
      }
    }
    if (start < text.length) parts.push(Buffer.from(text.slice(start), 'base64'));
    return Buffer.concat(parts);
  }
}

type FrameLike = { conn: Http2Connection; frame: number; tsSec: number; tsNsec: number; streamId: number };

function findField(fields: readonly HeaderField[], name: string): string | undefined {
  for (const f of fields) if (f[0] === name) return f[1];
  return undefined;
}

/** gRPC-Web trailer frame: `name: value` lines, CRLF-separated; names in lower case. */
function parseTrailerLines(text: string): HeaderField[] {
  const out: HeaderField[] = [];
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    out.push([line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()]);
  }
  return out;
}

function parseJson(bytes: Uint8Array, encoding: string | undefined): unknown {
  try {
    const plain = encoding !== undefined && encoding.toLowerCase() !== 'identity' ? decompress(encoding, bytes) : bytes;
    return JSON.parse(Buffer.from(plain.buffer, plain.byteOffset, plain.length).toString('utf8'));
  } catch {
    return null;
  }
}

/** A Connect error object → the call's status; the HTTP status's mapping when the code is missing. */
function connectError(err: unknown, httpStatus: number): BodyStatus {
  if (err !== null && typeof err === 'object') {
    const e = err as { code?: unknown; message?: unknown; details?: unknown };
    const code = typeof e.code === 'string' ? CONNECT_CODES[e.code] : undefined;
    if (code !== undefined) {
      const out: BodyStatus = { code, message: typeof e.message === 'string' ? e.message : null };
      if (Array.isArray(e.details) && e.details.length > 0) out.details = e.details;
      return out;
    }
  }
  return { code: httpStatus > 0 ? codeOfHttpStatus(httpStatus) : 2, message: null };
}
