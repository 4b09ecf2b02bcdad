import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatInteger } from '../src/units';

const intl = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 0 });

test('formatInteger writes what toLocaleString("en-US", { maximumFractionDigits: 0 }) writes', () => {
  for (const n of [0, -0, 1, 999, 1000, 1234567, 2.5, 3.5, -2.5, -0.4, 0.5, 999.5, 1e15 + 0.5, 2 ** 53, -(2 ** 60), NaN, Infinity, -Infinity]) {
    assert.equal(formatInteger(n), intl(n), String(n));
  }
  fc.assert(
    fc.property(fc.oneof(fc.double(), fc.integer(), fc.integer({ min: -1e9, max: 1e9 }).map((i) => i / 2)), (n) => {
      assert.equal(formatInteger(n), intl(n));
    }),
    { numRuns: 20000 },
  );
});
