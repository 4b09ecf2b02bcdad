/** Test helpers: frame builders, an hpack.js-based header encoder, a recording sink, a fake TCP connection. */
import hpackjs from 'hpack.js';
import type { TcpConnection } from '../../src/tcp/types';
import type { Http2Connection, Http2Direction, Http2Sink } from '../../src/http2/types';

export function hex(s: string): Uint8Array {
  return Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
}

export const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/** Encode header lists with one hpack.js compressor (shared dynamic table), one block per list. */
export function encodeBlocks(
  lists: Array<Array<[string, string]>>,
  opts: { huffman?: boolean; incremental?: boolean; tableSize?: number } = {},
): Uint8Array[] {
  const comp = hpackjs.compressor.create({ table: { maxSize: opts.tableSize ?? 4096 } });
  return lists.map((list) => {
    comp.write(list.map(([name, value]) => ({ name, value, huffman: opts.huffman, incremental: opts.incremental })));
    const out = comp.read();
    return out === null ? new Uint8Array(0) : Uint8Array.from(out);
  });
}

/** An HTTP/2 header encoder for a direction: keeps its table across calls. */
export class Encoder {
  private comp = hpackjs.compressor.create({ table: { maxSize: 4096 } });
  encode(list: Array<[string, string]>): Uint8Array {
    this.comp.write(list.map(([name, value]) => ({ name, value })));
    const out = this.comp.read();
    return out === null ? new Uint8Array(0) : Uint8Array.from(out);
  }
}

export function frame(type: number, flags: number, streamId: number, payload: Uint8Array | number[] = []): Uint8Array {
  const p = payload instanceof Uint8Array ? payload : Uint8Array.from(payload);
  const out = new Uint8Array(9 + p.length);
  out[0] = (p.length >>> 16) & 0xff;
  out[1] = (p.length >>> 8) & 0xff;
  out[2] = p.length & 0xff;
  out[3] = type;
  out[4] = flags;
  out[5] = (streamId >>> 24) & 0x7f;
  out[6] = (streamId >>> 16) & 0xff;
  out[7] = (streamId >>> 8) & 0xff;
  out[8] = streamId & 0xff;
  out.set(p, 9);
  return out;
}

export function u32(n: number): number[] {
  return [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
}

export function settings(entries: Array<[number, number]>, ack = false): Uint8Array {
  const p: number[] = [];
  for (const [id, v] of entries) p.push((id >> 8) & 0xff, id & 0xff, ...u32(v));
  return frame(0x4, ack ? 0x1 : 0, 0, p);
}

export function concat(...parts: Array<Uint8Array | Buffer>): Uint8Array {
  return Uint8Array.from(Buffer.concat(parts));
}

export function tcpConn(opts: Partial<TcpConnection> & { clientPort?: number; serverPort?: number } = {}): TcpConnection {
  return {
    index: 0,
    endpoints: opts.endpoints ?? [
      { addr: '10.0.0.1', port: opts.clientPort ?? 40000 },
      { addr: '10.0.0.2', port: opts.serverPort ?? 50051 },
    ],
    synSeen: opts.synSeen ?? true,
    firstFrame: 1,
    firstTsSec: 0,
    firstTsNsec: 0,
  };
}

/** Events as plain, comparable records (no `conn`, data copied to strings). */
export type Rec =
  | { ev: 'connection'; client: string; server: string }
  | { ev: 'headers'; dir: Http2Direction; frame: number; streamId: number; headers: Array<[string, string]>; endStream: boolean; hpackError?: string; promised?: boolean }
  | { ev: 'data'; dir: Http2Direction; frame: number; streamId: number; data: string; endStream: boolean }
  | { ev: 'rst'; dir: Http2Direction; streamId: number; errorName: string; errorCode: number }
  | { ev: 'goaway'; dir: Http2Direction; lastStreamId: number; errorName: string; debugData: string }
  | { ev: 'gap'; dir: Http2Direction; lost: number; streamId?: number }
  | { ev: 'closed' };

export class RecordingSink implements Http2Sink {
  recs: Rec[] = [];
  frames: Array<{ dir: Http2Direction; typeName: string; flags: number; streamId: number; length: number; frame: number }> = [];
  conns: Http2Connection[] = [];
  withFrames = true;
  connection(conn: Http2Connection): void {
    this.conns.push(conn);
    this.recs.push({ ev: 'connection', client: conn.client, server: conn.server });
  }
  frame: Http2Sink['frame'] = (ev) => {
    if (this.withFrames) {
      this.frames.push({ dir: ev.direction, typeName: ev.typeName, flags: ev.flags, streamId: ev.streamId, length: ev.length, frame: ev.frame });
    }
  };
  headers: Http2Sink['headers'] = (ev) => {
    const r: Rec = { ev: 'headers', dir: ev.direction, frame: ev.frame, streamId: ev.streamId, headers: ev.headers, endStream: ev.endStream };
    if (ev.hpackError !== undefined) r.hpackError = ev.hpackError;
    if (ev.promised) r.promised = true;
    this.recs.push(r);
  };
  data: Http2Sink['data'] = (ev) => {
    this.recs.push({ ev: 'data', dir: ev.direction, frame: ev.frame, streamId: ev.streamId, data: Buffer.from(ev.data).toString('latin1'), endStream: ev.endStream });
  };
  rstStream: Http2Sink['rstStream'] = (ev) => {
    this.recs.push({ ev: 'rst', dir: ev.direction, streamId: ev.streamId, errorName: ev.errorName, errorCode: ev.errorCode });
  };
  goaway: Http2Sink['goaway'] = (ev) => {
    this.recs.push({ ev: 'goaway', dir: ev.direction, lastStreamId: ev.lastStreamId, errorName: ev.errorName, debugData: ev.debugData });
  };
  gap: Http2Sink['gap'] = (_conn, direction, lost, streamId) => {
    this.recs.push(streamId === undefined ? { ev: 'gap', dir: direction, lost } : { ev: 'gap', dir: direction, lost, streamId });
  };
  connectionClosed(): void {
    this.recs.push({ ev: 'closed' });
  }
  of<K extends Rec['ev']>(ev: K): Array<Extract<Rec, { ev: K }>> {
    return this.recs.filter((r): r is Extract<Rec, { ev: K }> => r.ev === ev);
  }
}
