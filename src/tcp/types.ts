/**
 * The contract of TCP reassembly (model: gopacket's tcpassembly).
 *
 * The assembler is fed TCP segments in capture order. For each TCP conversation it asks a factory for one
 * handler, then calls `data()` with each direction's bytes in sequence order, exactly once per byte.
 * Missing bytes are data, not exceptions: `gap()` says how many bytes were given up (-1 when unknown,
 * e.g. the connection's start was not captured), then delivery resumes after them.
 */
import type { TlsInfo } from '../records/types';

export interface Endpoint {
  addr: string;
  port: number;
}

/** `ip:port`, IPv6 in brackets: `[::1]:50051`. */
export function formatEndpoint(e: Endpoint): string {
  return e.addr.includes(':') ? `[${e.addr}]:${e.port}` : `${e.addr}:${e.port}`;
}

/** Direction 0 carries bytes sent by `endpoints[0]`, direction 1 those sent by `endpoints[1]`. */
export type Direction = 0 | 1;

export interface TcpConnection {
  /** Wireshark's `tcp.stream`: every TCP conversation from 0 in order of its first packet. */
  index: number;
  /**
   * endpoints[0] sent the SYN (without ACK) when it was captured; otherwise it sent the first packet seen
   * (`synSeen` false), and the layer above settles who is the client.
   */
  endpoints: [Endpoint, Endpoint];
  synSeen: boolean;
  firstFrame: number;
  firstTsSec: number;
  firstTsNsec: number;
  /** Set on the connection a TLS layer hands its plaintext to (ConnectionSecurity). */
  security?: ConnectionSecurity;
}

/**
 * What a layer between TCP and the application protocol says about the connection it hands on: the TLS
 * layer (../tls/) sets it on the connection of its plaintext, so call records can say how they were carried.
 */
export interface ConnectionSecurity {
  /**
   * For call records, which share it: replaced by a new object (never changed in place) as the handshake
   * is read (ALPN may come after the first calls start).
   */
  tls: Readonly<TlsInfo>;
  /**
   * Why the bytes of the latest gap() were lost when it was not a TCP gap (a TLS record that failed
   * authentication), for the calls' errors; null for a TCP gap.
   */
  lossReason: string | null;
}

export type CloseReason = 'fin' | 'rst' | 'idle' | 'evicted' | 'end';

export interface ConnectionHandler {
  /**
   * Bytes of one direction, in order. `frame`, `tsSec`, `tsNsec` are those of the packet whose arrival made
   * the bytes deliverable (the packet carrying them, or the one that filled the hole before them).
   * `bytes` is a zero-copy view valid only during the call.
   */
  data(dir: Direction, bytes: Uint8Array, frame: number, tsSec: number, tsNsec: number): void;
  /** `lost` bytes of `dir` were given up (-1: unknown how many). Later data() resumes after them. */
  gap(dir: Direction, lost: number, frame: number, tsSec: number, tsNsec: number): void;
  /** The connection is over (FIN both ways or RST, idle, evicted by the connection limit, end of capture). */
  close(reason: CloseReason): void;
}

export type HandlerFactory = (conn: TcpConnection) => ConnectionHandler;

/**
 * Limits. Each is named and documented where the assembler declares its defaults, with what happens when
 * it is reached.
 */
export interface AssemblerOptions {
  /** Out-of-order bytes buffered per direction before the oldest gap is given up. */
  maxBufferedBytesPerDirection?: number;
  /** Out-of-order bytes buffered over all connections before gaps are given up, oldest first. */
  maxBufferedBytesTotal?: number;
  /** Connections tracked at once; past it the least recently active one is closed ('evicted'). */
  maxConnections?: number;
  /** Capture-time seconds a gap may wait for its missing segment before it is given up. */
  gapTimeoutSec?: number;
  /** Capture-time seconds of silence after which a connection is closed ('idle'). 0: never. */
  idleTimeoutSec?: number;
}

export interface AssemblerCounters {
  connections: number;
  segments: number;
  retransmittedBytes: number;
  outOfOrderSegments: number;
  gaps: number;
  bytesLost: number;
  evictedConnections: number;
}
