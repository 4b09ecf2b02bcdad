/**
 * The HTTP/2 layer: a tcp `ConnectionHandler` per TCP connection known to be HTTP/2, that splits both
 * directions into frames (framer.ts), decodes header blocks with one HPACK decoder per direction (hpack.ts)
 * and pushes stream-level events to an `Http2Sink` (types.ts).
 *
 * Recognition is the detector's (../detect/, with the HTTP/2 test in ./detect.ts): a connection reaches a
 * handler with a verdict that says which side is the client and whether each direction begins on a frame
 * boundary (its start captured: the client preface, a server preface) or must look for one (a connection
 * joined midway, found by its frame run or named by `--http2-port`; see framer.ts), or that it begins with
 * an HTTP/1.1 request asking for `Upgrade: h2c` (RFC 7540 §3.2): followed until the server's
 * `101 Switching Protocols`, then HTTP/2 with the upgraded request as stream 1.
 *
 * `http2HandlerFactory(sink)(conn)` asks the HTTP/2 test alone (for callers that decode nothing else);
 * `factory.start(conn, verdict)` is the detector's way in.
 */
import type { CloseReason, ConnectionHandler, Direction, HandlerFactory, TcpConnection } from '../tcp/types';
import { formatEndpoint } from '../tcp/types';
import {
  CLIENT_PREFACE,
  DEFAULT_MAX_FRAME_SIZE,
  FrameFlag,
  FrameType,
  SETTINGS_ENTRY_LENGTH,
  SettingsId,
  errorCodeName,
  frameTypeName,
} from './constants';
import { DEFAULT_MAX_FRAME_PAYLOAD, FrameParser } from './framer';
import { H2cUpgrade } from './h2c';
import { DEFAULT_MAX_HEADER_TABLE_SIZE, HpackDecoder, octetsToString } from './hpack';
import type { Http2Verdict } from './detect';
import { detectorFactory, DETECT_BUFFER_BYTES } from '../detect/dispatcher';
import { http2Dissector } from './dissector';
import { countPort } from '../detect/unrecognised';
import type {
  HeadersEvent,
  HeaderField,
  Http2Connection,
  Http2Counters,
  Http2Direction,
  Http2Options,
  Http2Sink,
  UnknownField,
} from './types';

/** Default `maxStreamsPerConnection`: open streams tracked; past it the oldest is forgotten and counted. */
export const DEFAULT_MAX_STREAMS_PER_CONNECTION = 10_000;
/** Default `maxHeaderBlockBytes`: a HEADERS/PUSH_PROMISE + CONTINUATION block larger than this is skipped. */
export const DEFAULT_MAX_HEADER_BLOCK_BYTES = 1024 * 1024;
export { DEFAULT_MAX_HEADER_TABLE_SIZE } from './hpack';
export { DEFAULT_MAX_FRAME_PAYLOAD } from './framer';

/**
 * Octets of response frames held per connection while they wait for their request HEADERS (see `park`).
 * Past it they are all let through (the calls then lack their request headers) and the connection stops
 * waiting until the request direction shows up again.
 */
export const REORDER_BUFFER_BYTES = 1024 * 1024;

/** GOAWAY debug data kept (octets); the rest is cut (it is free text meant for humans, §6.8). */
export const GOAWAY_DEBUG_MAX_BYTES = 1024;

/**
 * A stream id this far above the highest seen is not believed while looking for a frame boundary
 * (streams are opened in increasing order, §5.1.1; a jump of this size is payload, not a header).
 */
const STREAM_ID_JUMP_LIMIT = 1 << 20;

/** Http2Options with defaults applied, shared by the handlers of one factory. */
export interface ResolvedOptions {
  http2Ports: ReadonlySet<number>;
  maxStreamsPerConnection: number;
  maxHeaderBlockBytes: number;
  maxFrameSize: number;
  maxHeaderTableSize: number;
}

export function resolveOptions(o: Http2Options = {}): ResolvedOptions {
  return {
    http2Ports: new Set(o.http2Ports ?? []),
    maxStreamsPerConnection: Math.max(1, o.maxStreamsPerConnection ?? DEFAULT_MAX_STREAMS_PER_CONNECTION),
    maxHeaderBlockBytes: o.maxHeaderBlockBytes ?? DEFAULT_MAX_HEADER_BLOCK_BYTES,
    maxFrameSize: o.maxFrameSize ?? DEFAULT_MAX_FRAME_PAYLOAD,
    maxHeaderTableSize: o.maxHeaderTableSize ?? DEFAULT_MAX_HEADER_TABLE_SIZE,
  };
}

export function newHttp2Counters(): Http2Counters {
  return { connections: 0, frames: 0, hpackErrors: 0, bytesSkipped: 0, droppedStreams: 0, joinedConnections: 0, serverPorts: new Map() };
}

/** A tcp HandlerFactory that also exposes the layer's counters (for the summary). */
export interface Http2HandlerFactory extends HandlerFactory {
  readonly counters: Http2Counters;
  /** `--http2-port`, for the HTTP/2 test. */
  readonly ports: ReadonlySet<number>;
  /** The handler of a connection the HTTP/2 test claimed. */
  start(conn: TcpConnection, verdict: Http2Verdict): ConnectionHandler;
}

/** One handler per TCP connection, all sharing `counters`. */
export function http2HandlerFactory(sink: Http2Sink, options?: Http2Options): Http2HandlerFactory {
  const resolved = resolveOptions(options);
  const counters = newHttp2Counters();
  const start = (conn: TcpConnection, verdict: Http2Verdict): ConnectionHandler =>
    new Http2ConnectionHandler(conn, sink, resolved, counters, verdict);
  const self = { counters, ports: resolved.http2Ports, start };
  // Called directly, the factory asks the HTTP/2 test alone over the first bytes.
  const detect = detectorFactory([http2Dissector(self)]);
  return Object.assign((conn: TcpConnection) => detect(conn), self);
}

const enum Mode {
  /** An h2c upgrade request was seen; waiting for the server's answer. */
  UPGRADE,
  HTTP2,
  /** Not HTTP/2 after all (an h2c upgrade refused): every later call returns at once. */
  IGNORED,
  CLOSED,
}

/** A header block being assembled from HEADERS/PUSH_PROMISE + CONTINUATION frames (§6.10). */
interface PendingBlock {
  streamId: number;
  /** For PUSH_PROMISE, the promised stream; else 0. */
  promisedId: number;
  endStream: boolean;
  buf: Uint8Array;
  len: number;
  /** Octets of the whole block, including those not kept once it outgrew maxHeaderBlockBytes. */
  total: number;
  oversize: boolean;
}

interface DirState {
  name: Http2Direction;
  parser: FrameParser;
  hpack: HpackDecoder;
  block: PendingBlock | null;
  /** Octets of the client preface still to pass over at the start of the client direction. */
  prefaceLeft: number;
  /**
   * Octets to pass over before the frame run the detector found (a joined connection, detect.ts): the
   * direction starts synchronised there rather than resynchronising, so frames are read in the packets
   * that carried them.
   */
  runLeft: number;
  runSkipped: number;
}

/** A response frame waiting for its request's HEADERS, with the packet it came in. */
interface ParkedFrame {
  type: number;
  flags: number;
  sid: number;
  payload: Uint8Array;
  frame: number;
  tsSec: number;
  tsNsec: number;
}

/** Per-stream bookkeeping: which sides have ended (END_STREAM). */
interface StreamState {
  requestEnded: boolean;
  responseEnded: boolean;
}

export class Http2ConnectionHandler implements ConnectionHandler {
  private mode = Mode.HTTP2;
  private conn: Http2Connection | null = null;
  private dirs: [DirState, DirState] | null = null;
  private readonly streams = new Map<number, StreamState>();
  private highestStreamId = 0;
  private upgrade: H2cUpgrade | null = null;

  // Ordering between the two directions (see `park`).
  /** Highest stream the client opened with HEADERS. */
  private highestRequestStream = 0;
  /** Timestamp of the last packet of the request direction (-1: none yet). */
  private reqTsSec = -1;
  private reqTsNsec = 0;
  private parked: ParkedFrame[] = [];
  private parkedBytes = 0;
  /** REORDER_BUFFER_BYTES was reached: no waiting until the request direction delivers again. */
  private noWait = false;

  // The packet being processed: origin of the frames it completes.
  private pktFrame = 0;
  private pktTsSec = 0;
  private pktTsNsec = 0;

  constructor(
    readonly tcp: TcpConnection,
    private readonly sink: Http2Sink,
    private readonly options: ResolvedOptions,
    private readonly counters: Http2Counters,
    verdict: Http2Verdict,
  ) {
    this.start(verdict);
  }

  /** The connection as seen by the sink, once recognised. */
  get connection(): Http2Connection | null {
    return this.conn;
  }

  data(dir: Direction, bytes: Uint8Array, frame: number, tsSec: number, tsNsec: number): void {
    switch (this.mode) {
      case Mode.HTTP2:
        this.h2Data(dir, bytes, frame, tsSec, tsNsec);
        return;
      case Mode.UPGRADE:
        this.upgradeData(dir, bytes, frame, tsSec, tsNsec);
        return;
      default:
        return;
    }
  }

  gap(dir: Direction, lost: number, frame: number, tsSec: number, tsNsec: number): void {
    switch (this.mode) {
      case Mode.HTTP2:
        this.h2Gap(dir, lost, frame, tsSec, tsNsec);
        return;
      case Mode.UPGRADE:
        // An h2c upgrade with a hole in its HTTP/1.1 part cannot be followed reliably.
        this.ignore();
        return;
      default:
        return;
    }
  }

  close(_reason: CloseReason): void {
    if (this.mode === Mode.HTTP2 && this.dirs !== null && this.conn !== null) {
      // Frames still waiting for their requests go through: the requests are not coming.
      const resp = this.dirs[1 - this.conn.clientIndex];
      resp.parser.end();
      this.releaseParked(true);
      for (const d of this.dirs) {
        d.parser.end();
        d.block = null;
      }
      this.mode = Mode.CLOSED;
      this.streams.clear();
      this.sink.connectionClosed(this.conn);
      return;
    }
    this.mode = Mode.CLOSED;
  }

  private ignore(): void {
    this.mode = Mode.IGNORED;
    this.upgrade = null;
  }

  private start(v: Http2Verdict): void {
    const [a, b] = this.tcp.endpoints;
    const clientIndex = v.clientIndex;
    this.conn = {
      tcp: this.tcp,
      clientIndex,
      client: formatEndpoint(clientIndex === 0 ? a : b),
      server: formatEndpoint(clientIndex === 0 ? b : a),
    };
    if (v.kind === 'upgrade') {
      this.mode = Mode.UPGRADE;
      this.upgrade = new H2cUpgrade(clientIndex);
      return;
    }
    if (v.sidesGuessed === true) this.conn.sidesGuessed = true;
    this.beginHttp2(v.synced, true, v.kind === 'h2' ? v.runOffsets : undefined);
  }

  /** Switch to HTTP/2. `expectPreface`: the client direction begins with the 24-octet preface. */
  private beginHttp2(synced: [boolean, boolean], expectPreface: boolean, runOffsets?: [number, number]): void {
    const conn = this.conn as Http2Connection;
    const joined = !synced[0] || !synced[1];
    if (joined) {
      conn.joined = true;
      this.counters.joinedConnections++;
    }
    const mk = (d: Direction): DirState => {
      const name: Http2Direction = d === conn.clientIndex ? 'request' : 'response';
      const parser = new FrameParser((type, flags, sid, payload) => this.onFrame(state, type, flags, sid, payload), {
        maxFrameSize: this.options.maxFrameSize,
        // state.name, not name: a guess of the sides may be corrected (settleSides).
        plausibleStream: (type, _flags, sid) => this.plausibleStream(state.name, type, sid),
        onSkipped: (n, damagedType, damagedStreamId) => {
          this.counters.bytesSkipped += n;
          // The received part of a damaged frame of one stream concerns that stream only.
          const stream = damagedType >= 0 && !carriesHeaderBlock(damagedType) ? damagedStreamId : 0;
          if (stream !== 0) this.sink.gap?.(conn, state.name, n, stream);
          else this.sink.gap?.(conn, state.name, n);
        },
      });
      const state: DirState = {
        name,
        parser,
        hpack: new HpackDecoder({ maxTableSize: this.options.maxHeaderTableSize, joined: !synced[d] }),
        block: null,
        prefaceLeft: expectPreface && name === 'request' && synced[d] ? CLIENT_PREFACE.length : 0,
        runLeft: 0,
        runSkipped: 0,
      };
      const run = runOffsets === undefined ? -1 : runOffsets[d];
      if (!synced[d] && run >= 0) state.runLeft = run;
      else if (!synced[d]) parser.startUnsynchronised();
      return state;
    };
    this.dirs = [mk(0), mk(1)];
    this.mode = Mode.HTTP2;
    this.counters.connections++;
    countPort(this.counters.serverPorts, this.tcp.endpoints[1 - conn.clientIndex].port);
    this.sink.connection?.(conn);
  }

  // -------------------------------------------------------------------------------------------------------
  // h2c upgrade (RFC 7540 §3.2; removed from RFC 9113 but still spoken)

  private upgradeData(dir: Direction, bytes: Uint8Array, frame: number, tsSec: number, tsNsec: number): void {
    const up = this.upgrade as H2cUpgrade;
    const conn = this.conn as Http2Connection;
    up.push(dir, bytes, { frame, tsSec, tsNsec });
    if (up.failed || up.bufferedBytes > DETECT_BUFFER_BYTES) {
      this.ignore();
      return;
    }
    if (!up.switched) return;
    // 101 seen: HTTP/2 from here. The request becomes stream 1, half-closed by the client (RFC 7540 §3.2).
    this.upgrade = null;
    this.beginHttp2([true, true], true);
    const reqDir = (this.dirs as [DirState, DirState])[conn.clientIndex];
    this.pktFrame = up.requestPacket.frame;
    this.pktTsSec = up.requestPacket.tsSec;
    this.pktTsNsec = up.requestPacket.tsNsec;
    this.touchStream(1);
    const body = up.requestBody;
    this.sink.headers({ conn: this.conn as Http2Connection, direction: reqDir.name, frame: this.pktFrame, tsSec: this.pktTsSec, tsNsec: this.pktTsNsec, streamId: 1, headers: up.requestHeaders, endStream: body === null });
    if (body !== null) this.sink.data({ conn: this.conn as Http2Connection, direction: reqDir.name, frame: this.pktFrame, tsSec: this.pktTsSec, tsNsec: this.pktTsNsec, streamId: 1, data: body, endStream: true });
    this.endStream(1, 'request');
    for (const [d, tail] of up.takeTails()) this.h2Data(d, tail, frame, tsSec, tsNsec);
  }

  // -------------------------------------------------------------------------------------------------------
  // HTTP/2

  private h2Data(dir: Direction, bytes: Uint8Array, frame: number, tsSec: number, tsNsec: number): void {
    const d = (this.dirs as [DirState, DirState])[dir];
    this.pktFrame = frame;
    this.pktTsSec = tsSec;
    this.pktTsNsec = tsNsec;
    const request = d.name === 'request';
    if (request) this.requestSeenAt(tsSec, tsNsec);
    if (d.prefaceLeft > 0) {
      const take = Math.min(d.prefaceLeft, bytes.length);
      d.prefaceLeft -= take;
      if (take === bytes.length) return;
      bytes = bytes.subarray(take);
    }
    if (d.runLeft > 0) {
      const take = Math.min(d.runLeft, bytes.length);
      d.runLeft -= take;
      d.runSkipped += take;
      if (d.runLeft === 0) this.runReached(d);
      if (take === bytes.length) return;
      bytes = bytes.subarray(take);
    }
    d.parser.push(bytes);
    if (request && this.parked.length > 0) this.releaseParked(false);
  }

  /** The bytes before the frame run are passed over: counted and told as the framer tells skipped bytes. */
  private runReached(d: DirState): void {
    const n = d.runSkipped;
    d.runSkipped = 0;
    if (n === 0) return;
    this.counters.bytesSkipped += n;
    this.sink.gap?.(this.conn as Http2Connection, d.name, n);
  }

  private requestSeenAt(tsSec: number, tsNsec: number): void {
    if (tsSec > this.reqTsSec || (tsSec === this.reqTsSec && tsNsec > this.reqTsNsec)) {
      this.reqTsSec = tsSec;
      this.reqTsNsec = tsNsec;
    }
    this.noWait = false;
  }

  /**
   * Does a response frame on `sid`, in a packet of this time, wait for its request? When the client has
   * not opened the stream yet and the request direction has not reached that time: in a capture merged from
   * two interfaces (or `-i any` on several queues), the request's packets may come later in the file
   * although they were sent first. A request direction that has delivered a packet at or after this time
   * had its chance: then the stream began before the capture, and nothing waits.
   */
  private waits(sid: number, tsSec: number, tsNsec: number): boolean {
    if (sid === 0 || (sid & 1) === 0 || sid <= this.highestRequestStream || this.noWait) return false;
    return this.reqTsSec < tsSec || (this.reqTsSec === tsSec && this.reqTsNsec < tsNsec);
  }

  /** Hold a response frame (a copy) until `releaseParked` lets it through. */
  private park(type: number, flags: number, sid: number, payload: Uint8Array): void {
    this.parked.push({ type, flags, sid, payload: payload.slice(), frame: this.pktFrame, tsSec: this.pktTsSec, tsNsec: this.pktTsNsec });
    this.parkedBytes += payload.length + FRAME_OVERHEAD;
    if (this.parkedBytes > REORDER_BUFFER_BYTES) {
      this.noWait = true;
      this.releaseParked(true);
    }
  }

  /** Let parked frames through, in order, up to the first that still waits (all of them with `all`). */
  private releaseParked(all: boolean, from?: DirState): void {
    const dirs = this.dirs as [DirState, DirState];
    const d = from ?? dirs[1 - (this.conn as Http2Connection).clientIndex];
    const saved = [this.pktFrame, this.pktTsSec, this.pktTsNsec];
    let i = 0;
    const parked = this.parked;
    for (; i < parked.length; i++) {
      const f = parked[i];
      if (!all && this.waits(f.sid, f.tsSec, f.tsNsec)) break;
      this.parkedBytes -= f.payload.length + FRAME_OVERHEAD;
      this.pktFrame = f.frame;
      this.pktTsSec = f.tsSec;
      this.pktTsNsec = f.tsNsec;
      this.onFrameInOrder(d, f.type, f.flags, f.sid, f.payload);
    }
    // Frames parked while releasing (none: releasing goes around `park`) stay after the rest.
    this.parked = i === parked.length ? [] : parked.slice(i);
    if (this.parked.length === 0) this.parkedBytes = 0;
    [this.pktFrame, this.pktTsSec, this.pktTsNsec] = saved;
  }

  private h2Gap(dir: Direction, lost: number, frame: number, tsSec: number, tsNsec: number): void {
    const d = (this.dirs as [DirState, DirState])[dir];
    const conn = this.conn as Http2Connection;
    // A gap is told in order with the frames: what waits goes first.
    if (d.name === 'response' && this.parked.length > 0) this.releaseParked(true);
    this.pktFrame = frame;
    this.pktTsSec = tsSec;
    this.pktTsNsec = tsNsec;
    if (d.prefaceLeft > 0) {
      // The gap swallowed (part of) the preface: what follows may not start on a frame boundary.
      d.prefaceLeft = 0;
      lost = -1;
    }
    if (d.runLeft > 0) {
      // A gap before the frame run's start: the run's offset no longer applies; resynchronise.
      d.runLeft = 0;
      this.runReached(d);
      d.parser.startUnsynchronised();
    }
    const outcome = d.parser.lost(lost);
    // Lost bytes that were all payload of one stream's frame (framing kept) concern that stream only: the
    // connection's other streams, and its HPACK state, are untouched.
    if (outcome.lostInStream !== 0) this.sink.gap?.(conn, d.name, lost, outcome.lostInStream);
    else this.sink.gap?.(conn, d.name, lost);
    const headerFrameHit =
      outcome.damagedType === FrameType.HEADERS ||
      outcome.damagedType === FrameType.PUSH_PROMISE ||
      outcome.damagedType === FrameType.CONTINUATION;
    if (!outcome.framingKept || headerFrameHit || d.block !== null) {
      // A header block may have been lost: its insertions into the dynamic table are unknown (hpack.ts).
      d.hpack.forget();
      if (d.block !== null) {
        this.abandonBlock(d, 'header block cut by a TCP gap');
      } else if (outcome.damagedType === FrameType.HEADERS) {
        // The stream still shows up, with the reason; CONTINUATIONs of this block, if any, are ignored.
        const endStream = (outcome.damagedFlags & FrameFlag.END_STREAM) !== 0;
        this.emitHeaders(d, outcome.damagedStreamId, 0, endStream, [], 'header block cut by a TCP gap');
      }
    }
  }

  /** Stream-id plausibility while resynchronising (§5.1.1: clients open odd streams, servers push even). */
  private plausibleStream(dir: Http2Direction, type: number, sid: number): boolean {
    if (sid === 0) return true; // connection frames: the framer has checked which types may use 0
    if (this.highestStreamId > 0 && sid > this.highestStreamId + STREAM_ID_JUMP_LIMIT) return false;
    if (this.streams.has(sid)) return true;
    switch (type) {
      case FrameType.HEADERS:
      case FrameType.DATA:
      case FrameType.CONTINUATION:
        return dir === 'response' || (sid & 1) === 1;
      case FrameType.PUSH_PROMISE:
        return dir === 'response' && (sid & 1) === 1;
      default:
        return true;
    }
  }

  private onFrame(d: DirState, type: number, flags: number, sid: number, payload: Uint8Array): void {
    // While the sides are a guess (sidesGuessed), nothing waits: which direction is the request's is not known.
    if (d.name === 'response' && (this.parked.length > 0 || ((this.conn as Http2Connection).sidesGuessed !== true && this.waits(sid, this.pktTsSec, this.pktTsNsec)))) {
      this.park(type, flags, sid, payload);
      return;
    }
    this.onFrameInOrder(d, type, flags, sid, payload);
  }

  private onFrameInOrder(d: DirState, type: number, flags: number, sid: number, payload: Uint8Array): void {
    this.counters.frames++;
    if (this.sink.frame !== undefined && this.sink.wantsFrames !== false) {
      this.sink.frame({ conn: this.conn as Http2Connection, direction: d.name, frame: this.pktFrame, tsSec: this.pktTsSec, tsNsec: this.pktTsNsec, type, typeName: frameTypeName(type), flags, streamId: sid, length: payload.length });
    }
    if (d.block !== null && (type !== FrameType.CONTINUATION || sid !== d.block.streamId)) {
      // §6.10: nothing may come between the frames of a header block.
      this.abandonBlock(d, `header block interrupted by a ${frameTypeName(type)} frame before END_HEADERS`);
      d.hpack.forget();
    }
    switch (type) {
      case FrameType.DATA:
        this.onData(d, flags, sid, payload);
        return;
      case FrameType.HEADERS:
        this.onHeaders(d, flags, sid, payload);
        return;
      case FrameType.CONTINUATION:
        this.onContinuation(d, flags, payload);
        return;
      case FrameType.PUSH_PROMISE:
        this.onPushPromise(d, flags, sid, payload);
        return;
      case FrameType.RST_STREAM:
        if (payload.length !== 4 || sid === 0) return this.malformed(payload);
        this.onRstStream(d, sid, readU32(payload, 0));
        return;
      case FrameType.SETTINGS:
        if (!(flags & FrameFlag.ACK)) this.onSettings(d, payload);
        return;
      case FrameType.GOAWAY:
        if (payload.length < 8) return this.malformed(payload);
        this.onGoaway(d, payload);
        return;
      default:
        // PRIORITY, PING, WINDOW_UPDATE: nothing beyond the frame event; unknown types skipped (§5.5).
        return;
    }
  }

  /** A frame whose payload breaks its own structure: dropped, its octets counted as skipped. */
  private malformed(payload: Uint8Array): void {
    this.counters.bytesSkipped += payload.length;
  }

  /** Strip padding (§6.1, §6.2, §6.6): returns [start, end) of the content, or null when malformed. */
  private unpad(flags: number, payload: Uint8Array, fixed: number): [number, number] | null {
    let start = 0;
    let end = payload.length;
    if (flags & FrameFlag.PADDED) {
      if (end < 1) return null;
      const pad = payload[0];
      start = 1;
      end -= pad;
    }
    start += fixed;
    return end < start ? null : [start, end];
  }

  private onData(d: DirState, flags: number, sid: number, payload: Uint8Array): void {
    let data = payload;
    if (sid === 0 || flags & FrameFlag.PADDED) {
      const range = sid === 0 ? null : this.unpad(flags, payload, 0);
      if (range === null) return this.malformed(payload);
      data = payload.subarray(range[0], range[1]);
    }
    const endStream = (flags & FrameFlag.END_STREAM) !== 0;
    this.touchStream(sid);
    this.sink.data({ conn: this.conn as Http2Connection, direction: d.name, frame: this.pktFrame, tsSec: this.pktTsSec, tsNsec: this.pktTsNsec, streamId: sid, data, endStream });
    if (endStream) this.endStream(sid, d.name);
  }

  private onHeaders(d: DirState, flags: number, sid: number, payload: Uint8Array): void {
    if (d.name === 'request' && sid > this.highestRequestStream) this.highestRequestStream = sid;
    // PRIORITY flag: Exclusive + Stream Dependency (4) and Weight (1) precede the fragment (§6.2).
    const range = sid === 0 ? null : this.unpad(flags, payload, flags & FrameFlag.PRIORITY ? 5 : 0);
    if (range === null) {
      // The fragment cannot be located: its table insertions are lost with it.
      d.hpack.forget();
      return this.malformed(payload);
    }
    this.beginBlock(d, flags, sid, 0, payload, range);
  }

  private onPushPromise(d: DirState, flags: number, sid: number, payload: Uint8Array): void {
    const range = sid === 0 ? null : this.unpad(flags, payload, 4);
    if (range === null) {
      d.hpack.forget();
      return this.malformed(payload);
    }
    const promised = readU32(payload, range[0] - 4) & 0x7fffffff;
    this.beginBlock(d, flags, sid, promised, payload, range);
  }

  private beginBlock(
    d: DirState,
    flags: number,
    sid: number,
    promisedId: number,
    payload: Uint8Array,
    [start, end]: [number, number],
  ): void {
    const endStream = promisedId === 0 && (flags & FrameFlag.END_STREAM) !== 0;
    const len = end - start;
    if (flags & FrameFlag.END_HEADERS) {
      if (len > this.options.maxHeaderBlockBytes) {
        d.hpack.forget();
        this.emitHeaders(d, sid, promisedId, endStream, [], oversizeMessage(len, this.options.maxHeaderBlockBytes));
        return;
      }
      // Common case: the block is the frame's fragment, decoded in place.
      const r = d.hpack.decode(payload, start, end);
      this.emitHeaders(d, sid, promisedId, endStream, r.headers, r.error, r.unknown);
      return;
    }
    const oversize = len > this.options.maxHeaderBlockBytes;
    const buf = oversize ? EMPTY : new Uint8Array(Math.min(Math.max(len * 2, 1024), this.options.maxHeaderBlockBytes));
    if (!oversize) buf.set(payload.subarray(start, end));
    d.block = { streamId: sid, promisedId, endStream, buf, len: oversize ? 0 : len, total: len, oversize };
  }

  private onContinuation(d: DirState, flags: number, payload: Uint8Array): void {
    const b = d.block;
    if (b === null) return; // its HEADERS was lost (gap, capture start): nothing to attach it to
    b.total += payload.length;
    if (!b.oversize) {
      if (b.total > this.options.maxHeaderBlockBytes) {
        b.oversize = true;
        b.buf = EMPTY;
        b.len = 0;
      } else {
        if (b.total > b.buf.length) {
          const grown = new Uint8Array(Math.min(Math.max(b.total, b.buf.length * 2), this.options.maxHeaderBlockBytes));
          grown.set(b.buf.subarray(0, b.len));
          b.buf = grown;
        }
        b.buf.set(payload, b.len);
        b.len += payload.length;
      }
    }
    if (!(flags & FrameFlag.END_HEADERS)) return;
    d.block = null;
    if (b.oversize) {
      // Skipped, not decoded: the table insertions it made are unknown from here (hpack.ts).
      d.hpack.forget();
      this.emitHeaders(d, b.streamId, b.promisedId, b.endStream, [], oversizeMessage(b.total, this.options.maxHeaderBlockBytes));
      return;
    }
    const r = d.hpack.decode(b.buf, 0, b.len);
    this.emitHeaders(d, b.streamId, b.promisedId, b.endStream, r.headers, r.error, r.unknown);
  }

  /**
   * Sides guessed from the ports: a header block whose first field is a pseudo-header shows its sender's
   * role (RFC 9113 §8.3: a request's first, `:status` a response's). A wrong guess is corrected here, before
   * the block is told: both directions change names, and the sink is told.
   */
  private settleSides(d: DirState, first: string): void {
    const role: Http2Direction | null = first === ':status' ? 'response' : REQUEST_PSEUDO.has(first) ? 'request' : null;
    if (role === null) return;
    const conn = this.conn as Http2Connection;
    conn.sidesGuessed = false;
    if (role === d.name) {
      this.sink.sidesSettled?.(conn, false);
      return;
    }
    const dirs = this.dirs as [DirState, DirState];
    for (const x of dirs) x.name = x.name === 'request' ? 'response' : 'request';
    const ports = this.counters.serverPorts;
    const wrong = this.tcp.endpoints[1 - conn.clientIndex].port;
    const n = ports.get(wrong) ?? 0;
    if (n <= 1) ports.delete(wrong);
    else ports.set(wrong, n - 1);
    conn.clientIndex = (1 - conn.clientIndex) as Direction;
    countPort(ports, this.tcp.endpoints[1 - conn.clientIndex].port);
    [conn.client, conn.server] = [conn.server, conn.client];
    this.sink.sidesSettled?.(conn, true);
    // Frames parked as responses waiting for their requests are the requests: they go first, in order, and
    // what the other direction told of its streams and times no longer counts.
    this.highestRequestStream = 0;
    this.reqTsSec = -1;
    this.reqTsNsec = 0;
    this.noWait = false;
    const parked = this.parked;
    if (parked.length > 0) {
      const last = parked[parked.length - 1];
      this.releaseParked(true, dirs[conn.clientIndex]);
      this.requestSeenAt(last.tsSec, last.tsNsec);
    }
  }

  /** A block that will not be completed: the stream still shows up, with the reason. */
  private abandonBlock(d: DirState, reason: string): void {
    const b = d.block as PendingBlock;
    d.block = null;
    this.emitHeaders(d, b.streamId, b.promisedId, b.endStream, [], reason);
  }

  private emitHeaders(
    d: DirState,
    sid: number,
    promisedId: number,
    endStream: boolean,
    headers: HeaderField[],
    error: string | undefined,
    unknown?: UnknownField[],
  ): void {
    const streamId = promisedId !== 0 ? promisedId : sid;
    if ((this.conn as Http2Connection).sidesGuessed === true && headers.length > 0) this.settleSides(d, headers[0][0]);
    this.touchStream(streamId);
    const ev = { conn: this.conn as Http2Connection, direction: d.name, frame: this.pktFrame, tsSec: this.pktTsSec, tsNsec: this.pktTsNsec, streamId, headers, endStream } as Parameters<Http2Sink['headers']>[0];
    if (error !== undefined) {
      this.counters.hpackErrors++;
      ev.hpackError = error;
    }
    if (unknown !== undefined) ev.unknown = unknown;
    if (promisedId !== 0) {
      ev.promised = true;
      // A promised request has no body (§8.4): its request side is over.
      this.endStream(streamId, 'request');
    }
    this.sink.headers(ev);
    if (endStream) this.endStream(streamId, d.name);
  }

  private onRstStream(d: DirState, sid: number, code: number): void {
    this.sink.rstStream({ conn: this.conn as Http2Connection, direction: d.name, frame: this.pktFrame, tsSec: this.pktTsSec, tsNsec: this.pktTsNsec, streamId: sid, errorCode: code, errorName: errorCodeName(code) });
    this.streams.delete(sid);
  }

  private onSettings(d: DirState, payload: Uint8Array): void {
    // The settings of the sender of `d` govern what the *other* direction may send it (§6.5).
    const toSender = (this.dirs as [DirState, DirState])[d === (this.dirs as [DirState, DirState])[0] ? 1 : 0];
    for (let i = 0; i + SETTINGS_ENTRY_LENGTH <= payload.length; i += SETTINGS_ENTRY_LENGTH) {
      const id = (payload[i] << 8) | payload[i + 1];
      const value = readU32(payload, i + 2);
      if (id === SettingsId.SETTINGS_HEADER_TABLE_SIZE) {
        toSender.hpack.applySettingsTableSize(value);
      } else if (id === SettingsId.SETTINGS_MAX_FRAME_SIZE) {
        toSender.parser.plausibleMaxLength = Math.min(Math.max(value, DEFAULT_MAX_FRAME_SIZE), toSender.parser.maxFrameSize);
      }
    }
  }

  private onGoaway(d: DirState, payload: Uint8Array): void {
    if (this.sink.goaway === undefined) return;
    const lastStreamId = readU32(payload, 0) & 0x7fffffff;
    const errorCode = readU32(payload, 4);
    const debugEnd = Math.min(payload.length, 8 + GOAWAY_DEBUG_MAX_BYTES);
    this.sink.goaway({
      conn: this.conn as Http2Connection,
      direction: d.name,
      frame: this.pktFrame,
      tsSec: this.pktTsSec,
      tsNsec: this.pktTsNsec,
      lastStreamId,
      errorCode,
      errorName: errorCodeName(errorCode),
      debugData: octetsToString(payload, 8, debugEnd),
    });
  }

  private touchStream(sid: number): void {
    if (sid > this.highestStreamId) this.highestStreamId = sid;
    if (this.streams.has(sid)) return;
    if (this.streams.size >= this.options.maxStreamsPerConnection) {
      // Forget the oldest (Map iterates in insertion order).
      const oldest = this.streams.keys().next().value as number;
      this.streams.delete(oldest);
      this.counters.droppedStreams++;
    }
    this.streams.set(sid, { requestEnded: false, responseEnded: false });
  }

  private endStream(sid: number, dir: Http2Direction): void {
    const s = this.streams.get(sid);
    if (s === undefined) return;
    if (dir === 'request') s.requestEnded = true;
    else s.responseEnded = true;
    if (s.requestEnded && s.responseEnded) this.streams.delete(sid);
  }

  /** Streams currently tracked (for tests). */
  get openStreams(): number {
    return this.streams.size;
  }
}

const EMPTY = new Uint8Array(0);

/** The request pseudo-header fields (RFC 9113 §8.3.1); `:status` is the response's (§8.3.2). */
const REQUEST_PSEUDO = new Set([':method', ':path', ':scheme', ':authority', ':protocol']);
/** Frames whose payload is (part of) a header block: losing one changes HPACK state (RFC 7541 §2.2). */
function carriesHeaderBlock(type: number): boolean {
  return type === FrameType.HEADERS || type === FrameType.CONTINUATION || type === FrameType.PUSH_PROMISE;
}

/** What a parked frame costs beyond its payload (its header and bookkeeping), for REORDER_BUFFER_BYTES. */
const FRAME_OVERHEAD = 64;

function readU32(b: Uint8Array, off: number): number {
  return ((b[off] << 24) | (b[off + 1] << 16) | (b[off + 2] << 8) | b[off + 3]) >>> 0;
}

function oversizeMessage(len: number, limit: number): string {
  return `header block of ${len} octets exceeds maxHeaderBlockBytes (${limit}); skipped, and the dynamic table is reset`;
}

