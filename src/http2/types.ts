/**
 * The contract of the HTTP/2 layer (RFC 9113, HPACK RFC 7541).
 *
 * `Http2ConnectionHandler` (a tcp ConnectionHandler) turns each TCP connection's two byte streams into frames,
 * decodes header blocks with one HPACK decoder per direction, and pushes stream-level events to an
 * `Http2Sink`. Directions here are HTTP/2 roles: 'request' flows client → server, 'response' server → client.
 */
import type { TcpConnection } from '../tcp/types';

export type Http2Direction = 'request' | 'response';

/** Where an event happened: the packet that completed the frame. */
export interface FrameOrigin {
  conn: Http2Connection;
  direction: Http2Direction;
  /** Packet number (frame.number) and timestamp of the packet that completed the HTTP/2 frame. */
  frame: number;
  tsSec: number;
  tsNsec: number;
}

export interface Http2Connection {
  tcp: TcpConnection;
  /** Index into tcp.endpoints of the client (settled by the preface, the SYN, or --http2-port). */
  clientIndex: 0 | 1;
  /** `ip:port` strings (IPv6 in brackets). */
  client: string;
  server: string;
  /**
   * The capture joined the connection midway (its start was not captured): calls begun before the join,
   * header fields from the peers' earlier HPACK state.
   */
  joined?: boolean;
  /**
   * Which side is the client was guessed from the port numbers (a joined connection whose bytes so far held
   * no header block that shows its sender's role). Cleared when one does (`Http2Sink.sidesSettled`).
   */
  sidesGuessed?: boolean;
}

/** A header field as decoded; `value` is a string (latin1/UTF-8 as sent). */
export type HeaderField = [name: string, value: string];

/**
 * A field of a header block that refers to a dynamic table entry inserted before the capture saw the
 * direction (it joined the connection midway, or a header block was lost): its name (and, for an indexed
 * field, its value) cannot be known. `ref` names the entry stably: every block that uses the same entry has
 * the same ref, however many insertions came between (RFC 7541 §2.3.3: indices count from the newest).
 */
export interface UnknownField {
  /** `epoch.k`: the entry that was k-th newest when the table's state was last lost (epoch 1: the join). */
  ref: string;
  /** Position among the block's fields (an index into `headers` where it would have been). */
  at: number;
  /** The value, when only the name came from the unknown entry (a literal with an indexed name). */
  value?: string;
}

export interface HeadersEvent extends FrameOrigin {
  streamId: number;
  headers: HeaderField[];
  endStream: boolean;
  /**
   * Set when HPACK decoding failed (e.g. a dynamic-table entry indexed before the capture started): the
   * fields decoded before the failure are in `headers`; the reason is here.
   */
  hpackError?: string;
  /** Fields that refer to dynamic table entries from before the join, in block order (see UnknownField). */
  unknown?: UnknownField[];
  /** True for PUSH_PROMISE request headers. */
  promised?: boolean;
}

export interface DataEvent extends FrameOrigin {
  streamId: number;
  /** Zero-copy view without padding, valid only during the call. */
  data: Uint8Array;
  endStream: boolean;
}

export interface RstStreamEvent extends FrameOrigin {
  streamId: number;
  errorCode: number;
  /** RFC 9113 §7 name, e.g. CANCEL. */
  errorName: string;
}

export interface GoawayEvent extends FrameOrigin {
  lastStreamId: number;
  errorCode: number;
  errorName: string;
  debugData: string;
}

/** One frame, for `--frames` records and `split --by method`. */
export interface FrameEvent extends FrameOrigin {
  type: number;
  /** RFC 9113 §6 name, e.g. HEADERS; `UNKNOWN(0xNN)` for others. */
  typeName: string;
  flags: number;
  streamId: number;
  length: number;
}

export interface Http2Sink {
  /** A connection has been recognised as HTTP/2 (preface seen or forced by port). */
  connection?(conn: Http2Connection): void;
  frame?(ev: FrameEvent): void;
  /**
   * False when `frame` is there but has nothing to do (frame records not asked for): the layer then makes
   * no FrameEvent at all, one object per frame saved. Absent means true.
   */
  readonly wantsFrames?: boolean;
  headers(ev: HeadersEvent): void;
  data(ev: DataEvent): void;
  rstStream(ev: RstStreamEvent): void;
  goaway?(ev: GoawayEvent): void;
  /**
   * Bytes lost in one direction (TCP gap, or bytes skipped to resynchronise on a frame boundary).
   * `streamId` is given when framing was kept and the bytes were all payload of that stream's frame (not
   * a header block): the loss concerns that stream alone. Absent, it may concern every stream.
   */
  gap?(conn: Http2Connection, direction: Http2Direction, lostBytes: number, streamId?: number): void;
  /**
   * The guess of which side is the client (`sidesGuessed`) is settled by a header block. `swapped`: it was
   * wrong; from now on events carry the corrected directions, and `client`/`server` are swapped (events
   * before had them reversed).
   */
  sidesSettled?(conn: Http2Connection, swapped: boolean): void;
  /** The TCP connection is over; streams still open are incomplete. */
  connectionClosed(conn: Http2Connection): void;
}

export interface Http2Options {
  /** Treat connections to these server ports as HTTP/2 even without a captured preface. */
  http2Ports?: number[];
  /** Open streams tracked per connection; past it the oldest is dropped and counted. */
  maxStreamsPerConnection?: number;
  /** Largest header block (HEADERS + CONTINUATIONs) kept; a larger one is skipped and reported. */
  maxHeaderBlockBytes?: number;
  /** Largest frame payload accepted (bytes); a larger length is taken as a loss of framing. */
  maxFrameSize?: number;
  /** Largest HPACK dynamic table (bytes) a peer may set; larger updates are clamped and reported. */
  maxHeaderTableSize?: number;
}

export interface Http2Counters {
  connections: number;
  /** Connections whose start was not captured (found by their frame run or --http2-port). */
  joinedConnections: number;
  frames: number;
  hpackErrors: number;
  bytesSkipped: number;
  droppedStreams: number;
  /**
   * Server ports of the connections taken as HTTP/2, with connection counts (at most MAX_PORTS_PER_REASON
   * ports): the summary's "this port carried HTTP/2" hint (../detect/unrecognised.ts).
   */
  serverPorts: Map<number, number>;
}
