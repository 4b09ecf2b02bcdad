/** Builders of raw frames (link, IP, TCP headers) for the decoder tests. */
import type { Packet } from '../../src/pcap/types';

export function concat(...parts: (Uint8Array | number[])[]): Uint8Array {
  const arrays = parts.map((p) => (p instanceof Uint8Array ? p : Uint8Array.from(p)));
  const out = new Uint8Array(arrays.reduce((n, a) => n + a.length, 0));
  let o = 0;
  for (const a of arrays) {
    out.set(a, o);
    o += a.length;
  }
  return out;
}

const u16 = (v: number) => [(v >> 8) & 0xff, v & 0xff];
const u32 = (v: number) => [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];

export interface TcpSpec {
  sp?: number;
  dp?: number;
  seq?: number;
  ack?: number;
  flags?: number;
  window?: number;
  /** Option bytes (padded to a multiple of 4 here). */
  options?: number[];
  payload?: Uint8Array | string;
  /** Data Offset to write instead of the real one (for lying headers). */
  dataOffset?: number;
}

export function tcp(s: TcpSpec = {}): Uint8Array {
  const opts = [...(s.options ?? [])];
  while (opts.length % 4) opts.push(0);
  const payload = typeof s.payload === 'string' ? new TextEncoder().encode(s.payload) : (s.payload ?? new Uint8Array(0));
  const off = s.dataOffset ?? 5 + opts.length / 4;
  const flags = s.flags ?? 0x18;
  return concat(
    u16(s.sp ?? 40000),
    u16(s.dp ?? 50051),
    u32(s.seq ?? 1000),
    u32(s.ack ?? 2000),
    [(off << 4) | ((flags >> 8) & 1), flags & 0xff],
    u16(s.window ?? 512),
    [0, 0, 0, 0],
    opts,
    payload,
  );
}

export interface Ipv4Spec {
  src?: number[];
  dst?: number[];
  proto?: number;
  options?: number[];
  id?: number;
  /** More Fragments flag and offset in bytes (a multiple of 8). */
  mf?: boolean;
  fragOffset?: number;
  /** Total Length to write instead of the real one. */
  totalLength?: number;
  /** IHL to write instead of the real one. */
  ihl?: number;
}

export function ipv4(payload: Uint8Array, s: Ipv4Spec = {}): Uint8Array {
  const opts = s.options ?? [];
  const hlen = 20 + opts.length;
  const frag = ((s.mf ? 0x2000 : 0) | ((s.fragOffset ?? 0) / 8)) & 0xffff;
  return concat(
    [0x40 | (s.ihl ?? hlen / 4), 0],
    u16(s.totalLength ?? hlen + payload.length),
    u16(s.id ?? 1),
    u16(frag),
    [64, s.proto ?? 6, 0, 0],
    s.src ?? [192, 0, 2, 1],
    s.dst ?? [192, 0, 2, 2],
    opts,
    payload,
  );
}

/** 16 bytes from 8 groups. */
export function v6(...groups: number[]): number[] {
  return groups.flatMap((g) => u16(g));
}

export interface Ipv6Spec {
  src?: number[];
  dst?: number[];
  next?: number;
  payloadLength?: number;
}

export function ipv6(payload: Uint8Array, s: Ipv6Spec = {}): Uint8Array {
  return concat(
    [0x60, 0, 0, 0],
    u16(s.payloadLength ?? payload.length),
    [s.next ?? 6, 64],
    s.src ?? v6(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1),
    s.dst ?? v6(0x2001, 0xdb8, 0, 0, 0, 0, 0, 2),
    payload,
  );
}

/** An IPv6 extension header in 8-octet units (hop-by-hop, routing, destination options). */
export function ext8(next: number, body: number[]): number[] {
  const b = [...body];
  while ((b.length + 2) % 8) b.push(0);
  return [next, (b.length + 2) / 8 - 1, ...b];
}

/** An Authentication Header (RFC 4302): 12 bytes of fixed fields plus a 12-byte ICV. */
export function ah(next: number): number[] {
  const len = 24;
  return [next, len / 4 - 2, 0, 0, ...u32(0x1234), ...u32(1), ...new Array(12).fill(0xaa)];
}

export function fragHeader(next: number, offset: number, more: boolean, id: number): number[] {
  return [next, 0, ...u16((offset / 8) << 3 | (more ? 1 : 0)), ...u32(id)];
}

/** Ethernet: destination, source, then per tag its TPID and TCI, then the EtherType. */
export function ether(type: number, payload: Uint8Array, vlans: { tpid: number; vid: number }[] = []): Uint8Array {
  const tags = vlans.flatMap((v) => [...u16(v.tpid), ...u16(v.vid)]);
  return concat([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2], tags, u16(type), payload);
}

export function sll(proto: number, payload: Uint8Array): Uint8Array {
  return concat(u16(0), u16(772), u16(6), [0, 0, 0, 0, 0, 0, 0, 0], u16(proto), payload);
}

export function sll2(proto: number, payload: Uint8Array): Uint8Array {
  return concat(u16(proto), u16(0), u32(1), u16(772), [0, 6], [0, 0, 0, 0, 0, 0, 0, 0], payload);
}

export function bsdNull(af: number, payload: Uint8Array, littleEndian: boolean): Uint8Array {
  const b = littleEndian ? [af & 0xff, (af >> 8) & 0xff, 0, 0] : u32(af);
  return concat(b, payload);
}

let frameNo = 0;

export function packet(linkType: number, data: Uint8Array, extra: Partial<Packet> = {}): Packet {
  return {
    number: ++frameNo,
    interfaceId: 0,
    linkType,
    tsSec: 1700000000,
    tsNsec: 0,
    capturedLength: data.length,
    originalLength: data.length,
    data,
    ...extra,
  };
}
