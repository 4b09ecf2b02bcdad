/**
 * Structure-aware mutation of captures: the list (bit flips, truncation, lengths set to 0, 1,
 * 0x7FFFFFFF, duplicated and dropped blocks) applied to the framing grpctk parses at every layer: pcapng
 * blocks (draft-ietf-opsawg-pcapng §3.1) and pcap records (draft-ietf-opsawg-pcap §5) first, then the
 * IPv4/TCP headers and the TCP payload (HTTP/2 frame lengths, gRPC length prefixes) inside packets.
 *
 * Every function is a pure function of its input and the Rng: same seed, same bytes.
 */
import { Rng } from './rng';

/** A span of the file: a pcapng block, or the pcap file header / one pcap record. */
export interface Block {
  offset: number;
  length: number;
}

export interface CaptureLayout {
  format: 'pcap' | 'pcapng' | 'unknown';
  littleEndian: boolean;
  blocks: Block[];
}

const SHB = 0x0a0d0d0a;
const EPB = 0x00000006;

/** The block (or record) boundaries of a well-formed capture; stops at the first one that does not fit. */
export function layout(bytes: Uint8Array): CaptureLayout {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const blocks: Block[] = [];
  if (bytes.length < 24) return { format: 'unknown', littleEndian: true, blocks };
  const magicBE = dv.getUint32(0, false);
  if (magicBE === SHB) {
    const le = dv.getUint32(8, true) === 0x1a2b3c4d;
    let off = 0;
    while (off + 12 <= bytes.length) {
      const len = dv.getUint32(off + 4, le);
      if (len < 12 || off + len > bytes.length) break;
      blocks.push({ offset: off, length: len });
      off += len;
    }
    return { format: 'pcapng', littleEndian: le, blocks };
  }
  const magicLE = dv.getUint32(0, true);
  const pcapMagics = [0xa1b2c3d4, 0xa1b23c4d];
  const le = pcapMagics.includes(magicLE);
  if (!le && !pcapMagics.includes(magicBE)) return { format: 'unknown', littleEndian: true, blocks };
  blocks.push({ offset: 0, length: 24 });
  let off = 24;
  while (off + 16 <= bytes.length) {
    const caplen = dv.getUint32(off + 8, le);
    if (off + 16 + caplen > bytes.length) break;
    blocks.push({ offset: off, length: 16 + caplen });
    off += 16 + caplen;
  }
  return { format: 'pcap', littleEndian: le, blocks };
}

/** Where the packet data of a block starts (EPB or pcap record), or -1. */
function packetDataOffset(bytes: Uint8Array, lay: CaptureLayout, b: Block): number {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (lay.format === 'pcap') return b.offset === 0 ? -1 : b.offset + 16;
  if (lay.format === 'pcapng' && dv.getUint32(b.offset, lay.littleEndian) === EPB) return b.offset + 28;
  return -1;
}

/**
 * Offsets of the interesting header fields of a packet: IP total length, TCP data offset, and the start of
 * the TCP payload (where HTTP/2 frame headers and gRPC prefixes tend to sit). Ethernet, Linux SLL and SLL2
 * (the link types of the samples); returns null for anything else.
 */
export function packetFields(bytes: Uint8Array, start: number, end: number): { ipLength: number; tcpOffset: number; payload: number } | null {
  const d = bytes;
  let ip = -1;
  let etherType = -1;
  // Guess the link type from the shape: Ethernet has its EtherType at 12, SLL at 14, SLL2 at 0.
  for (const [typeAt, ipAt] of [[12, 14], [14, 16], [0, 20]]) {
    if (start + ipAt + 40 > end) continue;
    const t = (d[start + typeAt] << 8) | d[start + typeAt + 1];
    const v = d[start + ipAt] >> 4;
    if ((t === 0x0800 && v === 4) || (t === 0x86dd && v === 6)) {
      ip = start + ipAt;
      etherType = t;
      break;
    }
  }
  if (ip < 0) return null;
  let tcp: number;
  let ipLength: number;
  if (etherType === 0x0800) {
    ipLength = ip + 2;
    tcp = ip + (d[ip] & 0x0f) * 4;
    if (d[ip + 9] !== 6) return null;
  } else {
    ipLength = ip + 4;
    tcp = ip + 40;
    if (d[ip + 6] !== 6) return null;
  }
  if (tcp + 20 > end) return null;
  const payload = tcp + (d[tcp + 12] >> 4) * 4;
  return { ipLength, tcpOffset: tcp + 12, payload: Math.min(payload, end) };
}

/** The values the issue asks every length to be set to, and a few neighbours of the truth. */
const LYING_U32 = [0, 1, 2, 3, 4, 5, 8, 12, 0x7fffffff, 0xffffffff, 0x80000000, 0xfffffff0, 0x10000, 0xffff];

export interface MutationResult {
  bytes: Uint8Array;
  /** What was done, e.g. "flip bit 3 of byte 1234; drop block 17": enough to understand a crash. */
  steps: string[];
}

type Mutator = (b: Uint8Array, lay: CaptureLayout, rng: Rng) => { bytes: Uint8Array; step: string } | null;

function setU32(b: Uint8Array, at: number, v: number, le: boolean): void {
  new DataView(b.buffer, b.byteOffset, b.byteLength).setUint32(at, v >>> 0, le);
}

function pickBlock(lay: CaptureLayout, rng: Rng, skipFirst = false): Block | null {
  const from = skipFirst ? 1 : 0;
  if (lay.blocks.length <= from) return null;
  return lay.blocks[rng.range(from, lay.blocks.length - 1)];
}

/** Packet blocks with a TCP payload, for the mutators that aim inside packets. */
function pickTcpPacket(b: Uint8Array, lay: CaptureLayout, rng: Rng): { block: Block; f: NonNullable<ReturnType<typeof packetFields>>; end: number } | null {
  for (let tries = 0; tries < 16; tries++) {
    const block = pickBlock(lay, rng, true);
    if (!block) return null;
    const data = packetDataOffset(b, lay, block);
    if (data < 0) continue;
    const end = block.offset + block.length - (lay.format === 'pcapng' ? 4 : 0);
    const f = packetFields(b, data, end);
    if (f) return { block, f, end };
  }
  return null;
}

const MUTATORS: Array<[name: string, weight: number, fn: Mutator]> = [
  ['flip', 3, (b, _lay, rng) => {
    const out = Uint8Array.from(b);
    const n = rng.range(1, 8);
    const where: number[] = [];
    for (let i = 0; i < n; i++) {
      const at = rng.int(out.length);
      out[at] ^= 1 << rng.int(8);
      where.push(at);
    }
    return { bytes: out, step: `flip ${n} bit(s) at ${where.join(',')}` };
  }],
  ['flip-header', 3, (b, lay, rng) => {
    const block = pickBlock(lay, rng);
    if (!block) return null;
    const out = Uint8Array.from(b);
    const at = block.offset + rng.int(Math.min(block.length, 32));
    out[at] ^= 1 << rng.int(8);
    return { bytes: out, step: `flip a bit in the header of block at ${block.offset} (byte ${at})` };
  }],
  ['truncate', 2, (b, _lay, rng) => {
    const at = rng.int(b.length);
    return { bytes: b.subarray(0, at), step: `truncate at ${at}` };
  }],
  ['truncate-boundary', 2, (b, lay, rng) => {
    const block = pickBlock(lay, rng);
    if (!block) return null;
    const at = Math.max(0, Math.min(b.length, block.offset + rng.pick([0, 1, 4, 8, 12, block.length - 4, block.length - 1, block.length])));
    return { bytes: b.subarray(0, at), step: `truncate at ${at} (block at ${block.offset})` };
  }],
  ['block-length', 3, (b, lay, rng) => {
    const block = pickBlock(lay, rng);
    if (!block || lay.format === 'unknown') return null;
    const out = Uint8Array.from(b);
    const v = rng.bool(0.8) ? rng.pick(LYING_U32) : block.length + rng.range(-8, 8);
    let field: number;
    let what: string;
    if (lay.format === 'pcapng') {
      const choice = rng.int(4);
      field = [block.offset + 4, block.offset + block.length - 4, block.offset + 20, block.offset + 24][choice];
      what = ['Block Total Length', 'trailing Block Total Length', 'Captured Packet Length', 'Original Packet Length'][choice];
    } else if (block.offset === 0) {
      field = 16;
      what = 'SnapLen';
    } else {
      const choice = rng.int(2);
      field = block.offset + 8 + 4 * choice;
      what = ['incl_len', 'orig_len'][choice];
    }
    if (field + 4 > out.length) return null;
    setU32(out, field, v, lay.littleEndian);
    return { bytes: out, step: `${what} of block at ${block.offset} set to ${v}` };
  }],
  ['option-length', 1, (b, lay, rng) => {
    // pcapng options follow the fixed part; aim at any 16-bit length-looking field in the block's tail.
    const block = pickBlock(lay, rng);
    if (!block || lay.format !== 'pcapng' || block.length < 20) return null;
    const out = Uint8Array.from(b);
    const at = block.offset + 8 + 2 * rng.int((block.length - 12) / 2);
    const v = rng.pick([0, 1, 0xffff, 0x7fff, 4, 8]);
    new DataView(out.buffer).setUint16(at, v, lay.littleEndian);
    return { bytes: out, step: `16-bit field at ${at} set to ${v}` };
  }],
  ['dup', 2, (b, lay, rng) => {
    const block = pickBlock(lay, rng);
    if (!block) return null;
    const copy = b.subarray(block.offset, block.offset + block.length);
    const dst = rng.bool() ? block.offset + block.length : rng.pick(lay.blocks).offset;
    const times = rng.pick([1, 1, 1, 2, 16]);
    const parts = [b.subarray(0, dst)];
    for (let i = 0; i < times; i++) parts.push(copy);
    parts.push(b.subarray(dst));
    return { bytes: Buffer.concat(parts), step: `duplicate block at ${block.offset} ×${times} at ${dst}` };
  }],
  ['drop', 2, (b, lay, rng) => {
    const block = pickBlock(lay, rng, rng.bool(0.8));
    if (!block) return null;
    return {
      bytes: Buffer.concat([b.subarray(0, block.offset), b.subarray(block.offset + block.length)]),
      step: `drop block at ${block.offset}`,
    };
  }],
  ['swap', 1, (b, lay, rng) => {
    if (lay.blocks.length < 3) return null;
    const i = rng.range(1, lay.blocks.length - 2);
    const x = lay.blocks[i];
    const y = lay.blocks[i + 1];
    return {
      bytes: Buffer.concat([
        b.subarray(0, x.offset),
        b.subarray(y.offset, y.offset + y.length),
        b.subarray(x.offset, x.offset + x.length),
        b.subarray(y.offset + y.length),
      ]),
      step: `swap blocks at ${x.offset} and ${y.offset}`,
    };
  }],
  ['insert-random', 1, (b, lay, rng) => {
    const at = rng.bool() && lay.blocks.length > 0 ? rng.pick(lay.blocks).offset : rng.int(b.length + 1);
    const junk = rng.bytes(rng.pick([1, 4, 12, 28, 100, 2000]));
    return { bytes: Buffer.concat([b.subarray(0, at), junk, b.subarray(at)]), step: `insert ${junk.length} random bytes at ${at}` };
  }],
  ['ip-length', 2, (b, lay, rng) => {
    const p = pickTcpPacket(b, lay, rng);
    if (!p) return null;
    const out = Uint8Array.from(b);
    const v = rng.pick([0, 1, 20, 39, 40, 0xffff, 0x7fff]);
    new DataView(out.buffer).setUint16(p.f.ipLength, v, false);
    return { bytes: out, step: `IP length at ${p.f.ipLength} set to ${v}` };
  }],
  ['tcp-offset', 1, (b, lay, rng) => {
    const p = pickTcpPacket(b, lay, rng);
    if (!p) return null;
    const out = Uint8Array.from(b);
    const v = rng.pick([0, 1, 4, 15]);
    out[p.f.tcpOffset] = (v << 4) | (out[p.f.tcpOffset] & 0x0f);
    return { bytes: out, step: `TCP Data Offset at ${p.f.tcpOffset} set to ${v}` };
  }],
  ['payload-length', 6, (b, lay, rng) => {
    // Lengths inside the TCP payload: an HTTP/2 frame length (24 bits at a frame start) or a gRPC
    // Message-Length (32 bits after the Compressed-Flag). Aim at the payload start or a random spot.
    const p = pickTcpPacket(b, lay, rng);
    if (!p || p.end - p.f.payload < 4) return null;
    const out = Uint8Array.from(b);
    const span = p.end - p.f.payload;
    const at = p.f.payload + (rng.bool(0.5) ? rng.pick([0, 1, 9, 10, 14]) % (span - 3) : rng.int(span - 3));
    const v = rng.pick(LYING_U32);
    if (rng.bool()) {
      out[at] = (v >>> 16) & 0xff;
      out[at + 1] = (v >>> 8) & 0xff;
      out[at + 2] = v & 0xff;
      return { bytes: out, step: `24-bit length at ${at} set to ${v & 0xffffff}` };
    }
    new DataView(out.buffer).setUint32(at, v >>> 0, false);
    return { bytes: out, step: `32-bit length at ${at} set to ${v}` };
  }],
  ['payload-flip', 4, (b, lay, rng) => {
    const p = pickTcpPacket(b, lay, rng);
    if (!p || p.end <= p.f.payload) return null;
    const out = Uint8Array.from(b);
    const n = rng.range(1, 4);
    const where: number[] = [];
    for (let i = 0; i < n; i++) {
      const at = rng.range(p.f.payload, p.end - 1);
      out[at] = rng.bool(0.3) ? rng.pick([0, 0xff, 0x80, 0x7f]) : out[at] ^ (1 << rng.int(8));
      where.push(at);
    }
    return { bytes: out, step: `change payload byte(s) at ${where.join(',')}` };
  }],
  ['tcp-seq', 1, (b, lay, rng) => {
    const p = pickTcpPacket(b, lay, rng);
    if (!p) return null;
    const out = Uint8Array.from(b);
    const seqAt = p.f.tcpOffset - 8;
    const dv = new DataView(out.buffer);
    const v = rng.bool() ? rng.pick([0, 0xffffffff, 0x7fffffff]) : (dv.getUint32(seqAt, false) + rng.range(-70000, 70000)) >>> 0;
    dv.setUint32(seqAt, v, false);
    return { bytes: out, step: `TCP sequence number at ${seqAt} set to ${v}` };
  }],
];

const TOTAL_WEIGHT = MUTATORS.reduce((n, [, w]) => n + w, 0);

function pickMutator(rng: Rng): [string, Mutator] {
  let r = rng.int(TOTAL_WEIGHT);
  for (const [name, w, fn] of MUTATORS) {
    if (r < w) return [name, fn];
    r -= w;
  }
  const last = MUTATORS[MUTATORS.length - 1];
  return [last[0], last[2]];
}

/** 1 to 4 stacked mutations of `sample`. */
export function mutateCapture(sample: Uint8Array, rng: Rng): MutationResult {
  let bytes = sample;
  const steps: string[] = [];
  const n = rng.pick([1, 1, 1, 2, 2, 3, 4]);
  for (let i = 0; i < n; i++) {
    const lay = layout(bytes);
    for (let tries = 0; tries < 8; tries++) {
      const [name, fn] = pickMutator(rng);
      const r = fn(bytes, lay, rng);
      if (r) {
        bytes = r.bytes;
        steps.push(`${name}: ${r.step}`);
        break;
      }
    }
  }
  return { bytes, steps };
}
