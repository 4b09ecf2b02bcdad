/**
 * Target "pcapng": capture files generated block by block (fast-check), in either byte order: Section
 * Header Blocks of other versions and section lengths, Interface Description Blocks with every link type
 * grpctk knows and some it does not, if_tsresol and if_tsoffset at their extremes, Enhanced/Simple/obsolete
 * Packet Blocks whose captured lengths lie, Name Resolution, Interface Statistics, Decryption Secrets and
 * custom blocks, unknown block types, options whose lengths lie, trailing lengths that disagree; and pcap
 * files with every magic, odd link types and record lengths that lie. Packet data is real Ethernet/IPv4/
 * TCP/HTTP/2 (a gRPC call cut into packets) or noise.
 *
 * Checked: the core's contract (only InputError; records valid) and that the outcome does not depend on
 * how the bytes are cut into pushes: whole and in random pieces, the same records and the same error.
 */
import fc from 'fast-check';
import { Capture, CLIENT, Connection, goodCall, h2Start, SERVER } from '../../../hostile/build';
import { rarely, type ValueOf } from '../arbs';
import { decodeCore, FuzzFailure } from '../core';
import { mix, Rng } from '../rng';
import type { FuzzInput, Target } from '../target';

let pool: Buffer[] | undefined;

/** Packet data of one gRPC call (handshake, preface, request, reply, trailers, FINs). */
function packets(): Buffer[] {
  if (pool) return pool;
  const out: Buffer[] = [];
  const fake = { packet: (d: Uint8Array) => out.push(Buffer.from(d)) } as unknown as Capture;
  const c = new Connection(fake, CLIENT, SERVER).handshake();
  h2Start(c);
  goodCall(c, 1, 'hello');
  goodCall(c, 3, 'x'.repeat(3000));
  c.close();
  pool = out;
  return pool;
}

const u32 = fc.oneof(fc.constantFrom(0, 1, 4, 12, 28, 0x7fffffff, 0xffffffff, 65_535, 262_144), fc.nat());
const lie = rarely(u32, 40);

interface BlockSpec {
  type: number;
  body: Buffer;
  totalLie: number | null;
  trailerLie: number | null;
}

function u32le(v: number, le: boolean): Buffer {
  const b = Buffer.alloc(4);
  if (le) b.writeUInt32LE(v >>> 0);
  else b.writeUInt32BE(v >>> 0);
  return b;
}

function u16(v: number, le: boolean): Buffer {
  const b = Buffer.alloc(2);
  if (le) b.writeUInt16LE(v & 0xffff);
  else b.writeUInt16BE(v & 0xffff);
  return b;
}

function pad4(b: Buffer): Buffer {
  return b.length % 4 === 0 ? b : Buffer.concat([b, Buffer.alloc(4 - (b.length % 4))]);
}

const optionArb = fc.record({
  code: fc.oneof(fc.constantFrom(0, 1, 2, 3, 4, 9, 14, 2988, 2989, 0xffff), fc.nat({ max: 0xffff })),
  value: fc.oneof(
    fc.uint8Array({ maxLength: 20 }),
    fc.constantFrom(Uint8Array.of(9), Uint8Array.of(6), Uint8Array.of(0x80 | 63), Uint8Array.of(255), Uint8Array.of(0), new Uint8Array(8).fill(0xff)),
  ),
  lengthLie: rarely(fc.constantFrom(0, 1, 0xffff, 100), 20),
});

function options(list: Array<ValueOf<typeof optionArb>>, le: boolean, end: boolean): Buffer {
  const parts: Buffer[] = [];
  for (const o of list) parts.push(u16(o.code, le), u16(o.lengthLie ?? o.value.length, le), pad4(Buffer.from(o.value)));
  if (end) parts.push(Buffer.alloc(4));
  return Buffer.concat(parts);
}

const packetData = fc.oneof(
  { weight: 4, arbitrary: fc.nat().map((k) => ({ real: k })) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((b) => ({ noise: Buffer.from(b) })) },
);

/** One pcapng block body (without type and lengths), for a section of byte order `le`. */
const blockArb = (le: boolean): fc.Arbitrary<BlockSpec> => {
  const data = (d: { real: number } | { noise: Buffer }): Buffer => ('real' in d ? packets()[d.real % packets().length] : d.noise);
  const block = <T>(arb: fc.Arbitrary<T>, make: (v: T) => { type: number; body: Buffer }) =>
    fc.tuple(arb, lie, rarely(u32, 60)).map(([v, totalLie, trailerLie]) => ({ ...make(v), totalLie, trailerLie }));
  return fc.oneof(
    // SHB: another version, any section length, options.
    { weight: 1, arbitrary: block(fc.record({ major: fc.constantFrom(1, 1, 1, 2, 0), minor: fc.constantFrom(0, 0, 2), opts: fc.array(optionArb, { maxLength: 3 }), end: fc.boolean() }), (v) => ({
      type: 0x0a0d0d0a,
      body: Buffer.concat([u32le(0x1a2b3c4d, le), u16(v.major, le), u16(v.minor, le), Buffer.alloc(8, 0xff), options(v.opts, le, v.end)]),
    })) },
    // IDB.
    { weight: 2, arbitrary: block(fc.record({
      link: fc.constantFrom(1, 1, 1, 113, 276, 0, 101, 228, 229, 12, 0xffff),
      snap: u32,
      opts: fc.array(optionArb, { maxLength: 4 }),
      end: fc.boolean(),
    }), (v) => ({ type: 1, body: Buffer.concat([u16(v.link, le), u16(0, le), u32le(v.snap, le), options(v.opts, le, v.end)]) })) },
    // EPB (most blocks).
    { weight: 12, arbitrary: block(fc.record({
      iface: fc.oneof({ weight: 20, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constantFrom(1, 2, 0xffffffff) }),
      hi: fc.oneof(fc.constant(0x60000), u32),
      lo: u32,
      data: packetData,
      caplenLie: rarely(u32, 30),
      orig: rarely(u32, 10),
      opts: fc.array(optionArb, { maxLength: 2 }),
    }), (v) => {
      const d = data(v.data);
      return {
        type: 6,
        body: Buffer.concat([
          u32le(v.iface, le), u32le(v.hi, le), u32le(v.lo, le), u32le(v.caplenLie ?? d.length, le), u32le(v.orig ?? d.length, le),
          pad4(d), options(v.opts, le, v.opts.length > 0),
        ]),
      };
    }) },
    { weight: 2, arbitrary: block(fc.record({ data: packetData, orig: rarely(u32, 10) }), (v) => {
      const d = data(v.data);
      return { type: 3, body: Buffer.concat([u32le(v.orig ?? d.length, le), pad4(d)]) };
    }) },
    // Obsolete Packet Block (type 2): Interface ID and Drops Count are 16 bits.
    { weight: 1, arbitrary: block(fc.record({ iface: fc.constantFrom(0, 0, 0, 0, 1, 0xffff), data: packetData, caplenLie: rarely(u32, 10) }), (v) => {
      const d = data(v.data);
      return { type: 2, body: Buffer.concat([u16(v.iface, le), u16(0, le), u32le(0x60000, le), u32le(0, le), u32le(v.caplenLie ?? d.length, le), u32le(d.length, le), pad4(d)]) };
    }) },
    // NRB: records of any type and length, maybe without the end record.
    { weight: 1, arbitrary: block(fc.array(fc.record({ type: fc.constantFrom(0, 1, 2, 3, 0xffff), value: fc.uint8Array({ maxLength: 30 }), lenLie: rarely(fc.constantFrom(0, 0xffff, 3), 10) }), { maxLength: 4 }), (recs) => ({
      type: 4,
      body: Buffer.concat(recs.map((r) => Buffer.concat([u16(r.type, le), u16(r.lenLie ?? r.value.length, le), pad4(Buffer.from(r.value))]))),
    })) },
    // ISB.
    { weight: 1, arbitrary: block(fc.record({ iface: fc.constantFrom(0, 0, 0, 1, 7), opts: fc.array(optionArb, { maxLength: 3 }) }), (v) => ({
      type: 5,
      body: Buffer.concat([u32le(v.iface, le), u32le(0, le), u32le(0, le), options(v.opts, le, true)]),
    })) },
    // DSB: secrets length that lies.
    { weight: 1, arbitrary: block(fc.record({ secrets: fc.uint8Array({ maxLength: 64 }), lenLie: rarely(u32, 10) }), (v) => ({
      type: 10,
      body: Buffer.concat([u32le(0x544c534b, le), u32le(v.lenLie ?? v.secrets.length, le), pad4(Buffer.from(v.secrets))]),
    })) },
    // Custom blocks, systemd journal, and types no one has defined.
    { weight: 1, arbitrary: block(fc.record({ type: fc.oneof(fc.constantFrom(0x00000bad, 0x40000bad, 9, 7, 8, 0x80000001), u32.filter((t) => t !== 0x0a0d0d0a)), body: fc.uint8Array({ maxLength: 40 }) }), (v) => ({
      type: v.type,
      body: pad4(Buffer.from(v.body)),
    })) },
  );
};

function encodeBlock(b: BlockSpec, le: boolean): Buffer {
  const total = 12 + b.body.length;
  return Buffer.concat([u32le(b.type, le), u32le(b.totalLie ?? total, le), b.body, u32le(b.trailerLie ?? total, le)]);
}

const pcapngArb = fc.boolean().chain((le) =>
  fc.record({
    le: fc.constant(le),
    idbs: fc.array(fc.constantFrom(1, 1, 1, 113, 276, 0xffff), { minLength: 1, maxLength: 2 }),
    blocks: fc.array(blockArb(le), { maxLength: 25 }),
    /** Where the packets of a whole call go, in order, among the generated blocks (null: nowhere). */
    call: fc.option(fc.nat({ max: 25 }), { freq: 2 }),
    tail: rarely(fc.uint8Array({ maxLength: 16 }), 5),
  }));

const pcapArb = fc.record({
  magic: fc.constantFrom(0xa1b2c3d4, 0xa1b23c4d, 0xd4c3b2a1, 0x4d3cb2a1, 0xa1b2cd34),
  major: fc.constantFrom(2, 2, 1, 0xffff),
  snap: fc.oneof(fc.constantFrom(262_144, 65_535, 0, 1), u32),
  link: fc.constantFrom(1, 1, 113, 276, 0, 0x0fffffff, 0xffffffff),
  records: fc.array(fc.record({ data: packetData, caplenLie: rarely(u32, 40), origLie: rarely(u32, 10), usec: fc.oneof(fc.nat({ max: 999_999 }), u32) }), { maxLength: 25 }),
});

function buildPcapng(v: ValueOf<typeof pcapngArb>): Buffer {
  const le = v.le;
  const shb: BlockSpec = { type: 0x0a0d0d0a, body: Buffer.concat([u32le(0x1a2b3c4d, le), u16(1, le), u16(0, le), Buffer.alloc(8, 0xff)]), totalLie: null, trailerLie: null };
  const idbs = v.idbs.map((link) => ({ type: 1, body: Buffer.concat([u16(link, le), u16(0, le), u32le(262_144, le)]), totalLie: null, trailerLie: null }));
  const blocks = [...v.blocks];
  if (v.call !== null) {
    const epbs = packets().map((d) => ({
      type: 6,
      body: Buffer.concat([u32le(0, le), u32le(0x60000, le), u32le(0, le), u32le(d.length, le), u32le(d.length, le), pad4(d)]),
      totalLie: null,
      trailerLie: null,
    }));
    blocks.splice(Math.min(v.call, blocks.length), 0, ...epbs);
  }
  const parts = [shb, ...idbs, ...blocks].map((b) => encodeBlock(b, le));
  if (v.tail) parts.push(Buffer.from(v.tail));
  return Buffer.concat(parts);
}

function buildPcap(v: ValueOf<typeof pcapArb>): Buffer {
  // The magic is written little-endian; a "swapped" magic makes the whole file big-endian.
  const le = v.magic === 0xa1b2c3d4 || v.magic === 0xa1b23c4d || v.magic === 0xa1b2cd34;
  const header = Buffer.concat([u32le(v.magic, true), u16(v.major, le), u16(4, le), u32le(0, le), u32le(0, le), u32le(v.snap, le), u32le(v.link, le)]);
  const recs = v.records.map((r) => {
    const d = 'real' in r.data ? packets()[r.data.real % packets().length] : r.data.noise;
    return Buffer.concat([u32le(1_700_000_000, le), u32le(r.usec, le), u32le(r.caplenLie ?? d.length, le), u32le(r.origLie ?? d.length, le), d]);
  });
  return Buffer.concat([header, ...recs]);
}

export const target: Target = {
  name: 'pcapng',
  longIterations: 2500,
  quickIterations: 250,
  generate(seed: number, i: number): FuzzInput {
    const rng = Rng.for(seed, i);
    const fcSeed = mix(seed ^ 0x5047, i) | 0;
    if (rng.bool(0.75)) {
      const v = fc.sample(pcapngArb, { seed: fcSeed, numRuns: 1 })[0];
      const lies = v.blocks.filter((b) => b.totalLie !== null || b.trailerLie !== null).length;
      return {
        label: `pcapng ${v.le ? 'little' : 'big'}-endian, ${v.blocks.length} generated block(s), ${lies} with lying lengths`,
        kind: 'pcapng',
        bytes: buildPcapng(v),
        options: { chunkSeed: rng.u32() },
      };
    }
    const v = fc.sample(pcapArb, { seed: fcSeed, numRuns: 1 })[0];
    return {
      label: `pcap magic ${v.magic.toString(16)}, link type ${v.link}, ${v.records.length} record(s)`,
      kind: 'pcap',
      bytes: buildPcap(v),
      options: { chunkSeed: rng.u32() },
    };
  },
  check(input: FuzzInput): void {
    const whole = decodeCore(input.bytes, { ...input.options, chunkSeed: undefined }, true);
    const pieces = decodeCore(input.bytes, input.options, true);
    const outcome = (r: typeof whole) => `${r.packets} packet(s), ${r.lines.length} record(s), error: ${r.error ? r.error.message : 'none'}`;
    if (outcome(whole) !== outcome(pieces)) {
      throw new FuzzFailure(`the outcome depends on how the input is cut: whole: ${outcome(whole)}; in pieces: ${outcome(pieces)}`);
    }
    const differ = whole.lines.findIndex((l, k) => l !== pieces.lines[k]);
    if (differ >= 0) throw new FuzzFailure(`record ${differ} differs when the input is cut in pieces: ${whole.lines[differ].slice(0, 200)} vs ${pieces.lines[differ].slice(0, 200)}`);
  },
};
