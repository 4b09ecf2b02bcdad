import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatTimestamp, parseIsoTime, parseIsoTimeInto, parseIsoTimeNs } from '../../src/records/time';

test('record timestamps parse to exact epoch nanoseconds, the same through the fast path as the first time', () => {
  const base = Date.UTC(2026, 10, 21, 3, 47, 10) / 1000;
  // The first text of a second goes through the full parse; the next ones with the same prefix take the fast path.
  for (const nanos of ['159005843', '000000000', '999999999', '000000001']) {
    const ns = parseIsoTimeNs(`2026-11-21T03:47:10.${nanos}Z`);
    assert.equal(ns, BigInt(base) * 1_000_000_000n + BigInt(nanos));
  }
  const out = { seconds: 0, nanos: 0 };
  assert.equal(parseIsoTimeInto('2026-11-21T03:47:10.000000042Z', out), true);
  assert.deepEqual(out, { seconds: base, nanos: 42 });
});

test('texts that share a cached prefix but are not in the record form still get the full parse', () => {
  parseIsoTimeNs('2026-11-21T03:47:10.159005843Z'); // prime the cache
  const same = Date.UTC(2026, 10, 21, 3, 47, 10) / 1000;
  assert.equal(parseIsoTimeNs('2026-11-21T03:47:10.5Z'), BigInt(same) * 1_000_000_000n + 500_000_000n);
  assert.equal(parseIsoTimeNs('2026-11-21T03:47:10.15900584+01:00'), BigInt(same - 3600) * 1_000_000_000n + 159_005_840n);
  assert.equal(parseIsoTimeNs('2026-11-21T03:47:10'), BigInt(same) * 1_000_000_000n);
  // Same length and shape, but not digits: not a time.
  assert.equal(parseIsoTimeNs('2026-11-21T03:47:10.15900584xZ'), null);
  const out = { seconds: -1, nanos: -1 };
  assert.equal(parseIsoTimeInto('not a time', out), false);
  assert.deepEqual(out, { seconds: -1, nanos: -1 });
  assert.ok(Number.isNaN(parseIsoTime('2026-13-01T00:00:00Z')));
  assert.equal(parseIsoTime('2026-11-21T03:47:10.250000000Z'), same * 1000 + 250);
});

test('timestamps past a Date\'s range (year 275760) are written in ISO-8601 expanded form, to the second', () => {
  assert.equal(formatTimestamp(8.64e12 - 1, 5), '+275760-09-12T23:59:59.000000005Z');
  assert.equal(formatTimestamp(8.64e12 + 86_400 * 366, 0), '+275761-09-14T00:00:00.000000000Z');
  assert.equal(formatTimestamp(18_446_744_073_709, 551_615_000), '+586524-01-19T08:01:49.551615000Z');
  assert.equal(formatTimestamp(-8.64e12 - 86_400, 1), '-271821-04-19T00:00:00.000000001Z');
});
