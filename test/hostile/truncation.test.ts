/**
 * Every sample capture cut at every block (or record) boundary and inside every block, through the whole
 * decode core in-process (the CLI is run on a few cuts in hostile.test.ts):
 *  - a cut at a boundary is a valid, shorter capture: no error at all;
 *  - a cut inside a block is a TruncatedInputError, one line, naming the byte offset;
 *  - either way, everything decodable before the cut is decoded exactly as from the whole file: every
 *    message record completed by a packet before the cut, and every complete call that ended before it.
 *    One exception: a connection joined midway is recognised as HTTP/2 from a run of its frames, so a cut
 *    before that run leaves it unrecognised; once the cut decode recognises it, nothing before is missing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError, TruncatedInputError } from '../../src/errors';
import { decodeCore } from '../fuzz/lib/core';
import { layout } from '../fuzz/lib/mutate';
import { loadSamples } from '../fuzz/lib/targets/captures';
import { LONG } from '../long';

/**
 * Blocks whose cuts `npm test` visits per sample: the first ones (file header, interfaces, the first
 * packets), the last one, and an even spread between (about this many in all). `npm run test:long`
 * visits every block (every third in captures over 1 MB: every boundary would be quadratic).
 */
const QUICK_BLOCKS = 40;
/** The same for captures over 1 MB, where every cut decodes up to megabytes again. */
const QUICK_BLOCKS_LARGE = 12;

interface Rec {
  type: string;
  frame?: number;
  complete?: boolean;
  last_frame?: number;
}

/** tcp.stream of a record line. */
function streamOf(line: string): number | undefined {
  return (JSON.parse(line) as { tcp_stream?: number }).tcp_stream;
}

/** Connections the whole file's decode shows joined midway: calls begun before it, or header table entries from before it. */
function joinedStreams(lines: string[]): Set<number> {
  const out = new Set<number>();
  for (const l of lines) {
    const r = JSON.parse(l) as { type: string; tcp_stream: number; errors?: string[]; method_group?: string };
    if (r.type === 'call' && (r.method_group !== undefined || (r.errors ?? []).some((e) => /before the capture/.test(e)))) out.add(r.tcp_stream);
  }
  return out;
}

/** Survivors missing from a cut's decode, but for joined connections that the cut decode did not recognise at all. */
function missingFrom(expected: string[], got: string[], joined: Set<number>): string[] {
  const have = new Set(got);
  const missing = expected.filter((l) => !have.has(l));
  if (missing.length === 0 || joined.size === 0) return missing;
  const seen = new Set(got.map(streamOf));
  return missing.filter((l) => !(joined.has(streamOf(l) as number) && !seen.has(streamOf(l))));
}

/** Records of the whole file that must survive a cut after `packets` packets (`whole`: its lines, parsed once). */
function survivors(whole: Array<{ line: string; r: Rec }>, packets: number): string[] {
  return whole
    .filter(({ r }) => {
      if (r.type === 'message') return r.frame! <= packets;
      if (r.type === 'call') return r.complete === true && r.last_frame! <= packets;
      return false;
    })
    .map(({ line }) => line);
}

for (const sample of loadSamples()) {
  test(`${sample.name}: cut at every block boundary and inside every block, what came before is still decoded`, () => {
    const full = decodeCore(sample.bytes, {}, true);
    assert.equal(full.error, null, `the whole ${sample.name} decodes without error`);
    const whole = full.lines.map((line) => ({ line, r: JSON.parse(line) as Rec }));
    const joined = joinedStreams(full.lines);
    const lay = layout(sample.bytes);
    assert.ok(lay.blocks.length > 10, `${sample.name}: blocks found`);
    // pcap: the file header is block 0 and holds no packet; pcapng: SHB and IDB come first.
    const packetBlocks = lay.blocks.map((b) => {
      const dv = new DataView(sample.bytes.buffer, sample.bytes.byteOffset + b.offset);
      return lay.format === 'pcap' ? b.offset > 0 : dv.getUint32(0, lay.littleEndian) === 6;
    });
    let packets = 0;
    // Every kind of cut is visited at any step: inside the file header, inside and after packet blocks.
    const step = LONG ? (sample.bytes.length > 1_000_000 ? 3 : 1) : Math.max(1, Math.ceil(lay.blocks.length / (sample.bytes.length > 1_000_000 ? QUICK_BLOCKS_LARGE : QUICK_BLOCKS)));
    lay.blocks.forEach((b, k) => {
      if (k % step !== 0 && k > 3 && k !== lay.blocks.length - 1) {
        if (packetBlocks[k]) packets++;
        return;
      }
      // Inside: one byte in, the middle, one byte short. Each must be a TruncatedInputError after `packets`.
      const cuts = [...new Set([b.offset + 1, b.offset + (b.length >> 1), b.offset + b.length - 1])];
      for (const at of cuts) {
        const r = decodeCore(sample.bytes.subarray(0, at), {}, true);
        const where = `${sample.name} cut at byte ${at} (inside the block at ${b.offset})`;
        if (k === 0) {
          // Inside the file header: not (yet) a capture at all.
          assert.ok(r.error instanceof InputError, `${where}: expected an InputError, got ${r.error ? r.error.message : 'no error'}`);
          continue;
        }
        assert.ok(r.error instanceof TruncatedInputError, `${where}: expected TruncatedInputError, got ${r.error ? r.error.message : 'no error'}`);
        assert.match(r.error.message, /byte \d+/, `${where}: the message names the offset`);
        assert.equal(r.packets, packets, `${where}: every packet before the cut is delivered`);
        const missing = missingFrom(survivors(whole, packets), r.lines, joined);
        assert.deepEqual(missing, [], `${where}: records completed before the cut are missing or differ`);
      }
      if (packetBlocks[k]) packets++;
      // At the boundary after this block: a valid capture.
      const end = b.offset + b.length;
      const r = decodeCore(sample.bytes.subarray(0, end), {}, true);
      const where = `${sample.name} cut at byte ${end} (after block ${k})`;
      assert.equal(r.error, null, `${where}: a cut at a block boundary is a valid capture`);
      const missing = missingFrom(survivors(whole, packets), r.lines, joined);
      assert.deepEqual(missing, [], `${where}: records completed before the cut are missing or differ`);
    });
  });
}
