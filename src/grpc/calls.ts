/**
 * gRPC calls over HTTP/2 (https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md).
 *
 * `GrpcCallTracker` is an Http2Sink: it recognises calls among HTTP/2 streams, deframes and decompresses
 * their length-prefixed messages, decodes them through a MessageDecoder and pushes records to a RecordSink:
 * a MessageRecord as soon as each message is complete, a CallRecord when the call ends.
 *
 * What is a call: a stream whose request HEADERS carry a `content-type` starting with `application/grpc`.
 * Other streams cost nothing: client stream ids only grow (RFC 9113 §5.1.1), so a stream id inside the range
 * of request HEADERS seen on the connection and absent from the call table is a non-gRPC (or finished) stream,
 * and its events are dropped without any per-stream state.
 *
 * Choices (documented in the README's record schema):
 * - Header objects keep names as sent (lower case), pseudo-headers included (`:path`, `:status`…, as
 *   Wireshark shows them); repeated names are joined with ", "; `-bin` values are shown as canonical padded
 *   base64 of their decoded bytes.
 * - Trailers-Only responses (one response HEADERS with END_STREAM, gRPC's PROTOCOL-HTTP2 "Trailers-Only"):
 *   that block is reported once, as `trailers` (so `trailers["grpc-status"]` is always where a status is),
 *   with `response_headers` empty and `trailers_only: true`, as it went on the wire.
 * - A call ends at the later END_STREAM of the two directions, or at RST_STREAM, or at a GOAWAY whose
 *   last_stream_id is below it (then `reset` is the error name; an RST_STREAM(NO_ERROR) after the response
 *   has ended is the normal close of RFC 9113 §8.1 and leaves `reset` null). Calls still open when the
 *   connection closes or the capture ends are reported with `complete: false`; their `end` is the response's
 *   END_STREAM when that was seen (the call's outcome is known), else null.
 * - Calls whose request HEADERS were not captured (the capture started mid-connection): they are reported
 *   from the moment a response HEADERS shows they are gRPC (content-type application/grpc*, or grpc-status)
 *   with `method: ""`, `request_headers: {}` and an error saying so; their request DATA is not decoded (where
 *   messages start is unknown) and the response END_STREAM ends them. Their `start` and `first_frame` are those of that response HEADERS;
 *   DATA seen before it is dropped.
 * - Request HEADERS whose HPACK decoding failed before the content-type was found are taken as a call when
 *   the :path has the gRPC shape `/Service/Method` (or is missing too); if the response then shows a
 *   non-gRPC content-type, the call is dropped without a call record.
 * - Connections joined midway (HTTP/2 layer: `conn.joined`, HPACK placeholders in `HeadersEvent.unknown`):
 *   a request whose `:path` refers to a header table entry from before the join has `method: ""` and is
 *   grouped with the calls whose request blocks use the same unknown entries (`method_group`,
 *   `unknown method #N`: the same entries mean the same `:path`). With a schema loaded, the group's method
 *   is then inferred from its messages (see `inferMethod`): the record says so (`inferred`, with the
 *   reason), and when several methods fit, `method` stays "" and `method_candidates` lists them. Messages
 *   of such calls are held (bounded: MAX_HELD_BYTES_PER_CALL) until the call ends, so that they come out
 *   with the method and type the evidence gave. A status from an unknown entry stays null, with the reason.
 * - After lost bytes (`gap`), every open call of the connection gets an error, and a message cut by the gap
 *   is dropped: deframing restarts at the next DATA frame of that call. When the HTTP/2 layer kept framing
 *   and names the stream whose frame lost the bytes, only that call gets the error (and the reset).
 */
import { countPort } from '../detect/unrecognised';
import type { CallRecord, FrameRecord, MessageRecord } from '../records/types';
import type { MessageDecoder, MethodInfo, MethodTypes } from '../protobuf/types';
import type {
  DataEvent,
  FrameEvent,
  FrameOrigin,
  GoawayEvent,
  HeaderField,
  HeadersEvent,
  Http2Connection,
  Http2Direction,
  Http2Sink,
  RstStreamEvent,
  UnknownField,
} from '../http2/types';
import type { GrpcOptions, RpcCodec, RpcHeadersEvent, RpcProtocol } from './types';
import type { RecordSink } from '../records/types';
import { DEFAULT_MAX_MESSAGE_BYTES, MessageDeframer, type DeframedMessage } from './deframer';
import { DecompressionError, DEFAULT_MAX_DECOMPRESSED_BYTES, decompress } from './compression';
import {
  decodeBinHeader,
  decodeGrpcMessage,
  decodeStatusDetailsBin,
  parseGrpcStatus,
  parseGrpcTimeout,
  statusName,
} from './status';
import { durationMs, formatTimestamp } from '../records/time';
import { canonicalRecord } from '../records/canonical';

/**
 * Default largest number of open calls tracked per connection. The HTTP/2 layer bounds its streams the same
 * way; past this, the oldest open call is reported (complete: false, with an error) and forgotten. 10,000 is
 * far above SETTINGS_MAX_CONCURRENT_STREAMS of common servers (100 to a few thousand).
 */
export const DEFAULT_MAX_CALLS_PER_CONNECTION = 10_000;

/**
 * Largest number of entries in one call's `errors`; past it one last entry says how many were left out,
 * so a connection with thousands of gaps cannot grow a call record without bound.
 */
export const MAX_ERRORS_PER_CALL = 20;

/**
 * Capture-time seconds a call reset by the client (RST_STREAM from the client while the response is open)
 * waits for the server's trailers. A client cancelling at its deadline and the server failing the call at
 * the same deadline send RST_STREAM and trailers that cross on the wire (grpc-core does exactly this): the
 * trailers carry the status the user wants to see (DEADLINE_EXCEEDED), and Wireshark shows them too.
 */
export const PENDING_RESET_SEC = 1;

/**
 * Message bytes held per call whose method is not known, for inferring it when the call ends (and emitting
 * its messages with the method and type inferred). Past it the held messages go out undecided (raw) and
 * the call is not inferred; the call's errors say so.
 */
export const MAX_HELD_BYTES_PER_CALL = 1024 * 1024;

/**
 * Bytes of messages held for inference over all calls at once. Past it, the call that would go over has
 * its messages written undecided (its method not inferred), as at MAX_HELD_BYTES_PER_CALL.
 */
export const MAX_HELD_BYTES_TOTAL = 32 * 1024 * 1024;

/**
 * Streams of one joined connection taken as calls from their DATA alone (both HEADERS before the capture).
 * Such streams were open at the join, so there are at most as many as the peers allowed at once
 * (SETTINGS_MAX_CONCURRENT_STREAMS, commonly 100); past this many, DATA of further unknown streams is
 * ignored and counted.
 */
export const MAX_DATA_ONLY_STREAMS = 1000;

/** Paths of requests that were not RPCs, kept as examples for the summary. */
const MAX_OTHER_REQUEST_PATHS = 3;

/** Candidates listed in a record when several methods fit; the rest are counted. */
export const MAX_METHOD_CANDIDATES = 10;

/** Default nesting depth limit for protobuf decoding (same as protobuf's own parsers). */
export const DEFAULT_MAX_DEPTH = 100;

export interface GrpcCallTrackerOptions extends GrpcOptions {
  /** Open calls tracked per connection; see DEFAULT_MAX_CALLS_PER_CONNECTION. */
  maxCallsPerConnection?: number;
  /**
   * Emit a MessageRecord per message (default true). False when the consumer only reads calls (stats,
   * export --records calls): messages are still deframed and counted in the call records
   * (`request_messages`, `request_bytes`…), but their bytes are neither kept, decompressed nor decoded.
   */
  messages?: boolean;
}

const GRPC_CONTENT_TYPE = 'application/grpc';
/** Pseudo-header fields of a gRPC request: :method, :scheme, :path, :authority (RFC 9113 §8.3.1). */
const REQUEST_PSEUDO_HEADERS = 4;
/** `/Service/Method`: what a gRPC :path looks like (no query, exactly two segments). */
const GRPC_PATH = /^\/[^/?#]+\/[^/?#]+$/;

interface DirectionState {
  /** null: this direction's messages are not decoded. */
  deframer: MessageDeframer | null;
  /** grpc-encoding of this direction's headers. */
  encoding: string | undefined;
  /** Messages completed so far (the next message's index). */
  messages: number;
  /** Sum of their declared lengths. */
  bytes: number;
  /** END_STREAM seen in this direction. */
  ended: boolean;
}

interface Call {
  conn: Http2Connection;
  streamId: number;
  /** The records' `call_id`: TCP_STREAM/STREAM, made once. */
  callId: string;
  /** How the call travelled (set by ./web.ts for gRPC-Web and Connect), and its message codec. */
  protocol: RpcProtocol;
  codec: RpcCodec;
  method: string;
  authority: string | null;
  types: MethodTypes | undefined;
  startSec: number;
  startNsec: number;
  firstFrame: number;
  lastFrame: number;
  /** Where the response's END_STREAM was seen (for `end` when the request side never ends). */
  respEnd: FrameOrigin | null;
  httpStatus: number | null;
  requestHeaders: Record<string, string>;
  responseHeaders: Record<string, string>;
  trailers: Record<string, string>;
  responseHeadersSeen: boolean;
  /** The response was one HEADERS block with END_STREAM: reported once, as trailers. */
  trailersOnly: boolean;
  status: number | null;
  grpcMessage: string | null;
  timeoutMs: number | null;
  statusDetails: unknown;
  req: DirectionState;
  resp: DirectionState;
  errors: string[];
  droppedErrors: number;
  /** Taken as a call although its content-type was lost to an HPACK error. */
  provisional: boolean;
  /** The client reset the stream while the response was still open: see PENDING_RESET_SEC. */
  pendingReset: { ev: FrameOrigin; name: string } | null;
  /** The request HEADERS were captured (false: the call began before the capture). */
  requestSeen: boolean;
  /**
   * Taken from DATA alone: the stream began before the capture and neither its request HEADERS nor its
   * response HEADERS were captured. It becomes a call only once a message is found in it (or its trailers
   * come); otherwise nothing is written (it may not be gRPC).
   */
  dataOnly: boolean;
  /** Request bytes skipped to the first message boundary (calls joined midway), and whether it was told. */
  skippedRequestBytes: number;
  /** The same for the response of a call taken from DATA alone. */
  skippedResponseBytes: number;
  skippedReported: boolean;
  /** Trailers came with unknown fields and no grpc-status seen (CallRecord.status_unknown). */
  statusUnknown: boolean;
  /** The group of calls whose unknown :path is the same table entry (method not known). */
  group: MethodGroup | null;
  /** Messages held while the method is not known (see MAX_HELD_BYTES_PER_CALL); null: not holding. */
  held: HeldMessage[] | null;
  heldBytes: number;
  /** What was inferred, and why (record fields `inferred`, `inferred_reason`, `method_candidates`). */
  inferred: string[];
  inferredReason: string | null;
  candidates: string[] | null;
}

/** Calls whose request blocks use the same unknown header table entries (so the same unknown :path). */
interface MethodGroup {
  /** `unknown method #N`. */
  label: string;
  /** Methods that fit every call of the group that has ended so far (null: none ended yet). */
  candidates: MethodInfo[] | null;
}

/** A message of a call whose method is not known yet, kept until the call ends. */
interface HeldMessage {
  origin: FrameOrigin;
  index: number;
  compressed: boolean;
  encoding: string | null;
  length: number;
  /** Decompressed bytes (a copy), or null with `error`. */
  bytes: Uint8Array | null;
  error: string | null;
  /** What decompression said of the bytes (trailing octets after the gzip member), or null. */
  note: string | null;
}

/** Which header section of a call a cached header object is for (see ConnState.headerCache). */
const enum HeaderSlot {
  REQUEST,
  RESPONSE,
  TRAILERS,
}

interface ConnState {
  calls: Map<number, Call>;
  /**
   * Per HeaderSlot, the last fields turned into a header object and that object. Calls on a connection
   * mostly send the same headers (HPACK hands out the very same strings for indexed fields), so the object
   * is shared by their records instead of rebuilt, and the NDJSON writer writes it from cached bytes.
   * Records are read-only for every consumer, so sharing is invisible.
   */
  headerCache: [HeaderCacheEntry | null, HeaderCacheEntry | null, HeaderCacheEntry | null];
  /** Calls reset by the client, waiting for the server's trailers that may cross the RST_STREAM. */
  pendingResets: Set<Call>;
  /** Lowest and highest stream id of request HEADERS seen (0: none yet). */
  firstRequestStream: number;
  lastRequestStream: number;
  /** Streams taken as calls from their DATA alone (see MAX_DATA_ONLY_STREAMS); null until the first. */
  dataOnlyStreams: Set<number> | null;
  /** Method groups of the connection, by the refs of the unknown entries its request blocks use. */
  groups: Map<string, MethodGroup>;
}

interface HeaderCacheEntry {
  fields: readonly HeaderField[];
  object: Record<string, string>;
}

const hasOwn = Object.prototype.hasOwnProperty;

/** Header fields → record object: names as sent, repeated names joined with ", ", -bin as padded base64. */
export function headerObject(fields: readonly HeaderField[]): Record<string, string> {
  // Built by assignment, not Object.fromEntries(Map): objects built field by field in the same order share a
  // hidden class and stay in V8's fast mode, which JSON.stringify and property reads are several times
  // faster on (fromEntries made dictionary-mode objects: the top self-time function of decode, measured).
  const out: Record<string, string> = {};
  for (let i = 0; i < fields.length; i++) {
    const name = fields[i][0];
    const raw = fields[i][1];
    const value = name.endsWith('-bin') ? canonicalBin(raw) : raw;
    if (hasOwn.call(out, name)) setHeader(out, name, `${out[name]}, ${value}`);
    else setHeader(out, name, value);
  }
  return out;
}

function setHeader(out: Record<string, string>, name: string, value: string): void {
  // A header named "__proto__" stays an ordinary own key (assignment would set the prototype).
  if (name === '__proto__') Object.defineProperty(out, name, { value, enumerable: true, writable: true, configurable: true });
  else out[name] = value;
}

function sameFields(a: readonly HeaderField[], b: readonly HeaderField[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    // The HPACK layer hands out the table's own tuple for indexed fields: usually the very same object.
    if (x !== y && (x[0] !== y[0] || x[1] !== y[1])) return false;
  }
  return true;
}

/** A -bin value (possibly several, comma-separated) as canonical padded base64; kept as is when not base64. */
function canonicalBin(value: string): string {
  // gRPC "true binary" metadata (SETTINGS 0xfe03 between grpc-core peers): a 0x00 octet, then the raw bytes,
  // which the HPACK layer hands over one char per octet. Raw bytes may hold commas: never split them.
  if (value.charCodeAt(0) === 0) return Buffer.from(value.slice(1), 'latin1').toString('base64');
  return value
    .split(',')
    .map((part) => {
      const b = decodeBinHeader(part);
      return b === null ? part.trim() : b.toString('base64');
    })
    .join(', ');
}

function firstValue(fields: readonly HeaderField[], name: string): string | undefined {
  // An indexed loop: looked up several times per call, where iterating and destructuring cost more.
  for (let i = 0; i < fields.length; i++) if (fields[i][0] === name) return fields[i][1];
  return undefined;
}

function newDirection(decoded: boolean, maxMessageBytes: number, keepBytes: boolean): DirectionState {
  return {
    deframer: decoded ? new MessageDeframer(maxMessageBytes, keepBytes) : null,
    encoding: undefined,
    messages: 0,
    bytes: 0,
    ended: false,
  };
}

/** Methods without a schema remembered for the summary; past it they are only counted. */
export const MAX_METHODS_WITHOUT_SCHEMA = 64;

/** What the summary reports of this layer (../summary.ts). */
export interface GrpcCounters {
  /** Calls whose request HEADERS were not captured (the capture joined the connection after they began). */
  joinedCalls: number;
  /** Of those, calls seen by their DATA alone (both HEADERS before the capture). */
  dataOnlyCalls: number;
  /** DATA of unknown streams of joined connections past MAX_DATA_ONLY_STREAMS, ignored (frames). */
  dataOnlyIgnored: number;
  /** Calls whose :path is a header table entry from before the capture (joined connections). */
  unknownMethodCalls: number;
  /** HTTP requests that were not RPCs (not gRPC, gRPC-Web or Connect), their server ports and a few paths. */
  otherRequests: number;
  otherRequestPorts: Map<number, number>;
  otherRequestPaths: string[];
  /** Of those, calls whose method was inferred (marked "inferred"). */
  inferredCalls: number;
  /** Messages decoded without a schema (their method is not in the loaded services), per method. */
  methodsWithoutSchema: Map<string, number>;
  /** Such messages of methods past MAX_METHODS_WITHOUT_SCHEMA. */
  otherMessagesWithoutSchema: number;
}

export class GrpcCallTracker implements Http2Sink {
  readonly counters: GrpcCounters = { joinedCalls: 0, dataOnlyCalls: 0, dataOnlyIgnored: 0, unknownMethodCalls: 0, otherRequests: 0, otherRequestPorts: new Map(), otherRequestPaths: [], inferredCalls: 0, methodsWithoutSchema: new Map(), otherMessagesWithoutSchema: 0 };
  private readonly conns = new Map<Http2Connection, ConnState>();
  private readonly maxMessageBytes: number;
  private readonly maxDecompressedBytes: number;
  private readonly maxCallsPerConnection: number;
  private readonly decodeOptions: { protoNames: boolean; maxDepth: number };
  private readonly emitMessages: boolean;
  /** The DATA being deframed, for onMessage (one callback for every push instead of a closure per push). */
  private pushCall: Call | null = null;
  private pushEvent: DataEvent | null = null;
  private pushDirection: DirectionState | null = null;
  private readonly onMessage = (m: DeframedMessage): void => {
    this.message(this.pushCall as Call, this.pushEvent as DataEvent, this.pushDirection as DirectionState, m);
  };
  /** Bytes held for inference over all calls (MAX_HELD_BYTES_TOTAL). */
  private heldTotal = 0;
  /** Method groups numbered so far (`unknown method #N`), over the whole capture. */
  private groupCount = 0;
  /** The last method looked up and its types: calls mostly repeat the method of the call before. */
  private lastMethod = '';
  private lastTypes: MethodTypes | undefined;

  constructor(
    private readonly records: RecordSink,
    private readonly decoder: MessageDecoder,
    private readonly options: GrpcCallTrackerOptions = {},
  ) {
    this.maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.maxDecompressedBytes = options.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES;
    this.maxCallsPerConnection = Math.max(1, options.maxCallsPerConnection ?? DEFAULT_MAX_CALLS_PER_CONNECTION);
    this.decodeOptions = { protoNames: options.protoNames ?? false, maxDepth: options.maxDepth ?? DEFAULT_MAX_DEPTH };
    this.emitMessages = options.messages ?? true;
  }

  /** Calls currently open (for tests and progress reports). */
  get openCalls(): number {
    let n = 0;
    for (const s of this.conns.values()) n += s.calls.size;
    return n;
  }

  /** Frame events are only of use with the `frames` option (and a sink that takes frame records). */
  get wantsFrames(): boolean {
    return Boolean(this.options.frames && this.records.frame);
  }

  frame(ev: FrameEvent): void {
    if (!this.options.frames || !this.records.frame) return;
    const rec: FrameRecord = {
      type: 'frame',
      frame: ev.frame,
      ts: formatTimestamp(ev.tsSec, ev.tsNsec),
      tcp_stream: ev.conn.tcp.index,
      client: ev.conn.client,
      server: ev.conn.server,
      direction: ev.direction,
      stream: ev.streamId,
      frame_type: ev.typeName,
      flags: ev.flags,
      length: ev.length,
    };
    this.records.frame(rec);
  }

  headers(ev: HeadersEvent): void {
    const state = this.connState(ev.conn);
    if (state.pendingResets.size > 0) this.expireResets(state, ev);
    if (ev.direction === 'request') this.requestHeaders(state, ev);
    else this.responseHeaders(state, ev);
  }

  data(ev: DataEvent): void {
    const state = this.conns.get(ev.conn);
    if (state && state.pendingResets.size > 0) this.expireResets(state, ev);
    let call: Call | null = state?.calls.get(ev.streamId) ?? null;
    if (call === null) {
      if (!this.beganBeforeCapture(state, ev)) return;
      call = this.dataOnlyCall(this.connState(ev.conn), ev);
      if (call === null) return;
    }
    call.lastFrame = ev.frame;
    const ds = ev.direction === 'request' ? call.req : call.resp;
    // Response DATA: the response HEADERS came before it, so the next HEADERS of the response are trailers.
    if (call.dataOnly && ev.direction === 'response') call.responseHeadersSeen = true;
    if (ds.ended) {
      this.addError(call, `${ev.direction} DATA after END_STREAM in frame ${ev.frame}`);
      return;
    }
    if (ds.deframer && ev.data.length > 0) {
      this.pushCall = call;
      this.pushEvent = ev;
      this.pushDirection = ds;
      const syncing = !call.requestSeen && (ds === call.req || call.dataOnly) && ds.messages === 0 && call.skippedReported === false;
      ds.deframer.push(ev.data, this.onMessage);
      if (syncing) {
        const skipped = ds.deframer.takeSkipped();
        if (skipped > 0) {
          if (ds === call.req) call.skippedRequestBytes += skipped;
          else call.skippedResponseBytes += skipped;
        }
        if (!call.dataOnly && (ds.messages > 0 || ev.endStream)) this.reportSkipped(call);
      }
    }
    if (ev.endStream) this.endDirection(call, ev);
  }

  rstStream(ev: RstStreamEvent): void {
    const state = this.conns.get(ev.conn);
    if (state && state.pendingResets.size > 0) this.expireResets(state, ev);
    const call = state?.calls.get(ev.streamId);
    if (!call) return;
    call.lastFrame = ev.frame;
    if (call.pendingReset) {
      // The server's answer to the client's reset (or its own reset): the stream is over.
      this.endCall(call, true, call.pendingReset.ev, call.pendingReset.name);
      return;
    }
    if (ev.direction === 'request' && ev.errorCode !== 0 && !call.resp.ended) {
      call.pendingReset = { ev, name: ev.errorName };
      call.req.ended = true;
      state!.pendingResets.add(call);
      return;
    }
    // RFC 9113 §8.1: a server may end a stream with RST_STREAM(NO_ERROR) once its response is complete.
    const normalClose = ev.errorCode === 0 && call.resp.ended;
    this.endCall(call, true, ev, normalClose ? null : ev.errorName);
  }

  /** Calls whose client reset has waited PENDING_RESET_SEC of capture time end as reset. */
  private expireResets(state: ConnState, now: FrameOrigin): void {
    for (const call of [...state.pendingResets]) {
      const pr = call.pendingReset!;
      const waited = now.tsSec - pr.ev.tsSec + (now.tsNsec - pr.ev.tsNsec) / 1e9;
      if (waited > PENDING_RESET_SEC) this.endCall(call, true, pr.ev, pr.name);
    }
  }

  goaway(ev: GoawayEvent): void {
    // Only the server's GOAWAY concerns calls: it names the last client stream it processed (§6.8).
    if (ev.direction !== 'response') return;
    const state = this.conns.get(ev.conn);
    if (!state) return;
    for (const call of [...state.calls.values()]) {
      if (call.streamId > ev.lastStreamId) {
        call.lastFrame = ev.frame;
        this.endCall(call, true, ev, ev.errorName);
      }
    }
  }

  gap(conn: Http2Connection, direction: Http2Direction, lostBytes: number, streamId?: number): void {
    const state = this.conns.get(conn);
    if (!state) return;
    const what = lostBytes >= 0 ? `${lostBytes} bytes` : 'bytes (count unknown)';
    // Bytes lost by a layer below HTTP/2 other than TCP (a TLS record that failed authentication) say why.
    const why = conn.tcp.security?.lossReason;
    const because = why ? `: ${why}` : '';
    // Bytes of one stream's frame (the HTTP/2 layer kept framing): only that call lost anything.
    const only = streamId === undefined ? undefined : state.calls.get(streamId);
    if (streamId !== undefined && only === undefined) return;
    for (const call of only !== undefined ? [only] : state.calls.values()) {
      this.addError(call, `${what} lost in the ${direction} direction of the connection${because}`);
      const ds = direction === 'request' ? call.req : call.resp;
      const pending = ds.deframer?.pending();
      if (pending) {
        this.addError(call, `${direction} message ${ds.messages} dropped: cut by lost bytes`);
        ds.deframer!.reset();
      }
    }
  }

  /**
   * The HTTP/2 layer's guess of the client (from the ports) is settled. When it was wrong: calls so far are
   * ones seen by their DATA alone (a header block would have settled the sides), their two directions trade
   * places, and so do their held messages; messages already written keep their reversed direction, and the
   * call says so. Messages held only for the sides (no schema to infer a method with) go out now.
   */
  sidesSettled(conn: Http2Connection, swapped: boolean): void {
    const state = this.conns.get(conn);
    if (!state) return;
    const schema = this.hasSchema();
    for (const call of state.calls.values()) {
      if (swapped) this.swapSides(call);
      if (call.dataOnly && !schema && call.held !== null) this.releaseHeld(call);
    }
  }

  private swapSides(call: Call): void {
    if (!call.dataOnly) {
      this.addError(call, 'request and response were told apart only later: the directions of this call may be reversed');
      return;
    }
    [call.req, call.resp] = [call.resp, call.req];
    [call.skippedRequestBytes, call.skippedResponseBytes] = [call.skippedResponseBytes, call.skippedRequestBytes];
    call.responseHeadersSeen = call.resp.messages > 0 || call.skippedResponseBytes > 0;
    const held = call.held;
    if (held !== null) for (const h of held) h.origin = { ...h.origin, direction: h.origin.direction === 'request' ? 'response' : 'request' };
    if (this.emitMessages && call.req.messages + call.resp.messages > (held === null ? 0 : held.length)) {
      this.addError(call, 'client and server were told apart only after some of its messages were written: their directions are reversed');
    }
  }

  connectionClosed(conn: Http2Connection): void {
    const state = this.conns.get(conn);
    if (!state) return;
    for (const call of [...state.calls.values()]) {
      if (call.pendingReset) this.endCall(call, true, call.pendingReset.ev, call.pendingReset.name);
      else this.endCall(call, false, null, null);
    }
    this.conns.delete(conn);
  }

  /** End of capture: calls still open are reported with complete: false. */
  finish(): void {
    for (const conn of [...this.conns.keys()]) this.connectionClosed(conn);
  }

  // --- headers -------------------------------------------------------------------------------------------

  private requestHeaders(state: ConnState, ev: HeadersEvent): void {
    if (ev.promised) return; // PUSH_PROMISE: gRPC never uses server push.
    const existing = state.calls.get(ev.streamId);
    if (existing) {
      // A second request HEADERS is a trailer section (RFC 9113 §8.1); gRPC clients send none.
      existing.lastFrame = ev.frame;
      if (ev.hpackError) this.addError(existing, `HPACK: ${ev.hpackError}`);
      if (ev.endStream && !existing.req.ended) this.endDirection(existing, ev);
      return;
    }
    if (state.firstRequestStream === 0 || ev.streamId < state.firstRequestStream) state.firstRequestStream = ev.streamId;
    if (ev.streamId > state.lastRequestStream) state.lastRequestStream = ev.streamId;

    const contentType = firstValue(ev.headers, 'content-type');
    const path = firstValue(ev.headers, ':path');
    let provisional = false;
    if (contentType === undefined && (ev.hpackError !== undefined || ev.unknown !== undefined)) {
      if (path !== undefined && !GRPC_PATH.test(path)) return this.otherRequest(ev, path);
      provisional = true;
    } else if ((ev as RpcHeadersEvent).protocol === undefined && (contentType === undefined || !contentType.toLowerCase().startsWith(GRPC_CONTENT_TYPE))) {
      return this.otherRequest(ev, path);
    }

    const call = this.newCall(state, ev, path ?? '', true);
    const rpc = ev as RpcHeadersEvent;
    if (rpc.protocol !== undefined) call.protocol = rpc.protocol;
    if (rpc.codec !== undefined) call.codec = rpc.codec;
    call.provisional = provisional;
    if (path === undefined && ev.unknown !== undefined) this.unknownPath(state, call, ev.unknown);
    call.requestHeaders = this.headerObject(state, HeaderSlot.REQUEST, ev.headers);
    call.authority = firstValue(ev.headers, ':authority') ?? null;
    call.req.encoding = rpc.messageEncoding ?? firstValue(ev.headers, 'grpc-encoding');
    const timeout = firstValue(ev.headers, 'grpc-timeout');
    if (timeout !== undefined) {
      const ms = parseGrpcTimeout(timeout);
      if (ms === undefined) this.addError(call, `invalid grpc-timeout "${timeout}"`);
      call.timeoutMs = ms ?? null;
    }
    if (ev.hpackError) this.addError(call, `HPACK: ${ev.hpackError}`);
    if (ev.endStream) this.endDirection(call, ev);
  }

  private responseHeaders(state: ConnState, ev: HeadersEvent): void {
    let call = state.calls.get(ev.streamId);
    const contentType = firstValue(ev.headers, 'content-type');
    if (!call) {
      // Only a stream whose request HEADERS were never seen can be a call begun before the capture.
      const known =
        state.firstRequestStream !== 0 &&
        ev.streamId >= state.firstRequestStream &&
        ev.streamId <= state.lastRequestStream;
      const looksGrpc =
        (contentType !== undefined && contentType.toLowerCase().startsWith(GRPC_CONTENT_TYPE)) ||
        firstValue(ev.headers, 'grpc-status') !== undefined ||
        // Joined midway: content-type may be an entry from before the join; taken as gRPC unless shown not.
        (ev.conn.joined === true && contentType === undefined && ev.unknown !== undefined);
      if (known || !looksGrpc || ev.streamId % 2 === 0) return;
      call = this.newCall(state, ev, '', false);
      call.provisional = contentType === undefined && firstValue(ev.headers, 'grpc-status') === undefined;
      this.counters.joinedCalls++;
      this.addError(call, 'request headers not captured (capture started after the call)');
      // No :status means this block is the trailers of a response whose headers were not captured either.
      if (firstValue(ev.headers, ':status') === undefined) call.responseHeadersSeen = true;
    }
    call.lastFrame = ev.frame;
    if (ev.hpackError) this.addError(call, `HPACK: ${ev.hpackError}`);
    // A call seen by its DATA alone: a block without :status is its trailers (its response headers came before).
    if (call.dataOnly && firstValue(ev.headers, ':status') === undefined) call.responseHeadersSeen = true;

    if (!call.responseHeadersSeen) {
      if (call.provisional && contentType !== undefined && !contentType.toLowerCase().startsWith(GRPC_CONTENT_TYPE)) {
        state.calls.delete(call.streamId);
        return;
      }
      call.provisional = false;
      call.responseHeadersSeen = true;
      // Trailers-Only: the block is the trailers, shown once (see the file comment).
      if (ev.endStream) call.trailersOnly = true;
      else call.responseHeaders = this.headerObject(state, HeaderSlot.RESPONSE, ev.headers);
      const s = firstValue(ev.headers, ':status');
      if (s !== undefined) {
        const n = Number(s);
        if (/^[0-9]{3}$/.test(s)) call.httpStatus = n;
        else this.addError(call, `invalid :status "${s}"`);
      }
      call.resp.encoding = (ev as RpcHeadersEvent).messageEncoding ?? firstValue(ev.headers, 'grpc-encoding');
      // Trailers-Only: the one HEADERS of the response carries the status.
      if (ev.endStream) this.trailers(state, call, ev);
    } else {
      this.trailers(state, call, ev);
    }
    if (ev.endStream) this.endDirection(call, ev);
  }

  /** The header object of `fields`: the one made last time for this slot when the fields are the same. */
  private headerObject(state: ConnState, slot: HeaderSlot, fields: readonly HeaderField[]): Record<string, string> {
    const cached = state.headerCache[slot];
    if (cached !== null && sameFields(cached.fields, fields)) return cached.object;
    const object = headerObject(fields);
    state.headerCache[slot] = { fields, object };
    return object;
  }

  private trailers(state: ConnState, call: Call, ev: HeadersEvent): void {
    call.trailers = this.headerObject(state, HeaderSlot.TRAILERS, ev.headers);
    if (!ev.endStream) this.addError(call, `trailers without END_STREAM in frame ${ev.frame}`);
    const bodyStatus = (ev as RpcHeadersEvent).status;
    if (bodyStatus !== undefined) {
      // Connect: the status came in the body (error JSON, end-stream message), not as a header.
      call.status = bodyStatus.code;
      call.grpcMessage = bodyStatus.message;
      if (bodyStatus.details !== undefined) call.statusDetails = bodyStatus.details;
      return;
    }
    const s = firstValue(ev.headers, 'grpc-status');
    if (s !== undefined) {
      const code = parseGrpcStatus(s);
      if (code === undefined) this.addError(call, `invalid grpc-status "${s}"`);
      call.status = code ?? null;
    } else if (ev.unknown !== undefined) {
      call.statusUnknown = true;
      this.addError(call, `grpc-status not known: the trailers use ${ev.unknown.length} header table ${ev.unknown.length === 1 ? 'entry' : 'entries'} from before the capture`);
    }
    const msg = firstValue(ev.headers, 'grpc-message');
    if (msg !== undefined) call.grpcMessage = decodeGrpcMessage(msg);
    const details = firstValue(ev.headers, 'grpc-status-details-bin');
    if (details !== undefined) {
      const d = decodeStatusDetailsBin(details, this.decoder, this.decodeOptions);
      if (d.status) call.statusDetails = d.status;
      else this.addError(call, d.error);
    }
  }

  // --- messages ------------------------------------------------------------------------------------------

  private message(call: Call, ev: DataEvent, ds: DirectionState, m: DeframedMessage): void {
    const index = ds.messages++;
    ds.bytes += m.length;
    const encoding = m.compressed ? (ds.encoding ?? null) : null;
    if (call.held === null) {
      if (!this.emitMessages) return;
      // The common case, with nothing to allocate: a plain message, written as it is.
      if (!m.compressed && m.badFlag === undefined && m.bytes !== null) {
        this.emitMessage(call, ev, ev.direction, index, false, null, m.length, m.bytes, null, null);
        return;
      }
    }
    const p = this.payload(ds, m);
    if (call.held !== null && this.hold(call, ev, ds, m, index, p)) return;
    if (!this.emitMessages) return;
    this.emitMessage(call, ev, ev.direction, index, m.compressed, encoding, m.length, p.bytes, p.error, p.note);
  }

  /** A message's bytes, decompressed, or why there are none; `note`: what decompression said of them. */
  private payload(ds: DirectionState, m: DeframedMessage): { bytes: Uint8Array | null; error: string | null; note: string | null } {
    if (m.badFlag !== undefined) return { bytes: null, error: `invalid compressed flag ${m.badFlag}`, note: null };
    if (m.bytes === null) return { bytes: null, error: `message length ${m.length} over limit ${this.maxMessageBytes} (--max-message-size)`, note: null };
    if (!m.compressed) return { bytes: m.bytes, error: null, note: null };
    let note: string | null = null;
    try {
      const bytes = decompress(ds.encoding, m.bytes, this.maxDecompressedBytes, (n) => (note = n));
      return { bytes, error: null, note };
    } catch (e) {
      return { bytes: null, error: e instanceof DecompressionError ? e.message : String(e), note: null };
    }
  }

  /** Decode (when `bytes`) and write one message record. `note`: what decompression said of the bytes. */
  private emitMessage(
    call: Call,
    origin: FrameOrigin,
    direction: Http2Direction,
    index: number,
    compressed: boolean,
    encoding: string | null,
    length: number,
    bytes: Uint8Array | null,
    error: string | null,
    note: string | null,
  ): void {
    const typeName = call.types ? (direction === 'request' ? call.types.requestType : call.types.responseType) : undefined;
    if (typeName === undefined && call.method !== '') this.countWithoutSchema(call.method);
    let messageType: string | null = typeName ?? null;
    let body: unknown = null;
    if (bytes !== null && call.codec === 'json') {
      // protobuf's JSON mapping on the wire (gRPC-Web +json, Connect application/json): shown as sent.
      try {
        body = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8'));
      } catch {
        body = null;
        error = 'message is not valid JSON';
      }
    } else if (bytes !== null) {
      try {
        const d = this.decoder.decode(typeName, bytes, this.decodeOptions);
        messageType = d.messageType;
        body = d.body;
        error = note !== null ? (d.error !== null ? `${note}; ${d.error}` : note) : d.error;
      } catch (e) {
        // The decoder promises never to throw; if it does, the record still goes out.
        error = `decoder failed: ${(e as Error).message}`;
      }
    }
    const rec: MessageRecord = {
      type: 'message',
      frame: origin.frame,
      ts: formatTimestamp(origin.tsSec, origin.tsNsec),
      tcp_stream: call.conn.tcp.index,
      client: call.conn.client,
      server: call.conn.server,
      stream: call.streamId,
      call_id: call.callId,
      method: call.method,
      direction,
      index,
      compressed,
      encoding,
      length,
      message_type: messageType,
      body,
      error,
    };
    if (call.group !== null) rec.method_group = call.group.label;
    if (call.inferred.length > 0) {
      rec.inferred = messageType !== null && !call.inferred.includes('message_type') ? [...call.inferred, 'message_type'] : call.inferred;
    }
    canonicalRecord.current = rec;
    this.records.message(rec);
  }

  /**
   * Keep a message of a call whose method is not known yet (a copy, decompressed). False when the call
   * outgrew MAX_HELD_BYTES_PER_CALL: what was held goes out now, undecided, and so does this message.
   */
  private hold(
    call: Call,
    ev: DataEvent,
    ds: DirectionState,
    m: DeframedMessage,
    index: number,
    p: { bytes: Uint8Array | null; error: string | null; note: string | null },
  ): boolean {
    const held = call.held as HeldMessage[];
    const { bytes, error, note } = p;
    const size = bytes === null ? 0 : bytes.length;
    // Without a schema, a call seen by its DATA alone is held only until client and server are told apart.
    const why = this.hasSchema() ? 'method not inferred' : 'written before client and server were told apart';
    if (call.heldBytes + size > MAX_HELD_BYTES_PER_CALL) {
      this.addError(call, `${why}: its messages exceed ${MAX_HELD_BYTES_PER_CALL} bytes (MAX_HELD_BYTES_PER_CALL)`);
      this.releaseHeld(call);
      return false;
    }
    if (this.heldTotal + size > MAX_HELD_BYTES_TOTAL) {
      this.addError(call, `${why}: messages held over all calls exceed ${MAX_HELD_BYTES_TOTAL} bytes (MAX_HELD_BYTES_TOTAL)`);
      this.releaseHeld(call);
      return false;
    }
    call.heldBytes += size;
    this.heldTotal += size;
    const origin: FrameOrigin = { conn: ev.conn, direction: ev.direction, frame: ev.frame, tsSec: ev.tsSec, tsNsec: ev.tsNsec };
    held.push({ origin, index, compressed: m.compressed, encoding: m.compressed ? (ds.encoding ?? null) : null, length: m.length, bytes: bytes === null ? null : bytes === m.bytes ? bytes.slice() : bytes, error, note });
    return true;
  }

  /** Write the held messages (with what is known of the method by now) and stop holding. */
  private releaseHeld(call: Call): void {
    const held = call.held;
    call.held = null;
    this.heldTotal -= call.heldBytes;
    call.heldBytes = 0;
    if (held === null || !this.emitMessages) return;
    for (const h of held) this.emitMessage(call, h.origin, h.origin.direction, h.index, h.compressed, h.encoding, h.length, h.bytes, h.error, h.note);
  }

  // --- methods not seen ----------------------------------------------------------------------------------

  /**
   * A request whose :path is not known (it refers to an entry from before the join). A field whose name is
   * unknown but whose value has the `/Service/Method` shape is the :path itself (a literal with an indexed
   * name); otherwise the call joins the group of calls that use the same unknown entries.
   */
  private unknownPath(state: ConnState, call: Call, unknown: UnknownField[]): void {
    this.counters.unknownMethodCalls++;
    const literal = unknown.filter((u) => u.value !== undefined && GRPC_PATH.test(u.value));
    if (literal.length === 1) {
      call.method = literal[0].value as string;
      call.types = this.methodTypes(call.method);
      call.inferred = ['method'];
      call.inferredReason = 'the value of a request field whose name is a header table entry from before the capture has the /Service/Method shape of :path';
      this.counters.inferredCalls++;
      return;
    }
    // RFC 9113 §8.3: pseudo-header fields come first, and a gRPC request has four (:method, :scheme, :path,
    // :authority). So the unknown :path is among the unknown entries in the first four places: calls whose
    // blocks have the same entries there have the same :path (each has exactly one, and it is one of them).
    // Metadata further on (which may vary from call to call) stays out of the key.
    const refs: string[] = [];
    for (let i = 0; i < unknown.length; i++) {
      const u = unknown[i];
      if (u.value === undefined && u.at + i < REQUEST_PSEUDO_HEADERS) refs.push(u.ref);
    }
    if (refs.length === 0) for (const u of unknown) if (u.value === undefined) refs.push(u.ref);
    const key = refs.join(' ');
    let group = state.groups.get(key);
    if (group === undefined) {
      group = { label: `unknown method #${++this.groupCount}`, candidates: null };
      state.groups.set(key, group);
    }
    call.group = group;
    this.startHolding(call);
  }

  /** A schema with methods is loaded: methods can be inferred. */
  private hasSchema(): boolean {
    return this.decoder.methods !== undefined && this.decoder.methods().length > 0 && this.decoder.fitsStrictly !== undefined;
  }

  /** Hold the call's messages for inference, when a schema with methods is loaded (or `always`). */
  private startHolding(call: Call, always = false): void {
    const schema = this.hasSchema();
    if (!schema && !always) return;
    call.held = [];
    if (!schema) return;
    // Bytes are needed even when the consumer only counts messages (stats): the evidence is in them.
    for (const ds of [call.req, call.resp]) {
      if (ds.deframer !== null && !ds.deframer.keepBytes) {
        const syncing = (ds === call.req || call.dataOnly) && !call.requestSeen;
        ds.deframer = new MessageDeframer(this.maxMessageBytes, true);
        if (syncing) ds.deframer.resync();
      }
    }
  }

  /**
   * Name the method of a call whose :path was not seen, from its messages: the loaded methods whose request
   * type parses every request message strictly, whose response type parses every response, and whose
   * streaming kind allows the message counts; within a group, only those that fit every call of the group
   * so far. One left: inferred. Several: the method stays unknown and the record lists them. Calls without
   * a non-empty message carry no evidence.
   */
  private inferMethod(call: Call): void {
    const held = call.held;
    const methods = this.decoder.methods?.();
    if (held === null || methods === undefined || this.decoder.fitsStrictly === undefined) return;
    if (held.some((h) => h.bytes === null) || !held.some((h) => (h.bytes as Uint8Array).length > 0)) return;
    const fits = (m: MethodInfo): boolean => {
      if (!m.clientStreaming && call.req.messages > 1) return false;
      if (!m.serverStreaming && call.resp.messages > 1) return false;
      for (const h of held) {
        const type = h.origin.direction === 'request' ? m.requestType : m.responseType;
        if (!this.decoder.fitsStrictly!(type, h.bytes as Uint8Array)) return false;
      }
      return true;
    };
    let cands = methods.filter(fits);
    const group = call.group;
    if (group !== null) {
      if (group.candidates !== null) {
        const before = new Set(group.candidates);
        cands = cands.filter((c) => before.has(c));
      }
      group.candidates = cands;
    }
    if (cands.length === 1) {
      call.method = cands[0].path;
      call.types = cands[0];
      call.inferred = ['method'];
      const scope = group !== null ? `every call of ${group.label} so far` : 'the call';
      const why = call.dataOnly ? 'the request and response headers were not captured' : ':path refers to a header table entry from before the capture';
      call.inferredReason = `the only loaded method whose request and response types parse every message of ${scope} strictly, with message counts its streaming kind allows (${why})`;
      this.counters.inferredCalls++;
      return;
    }
    call.candidates = cands.slice(0, MAX_METHOD_CANDIDATES).map((c) => c.path);
    if (cands.length > MAX_METHOD_CANDIDATES) call.candidates.push(`(+${cands.length - MAX_METHOD_CANDIDATES} more)`);
    if (cands.length === 0) {
      this.addError(call, 'method not inferred: no loaded method fits its messages');
      return;
    }
    // The method stays unknown, but when every candidate has the same request and response types, those are
    // known: the messages are decoded as them.
    if (cands.every((c) => c.requestType === cands[0].requestType && c.responseType === cands[0].responseType)) {
      call.types = { requestType: cands[0].requestType, responseType: cands[0].responseType };
      call.inferred = ['message_type'];
      call.inferredReason = `every method that fits (${cands.length}) has request type ${cands[0].requestType} and response type ${cands[0].responseType}; which method it is, the capture does not tell`;
    }
  }

  // --- call lifecycle ------------------------------------------------------------------------------------

  private connState(conn: Http2Connection): ConnState {
    let s = this.conns.get(conn);
    if (!s) {
      s = { calls: new Map(), headerCache: [null, null, null], pendingResets: new Set(), firstRequestStream: 0, lastRequestStream: 0, dataOnlyStreams: null, groups: new Map() };
      this.conns.set(conn, s);
    }
    return s;
  }

  /** A request that is not an RPC (REST, a web page, …): counted for the summary, with its server port and a few paths. */
  private otherRequest(ev: HeadersEvent, path: string | undefined): void {
    const c = this.counters;
    c.otherRequests++;
    countPort(c.otherRequestPorts, ev.conn.tcp.endpoints[1 - ev.conn.clientIndex].port);
    if (path !== undefined && c.otherRequestPaths.length < MAX_OTHER_REQUEST_PATHS && !c.otherRequestPaths.includes(path)) {
      c.otherRequestPaths.push(path.length > 80 ? `${path.slice(0, 80)}…` : path);
    }
  }

  /**
   * DATA on a stream with no call: one that began before the capture when the connection was joined midway,
   * the stream is a client's (odd), and it is older than every request the capture saw begin on it (streams
   * open in increasing order, RFC 9113 §5.1.1; a newer one without HEADERS is a stream we stopped tracking).
   */
  private beganBeforeCapture(state: ConnState | undefined, ev: DataEvent): boolean {
    if (ev.conn.joined !== true || ev.streamId % 2 === 0) return false;
    if (state === undefined) return true;
    if (state.firstRequestStream !== 0 && ev.streamId >= state.firstRequestStream) return false;
    return state.dataOnlyStreams === null || !state.dataOnlyStreams.has(ev.streamId);
  }

  /** A call of a stream seen by its DATA alone: both directions joined midway, messages found at trusted boundaries. */
  private dataOnlyCall(state: ConnState, ev: DataEvent): Call | null {
    const seen = (state.dataOnlyStreams ??= new Set());
    if (seen.size >= MAX_DATA_ONLY_STREAMS) {
      this.counters.dataOnlyIgnored++;
      return null;
    }
    seen.add(ev.streamId);
    const call = this.newCall(state, ev, '', false);
    call.dataOnly = true;
    call.resp.deframer?.resync();
    // Held for inference (with a schema), and while the sides are a guess (their directions may change).
    this.startHolding(call, ev.conn.sidesGuessed === true && this.emitMessages);
    this.addError(call, 'request and response headers not captured (capture started after the call): method, start and duration unknown');
    return call;
  }

  private newCall(state: ConnState, ev: FrameOrigin & { streamId: number }, method: string, requestSeen: boolean): Call {
    if (state.calls.size >= this.maxCallsPerConnection) {
      const oldest = state.calls.values().next().value as Call;
      this.addError(oldest, `evicted: more than ${this.maxCallsPerConnection} open calls on the connection`);
      this.endCall(oldest, false, null, null);
    }
    const call: Call = {
      conn: ev.conn,
      streamId: ev.streamId,
      callId: `${ev.conn.tcp.index}/${ev.streamId}`,
      protocol: 'grpc',
      codec: 'proto',
      method,
      authority: null,
      types: method ? this.methodTypes(method) : undefined,
      startSec: ev.tsSec,
      startNsec: ev.tsNsec,
      firstFrame: ev.frame,
      lastFrame: ev.frame,
      respEnd: null,
      httpStatus: null,
      requestHeaders: {},
      responseHeaders: {},
      trailers: {},
      responseHeadersSeen: false,
      trailersOnly: false,
      status: null,
      grpcMessage: null,
      timeoutMs: null,
      statusDetails: undefined,
      req: newDirection(true, this.maxMessageBytes, this.emitMessages),
      resp: newDirection(true, this.maxMessageBytes, this.emitMessages),
      errors: [],
      droppedErrors: 0,
      provisional: false,
      pendingReset: null,
      requestSeen,
      dataOnly: false,
      skippedRequestBytes: 0,
      skippedResponseBytes: 0,
      skippedReported: false,
      statusUnknown: false,
      group: null,
      held: null,
      heldBytes: 0,
      inferred: [],
      inferredReason: null,
      candidates: null,
    };
    if (!requestSeen) {
      // Its request DATA may begin in the middle of a message: skipped up to the next boundary.
      call.req.deframer?.resync();
      this.startHolding(call);
    }
    state.calls.set(ev.streamId, call);
    return call;
  }

  private countWithoutSchema(method: string): void {
    const m = this.counters.methodsWithoutSchema;
    const n = m.get(method);
    if (n !== undefined) m.set(method, n + 1);
    else if (m.size < MAX_METHODS_WITHOUT_SCHEMA) m.set(method, 1);
    else this.counters.otherMessagesWithoutSchema++;
  }

  private methodTypes(method: string): MethodTypes | undefined {
    if (method !== this.lastMethod) {
      this.lastMethod = method;
      this.lastTypes = this.decoder.methodTypes(method);
    }
    return this.lastTypes;
  }

  private endDirection(call: Call, ev: FrameOrigin): void {
    const ds = ev.direction === 'request' ? call.req : call.resp;
    ds.ended = true;
    if (ev.direction === 'response') {
      call.respEnd = ev;
      // Without its request headers the request side's end may predate the capture: the response ends it.
      if (!call.requestSeen) call.req.ended = true;
    }
    if (call.req.ended && call.resp.ended) {
      const pr = call.pendingReset;
      this.endCall(call, true, pr ? pr.ev : ev, pr ? pr.name : null);
    }
  }

  private endCall(call: Call, complete: boolean, ev: FrameOrigin | null, reset: string | null): void {
    const state = this.conns.get(call.conn);
    if (!state || state.calls.get(call.streamId) !== call) return;
    state.calls.delete(call.streamId);
    state.pendingResets.delete(call);
    if (call.dataOnly) {
      // Taken from DATA alone: a call only if gRPC showed itself (a message at a trusted boundary, or trailers
      // with a grpc-status, seen or from before the capture); else it may not be gRPC at all, and is not written.
      if (call.req.messages === 0 && call.resp.messages === 0 && call.status === null && !call.statusUnknown) {
        if (call.held !== null) this.heldTotal -= call.heldBytes;
        return;
      }
      this.counters.joinedCalls++;
      this.counters.dataOnlyCalls++;
    }
    this.reportSkipped(call);
    if (call.conn.sidesGuessed === true) {
      // No header block on the connection showed who sent it: client and server (and so request and
      // response) are the port-number guess of http2/detect.ts, said so rather than shown as seen.
      this.addError(call, 'client and server guessed from the port numbers: no header block on the connection showed which side is which (request and response may be swapped)');
    }
    this.checkUnfinished(call, 'request', call.req);
    this.checkUnfinished(call, 'response', call.resp);
    if (call.held !== null) {
      if (call.method === '') this.inferMethod(call);
      this.releaseHeld(call);
    }
    const endAt = ev ?? call.respEnd;
    const rec: CallRecord = {
      type: 'call',
      tcp_stream: call.conn.tcp.index,
      client: call.conn.client,
      server: call.conn.server,
      stream: call.streamId,
      call_id: call.callId,
      method: call.method,
      protocol: call.protocol,
      authority: call.authority,
      start: formatTimestamp(call.startSec, call.startNsec),
      end: endAt ? formatTimestamp(endAt.tsSec, endAt.tsNsec) : null,
      // A call that began before the capture: its first packet here is not its start, so no duration.
      duration_ms: endAt && call.requestSeen ? durationMs(call.startSec, call.startNsec, endAt.tsSec, endAt.tsNsec) : null,
      http_status: call.httpStatus,
      status: call.status,
      status_name: call.status === null ? null : statusName(call.status),
      grpc_message: call.grpcMessage,
      request_headers: call.requestHeaders,
      response_headers: call.responseHeaders,
      trailers: call.trailers,
      request_messages: call.req.messages,
      response_messages: call.resp.messages,
      request_bytes: call.req.bytes,
      response_bytes: call.resp.bytes,
      complete,
      reset,
      first_frame: call.firstFrame,
      last_frame: call.lastFrame,
      timeout_ms: call.timeoutMs,
    };
    if (call.trailersOnly) rec.trailers_only = true;
    if (call.statusDetails !== undefined) rec.status_details = call.statusDetails;
    if (call.errors.length > 0) {
      rec.errors = call.droppedErrors > 0 ? [...call.errors, `${call.droppedErrors} more errors not shown`] : call.errors;
    }
    // Carried over TLS: what the handshake said, as it stands when the call ends (never changed in place).
    const security = call.conn.tcp.security;
    if (security !== undefined) rec.tls = security.tls;
    if (call.group !== null) rec.method_group = call.group.label;
    else if (!call.requestSeen && call.method === '') rec.method_group = 'unknown method (request headers not captured)';
    if (call.inferred.length > 0) {
      rec.inferred = call.inferred;
      rec.inferred_reason = call.inferredReason as string;
    }
    if (call.candidates !== null && call.candidates.length > 0) rec.method_candidates = call.candidates;
    if (call.statusUnknown && call.status === null) rec.status_unknown = true;
    canonicalRecord.current = rec;
    this.records.call(rec);
  }

  /** Request bytes passed over before the first message boundary: the call says how many. */
  private reportSkipped(call: Call): void {
    if (call.skippedReported) return;
    call.skippedReported = true;
    const n = call.skippedRequestBytes;
    if (n > 0) this.addError(call, `request: ${n} bytes skipped to the first message boundary (the capture joined the stream inside a message)`);
    const r = call.skippedResponseBytes;
    if (r > 0) this.addError(call, `response: ${r} bytes skipped to the first message boundary (the capture joined the stream inside a message)`);
  }

  /** A direction that ends inside a message: the call says so. */
  private checkUnfinished(call: Call, name: Http2Direction, ds: DirectionState): void {
    const p = ds.deframer?.pending();
    if (!p) return;
    if (p.length < 0) this.addError(call, `${name} ended inside a message prefix (${p.prefixBytes} of 5 bytes)`);
    else this.addError(call, `${name} message ${ds.messages} truncated: ${p.received} of ${p.length} bytes`);
  }

  private addError(call: Call, message: string): void {
    if (call.errors.length < MAX_ERRORS_PER_CALL) call.errors.push(message);
    else call.droppedErrors++;
  }
}
