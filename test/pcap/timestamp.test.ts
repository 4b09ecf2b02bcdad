import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { makeScale, scaleFromTsresol, ticksToTime, timeToTicks } from '../../src/pcap/timestamp';

/** What Wireshark computes in 64-bit integers: secs = ticks / units, nsecs = (ticks % units) * 1e9 / units. */
function reference(ticks: bigint, base: 10 | 2, exp: number): string {
  const units = BigInt(base) ** BigInt(exp);
  const ns = ((ticks % units) * 1000000000n) / units;
  return `${ticks / units}.${String(ns).padStart(9, '0')}`;
}

const resolutions = fc.oneof(
  fc.record({ base: fc.constant(10 as const), exp: fc.integer({ min: 0, max: 19 }) }),
  fc.record({ base: fc.constant(2 as const), exp: fc.integer({ min: 0, max: 63 }) }),
);

test('ticks become seconds and nanoseconds exactly as 64-bit integer arithmetic gives them, at every resolution', () => {
  const out = { sec: 0, nsec: 0 };
  fc.assert(
    fc.property(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), resolutions, (ticks, { base, exp }) => {
      ticksToTime(Number(ticks >> 32n), Number(ticks & 0xffffffffn), makeScale(base, exp), out);
      const sec = BigInt(out.sec);
      // Seconds are exact while they fit in a double's 53 bits (every date before year 285 million).
      fc.pre(sec < 1n << 53n);
      assert.equal(`${out.sec}.${String(out.nsec).padStart(9, '0')}`, reference(ticks, base, exp));
    }),
    { numRuns: 3000 },
  );
});

test('the edges of the fast path: remainders next to a second, nanosecond clocks of today', () => {
  const out = { sec: 0, nsec: 0 };
  const ns = makeScale(10, 9);
  for (const ticks of [999999999n, 1000000000n, 1795232577999999999n, 1795232578000000000n, (1n << 53n) - 1n, 1n << 53n]) {
    ticksToTime(Number(ticks >> 32n), Number(ticks & 0xffffffffn), ns, out);
    assert.equal(`${out.sec}.${String(out.nsec).padStart(9, '0')}`, reference(ticks, 10, 9));
  }
});

test('timeToTicks inverts ticksToTime for every resolution of a nanosecond or coarser', () => {
  const coarse = fc.oneof(
    fc.record({ base: fc.constant(10 as const), exp: fc.integer({ min: 0, max: 9 }) }),
    fc.record({ base: fc.constant(2 as const), exp: fc.integer({ min: 0, max: 29 }) }),
  );
  const t = { sec: 0, nsec: 0 };
  const back = { hi: 0, lo: 0 };
  fc.assert(
    fc.property(coarse, fc.bigInt({ min: 0n, max: (1n << 34n) - 1n }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), ({ base, exp }, sec, f) => {
      const scale = makeScale(base, exp);
      const units = BigInt(base) ** BigInt(exp);
      const ticks = sec * units + BigInt(Math.floor(f * Number(units)));
      ticksToTime(Number(ticks >> 32n), Number(ticks & 0xffffffffn), scale, t);
      timeToTicks(t.sec, t.nsec, scale, back);
      assert.equal((BigInt(back.hi) << 32n) | BigInt(back.lo), ticks);
    }),
    { numRuns: 3000 },
  );
});

test('timeToTicks truncates nanoseconds to a coarser decimal resolution and refuses times it cannot write', () => {
  const out = { hi: 0, lo: 0 };
  timeToTicks(1700000000, 123456789, makeScale(10, 6), out);
  assert.equal((BigInt(out.hi) << 32n) | BigInt(out.lo), 1700000000123456n);
  assert.throws(() => timeToTicks(-1, 0, makeScale(10, 9), out), RangeError);
  assert.throws(() => timeToTicks(1e12, 0, makeScale(10, 9), out), /overflows 64-bit pcapng ticks/);
});

test('if_tsresol: MSB clear is a power of 10, set a power of 2; resolutions finer than any clock are refused', () => {
  assert.deepEqual([scaleFromTsresol(6).base, scaleFromTsresol(6).exp], [10, 6]);
  assert.deepEqual([scaleFromTsresol(0x94).base, scaleFromTsresol(0x94).exp], [2, 20]);
  assert.throws(() => scaleFromTsresol(20), /10\^-20 seconds is finer than any supported resolution/);
});
