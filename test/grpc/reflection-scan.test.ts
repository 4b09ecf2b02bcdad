import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReflectionScan, reflectionPatterns } from '../../src/grpc/reflection';

/** Feeds `bytes` to a fresh scan in chunks cut at `cuts`, each chunk in a buffer that is overwritten after use. */
function scanIn(bytes: Buffer, cuts: number[]): boolean {
  const scan = new ReflectionScan();
  const reused = Buffer.alloc(bytes.length);
  let from = 0;
  for (const to of [...cuts, bytes.length]) {
    const n = bytes.copy(reused, 0, from, to);
    scan.push(new Uint8Array(reused.buffer, reused.byteOffset, n));
    reused.fill(0x41); // the reader reads into the same memory again
    from = to;
    if (scan.found) return true;
  }
  return scan.found;
}

test('the reflection pre-scan finds each pattern wherever chunk borders cut it, in reused buffers', () => {
  for (const p of reflectionPatterns()) {
    const bytes = Buffer.concat([Buffer.alloc(100, 0x20), p, Buffer.alloc(50, 0x20)]);
    for (let cut = 0; cut <= bytes.length; cut++) assert.equal(scanIn(bytes, [cut]), true, `one cut at ${cut}`);
    // Chunks shorter than the pattern: the border is carried over several of them.
    for (const size of [1, 3, 7, 20]) {
      const cuts: number[] = [];
      for (let c = size; c < bytes.length; c += size) cuts.push(c);
      assert.equal(scanIn(bytes, cuts), true, `chunks of ${size}`);
    }
    // One byte short of the pattern is not a match.
    const cutShort = Buffer.concat([Buffer.alloc(100, 0x20), p.subarray(0, p.length - 1), Buffer.alloc(50, 0x20)]);
    assert.equal(scanIn(cutShort, [110]), false);
  }
});
