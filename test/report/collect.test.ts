/**
 * The report tap keeps what the page draws within its named limits however many calls go by, and says when
 * it sampled or cut; what it keeps is what went by (the slowest are the slowest, a sample is of real calls).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatIsoTimeNs } from '../../src/records/time';
import { histBucket, histPercentile, REPORT_LIMITS, ReportTap } from '../../src/report/collect';
import { buildReportData, decodeCommand, methodGlob } from '../../src/report/data';
import { makeCall, makeMessage } from '../records/make';

const T0 = 1_795_000_000n * 1_000_000_000n;
const at = (ms: number) => formatIsoTimeNs(T0 + BigInt(Math.round(ms * 1e6)));

function call(i: number, durationMs: number, over: Parameters<typeof makeCall>[0] = {}) {
  // One call every millisecond, on a handful of connections.
  return makeCall({
    tcp_stream: i % 3,
    client: `10.0.0.1:${40000 + (i % 3)}`,
    stream: 1 + 2 * i,
    start: at(i),
    end: at(i + durationMs),
    duration_ms: durationMs,
    ...over,
  });
}

const ctx = { input: 'trace.pcapng', kind: 'capture' as const, bytes: 1, packets: 1, messages: 0, warnings: [], filterArgs: [], decodeArgs: [], version: 'test' };

test('past the point limit the latency points are a sample of that many, and the page is told', () => {
  const tap = new ReportTap();
  const n = REPORT_LIMITS.points * 2 + 123;
  for (let i = 0; i < n; i++) tap.call(call(i, 1 + (i % 100)));
  const r = tap.result();
  assert.equal(r.points.count, REPORT_LIMITS.points);
  assert.equal(r.points.total, n);
  // Sorted by time, and each a real call: its duration is that call's.
  for (let i = 1; i < r.points.count; i++) assert.ok(r.points.t[i] >= r.points.t[i - 1]);
  const t0 = Number(T0) / 1e9;
  for (let i = 0; i < 1000; i++) {
    const callIndex = Math.round((r.points.t[i] - t0) * 1000);
    assert.equal(r.points.d[i], 1 + (callIndex % 100));
  }
  // The sample spans the whole capture, not its first part.
  assert.ok(r.points.t[r.points.count - 1] - t0 > (n / 1000) * 0.95);
  const data = buildReportData(r, ctx);
  assert.equal(data.sampled, true);
  assert.equal(data.totals.calls, n);
  // Intervals: at most drawnBins cover the span, and they count every call.
  assert.ok(data.bins.t.length <= REPORT_LIMITS.drawnBins);
  assert.equal(data.bins.calls.reduce((a, b) => a + b, 0), n);
});

test('the slowest calls are the slowest, slowest first; failed calls are listed up to the limit and counted', () => {
  const tap = new ReportTap();
  for (let i = 0; i < 1000; i++) {
    const failed = i % 7 === 0;
    tap.call(call(i, (i * 37) % 1000, failed ? { status: 14, status_name: 'UNAVAILABLE' } : {}));
  }
  const r = tap.result();
  assert.equal(r.slowest.length, REPORT_LIMITS.slowest);
  assert.deepEqual(
    r.slowest.map((d) => d.call.duration_ms),
    Array.from({ length: REPORT_LIMITS.slowest }, (_, k) => 999 - k),
  );
  assert.equal(r.failedTotal, 143);
  assert.equal(r.failed.length, REPORT_LIMITS.failed);
  assert.ok(r.failed.every((d) => d.call.status === 14));
});

test('a listed call comes with its messages and frames; its body is JSON text cut at the limit', () => {
  const tap = new ReportTap();
  const big = 'x'.repeat(REPORT_LIMITS.bodyChars * 2);
  tap.message(makeMessage({ stream: 1, body: { name: big } }));
  tap.frame({ type: 'frame', frame: 4, ts: at(0), tcp_stream: 0, client: '10.0.0.1:40000', server: '10.0.0.2:50051', direction: 'request', stream: 1, frame_type: 'HEADERS', flags: 4, length: 30 });
  tap.call(call(0, 50, { client: '10.0.0.1:40000', status: 2, status_name: 'UNKNOWN' }));
  const [d] = tap.result().failed;
  assert.equal(d.messages.length, 1);
  assert.equal(d.messages[0].bodyCut, true);
  assert.equal(d.messages[0].body!.length, REPORT_LIMITS.bodyChars);
  assert.equal(d.frames[0].type, 'HEADERS');
});

test('a connection draws a bounded sample of lanes over its whole life, and every failed one', () => {
  const tap = new ReportTap();
  for (let i = 0; i < 3000; i++) tap.call(call(i * 3, 5, i === 2500 ? { reset: 'CANCEL', status: null, status_name: null } : {}));
  const [c] = tap.result().connections;
  assert.equal(c.lanes.length, REPORT_LIMITS.lanesPerConnection);
  assert.equal(c.failedLanes.length, 1);
  assert.equal(c.lanesMore, 3000 - REPORT_LIMITS.lanesPerConnection - 1);
  const starts = c.lanes.map((l) => l.start).sort((a, b) => a - b);
  const span = starts[starts.length - 1] - starts[0];
  assert.ok(span > 9 * 0.8, `lanes span ${span} s of the connection's 9 s`);
});

test('the decode command names one call with nothing from the capture reaching the shell', () => {
  const hostile = makeCall({ method: "/a.B/C'; rm -rf / #,*\u202e", client: '10.0.0.1:40000', start: '2026-11-21T03:39:12.000000001Z' });
  assert.equal(methodGlob(hostile.method), '/a.B/C???rm?-rf?/?????');
  assert.equal(
    decodeCommand(hostile, { ...ctx, decodeArgs: ['-I', 'my protos'] }),
    "grpctk decode -I 'my protos' --host 10.0.0.1:40000 --method '/a.B/C???rm?-rf?/?????' --since 2026-11-21T03:39:12.000000001Z --until 2026-11-21T03:39:12.000000002Z trace.pcapng",
  );
});

test('latency histogram: 10 buckets per decade from 1 µs; percentiles within a bucket', () => {
  assert.equal(histBucket(0), 0);
  assert.equal(histBucket(0.001), 0);
  assert.equal(histBucket(1), 30);
  assert.equal(histBucket(10), 40);
  assert.equal(histBucket(1e9), 99);
  const h = new Uint32Array(100);
  for (const ms of [1, 2, 3, 100]) h[histBucket(ms)]++;
  const p50 = histPercentile(h, 4, 50)!;
  assert.ok(p50 > 2 / 1.26 && p50 < 2 * 1.26, String(p50));
  assert.equal(histPercentile(h, 0, 50), null);
});
