/**
 * A tiny builder of synthetic captures for the hostile suite and the fuzzers: Ethernet/IPv4/TCP packets
 * (RFC 791, RFC 9293), HTTP/2 frames (RFC 9113 §4.1), HPACK literal fields (RFC 7541 §6.2) and gRPC
 * length-prefixed messages (PROTOCOL-HTTP2.md), written with the project's own PcapngWriter.
 *
 * Deliberately naive: no HPACK dynamic table (every field is a literal without indexing, so a lost block
 * cannot poison later ones), no checksums (grpctk does not check them, nor does Wireshark by default), and a
 * clock that advances 1 µs per packet. Hostile cases are made by writing exactly the bytes a liar would.
 */
import * as fs from 'node:fs';
import { PcapngWriter } from '../../src/pcap/writer';
import { CLIENT_PREFACE, FrameFlag, FrameType as H2 } from '../../src/http2/constants';

export const LINKTYPE_ETHERNET = 1;

/** TCP flag bits (RFC 9293 §3.1). */
export const FIN = 0x01;
export const SYN = 0x02;
export const RST = 0x04;
export const PSH = 0x08;
export const ACK = 0x10;

/** HTTP/2 frame types and flags (RFC 9113 §6), the client preface: the project's own constants. */
export { H2 };
export const END_STREAM = FrameFlag.END_STREAM;
export const ACK_FLAG = FrameFlag.ACK;
export const END_HEADERS = FrameFlag.END_HEADERS;

export const PREFACE = Buffer.from(CLIENT_PREFACE);

/** Largest TCP payload per packet: keeps the IPv4 Total Length (16 bits) honest. */
export const MAX_SEGMENT_BYTES = 60_000;

export function concat(parts: Uint8Array[]): Buffer {
  return Buffer.concat(parts);
}

// ---------------------------------------------------------------------------------------------------------
// HTTP/2, HPACK, gRPC

/** One HTTP/2 frame: 9-byte header (Length 24, Type 8, Flags 8, R 1, Stream Identifier 31) and payload. */
export function frame(type: number, flags: number, streamId: number, payload: Uint8Array = Buffer.alloc(0), lengthOverride?: number): Buffer {
  const out = Buffer.alloc(9 + payload.length);
  const len = lengthOverride ?? payload.length;
  out[0] = (len >>> 16) & 0xff;
  out[1] = (len >>> 8) & 0xff;
  out[2] = len & 0xff;
  out[3] = type;
  out[4] = flags;
  out.writeUInt32BE(streamId & 0x7fffffff, 5);
  out.set(payload, 9);
  return out;
}

/** SETTINGS frame (§6.5) from [identifier, value] pairs. */
export function settings(entries: Array<[number, number]>, ack = false): Buffer {
  const p = Buffer.alloc(entries.length * 6);
  entries.forEach(([id, v], i) => {
    p.writeUInt16BE(id, i * 6);
    p.writeUInt32BE(v >>> 0, i * 6 + 2);
  });
  return frame(H2.SETTINGS, ack ? ACK_FLAG : 0, 0, p);
}

/** HPACK integer with an N-bit prefix (RFC 7541 §5.1); `high` are the bits above the prefix. */
export function hpackInt(value: number, prefixBits: number, high = 0): Buffer {
  const max = (1 << prefixBits) - 1;
  if (value < max) return Buffer.from([high | value]);
  const out = [high | max];
  let v = value - max;
  while (v >= 128) {
    out.push((v % 128) + 128);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return Buffer.from(out);
}

/** A string literal without Huffman coding (§5.2). */
export function hpackString(s: string | Uint8Array): Buffer {
  const b = typeof s === 'string' ? Buffer.from(s, 'latin1') : Buffer.from(s);
  return Buffer.concat([hpackInt(b.length, 7), b]);
}

/** Literal Header Field without Indexing, new name (§6.2.2): leaves the dynamic table alone. */
export function hpackLiteral(name: string, value: string | Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([0x00]), hpackString(name), hpackString(value)]);
}

/** A header block of literal fields. */
export function headerBlock(fields: Array<[string, string]>): Buffer {
  return Buffer.concat(fields.map(([n, v]) => hpackLiteral(n, v)));
}

/** Dynamic Table Size Update (§6.3). */
export function hpackSizeUpdate(size: number): Buffer {
  return hpackInt(size, 5, 0x20);
}

export function grpcRequestHeaders(path: string, extra: Array<[string, string]> = []): Array<[string, string]> {
  return [
    [':method', 'POST'],
    [':scheme', 'http'],
    [':path', path],
    [':authority', 'hostile.test:50051'],
    ['content-type', 'application/grpc'],
    ['te', 'trailers'],
    ...extra,
  ];
}

export const GRPC_RESPONSE_HEADERS: Array<[string, string]> = [[':status', '200'], ['content-type', 'application/grpc']];

export function grpcTrailers(status: number, message?: string): Array<[string, string]> {
  const t: Array<[string, string]> = [['grpc-status', String(status)]];
  if (message !== undefined) t.push(['grpc-message', message]);
  return t;
}

/** A gRPC Length-Prefixed-Message: Compressed-Flag, Message-Length (32-bit big-endian), Message. */
export function grpcMessage(body: Uint8Array, compressed = false, lengthOverride?: number): Buffer {
  const out = Buffer.alloc(5 + body.length);
  out[0] = compressed ? 1 : 0;
  out.writeUInt32BE((lengthOverride ?? body.length) >>> 0, 1);
  out.set(body, 5);
  return out;
}

/** DATA frames of at most 16,384 bytes each (SETTINGS_MAX_FRAME_SIZE's initial value) carrying `bytes`. */
export function dataFrames(streamId: number, bytes: Uint8Array, endStream: boolean): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < bytes.length || out.length === 0; at += 16_384) {
    const piece = bytes.subarray(at, Math.min(bytes.length, at + 16_384));
    const last = at + 16_384 >= bytes.length;
    out.push(frame(H2.DATA, last && endStream ? END_STREAM : 0, streamId, piece));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// protobuf (just enough to write demo messages by hand)

export function varint(n: number | bigint): Buffer {
  let v = BigInt(n);
  if (v < 0n) v += 1n << 64n;
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return Buffer.from(out);
}

/** A length-delimited field (wire type 2). */
export function pbBytes(field: number, body: Uint8Array | string): Buffer {
  const b = typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body);
  return Buffer.concat([varint((field << 3) | 2), varint(b.length), b]);
}

/** A varint field (wire type 0). */
export function pbVarint(field: number, value: number | bigint): Buffer {
  return Buffer.concat([varint((field << 3) | 0), varint(value)]);
}

/** grpctk.demo.DemoRequest { action, text }. */
export function demoRequest(text: string, action = 'ok'): Buffer {
  return Buffer.concat([pbBytes(1, action), pbBytes(2, text)]);
}

/** grpctk.demo.DemoReply { text, seq }. */
export function demoReply(text: string, seq = 1): Buffer {
  return Buffer.concat([pbBytes(1, text), pbVarint(2, seq)]);
}

// ---------------------------------------------------------------------------------------------------------
// Ethernet, IPv4, TCP

export interface Endpoint {
  ip: [number, number, number, number];
  port: number;
}

const MAC_A = [0x02, 0, 0, 0, 0, 0x0a];
const MAC_B = [0x02, 0, 0, 0, 0, 0x0b];

/** An Ethernet II frame holding an IPv4 datagram holding a TCP segment (no options). */
export function ethIpv4Tcp(
  src: Endpoint,
  dst: Endpoint,
  seq: number,
  ack: number,
  flags: number,
  payload: Uint8Array,
  window = 65_535,
): Buffer {
  const ipLen = 20 + 20 + payload.length;
  const out = Buffer.alloc(14 + ipLen);
  out.set(MAC_B, 0);
  out.set(MAC_A, 6);
  out.writeUInt16BE(0x0800, 12);
  const ip = 14;
  out[ip] = 0x45; // Version 4, IHL 5
  out.writeUInt16BE(ipLen & 0xffff, ip + 2);
  out[ip + 6] = 0x40; // Don't Fragment
  out[ip + 8] = 64; // TTL
  out[ip + 9] = 6; // TCP
  out.set(src.ip, ip + 12);
  out.set(dst.ip, ip + 16);
  out.writeUInt16BE(ipv4Checksum(out.subarray(ip, ip + 20)), ip + 10);
  const t = ip + 20;
  out.writeUInt16BE(src.port, t);
  out.writeUInt16BE(dst.port, t + 2);
  out.writeUInt32BE(seq >>> 0, t + 4);
  out.writeUInt32BE(ack >>> 0, t + 8);
  out[t + 12] = 5 << 4; // Data Offset 5
  out[t + 13] = flags;
  out.writeUInt16BE(window, t + 14);
  out.set(payload, t + 20);
  return out;
}

function ipv4Checksum(h: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < h.length; i += 2) sum += (h[i] << 8) | h[i + 1];
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

// ---------------------------------------------------------------------------------------------------------
// The capture

/**
 * A pcapng capture being written: to memory (`bytes()`), or straight to a file for the large cases
 * (`toFile`), so generating 100,000 connections never holds them all at once.
 */
export class Capture {
  private readonly writer: PcapngWriter;
  private readonly iface: number;
  private readonly chunks: Uint8Array[] = [];
  private fd: number | undefined;
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  /** Capture clock: seconds and nanoseconds; 1 µs per packet unless `advance()` says otherwise. */
  tsSec = 1_700_000_000;
  tsNsec = 0;
  packets = 0;

  constructor(toFile?: string) {
    if (toFile !== undefined) this.fd = fs.openSync(toFile, 'w');
    this.writer = new PcapngWriter((b) => this.out(b), { userAppl: 'grpctk hostile suite' });
    this.iface = this.writer.addInterface({ linkType: LINKTYPE_ETHERNET, snapLen: 262_144 });
  }

  private out(b: Uint8Array): void {
    if (this.fd === undefined) {
      this.chunks.push(b);
      return;
    }
    this.pending.push(b);
    this.pendingBytes += b.length;
    if (this.pendingBytes >= 1 << 20) this.flushFile();
  }

  private flushFile(): void {
    if (this.fd === undefined || this.pending.length === 0) return;
    fs.writeSync(this.fd, Buffer.concat(this.pending));
    this.pending = [];
    this.pendingBytes = 0;
  }

  advance(seconds: number): void {
    const total = this.tsNsec + Math.round(seconds * 1e9);
    this.tsSec += Math.floor(total / 1e9);
    this.tsNsec = total % 1e9;
  }

  packet(data: Uint8Array): void {
    this.advance(1e-6);
    this.packets++;
    this.writer.writePacket(this.iface, { tsSec: this.tsSec, tsNsec: this.tsNsec, originalLength: data.length, data });
  }

  /** The whole capture (in-memory captures only). */
  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }

  /** Finish a file capture. */
  close(): void {
    this.flushFile();
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }
}

/**
 * One TCP connection: a client and a server endpoint with their sequence numbers. `handshake()` writes
 * SYN, SYN-ACK, ACK; `send()` writes bytes in segments of at most MAX_SEGMENT_BYTES; `close()` FINs.
 */
export class Connection {
  /** Next sequence number of each side. */
  clientSeq: number;
  serverSeq: number;

  constructor(
    readonly capture: Capture,
    readonly client: Endpoint,
    readonly server: Endpoint,
    clientIsn = 1000,
    serverIsn = 5000,
  ) {
    this.clientSeq = clientIsn >>> 0;
    this.serverSeq = serverIsn >>> 0;
  }

  handshake(): this {
    this.capture.packet(ethIpv4Tcp(this.client, this.server, this.clientSeq, 0, SYN, Buffer.alloc(0)));
    this.clientSeq = (this.clientSeq + 1) >>> 0;
    this.capture.packet(ethIpv4Tcp(this.server, this.client, this.serverSeq, this.clientSeq, SYN | ACK, Buffer.alloc(0)));
    this.serverSeq = (this.serverSeq + 1) >>> 0;
    this.capture.packet(ethIpv4Tcp(this.client, this.server, this.clientSeq, this.serverSeq, ACK, Buffer.alloc(0)));
    return this;
  }

  /** Send `bytes` from the client ('c') or the server ('s'); segment size at most `segment`. */
  send(side: 'c' | 's', bytes: Uint8Array, segment = MAX_SEGMENT_BYTES): this {
    for (let at = 0; at < bytes.length; at += segment) {
      const piece = bytes.subarray(at, Math.min(bytes.length, at + segment));
      if (side === 'c') {
        this.capture.packet(ethIpv4Tcp(this.client, this.server, this.clientSeq, this.serverSeq, PSH | ACK, piece));
        this.clientSeq = (this.clientSeq + piece.length) >>> 0;
      } else {
        this.capture.packet(ethIpv4Tcp(this.server, this.client, this.serverSeq, this.clientSeq, PSH | ACK, piece));
        this.serverSeq = (this.serverSeq + piece.length) >>> 0;
      }
    }
    return this;
  }

  close(): this {
    this.capture.packet(ethIpv4Tcp(this.client, this.server, this.clientSeq, this.serverSeq, FIN | ACK, Buffer.alloc(0)));
    this.clientSeq = (this.clientSeq + 1) >>> 0;
    this.capture.packet(ethIpv4Tcp(this.server, this.client, this.serverSeq, this.clientSeq, FIN | ACK, Buffer.alloc(0)));
    this.serverSeq = (this.serverSeq + 1) >>> 0;
    this.capture.packet(ethIpv4Tcp(this.client, this.server, this.clientSeq, this.serverSeq, ACK, Buffer.alloc(0)));
    return this;
  }
}

export const CLIENT: Endpoint = { ip: [10, 0, 0, 1], port: 40_000 };
export const SERVER: Endpoint = { ip: [10, 0, 0, 2], port: 50_051 };

/** The HTTP/2 connection start: the client's preface and SETTINGS, the server's SETTINGS, both ACKs. */
export function h2Start(c: Connection): void {
  c.send('c', Buffer.concat([PREFACE, settings([[0x2, 0], [0x4, 4_194_304]])]));
  c.send('s', Buffer.concat([settings([[0x3, 100]]), settings([], true)]));
  c.send('c', settings([], true));
}

/** A complete unary call on `streamId`: request, reply, trailers with grpc-status 0. */
export function goodCall(c: Connection, streamId: number, text: string, method = '/grpctk.demo.Demo/Unary'): void {
  c.send('c', Buffer.concat([
    frame(H2.HEADERS, END_HEADERS, streamId, headerBlock(grpcRequestHeaders(method))),
    ...dataFrames(streamId, grpcMessage(demoRequest(text)), true),
  ]));
  c.send('s', Buffer.concat([
    frame(H2.HEADERS, END_HEADERS, streamId, headerBlock(GRPC_RESPONSE_HEADERS)),
    ...dataFrames(streamId, grpcMessage(demoReply(`reply to ${text}`)), false),
    frame(H2.HEADERS, END_HEADERS | END_STREAM, streamId, headerBlock(grpcTrailers(0))),
  ]));
}
