import { test } from 'node:test';
import assert from 'node:assert/strict';
import { durationMs, formatTimestamp } from '../../src/records/time';

test('timestamps are ISO-8601 UTC with nine fractional digits', () => {
  assert.equal(formatTimestamp(1795232352, 123456789), '2026-11-21T03:39:12.123456789Z');
  assert.equal(formatTimestamp(0, 0), '1970-01-01T00:00:00.000000000Z');
  assert.equal(formatTimestamp(1795232352, 5), '2026-11-21T03:39:12.000000005Z');
  // the cached prefix is replaced when the second changes
  assert.equal(formatTimestamp(1795232353, 0), '2026-11-21T03:39:13.000000000Z');
  assert.equal(formatTimestamp(1795232352, 999999999), '2026-11-21T03:39:12.999999999Z');
});

test('durations are exact to the nanosecond in milliseconds', () => {
  assert.equal(durationMs(1795232352, 999999999, 1795232353, 1), 0.000002);
  assert.equal(durationMs(1795232352, 0, 1795232352, 1_500_000), 1.5);
  assert.equal(durationMs(1795232352, 123456789, 1795232352, 123456789), 0);
  assert.equal(durationMs(0, 0, 86400, 1), 86400000.000001);
});
