/** Crafted TCP segments and a handler that records what the assembler tells it. */
import type { Packet } from '../../src/pcap/types';
import type { TcpSegment } from '../../src/net/types';
import type { CloseReason, ConnectionHandler, Direction, TcpConnection } from '../../src/tcp/types';

export const FIN = 0x01;
export const SYN = 0x02;
export const RST = 0x04;
export const PSH = 0x08;
export const ACK = 0x10;

export interface SegSpec {
  src?: string;
  dst?: string;
  sp?: number;
  dp?: number;
  seq: number;
  ack?: number;
  flags?: number;
  data?: string | Uint8Array;
  frame?: number;
  /** Capture time in seconds (fractions become nanoseconds). */
  t?: number;
  truncated?: boolean;
}

let autoFrame = 0;

/** A segment from 10.0.0.1:1111 (the client by default) to 10.0.0.2:80 unless told otherwise. */
export function seg(s: SegSpec): TcpSegment {
  const payload = typeof s.data === 'string' ? new TextEncoder().encode(s.data) : (s.data ?? new Uint8Array(0));
  const t = s.t ?? 0;
  const packet: Packet = {
    number: s.frame ?? ++autoFrame,
    interfaceId: 0,
    linkType: 1,
    tsSec: Math.floor(t),
    tsNsec: Math.round((t - Math.floor(t)) * 1e9),
    capturedLength: payload.length + 54,
    originalLength: payload.length + 54,
    data: payload,
  };
  return {
    packet,
    ipVersion: 4,
    src: s.src ?? '10.0.0.1',
    dst: s.dst ?? '10.0.0.2',
    srcPort: s.sp ?? 1111,
    dstPort: s.dp ?? 80,
    seq: s.seq >>> 0,
    ack: (s.ack ?? 0) >>> 0,
    flags: s.flags ?? (payload.length > 0 ? ACK | PSH : ACK),
    window: 65535,
    payload,
    truncated: s.truncated ?? false,
  };
}

/** The same segment sent the other way (server to client). */
export function rev(s: SegSpec): TcpSegment {
  return seg({ ...s, src: s.src ?? '10.0.0.2', dst: s.dst ?? '10.0.0.1', sp: s.sp ?? 80, dp: s.dp ?? 1111 });
}

export type Event =
  | { conn: number; ev: 'data'; dir: Direction; text: string; frame: number }
  | { conn: number; ev: 'gap'; dir: Direction; lost: number; frame: number }
  | { conn: number; ev: 'close'; reason: CloseReason };

/** Records every call, and each direction's text with gaps shown as `[gap N]`. */
export class Recorder {
  events: Event[] = [];
  conns: TcpConnection[] = [];
  /** Views handed to data(), to check zero-copy delivery. */
  views: Uint8Array[] = [];

  factory = (conn: TcpConnection): ConnectionHandler => {
    this.conns.push(conn);
    const id = conn.index;
    return {
      data: (dir, bytes, frame) => {
        this.views.push(bytes);
        this.events.push({ conn: id, ev: 'data', dir, text: new TextDecoder().decode(bytes), frame });
      },
      gap: (dir, lost, frame) => {
        this.events.push({ conn: id, ev: 'gap', dir, lost, frame });
      },
      close: (reason) => {
        this.events.push({ conn: id, ev: 'close', reason });
      },
    };
  };

  /** What the handler of `conn` saw in `dir`: data concatenated, gaps as `[gap N]`. */
  stream(conn: number, dir: Direction): string {
    let out = '';
    for (const e of this.events) {
      if (e.conn !== conn || e.ev === 'close' || e.dir !== dir) continue;
      out += e.ev === 'data' ? e.text : `[gap ${e.lost}]`;
    }
    return out;
  }

  closes(conn: number): CloseReason[] {
    const out: CloseReason[] = [];
    for (const e of this.events) if (e.conn === conn && e.ev === 'close') out.push(e.reason);
    return out;
  }
}
