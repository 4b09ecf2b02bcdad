/**
 * Synthetic captures for the split tests: Ethernet/IPv4/TCP packets carrying real HTTP/2 (preface,
 * SETTINGS, HEADERS with literal HPACK fields, DATA with gRPC length prefixes), written with grpctk's own
 * pcapng writer. They let a test choose what the samples cannot: thousands of connections, hostile method
 * names, non-TCP packets, packet comments, unusual interface options.
 */
import * as fs from 'fs';
import { PcapngWriter } from '../../src/pcap/writer';
import type { WriterInterface } from '../../src/pcap/writer-api';

export interface SynthPacket {
  tsSec: number;
  tsNsec: number;
  data: Uint8Array;
  comments?: string[];
  /** Index into the capture's interfaces (default 0). */
  iface?: number;
}

const LINKTYPE_ETHERNET = 1;

export function ipBytes(ip: string): number[] {
  return ip.split('.').map(Number);
}

/** An Ethernet + IPv4 + TCP packet (checksums left zero: grpctk does not check them). */
export function tcpPacket(src: string, sport: number, dst: string, dport: number, seq: number, ack: number, flags: number, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const b = new Uint8Array(14 + 20 + 20 + payload.length);
  const dv = new DataView(b.buffer);
  b.set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 0);
  dv.setUint16(12, 0x0800);
  b[14] = 0x45;
  dv.setUint16(16, 20 + 20 + payload.length);
  b[22] = 64;
  b[23] = 6;
  b.set(ipBytes(src), 26);
  b.set(ipBytes(dst), 30);
  dv.setUint16(34, sport);
  dv.setUint16(36, dport);
  dv.setUint32(38, seq >>> 0);
  dv.setUint32(42, ack >>> 0);
  b[46] = 5 << 4;
  b[47] = flags;
  dv.setUint16(48, 65535);
  b.set(payload, 54);
  return b;
}

/** An Ethernet + IPv4 + UDP packet. */
export function udpPacket(src: string, sport: number, dst: string, dport: number, payload: Uint8Array): Uint8Array {
  const b = new Uint8Array(14 + 20 + 8 + payload.length);
  const dv = new DataView(b.buffer);
  dv.setUint16(12, 0x0800);
  b[14] = 0x45;
  dv.setUint16(16, 20 + 8 + payload.length);
  b[22] = 64;
  b[23] = 17;
  b.set(ipBytes(src), 26);
  b.set(ipBytes(dst), 30);
  dv.setUint16(34, sport);
  dv.setUint16(36, dport);
  dv.setUint16(38, 8 + payload.length);
  b.set(payload, 42);
  return b;
}

export const FIN = 0x01;
export const SYN = 0x02;
export const PSH = 0x08;
export const ACK = 0x10;

// --- HTTP/2 -------------------------------------------------------------------------------------------------

export const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

export function frame(type: number, flags: number, sid: number, payload: Uint8Array = new Uint8Array(0)): Buffer {
  const h = Buffer.alloc(9);
  h.writeUIntBE(payload.length, 0, 3);
  h[3] = type;
  h[4] = flags;
  h.writeUInt32BE(sid, 5);
  return Buffer.concat([h, payload]);
}

function hpackInt(value: number, prefixBits: number, first: number): number[] {
  const max = (1 << prefixBits) - 1;
  if (value < max) return [first | value];
  const out = [first | max];
  value -= max;
  while (value >= 128) {
    out.push((value % 128) + 128);
    value = Math.floor(value / 128);
  }
  out.push(value);
  return out;
}

/** A header block of literal fields without indexing (RFC 7541 §6.2.2), no Huffman. */
export function headerBlock(fields: [string, string][]): Buffer {
  const parts: number[] = [];
  for (const [n, v] of fields) {
    const nb = Buffer.from(n, 'utf8');
    const vb = Buffer.from(v, 'utf8');
    parts.push(0x00, ...hpackInt(nb.length, 7, 0), ...nb, ...hpackInt(vb.length, 7, 0), ...vb);
  }
  return Buffer.from(parts);
}

export function grpcMessage(body: Uint8Array): Buffer {
  const p = Buffer.alloc(5);
  p.writeUInt32BE(body.length, 1);
  return Buffer.concat([p, body]);
}

/** DATA frames of at most `maxFrame` bytes carrying `bytes`; END_STREAM on the last when asked. */
export function dataFrames(sid: number, bytes: Uint8Array, endStream: boolean, maxFrame = 16384): Buffer {
  const out: Buffer[] = [];
  for (let off = 0; off < bytes.length || out.length === 0; off += maxFrame) {
    const chunk = bytes.subarray(off, Math.min(bytes.length, off + maxFrame));
    const last = off + maxFrame >= bytes.length;
    out.push(frame(0, last && endStream ? 1 : 0, sid, chunk));
  }
  return Buffer.concat(out);
}

export interface CallSpec {
  method: string;
  request: Uint8Array;
  response: Uint8Array;
}

/** One TCP connection's packets, in order, with a clock that advances 1 µs per packet. */
export class SynthConnection {
  readonly packets: SynthPacket[] = [];
  private cseq: number;
  private sseq: number;
  private sid = 1;

  constructor(
    readonly client: string,
    readonly cport: number,
    readonly server: string,
    readonly sport: number,
    private readonly clock: { sec: number; nsec: number },
    private readonly mss = 1448,
  ) {
    this.cseq = (cport * 7919) >>> 0;
    this.sseq = (cport * 104729) >>> 0;
  }

  private tick(): [number, number] {
    this.clock.nsec += 1000;
    if (this.clock.nsec >= 1e9) {
      this.clock.sec++;
      this.clock.nsec -= 1e9;
    }
    return [this.clock.sec, this.clock.nsec];
  }

  private push(fromClient: boolean, flags: number, payload: Uint8Array = new Uint8Array(0)): void {
    const [s, n] = this.tick();
    const data = fromClient
      ? tcpPacket(this.client, this.cport, this.server, this.sport, this.cseq, this.sseq, flags, payload)
      : tcpPacket(this.server, this.sport, this.client, this.cport, this.sseq, this.cseq, flags, payload);
    this.packets.push({ tsSec: s, tsNsec: n, data });
    const adv = payload.length + (flags & (SYN | FIN) ? 1 : 0);
    if (fromClient) this.cseq = (this.cseq + adv) >>> 0;
    else this.sseq = (this.sseq + adv) >>> 0;
  }

  /** Bytes sent by one side, cut into segments of at most mss bytes. */
  send(fromClient: boolean, bytes: Uint8Array): void {
    for (let off = 0; off < bytes.length; off += this.mss) {
      this.push(fromClient, PSH | ACK, bytes.subarray(off, Math.min(bytes.length, off + this.mss)));
    }
  }

  handshake(): this {
    this.push(true, SYN);
    this.push(false, SYN | ACK);
    this.push(true, ACK);
    return this;
  }

  prefaces(): this {
    this.send(true, Buffer.concat([PREFACE, frame(4, 0, 0)]));
    this.send(false, Buffer.concat([frame(4, 0, 0), frame(4, 1, 0)]));
    this.send(true, frame(4, 1, 0));
    return this;
  }

  /** Request HEADERS + DATA, then response HEADERS + DATA + trailers, each side in one write. */
  call(c: CallSpec): this {
    const sid = this.sid;
    this.sid += 2;
    const req = headerBlock([
      [':method', 'POST'],
      [':scheme', 'http'],
      [':path', c.method],
      [':authority', `${this.server}:${this.sport}`],
      ['content-type', 'application/grpc'],
      ['te', 'trailers'],
    ]);
    this.send(true, Buffer.concat([frame(1, 4, sid, req), dataFrames(sid, grpcMessage(c.request), true)]));
    this.push(false, ACK);
    const resp = headerBlock([[':status', '200'], ['content-type', 'application/grpc']]);
    const trailers = headerBlock([['grpc-status', '0']]);
    this.send(false, Buffer.concat([frame(1, 4, sid, resp), dataFrames(sid, grpcMessage(c.response), false), frame(1, 5, sid, trailers)]));
    this.push(true, ACK);
    return this;
  }

  close(): this {
    this.push(true, FIN | ACK);
    this.push(false, FIN | ACK);
    this.push(true, ACK);
    return this;
  }
}

export const ETHERNET_IFACE: WriterInterface = {
  linkType: LINKTYPE_ETHERNET,
  snapLen: 262144,
  name: 'eth0',
  tsResolBase: 10,
  tsResolExp: 9,
};

/** Writes packets (in the order given) as pcapng, with these interfaces. */
export function writeCapture(path: string, packets: SynthPacket[], interfaces: WriterInterface[] = [ETHERNET_IFACE]): void {
  const chunks: Uint8Array[] = [];
  const w = new PcapngWriter((b) => chunks.push(b), { userAppl: 'grpctk split tests' });
  const ids = interfaces.map((i) => w.addInterface(i));
  for (const p of packets) {
    w.writePacket(ids[p.iface ?? 0], {
      tsSec: p.tsSec,
      tsNsec: p.tsNsec,
      originalLength: p.data.length,
      data: p.data,
      comments: p.comments,
    });
  }
  fs.writeFileSync(path, Buffer.concat(chunks));
}

/** Deterministic bytes of length n. */
export function bytesOf(n: number, seed = 1): Uint8Array {
  const b = new Uint8Array(n);
  let x = seed * 2654435761;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}
