/**
 * The first pass of a keyed split (`--by connection|server|client|method`): the capture goes through the
 * decode layers (link/IP, TCP reassembly, HTTP/2 with HPACK) and every packet gets a slot (./slots.ts) saying
 * which connection it belongs to and, for `--by method`, which method parts need it. What can only be known
 * later (who is the client of a connection whose handshake was not captured, which methods a connection
 * carries) goes into a small per-connection table, complete once the capture has been read.
 *
 * Why two passes: a connection's first packets (handshake, preface, SETTINGS, the first header blocks) are
 * needed in the part of every method the connection will carry, including methods first called an hour
 * later; and a file name by server needs to know which end is the server. Reading the input twice (stdin is
 * first copied to a temporary file) gives every part its packets in capture order with bounded memory.
 *
 * ## Which packets a method part gets
 *
 * A method part must decode again, with `grpctk decode`, to the method's calls exactly as in the whole
 * capture. Its connections therefore have holes (packets left out), and the HTTP/2 layer keeps its framing
 * and its HPACK state across a hole only when the hole lies inside one frame's payload or ends exactly at
 * that frame's end (../http2/framer.ts `lost()`): past the frame's end it cannot know where the next frame
 * starts without its header. A hole that may have swallowed a frame header resets the HPACK table, and later
 * header blocks would no longer decode. So a hole must never contain a frame header; per TCP packet of an
 * HTTP/2 connection:
 *
 * - its bytes are all DATA payload of one frame of stream S (no frame header byte; the frame's last byte may
 *   be among them): it goes to the part of S's method only (to `other` when S's method is unknown). Packets
 *   left out of a part next to each other then lie in one frame, so each hole does too, or ends at its end;
 *   the HTTP/2 layer drops that frame and notes the loss on S's call alone;
 * - anything else that carries bytes (the preface, any frame header, HEADERS / CONTINUATION / PUSH_PROMISE
 *   or other frames' payload, bytes of two frames) goes to every method part of the connection ("shared"),
 *   as do SYN, FIN and RST segments;
 * - pure ACKs and retransmissions (segments that deliver no new byte) are needed by no part: `other`.
 *
 * Large messages, whose frames span many packets, are what a method part leaves out; small messages of other
 * methods sharing a packet with a frame boundary come along (they decode as calls of those methods). Where
 * segments are larger than frames (loopback captures: 64 KiB segments, 16 KiB frames) every packet holds a
 * frame header and nothing can be left out safely.
 *
 * Attribution is exact only where the byte stream is followed from its start: a direction is "in sync" when
 * it begins with the client preface, or (the server's direction) with a SETTINGS frame after a captured SYN.
 * A direction whose start was not captured, that went through an h2c upgrade, or that lost bytes (a TCP gap)
 * is out of sync for good: its packets are shared. Segments that arrive out of order are held by TCP
 * reassembly; their bytes are credited to the packet that fills the hole, so the held packet itself is
 * shared too. Shared is always safe: it only makes parts larger.
 */
import type { CaptureSink, Packet } from '../pcap/types';
import { PacketDecoder } from '../net/decode';
import { TCP_FIN, TCP_RST, TCP_SYN, type TcpSegment } from '../net/types';
import { Assembler } from '../tcp/assembler';
import type { AssemblerOptions, CloseReason, ConnectionHandler, Direction, TcpConnection } from '../tcp/types';
import { formatEndpoint } from '../tcp/types';
import { http2HandlerFactory } from '../http2/connection';
import type { UnrecognisedCounters } from '../detect/unrecognised';
import { connectionDetector } from '../detect';
import { newTlsCounters } from '../tls/detect';
import { clientHelloRandom, KeyLog } from '../tls/keylog';
import { DSB_SECRETS_TYPE_TLS } from '../pcap/constants';
import type { DecryptionSecrets } from '../pcap/types';
import { CLIENT_PREFACE, FRAME_HEADER_LENGTH, FrameFlag, FrameType } from '../http2/constants';
import type { DataEvent, HeadersEvent, Http2Connection, Http2Options, Http2Sink, RstStreamEvent } from '../http2/types';
import { SlotKind, SlotWriter } from './slots';

/**
 * Distinct method paths tracked. A capture where every call names a new path (a scanner, a fuzzer) would
 * otherwise make one part per call; past the limit new paths count as unknown (their packets go to `other`)
 * and `methodsOverLimit` says how many calls were affected.
 */
export const MAX_METHODS = 10_000;

/** Streams whose method is remembered per connection (open streams; ended ones are forgotten at once). */
export const DEFAULT_MAX_STREAMS_REMEMBERED = 10_000;

// ---------------------------------------------------------------------------------------------------------
// Per-connection facts, indexed by tcp.stream: 8 bytes + 8 for the last packet number, whatever the capture.

/** What the second pass needs to know about each connection, filled in when the connection ends. */
export class ConnTable {
  /** Client random (hex) of the TLS connections, by tcp.stream: which secrets a part needs. */
  readonly clientRandom = new Map<number, string>();
  /** 0 or 1: which of endpoints[] is the client. */
  clientIndex = new Uint8Array(1024);
  /** 1 when the connection passes the --host/--port (and, outside --by method, --method) filters. */
  keep = new Uint8Array(1024);
  /** Interned set of the methods called on it (MethodRegistry.sets). */
  methodSet = new Int32Array(1024);
  /** Number of the connection's last packet. */
  lastPacket = new Float64Array(1024);
  size = 0;

  ensure(index: number): void {
    if (index < this.size) return;
    let cap = this.clientIndex.length;
    if (index >= cap) {
      while (index >= cap) cap *= 2;
      this.clientIndex = grow(this.clientIndex, new Uint8Array(cap));
      this.keep = grow(this.keep, new Uint8Array(cap));
      this.methodSet = grow(this.methodSet, new Int32Array(cap));
      this.lastPacket = grow(this.lastPacket, new Float64Array(cap));
    }
    this.size = index + 1;
  }
}

function grow<T extends Uint8Array | Int32Array | Float64Array>(old: T, next: T): T {
  next.set(old as never);
  return next;
}

/** Method paths and sets of them, numbered. */
export class MethodRegistry {
  readonly names: string[] = [];
  private readonly ids = new Map<string, number>();
  /** Set 0 is the empty set. */
  readonly sets: number[][] = [[]];
  private readonly setIds = new Map<string, number>([['', 0]]);
  overLimit = 0;

  /** The id of `path`, or -1 past MAX_METHODS. */
  id(path: string): number {
    let id = this.ids.get(path);
    if (id === undefined) {
      if (this.names.length >= MAX_METHODS) {
        this.overLimit++;
        return -1;
      }
      id = this.names.length;
      this.names.push(path);
      this.ids.set(path, id);
    }
    return id;
  }

  setId(methods: Iterable<number>): number {
    const sorted = [...methods].sort((a, b) => a - b);
    const key = sorted.join(',');
    let id = this.setIds.get(key);
    if (id === undefined) {
      id = this.sets.length;
      this.sets.push(sorted);
      this.setIds.set(key, id);
    }
    return id;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Following HTTP/2 framing of one direction to tell boundary packets from frame interiors.

/** DirectionFramer.push result: the chunk must go to every method part. */
export const CHUNK_SHARED = -1;
/** DirectionFramer.push result: the chunk was empty. */
export const CHUNK_EMPTY = 0;
// Any other result is the stream id whose DATA frame payload holds the whole chunk (up to the frame's end).

const enum FramerState {
  START,
  PREFACE,
  HEADER,
  PAYLOAD,
  /** Out of sync for good. */
  LOST,
}

/**
 * Follows frame boundaries of one direction of an HTTP/2 connection (RFC 9113 §4.1), from the first byte.
 * It decodes nothing: for each chunk of bytes delivered by TCP reassembly it says whether the chunk is
 * nothing but DATA payload of one frame (and whose stream), or carries any frame header or other payload.
 * A chunk can only hold payload of one frame: two frames' payloads have the second one's header between.
 */
export class DirectionFramer {
  private state = FramerState.START;
  private prefacePos = 0;
  private readonly hdr = new Uint8Array(FRAME_HEADER_LENGTH);
  private hdrLen = 0;
  private remaining = 0;
  private type = 0;
  private streamId = 0;
  private firstFrame = true;

  /**
   * @param framesFromStart the direction's start was captured (SYN seen) and it is the server's: it may
   *   begin with a frame, which must then be the SETTINGS of the server preface (§3.4). The client's
   *   direction must begin with the client preface.
   */
  constructor(private readonly framesFromStart: boolean) {}

  get inSync(): boolean {
    return this.state !== FramerState.LOST;
  }

  /** Bytes were lost: framing cannot be trusted any more. */
  lose(): void {
    this.state = FramerState.LOST;
  }

  push(b: Uint8Array): number {
    const n = b.length;
    if (n === 0) return CHUNK_EMPTY;
    if (this.state === FramerState.LOST) return CHUNK_SHARED;
    if (this.state === FramerState.START) {
      if (b[0] === CLIENT_PREFACE[0]) this.state = FramerState.PREFACE;
      else if (this.framesFromStart) this.state = FramerState.HEADER;
      else return this.lostNow();
    }
    let p = 0;
    let boundary = false;
    let interiorShared = false;
    let interiorStream = 0;
    while (p < n) {
      switch (this.state) {
        case FramerState.PREFACE: {
          boundary = true;
          while (p < n && this.prefacePos < CLIENT_PREFACE.length) {
            if (b[p] !== CLIENT_PREFACE[this.prefacePos]) return this.lostNow();
            p++;
            this.prefacePos++;
          }
          if (this.prefacePos === CLIENT_PREFACE.length) {
            this.state = FramerState.HEADER;
            this.firstFrame = false;
          }
          break;
        }
        case FramerState.HEADER: {
          boundary = true;
          const take = Math.min(FRAME_HEADER_LENGTH - this.hdrLen, n - p);
          this.hdr.set(b.subarray(p, p + take), this.hdrLen);
          this.hdrLen += take;
          p += take;
          if (this.hdrLen < FRAME_HEADER_LENGTH) break;
          const h = this.hdr;
          this.hdrLen = 0;
          const len = (h[0] << 16) | (h[1] << 8) | h[2];
          this.type = h[3];
          this.streamId = ((h[5] & 0x7f) << 24) | (h[6] << 16) | (h[7] << 8) | h[8];
          if (this.firstFrame) {
            // The server preface is a SETTINGS frame (not an ACK) on stream 0: anything else means this is
            // not the start of an HTTP/2 direction.
            if (this.type !== FrameType.SETTINGS || this.streamId !== 0 || h[4] & FrameFlag.ACK || len % 6 !== 0) {
              return this.lostNow();
            }
            this.firstFrame = false;
          }
          this.remaining = len;
          if (len > 0) this.state = FramerState.PAYLOAD;
          break;
        }
        case FramerState.PAYLOAD: {
          const take = Math.min(this.remaining, n - p);
          this.remaining -= take;
          p += take;
          if (this.type !== FrameType.DATA || this.streamId === 0) interiorShared = true;
          else interiorStream = this.streamId;
          if (this.remaining === 0) this.state = FramerState.HEADER;
          break;
        }
        default:
          return CHUNK_SHARED;
      }
    }
    if (boundary || interiorShared) return CHUNK_SHARED;
    return interiorStream;
  }

  private lostNow(): number {
    this.state = FramerState.LOST;
    return CHUNK_SHARED;
  }
}

// ---------------------------------------------------------------------------------------------------------

interface StreamInfo {
  method: number;
  requestEnded: boolean;
  responseEnded: boolean;
}

/** A connection while it is open. */
class LiveConn {
  /** From the HTTP/2 layer once it recognised the connection; -1 until then. */
  clientIndex = -1;
  readonly methods = new Set<number>();
  readonly streams = new Map<number, StreamInfo>();
  /** A SYN (or SYN-ACK) was seen in this direction: its start was captured. */
  readonly syn: [boolean, boolean] = [false, false];
  readonly framers: [DirectionFramer | null, DirectionFramer | null] = [null, null];
  /** The connection's first bytes were a TLS ClientHello: every packet is needed by each of its parts. */
  tls = false;
  constructor(readonly tcp: TcpConnection) {}
}

export interface AnalyzerOptions {
  /** `--by method`: attribute packets to methods (else only connections and their clients). */
  byMethod: boolean;
  http2: Http2Options;
  assembler: AssemblerOptions;
  /** --host/--port, applied to each connection's client and server. */
  matchConnection(client: string, server: string): boolean;
  /** Outside --by method, --method keeps the connections that carried a matching call. */
  matchMethod?: (path: string) => boolean;
  maxStreamsRemembered?: number;
  /** Secrets for TLS connections (--tls-keylog); the capture's own DSBs are added as they are read. */
  keys?: KeyLog;
}

export interface AnalyzerCounters {
  packets: number;
  tcpPackets: number;
  connections: number;
  /** `--by method`: packets shared because TCP held them out of order. */
  heldShared: number;
  /** `--by method`: directions whose bytes could not be attributed to streams (start not captured, gap…). */
  unsyncedDirections: number;
}

/** A CaptureSink that writes one slot per packet and fills the connection table. */
export class Analyzer implements CaptureSink {
  readonly table = new ConnTable();
  readonly methods = new MethodRegistry();
  readonly counters: AnalyzerCounters = { packets: 0, tcpPackets: 0, connections: 0, heldShared: 0, unsyncedDirections: 0 };
  /** Connections no protocol took, by reason (for the summary). */
  readonly unrecognised: UnrecognisedCounters;
  /** Server ports of the HTTP/2 connections (the summary's "this port carried HTTP/2" hint). */
  readonly http2ServerPorts: ReadonlyMap<number, number>;
  /** TLS connections: decrypted, or why not (the summary says so). */
  readonly tls = newTlsCounters();

  private readonly net = new PacketDecoder();
  private readonly assembler: Assembler;
  private readonly live = new Map<number, LiveConn>();
  private readonly maxStreams: number;
  readonly keys: KeyLog;

  // The packet being processed.
  private cur = 0;
  private curTouched = false;
  private curShared = false;
  private curMethod = -1;

  constructor(
    private readonly slots: SlotWriter,
    private readonly options: AnalyzerOptions,
  ) {
    this.maxStreams = options.maxStreamsRemembered ?? DEFAULT_MAX_STREAMS_REMEMBERED;
    const sink = this.http2Sink();
    const h2 = http2HandlerFactory(sink, options.http2);
    this.http2ServerPorts = h2.counters.serverPorts;
    this.keys = options.keys ?? new KeyLog();
    // The decode's detector: HTTP/2 in the clear, or inside TLS when the keys are known.
    const detect = connectionDetector({ http2: h2, tls: this.tls, keys: this.keys });
    this.unrecognised = detect.counters.unrecognised;
    this.assembler = new Assembler((tcp) => {
      const live = new LiveConn(tcp);
      this.live.set(tcp.index, live);
      this.table.ensure(tcp.index);
      // Until closed() settles them: kept, client by the handshake, no methods.
      this.table.keep[tcp.index] = 1;
      this.table.clientIndex[tcp.index] = guessClient(tcp, options.http2.http2Ports ?? []);
      this.table.methodSet[tcp.index] = 0;
      this.counters.connections++;
      return new SplitHandler(this, live, detect(tcp));
    }, options.assembler);
  }

  packet(p: Packet): void {
    this.counters.packets++;
    const seg = this.net.decode(p);
    if (seg === undefined) {
      this.slots.add(SlotKind.NON_TCP, -1, 0, -1);
      return;
    }
    this.counters.tcpPackets++;
    this.cur = p.number;
    this.curTouched = false;
    this.curShared = false;
    this.curMethod = -1;
    const held = this.assembler.counters.outOfOrderSegments;
    const conn = this.assembler.segment(seg) as TcpConnection;
    const dir = directionOf(conn, seg);
    this.table.ensure(conn.index);
    this.table.lastPacket[conn.index] = p.number;
    if (!this.options.byMethod) {
      this.slots.add(SlotKind.TCP, conn.index, dir, -1);
      return;
    }
    const live = this.live.get(conn.index);
    if (seg.flags & TCP_SYN && live) live.syn[dir] = true;
    let kind: SlotKind;
    if (seg.flags & (TCP_SYN | TCP_FIN | TCP_RST)) kind = SlotKind.SHARED;
    else if (this.curTouched) kind = this.curShared ? SlotKind.SHARED : this.curMethod >= 0 ? SlotKind.METHOD : SlotKind.OTHER;
    else if (seg.payload.length > 0 && this.assembler.counters.outOfOrderSegments !== held) {
      // Held behind a hole: its bytes will be credited to whichever packet fills it.
      this.counters.heldShared++;
      kind = SlotKind.SHARED;
    } else {
      kind = SlotKind.OTHER;
    }
    this.slots.add(kind, conn.index, dir, kind === SlotKind.METHOD ? this.curMethod : -1);
  }

  /** TLS key log lines carried in the capture (DSB). */
  secrets(s: DecryptionSecrets): void {
    if (s.secretsType === DSB_SECRETS_TYPE_TLS) this.keys.addText(Buffer.from(s.data).toString('utf8'), 'in the capture (DSB)');
  }

  /** End of the capture: close every connection (their facts go into the table), flush the slots. */
  finish(): void {
    this.cur = 0;
    this.assembler.flush();
    this.slots.flush();
  }

  // -------------------------------------------------------------------------------------------------------

  /** Bytes of `live`'s direction `dir` delivered on behalf of packet `frame`. */
  delivered(live: LiveConn, dir: Direction, bytes: Uint8Array, frame: number): void {
    if (live.framers[dir] === null && !live.tls) {
      const random = clientHelloRandom(bytes);
      if (random !== null) {
        live.tls = true;
        this.table.clientRandom.set(live.tcp.index, random);
      }
    }
    if (!this.options.byMethod) return;
    if (live.tls) {
      // HTTP/2 frames are inside TLS records: a method part needs every record of the connection.
      if (frame === this.cur) {
        this.curTouched = true;
        this.curShared = true;
      }
      return;
    }
    let framer = live.framers[dir];
    if (framer === null) {
      // endpoints[0] sent the SYN when synSeen: direction 1 is then the server's.
      const serverDir = live.tcp.synSeen && dir === 1;
      framer = live.framers[dir] = new DirectionFramer(serverDir && live.syn[dir]);
    }
    const r = framer.push(bytes);
    // Bytes credited to an earlier packet come from a segment held out of order: it was shared already.
    if (frame !== this.cur) return;
    this.curTouched = true;
    if (r === CHUNK_SHARED) this.curShared = true;
    else if (r !== CHUNK_EMPTY) {
      const method = live.streams.get(r)?.method ?? -1;
      if (method < 0) return; // a stream of unknown method: `other`, unless something else claims the packet
      if (this.curMethod < 0) this.curMethod = method;
      else if (this.curMethod !== method) this.curShared = true;
    }
  }

  lost(live: LiveConn, dir: Direction): void {
    let framer = live.framers[dir];
    if (framer === null) framer = live.framers[dir] = new DirectionFramer(false);
    framer.lose();
  }

  /** The connection is over: settle its client, its methods and whether the filters keep it. */
  closed(live: LiveConn): void {
    const tcp = live.tcp;
    this.live.delete(tcp.index);
    if (this.options.byMethod && live.clientIndex >= 0) {
      for (const f of live.framers) if (f !== null && !f.inSync) this.counters.unsyncedDirections++;
    }
    const clientIndex = live.clientIndex >= 0 ? live.clientIndex : guessClient(tcp, this.options.http2.http2Ports ?? []);
    const [a, b] = tcp.endpoints;
    const client = formatEndpoint(clientIndex === 0 ? a : b);
    const server = formatEndpoint(clientIndex === 0 ? b : a);
    let keep = this.options.matchConnection(client, server);
    if (keep && this.options.matchMethod) {
      const match = this.options.matchMethod;
      keep = [...live.methods].some((m) => match(this.methods.names[m]));
    }
    const t = this.table;
    t.ensure(tcp.index);
    t.clientIndex[tcp.index] = clientIndex;
    t.keep[tcp.index] = keep ? 1 : 0;
    t.methodSet[tcp.index] = this.methods.setId(live.methods);
  }

  private http2Sink(): Http2Sink {
    const streamEnded = (conn: Http2Connection, streamId: number, direction: 'request' | 'response') => {
      const live = this.live.get(conn.tcp.index);
      const s = live?.streams.get(streamId);
      if (!live || !s) return;
      if (direction === 'request') s.requestEnded = true;
      else s.responseEnded = true;
      if (s.requestEnded && s.responseEnded) live.streams.delete(streamId);
    };
    return {
      connection: (conn: Http2Connection) => {
        const live = this.live.get(conn.tcp.index);
        if (live) live.clientIndex = conn.clientIndex;
      },
      // A joined connection's sides, guessed from its ports, corrected by its first header block.
      sidesSettled: (conn: Http2Connection) => {
        const live = this.live.get(conn.tcp.index);
        if (live) live.clientIndex = conn.clientIndex;
      },
      headers: (ev: HeadersEvent) => {
        const live = this.live.get(ev.conn.tcp.index);
        if (!live) return;
        if ((ev.direction === 'request' || ev.promised) && !live.streams.has(ev.streamId)) {
          const path = ev.headers.find((h) => h[0] === ':path')?.[1];
          if (path !== undefined) {
            const id = this.methods.id(path);
            if (id >= 0) {
              live.methods.add(id);
              live.streams.set(ev.streamId, { method: id, requestEnded: Boolean(ev.promised), responseEnded: false });
              if (live.streams.size > this.maxStreams) live.streams.delete(live.streams.keys().next().value as number);
            }
          }
        }
        if (ev.endStream) streamEnded(ev.conn, ev.streamId, ev.direction);
      },
      data: (ev: DataEvent) => {
        if (ev.endStream) streamEnded(ev.conn, ev.streamId, ev.direction);
      },
      rstStream: (ev: RstStreamEvent) => {
        this.live.get(ev.conn.tcp.index)?.streams.delete(ev.streamId);
      },
      connectionClosed: () => {},
    };
  }
}

/** Passes everything to the HTTP/2 layer and tells the analyzer what was delivered. */
class SplitHandler implements ConnectionHandler {
  constructor(
    private readonly analyzer: Analyzer,
    private readonly live: LiveConn,
    private readonly inner: ConnectionHandler,
  ) {}

  data(dir: Direction, bytes: Uint8Array, frame: number, tsSec: number, tsNsec: number): void {
    // The HTTP/2 layer first: a request HEADERS in these bytes names the method of the DATA after it.
    this.inner.data(dir, bytes, frame, tsSec, tsNsec);
    this.analyzer.delivered(this.live, dir, bytes, frame);
  }

  gap(dir: Direction, lost: number, frame: number, tsSec: number, tsNsec: number): void {
    this.inner.gap(dir, lost, frame, tsSec, tsNsec);
    this.analyzer.lost(this.live, dir);
  }

  close(reason: CloseReason): void {
    this.inner.close(reason);
    this.analyzer.closed(this.live);
  }
}

function directionOf(conn: TcpConnection, seg: TcpSegment): Direction {
  const e = conn.endpoints[0];
  return e.addr === seg.src && e.port === seg.srcPort ? 0 : 1;
}

/**
 * The client of a connection that is not HTTP/2 and whose handshake was not captured: the end whose port is
 * not a --http2-port, else the end with the higher port (clients use ephemeral ports, servers low ones).
 */
function guessClient(tcp: TcpConnection, http2Ports: readonly number[]): 0 | 1 {
  if (tcp.synSeen) return 0;
  const [a, b] = tcp.endpoints;
  const aServer = http2Ports.includes(a.port);
  const bServer = http2Ports.includes(b.port);
  if (aServer !== bServer) return aServer ? 1 : 0;
  return a.port < b.port ? 1 : 0;
}
