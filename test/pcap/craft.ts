/**
 * Captures built by hand, byte by byte, in either byte order: independent of src/pcap/writer.ts so the reader
 * is checked against the specification, not against our own writer.
 */
import { CaptureReader, CaptureReaderOptions } from '../../src/pcap/reader';
import type {
  CaptureInterface,
  CaptureSection,
  DecryptionSecrets,
  InterfaceStatistics,
  Packet,
} from '../../src/pcap/types';

export type Opt = [code: number, value: Uint8Array | string];

export function cat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function bytes(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

export function u8(...v: number[]): Uint8Array {
  return Uint8Array.from(v);
}

/** A little writer of fixed-size integers in one byte order. */
export class Bin {
  private parts: number[] = [];
  constructor(readonly le: boolean) {}
  u8(v: number): this {
    this.parts.push(v & 0xff);
    return this;
  }
  u16(v: number): this {
    const b = [v & 0xff, (v >>> 8) & 0xff];
    this.parts.push(...(this.le ? b : b.reverse()));
    return this;
  }
  u32(v: number): this {
    const b = [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
    this.parts.push(...(this.le ? b : b.reverse()));
    return this;
  }
  u64(v: bigint): this {
    const b: number[] = [];
    for (let i = 0n; i < 8n; i++) b.push(Number((BigInt.asUintN(64, v) >> (8n * i)) & 0xffn));
    this.parts.push(...(this.le ? b : b.reverse()));
    return this;
  }
  raw(v: Uint8Array): this {
    this.parts.push(...v);
    return this;
  }
  pad(): this {
    while (this.parts.length % 4 !== 0) this.parts.push(0);
    return this;
  }
  done(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

/** Options with padding to 32 bits and opt_endofopt (section 3.5). */
export function options(le: boolean, opts: Opt[]): Uint8Array {
  if (opts.length === 0) return new Uint8Array(0);
  const b = new Bin(le);
  for (const [code, v] of opts) {
    const value = typeof v === 'string' ? bytes(v) : v;
    b.u16(code).u16(value.length).raw(value).pad();
  }
  b.u16(0).u16(0);
  return b.done();
}

/** Type, total length, body, total length (section 3.1). */
export function block(le: boolean, type: number, body: Uint8Array): Uint8Array {
  const total = 12 + body.length;
  return new Bin(le).u32(type).u32(total).raw(body).u32(total).done();
}

export function shb(le: boolean, opts: Opt[] = []): Uint8Array {
  const body = new Bin(le).u32(0x1a2b3c4d).u16(1).u16(0).u64(-1n).raw(options(le, opts)).done();
  return block(le, 0x0a0d0d0a, body);
}

export function idb(le: boolean, linkType: number, snapLen: number, opts: Opt[] = []): Uint8Array {
  return block(le, 1, new Bin(le).u16(linkType).u16(0).u32(snapLen).raw(options(le, opts)).done());
}

export function epb(
  le: boolean,
  iface: number,
  ticks: bigint,
  data: Uint8Array,
  origLen = data.length,
  opts: Opt[] = [],
): Uint8Array {
  const body = new Bin(le)
    .u32(iface)
    .u32(Number(ticks >> 32n))
    .u32(Number(ticks & 0xffffffffn))
    .u32(data.length)
    .u32(origLen)
    .raw(data)
    .pad()
    .raw(options(le, opts))
    .done();
  return block(le, 6, body);
}

export function spb(le: boolean, origLen: number, data: Uint8Array): Uint8Array {
  return block(le, 3, new Bin(le).u32(origLen).raw(data).pad().done());
}

/** Obsolete Packet Block (Appendix A). */
export function pb(le: boolean, iface: number, drops: number, ticks: bigint, data: Uint8Array, opts: Opt[] = []): Uint8Array {
  const body = new Bin(le)
    .u16(iface)
    .u16(drops)
    .u32(Number(ticks >> 32n))
    .u32(Number(ticks & 0xffffffffn))
    .u32(data.length)
    .u32(data.length)
    .raw(data)
    .pad()
    .raw(options(le, opts))
    .done();
  return block(le, 2, body);
}

export function nrb(le: boolean, records: [type: number, value: Uint8Array][]): Uint8Array {
  const b = new Bin(le);
  for (const [type, value] of records) b.u16(type).u16(value.length).raw(value).pad();
  b.u16(0).u16(0);
  return block(le, 4, b.done());
}

export function isb(le: boolean, iface: number, ticks: bigint, opts: Opt[] = []): Uint8Array {
  const body = new Bin(le)
    .u32(iface)
    .u32(Number(ticks >> 32n))
    .u32(Number(ticks & 0xffffffffn))
    .raw(options(le, opts))
    .done();
  return block(le, 5, body);
}

export function dsb(le: boolean, secretsType: number, data: Uint8Array): Uint8Array {
  return block(le, 0x0a, new Bin(le).u32(secretsType).u32(data.length).raw(data).pad().done());
}

export function customBlock(le: boolean, type: number, pen: number, data: Uint8Array): Uint8Array {
  return block(le, type, new Bin(le).u32(pen).raw(data).pad().done());
}

export function u64opt(le: boolean, v: bigint): Uint8Array {
  return new Bin(le).u64(v).done();
}

export function u32opt(le: boolean, v: number): Uint8Array {
  return new Bin(le).u32(v).done();
}

/** A pcap file (draft-ietf-opsawg-pcap): µs or ns magic, written in either byte order. */
export function pcapFile(
  le: boolean,
  nanos: boolean,
  linkType: number,
  snapLen: number,
  records: { sec: number; frac: number; data: Uint8Array; origLen?: number }[],
): Uint8Array {
  const b = new Bin(le)
    .u32(nanos ? 0xa1b23c4d : 0xa1b2c3d4)
    .u16(2)
    .u16(4)
    .u32(0)
    .u32(0)
    .u32(snapLen)
    .u32(linkType);
  for (const r of records) {
    b.u32(r.sec).u32(r.frac).u32(r.data.length).u32(r.origLen ?? r.data.length).raw(r.data);
  }
  return b.done();
}

/** Everything a reader reported, with packet data copied so it can be compared after the call. */
export interface Collected {
  sections: CaptureSection[];
  interfaces: CaptureInterface[];
  packets: (Omit<Packet, 'data'> & { data: Uint8Array })[];
  statistics: InterfaceStatistics[];
  secrets: DecryptionSecrets[];
  names: { type: number; address: Uint8Array; names: string[] }[][];
  error?: Error;
}

export function collector(): { sink: Required<import('../../src/pcap/types').CaptureSink>; got: Collected } {
  const got: Collected = { sections: [], interfaces: [], packets: [], statistics: [], secrets: [], names: [] };
  return {
    got,
    sink: {
      section: (s) => void got.sections.push(s),
      interface: (i) => void got.interfaces.push(i),
      // A plain Uint8Array copy, whether the reader was fed Buffers or not.
      packet: (p) => void got.packets.push({ ...p, data: Uint8Array.prototype.slice.call(p.data) }),
      statistics: (s) => void got.statistics.push(s),
      secrets: (s) => void got.secrets.push(s),
      names: (e) => void got.names.push(e),
    },
  };
}

/**
 * Reads `file` pushed in pieces (`splits` are the cut offsets); the error thrown by push or end, if any, is
 * kept in `error`.
 */
export function readAll(file: Uint8Array, splits: number[] = [], options?: CaptureReaderOptions): Collected {
  file = new Uint8Array(file.buffer, file.byteOffset, file.length);
  const { sink, got } = collector();
  const reader = new CaptureReader(sink, options);
  try {
    let at = 0;
    for (const cut of [...splits, file.length]) {
      // Each piece in a buffer of its own, as a stream would hand them out.
      reader.push(file.slice(at, cut));
      at = cut;
    }
    reader.end();
  } catch (err) {
    got.error = err as Error;
  }
  return got;
}

/** A nanosecond timestamp as the reader reports it. */
export function time(p: { tsSec: number; tsNsec: number }): string {
  return `${p.tsSec}.${String(p.tsNsec).padStart(9, '0')}`;
}
