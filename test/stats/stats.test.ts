import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from '../../src/errors';
import { filterFromOptions } from '../../src/filter/index';
import { LatencyDigest, parseDuration, renderStats, StatsTap, type StatsResult } from '../../src/stats/index';
import { makeCall } from '../records/make';
import { round } from '../../src/stats/latency';

const SAY = '/helloworld.Greeter/SayHello';
const GET = '/kv.Store/Get';

/** 10 SayHello calls of 1..10 ms (one UNAVAILABLE), 4 Get calls (one incomplete, one reset without status). */
function sample(tap: StatsTap): StatsResult {
  for (let i = 1; i <= 10; i++) {
    tap.call(
      makeCall({
        method: SAY,
        stream: i * 2 + 1,
        duration_ms: i,
        start: `2026-11-21T03:39:1${i < 6 ? 0 : 1}.${String(i).padStart(3, '0')}Z`,
        end: `2026-11-21T03:39:1${i < 6 ? 0 : 1}.${String(i * 2).padStart(3, '0')}Z`,
        ...(i === 10 ? { status: 14, status_name: 'UNAVAILABLE' } : {}),
      }),
    );
  }
  tap.call(makeCall({ method: GET, server: '10.0.0.3:443', authority: null, duration_ms: 100, request_bytes: 1000, response_bytes: 5 }));
  tap.call(makeCall({ method: GET, server: '10.0.0.3:443', authority: null, duration_ms: 300, status: 5, status_name: 'NOT_FOUND' }));
  tap.call(makeCall({ method: GET, server: '10.0.0.3:443', authority: null, complete: false, end: null, duration_ms: null, status: null, status_name: null, response_messages: 0, response_bytes: 0 }));
  tap.call(makeCall({ method: GET, server: '10.0.0.3:443', authority: null, duration_ms: 2, status: null, status_name: null, reset: 'CANCEL' }));
  return tap.result();
}

test('by method: calls, statuses, errors, error rate and exact nearest-rank percentiles', () => {
  const r = sample(new StatsTap());
  assert.deepEqual(r.by, ['method']);
  assert.deepEqual(r.groups.map((g) => g.key), [SAY, GET]);
  const say = r.groups[0];
  assert.equal(say.calls, 10);
  assert.deepEqual(say.status, { OK: 9, UNAVAILABLE: 1 });
  assert.equal(say.errors, 1);
  assert.equal(say.error_rate, 0.1);
  assert.deepEqual(say.latency_ms, { count: 10, exact: true, min: 1, mean: 5.5, p50: 5, p90: 9, p99: 10, max: 10 });
  assert.equal(say.request_messages, 10);
  assert.equal(say.response_bytes, 130);
  assert.equal(say.first, '2026-11-21T03:39:10.001Z');
  assert.equal(say.last, '2026-11-21T03:39:11.020Z');
  // Every group's rate is over the whole input's span (03:39:10.001 to 03:39:12.010, the Get calls' end).
  assert.equal(say.calls_per_second, 4.978); // 10 calls over 2.009 s

  const get = r.groups[1];
  // No grpc-status twice: one reset (NONE, an error), one still running (its status unknown: no error,
  // and out of the error rate's count).
  assert.deepEqual(get.status, { OK: 1, NOT_FOUND: 1, NONE: 1, STATUS_UNKNOWN: 1 });
  assert.equal(get.errors, 2);
  assert.equal(get.status_unknown, 1);
  assert.equal(get.error_rate, round(2 / 3));
  assert.equal(get.latency_ms.count, 3);
  assert.equal(get.latency_ms.p50, 100);
  assert.equal(get.request_bytes, 1007 + 7 + 7);
});

test('the total row sums every group', () => {
  const r = sample(new StatsTap());
  assert.equal(r.total.key, undefined);
  assert.equal(r.total.calls, 14);
  assert.equal(r.total.errors, 3);
  assert.deepEqual(r.total.status, { OK: 10, NOT_FOUND: 1, UNAVAILABLE: 1, NONE: 1, STATUS_UNKNOWN: 1 });
  assert.equal(r.total.status_unknown, 1);
  assert.equal(r.total.latency_ms.count, 13);
  assert.equal(r.total.latency_ms.max, 300);
  assert.equal(r.total.request_messages, 14);
});

test('nested groups have object keys in the order given, and the rows of one method stay together', () => {
  const r = sample(new StatsTap({ by: ['method', 'status'] }));
  assert.deepEqual(
    r.groups.map((g) => [g.key, g.calls]),
    [
      [{ method: SAY, status: 'OK' }, 9],
      [{ method: SAY, status: 'UNAVAILABLE' }, 1],
      [{ method: GET, status: 'NONE' }, 1],
      [{ method: GET, status: 'NOT_FOUND' }, 1],
      [{ method: GET, status: 'OK' }, 1],
      [{ method: GET, status: 'STATUS_UNKNOWN' }, 1],
    ],
  );
});

test('a call whose status could not be read is counted as STATUS_UNKNOWN, apart from errors and the error rate', () => {
  const tap = new StatsTap();
  // What a capture joined mid-connection gives: trailers whose grpc-status refers to HPACK state from
  // before the capture, so the call ends without a readable status; one call with a status, NOT_FOUND.
  for (let i = 0; i < 5; i++) tap.call(makeCall({ method: GET, status: null, status_name: null, errors: ['HPACK: index 62 not in the table'] }));
  tap.call(makeCall({ method: GET, status: 5, status_name: 'NOT_FOUND' }));
  for (let i = 0; i < 5; i++) tap.call(makeCall({ method: GET }));
  const g = tap.result().groups[0];
  assert.equal(g.calls, 11);
  assert.equal(g.errors, 1);
  assert.equal(g.status_unknown, 5);
  assert.equal(g.error_rate, round(1 / 6));
  assert.deepEqual(g.status, { OK: 5, NOT_FOUND: 1, STATUS_UNKNOWN: 5 });
  // A reset or an HTTP error without grpc-status is a failure the client saw: an error, not unknown.
  const t2 = new StatsTap();
  t2.call(makeCall({ status: null, status_name: null, reset: 'CANCEL' }));
  t2.call(makeCall({ status: null, status_name: null, http_status: 503 }));
  assert.equal(t2.result().total.errors, 2);
  assert.equal(t2.result().total.status_unknown, 0);
});

test('a group of one call is not rated thousands of calls per second: rates are over the whole input', () => {
  const tap = new StatsTap();
  tap.call(makeCall({ method: SAY, start: '2026-11-21T03:39:10.000Z', end: '2026-11-21T03:39:10.000255Z', duration_ms: 0.255 }));
  tap.call(makeCall({ method: GET, start: '2026-11-21T03:39:19.000Z', end: '2026-11-21T03:39:20.000Z', duration_ms: 1000 }));
  const r = tap.result();
  assert.deepEqual(r.groups.map((g) => g.calls_per_second), [0.1, 0.1]);
  assert.equal(r.total.calls_per_second, 0.2);
  const one = new StatsTap();
  one.call(makeCall({ method: SAY, start: '2026-11-21T03:39:10.000Z', end: '2026-11-21T03:39:10.000255Z', duration_ms: 0.255 }));
  assert.equal(one.result().groups[0].calls_per_second, null, 'one call: no rate at all');
});

test('server, client, connection and authority keys', () => {
  const by = (b: 'server' | 'client' | 'connection' | 'authority') => sample(new StatsTap({ by: [b], sort: 'key' })).groups.map((g) => [g.key, g.calls]);
  assert.deepEqual(by('server'), [['10.0.0.2:50051', 10], ['10.0.0.3:443', 4]]);
  assert.deepEqual(by('client'), [['10.0.0.1', 14]]);
  assert.deepEqual(by('connection'), [['10.0.0.1:40000 -> 10.0.0.2:50051', 10], ['10.0.0.1:40000 -> 10.0.0.3:443', 4]]);
  assert.deepEqual(by('authority'), [[null, 4], ['api.example:50051', 10]]);
});

test('sort by a latency field puts the slowest first', () => {
  assert.deepEqual(sample(new StatsTap({ sort: 'p99' })).groups.map((g) => g.key), [GET, SAY]);
  assert.deepEqual(sample(new StatsTap({ sort: 'error_rate' })).groups.map((g) => g.key), [GET, SAY]);
});

test('filters apply before counting', () => {
  const r = sample(new StatsTap({ filter: filterFromOptions({ status: '!OK' }) }));
  assert.equal(r.total.calls, 4);
  assert.deepEqual(r.groups.map((g) => [g.key, g.calls]), [[GET, 3], [SAY, 1]]);
});

test('interval series: epoch-aligned buckets by start, gaps filled with zeros', () => {
  const tap = new StatsTap({ intervalMs: 500 });
  const at = (ts: string, over = {}) => tap.call(makeCall({ start: ts, ...over }));
  at('2026-11-21T03:39:10.100Z', { duration_ms: 5 });
  at('2026-11-21T03:39:10.499999999Z', { duration_ms: 7 });
  at('2026-11-21T03:39:10.500Z', { duration_ms: 50, status: 13, status_name: 'INTERNAL' });
  at('2026-11-21T03:39:11.700Z', { duration_ms: 1 });
  const r = tap.result();
  assert.equal(r.interval_ms, 500);
  assert.deepEqual(r.groups[0].series, [
    { start: '2026-11-21T03:39:10.000000000Z', calls: 2, errors: 0, p99_ms: 7 },
    { start: '2026-11-21T03:39:10.500000000Z', calls: 1, errors: 1, p99_ms: 50 },
    { start: '2026-11-21T03:39:11.000000000Z', calls: 0, errors: 0, p99_ms: null },
    { start: '2026-11-21T03:39:11.500000000Z', calls: 1, errors: 0, p99_ms: 1 },
  ]);
  assert.deepEqual(r.total.series, r.groups[0].series);
});

test('too many intervals in a group is a usage error, not unbounded memory', () => {
  const tap = new StatsTap({ intervalMs: 0.001 });
  assert.throws(() => {
    for (let i = 0; i < 100_001; i++) tap.call(makeCall({ start: `2026-11-21T03:39:10.${String(i * 1000).padStart(9, '0')}Z` }));
  }, (e: unknown) => e instanceof UsageError && /MAX_INTERVALS_PER_GROUP/.test(e.message));
});

test('parseDuration understands units and rejects nonsense', () => {
  assert.equal(parseDuration('1s'), 1000);
  assert.equal(parseDuration('250ms'), 250);
  assert.equal(parseDuration('5m'), 300_000);
  assert.equal(parseDuration('2'), 2000);
  assert.equal(parseDuration('100us'), 0.1);
  assert.throws(() => parseDuration('fast'), /--interval: "fast" is not a duration/);
  assert.throws(() => parseDuration('0s'), UsageError);
});

test('latency switches to an HDR histogram past the exact limit, within its documented error', () => {
  const d = new LatencyDigest(1000);
  const values: number[] = [];
  for (let i = 0; i < 5000; i++) {
    const v = ((i * 7919) % 5000) / 10 + 0.5; // 0.5 .. 500 ms, shuffled
    values.push(v);
    d.add(v);
  }
  values.sort((a, b) => a - b);
  const s = d.summary();
  assert.equal(s.exact, false);
  assert.equal(s.count, 5000);
  assert.equal(s.min, 0.5);
  assert.equal(s.max, 500.4);
  for (const [p, got] of [[50, s.p50], [90, s.p90], [99, s.p99]] as const) {
    const rank = Math.ceil((p / 100) * values.length) - 1;
    const lo = values[Math.max(0, rank - 1)] * 0.999 - 0.001;
    const hi = values[Math.min(values.length - 1, rank + 1)] * 1.001 + 0.001;
    assert.ok(got! >= lo && got! <= hi, `p${p}=${got} not in [${lo}, ${hi}]`);
  }
});

test('JSON output carries the contract names', () => {
  const json = JSON.parse(renderStats(sample(new StatsTap()), 'json'));
  for (const name of ['key', 'calls', 'status', 'errors', 'latency_ms', 'request_messages', 'response_messages', 'request_bytes', 'response_bytes']) {
    assert.ok(name in json.groups[0], name);
  }
  assert.deepEqual(Object.keys(json.groups[0].latency_ms).filter((k) => !['count', 'exact'].includes(k)), ['min', 'mean', 'p50', 'p90', 'p99', 'max']);
  assert.equal(json.total.calls, 14);
});

test('CSV output: one row per group and a TOTAL row, numbers unquoted, status columns', () => {
  const csv = renderStats(sample(new StatsTap()), 'csv');
  const lines = csv.split('\r\n');
  assert.equal(lines.at(-1), '');
  assert.equal(
    lines[0],
    'method,calls,errors,status_unknown,error_rate,latency_count,min_ms,mean_ms,p50_ms,p90_ms,p99_ms,max_ms,request_messages,response_messages,request_bytes,response_bytes,first,last,calls_per_second,status.OK,status.NOT_FOUND,status.UNAVAILABLE,status.NONE,status.STATUS_UNKNOWN',
  );
  assert.equal(lines[1], `${SAY},10,1,0,0.1,10,1,5.5,5,9,10,10,10,10,70,130,2026-11-21T03:39:10.001Z,2026-11-21T03:39:11.020Z,4.978,9,0,1,0,0`);
  assert.match(lines[3], /^TOTAL,14,3,1,/);
});

test('the table fits 80 columns, groups large numbers and shows durations with units', () => {
  const tap = new StatsTap();
  for (let i = 0; i < 1234; i++) tap.call(makeCall({ method: '/a.very.long.package.name.v1.SomethingService/AnEvenLongerMethodName', duration_ms: 1500 + i }));
  tap.call(makeCall({ method: '/x\u001b[2J', duration_ms: 0.25 }));
  const out = renderStats(tap.result(), 'table');
  for (const line of out.split('\n')) assert.ok([...line].length <= 80, `too wide: ${line}`);
  assert.match(out, /1,234/);
  assert.match(out, /2\.12s/); // p50 of 1,500..2,733 ms
  assert.match(out, /250µs/);
  assert.ok(!out.includes('\u001b'), 'control characters are escaped');
  assert.match(out, /\/x\\x1b\[2J/);
});
