/**
 * Target "hpack": header blocks (RFC 7541) into one HpackDecoder, as the blocks of one direction of a
 * connection. Two kinds of input:
 *  - round trip: header lists encoded by an independent encoder (hpack.js: dynamic table, Huffman, never
 *    indexed, table sizes from 0 to 64 KiB); grpctk must decode exactly the lists, without error;
 *  - hostile: blocks of field representations with integers that overflow (size updates to 4 GB, indexes
 *    to 2^53, more continuation octets than allowed), strings whose lengths lie, invalid Huffman codes
 *    (EOS, bad padding), indexes past the table, and plain noise; then one block of literals without
 *    indexing (they depend on no state), which must decode exactly: a bad block never poisons the next.
 * For both: decode() never throws, fields are strings, the table never exceeds its limit, and no block
 * decodes to a header list over maxHeaderListSize (one entry referenced 60,000 times included).
 *
 * Saved as `.hpack`: each block as a 32-bit big-endian length and its bytes; the sidecar's `expect` holds
 * the table size announced in SETTINGS and the lists expected (round trip) or the last block's (hostile).
 */
import fc from 'fast-check';
import hpackjs from 'hpack.js';
import { HpackDecoder } from '../../../../src/http2/hpack';
import { headerBlock, hpackInt, hpackSizeUpdate, hpackString } from '../../../hostile/build';
import { FuzzFailure } from '../core';
import { mix, Rng } from '../rng';
import type { FuzzInput, Target } from '../target';

interface Expect {
  /** SETTINGS_HEADER_TABLE_SIZE applied before the first block. */
  settingsTableSize: number;
  /** Round trip: every block's fields. */
  lists?: Array<Array<[string, string]>>;
  /** Hostile: the last block's fields only. */
  last?: Array<[string, string]>;
}

const tokenChar = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789-_'.split(''));
const name = fc.oneof(
  fc.constantFrom(':path', ':method', ':status', 'content-type', 'grpc-status', 'grpc-message', 'user-agent', 'te', 'x-a-bin'),
  fc.string({ unit: tokenChar, minLength: 1, maxLength: 30 }),
);
const value = fc.oneof(
  fc.string({ maxLength: 60 }),
  fc.constantFrom('', 'application/grpc', '/grpctk.demo.Demo/Unary', '200', 'x'.repeat(5000)),
);
const list = fc.array(fc.tuple(name, value), { maxLength: 12 });
/** hpack.js looks names and values up in plain objects: "constructor" and friends break it, not us. */
const safe = (s: string): boolean => !(s in Object.prototype) && s !== '__proto__';
const fieldOptions = fc.record({ huffman: fc.boolean(), incremental: fc.boolean(), neverIndex: fc.boolean() });

const roundTripArb = fc.record({
  tableSize: fc.constantFrom(0, 1, 64, 256, 4096, 4096, 65_536),
  lists: fc.array(fc.array(fc.tuple(name.filter(safe), value.filter(safe), fieldOptions), { maxLength: 12 }), { minLength: 1, maxLength: 8 }),
});

const bigInt = fc.oneof(
  fc.constantFrom(0, 1, 61, 62, 63, 127, 4096, 65_536, 0x7fffffff, 0xffffffff, 2 ** 32, 2 ** 53 - 1),
  fc.nat(),
);

/** One field representation (§6), often a lying one, as bytes. */
const representation: fc.Arbitrary<Buffer> = fc.oneof(
  // §6.1 indexed: any index, including 0 and past the table.
  bigInt.map((i) => hpackInt(i, 7, 0x80)),
  // §6.2.1 with incremental indexing, §6.2.2 without, §6.2.3 never indexed; indexed or new name.
  fc.tuple(fc.constantFrom([6, 0x40], [4, 0x00], [4, 0x10]), fc.option(bigInt), name, value).map(([[bits, high], idx, n, v]) =>
    Buffer.concat([idx === null ? Buffer.from([high]) : hpackInt(Math.max(1, idx), bits, high), ...(idx === null ? [hpackString(n)] : []), hpackString(v)])),
  // A string whose length lies (longer than the block, or 2^32).
  fc.tuple(bigInt, fc.uint8Array({ maxLength: 20 })).map(([len, b]) => Buffer.concat([Buffer.from([0x00]), hpackInt(len, 7), Buffer.from(b)])),
  // Huffman-coded strings of random bits (EOS, padding longer than 7 bits, padding not all ones).
  fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 30 }), fc.uint8Array({ minLength: 0, maxLength: 30 })).map(([n, v]) =>
    Buffer.concat([Buffer.from([0x00]), hpackInt(n.length, 7, 0x80), Buffer.from(n), hpackInt(v.length, 7, 0x80), Buffer.from(v)])),
  // §6.3 size updates: to 4 GB, to 2^53, and with more continuation octets than any integer needs.
  bigInt.map((n) => hpackSizeUpdate(n)),
  fc.integer({ min: 9, max: 40 }).map((k) => Buffer.from([0x3f, ...new Array(k).fill(0xff), 0x01])),
  fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b)),
  // Amplification: one entry inserted, then up to 60,000 one-octet references to it (§6.1, index 62): the
  // decoded list must stay under maxHeaderListSize however large the entry and the count.
  fc.tuple(fc.integer({ min: 0, max: 8000 }), fc.integer({ min: 1, max: 60_000 })).map(([len, refs]) =>
    Buffer.concat([Buffer.from([0x40]), hpackString('x-amp'), hpackString('a'.repeat(len)), Buffer.alloc(refs, 0xbe)])),
);

const hostileArb = fc.record({
  settingsTableSize: fc.constantFrom(0, 4096, 65_536, 0xffffffff),
  blocks: fc.array(fc.array(representation, { maxLength: 10 }).map((r) => Buffer.concat(r)), { minLength: 1, maxLength: 6 }),
  last: list,
});

function encodeBlocks(blocks: Uint8Array[]): Buffer {
  return Buffer.concat(blocks.flatMap((b) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(b.length);
    return [len, Buffer.from(b)];
  }));
}

function decodeBlocks(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; at + 4 <= bytes.length;) {
    const len = Buffer.from(bytes.buffer, bytes.byteOffset + at, 4).readUInt32BE(0);
    out.push(bytes.subarray(at + 4, Math.min(bytes.length, at + 4 + len)));
    at += 4 + len;
  }
  return out;
}

export const target: Target = {
  name: 'hpack',
  longIterations: 3000,
  quickIterations: 300,
  generate(seed: number, i: number): FuzzInput {
    const rng = Rng.for(seed, i);
    const fcSeed = mix(seed ^ 0x4850, i) | 0;
    if (rng.bool(0.5)) {
      const s = fc.sample(roundTripArb, { seed: fcSeed, numRuns: 1 })[0];
      const comp = hpackjs.compressor.create({ table: { maxSize: s.tableSize } });
      const blocks = s.lists.map((l) => {
        comp.write(l.map(([n, v, o]) => ({ name: n, value: v, ...o })));
        return comp.read() ?? Buffer.alloc(0);
      });
      const expect: Expect = { settingsTableSize: s.tableSize, lists: s.lists.map((l) => l.map(([n, v]) => [n, v])) };
      return { label: `round trip: ${blocks.length} block(s) from hpack.js, table ${s.tableSize}`, kind: 'hpack', bytes: encodeBlocks(blocks), expect };
    }
    const s = fc.sample(hostileArb, { seed: fcSeed, numRuns: 1 })[0];
    const expect: Expect = { settingsTableSize: s.settingsTableSize, last: s.last };
    return {
      label: `hostile: ${s.blocks.length} block(s) of lying representations, then ${s.last.length} literal(s)`,
      kind: 'hpack',
      bytes: encodeBlocks([...s.blocks, headerBlock(s.last)]),
      expect,
    };
  },
  check(input: FuzzInput): void {
    const expect = (input.expect ?? { settingsTableSize: 4096 }) as Expect;
    const blocks = decodeBlocks(input.bytes);
    const decoder = new HpackDecoder();
    decoder.applySettingsTableSize(expect.settingsTableSize);
    blocks.forEach((block, k) => {
      let result;
      try {
        result = decoder.decode(block);
      } catch (e) {
        throw new FuzzFailure(`HpackDecoder.decode threw on block ${k}: ${(e as Error).stack ?? String(e)}`, e);
      }
      let listSize = 0;
      for (const f of result.headers) {
        if (!Array.isArray(f) || f.length !== 2 || typeof f[0] !== 'string' || typeof f[1] !== 'string') {
          throw new FuzzFailure(`block ${k}: a decoded field is not [string, string]: ${JSON.stringify(f)}`);
        }
        // Characters, a lower bound of the octets the decoder counts (UTF-8 text: fewer characters than octets).
        listSize += f[0].length + f[1].length + 32;
      }
      if (listSize > decoder.maxHeaderListSize) {
        throw new FuzzFailure(`block ${k}: decoded header list of ${listSize} octets, over maxHeaderListSize ${decoder.maxHeaderListSize}`);
      }
      if (decoder.tableSize > decoder.maxTableSize || decoder.tableCapacity > decoder.maxTableSize) {
        throw new FuzzFailure(`block ${k}: dynamic table at ${decoder.tableSize}/${decoder.tableCapacity} octets, over its limit ${decoder.maxTableSize}`);
      }
      if (result.error !== undefined && (typeof result.error !== 'string' || /[\r\n]/.test(result.error) || result.error.length > 500)) {
        throw new FuzzFailure(`block ${k}: error is not one short line: ${JSON.stringify(result.error).slice(0, 200)}`);
      }
      const want = expect.lists ? expect.lists[k] : k === blocks.length - 1 ? expect.last : undefined;
      if (want === undefined) return;
      if (result.error !== undefined) throw new FuzzFailure(`block ${k}: well-formed block reported an error: ${result.error}`);
      if (JSON.stringify(result.headers) !== JSON.stringify(want)) {
        throw new FuzzFailure(`block ${k}: decoded ${JSON.stringify(result.headers).slice(0, 300)}, expected ${JSON.stringify(want).slice(0, 300)}`);
      }
    });
  },
};
