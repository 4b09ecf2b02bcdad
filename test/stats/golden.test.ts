/**
 * Stats on the real samples against Wireshark: counts per method and status, messages and bytes from the
 * golden files (test/golden/*.grpc.json, made by tshark), and latencies from tshark's HTTP/2 dissection
 * (test/golden/*.http2.tsv): a call starts at the packet of its request HEADERS and ends at the packet that
 * closed its stream (END_STREAM both ways, or the first RST_STREAM). The same answer is asked of the capture and of its NDJSON.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pipelineOptionsFrom } from '../../src/cli/options';
import { readRecords } from '../../src/pipeline';
import { parseIsoTimeNs } from '../../src/records/time';
import type { CallRecord, MessageRecord } from '../../src/records/types';
import { StatsTap, type StatsResult } from '../../src/stats/index';

const ROOT = path.resolve(__dirname, '../..');
const READY = fs.existsSync(path.join(ROOT, 'samples/READY')) ? fs.readFileSync(path.join(ROOT, 'samples/READY'), 'utf8') : '';
const NAMES: Record<number, string> = { 0: 'OK', 1: 'CANCELLED', 3: 'INVALID_ARGUMENT', 4: 'DEADLINE_EXCEEDED', 5: 'NOT_FOUND', 10: 'ABORTED' };

interface Golden {
  messages: Array<{ tcp_stream: number; stream: number; direction: string; length: number }>;
  calls: Array<{ tcp_stream: number; stream: number; method: string; status: number | null }>;
}

/**
 * Per (tcp.stream, stream): request HEADERS time and close time, in epoch ns, from tshark's HTTP/2 frames
 * (`tshark -T fields`, committed as test/golden/F.http2.tsv by make-golden.sh: npm test needs no Wireshark).
 */
function tsharkTimes(file: string, serverPort: number): Map<string, { start: bigint; end: bigint | null }> {
  const out = fs.readFileSync(path.join(ROOT, 'test/golden', `${file}.http2.tsv`), 'utf8').split('\n').slice(1).join('\n');
  const state = new Map<string, { start: bigint | null; client: bigint | null; server: bigint | null; rst: bigint | null }>();
  for (const line of out.trim().split('\n')) {
    const [time, tcp, src, ids, types, flags] = line.split('\t');
    const [sec, frac] = time.split('.');
    const ns = BigInt(sec) * 1_000_000_000n + BigInt(frac.padEnd(9, '0'));
    const idList = ids.split(',');
    const typeList = types.split(',');
    const flagList = flags.split(',');
    assert.equal(idList.length, typeList.length);
    assert.equal(idList.length, flagList.length);
    const fromServer = Number(src) === serverPort;
    idList.forEach((id, i) => {
      if (id === '0') return;
      const key = `${tcp}/${id}`;
      let s = state.get(key);
      if (!s) state.set(key, (s = { start: null, client: null, server: null, rst: null }));
      const type = Number(typeList[i]);
      const endStream = (type === 0 || type === 1) && (Number(flagList[i]) & 1) === 1;
      if (type === 1 && !fromServer && s.start === null) s.start = ns;
      if (endStream && fromServer && s.server === null) s.server = ns;
      if (endStream && !fromServer && s.client === null) s.client = ns;
      if (type === 3 && s.rst === null) s.rst = ns;
    });
  }
  const times = new Map<string, { start: bigint; end: bigint | null }>();
  for (const [key, s] of state) {
    if (s.start === null) continue;
    const both = s.client !== null && s.server !== null ? (s.client > s.server ? s.client : s.server) : null;
    const candidates = [both, s.rst].filter((x): x is bigint => x !== null);
    times.set(key, { start: s.start, end: candidates.length ? candidates.reduce((a, b) => (a < b ? a : b)) : null });
  }
  return times;
}

function nearestRank(sorted: number[], p: number): number {
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** What stats --by method must say, derived from the golden file and tshark only. */
function expected(file: string, serverPort: number) {
  const golden: Golden = JSON.parse(fs.readFileSync(path.join(ROOT, 'test/golden', `${file}.grpc.json`), 'utf8'));
  const times = tsharkTimes(file, serverPort);
  const methodOf = new Map(golden.calls.map((c) => [`${c.tcp_stream}/${c.stream}`, c.method]));
  const byMethod = new Map<string, { calls: number; status: Record<string, number>; errors: number; durations: number[]; req: number; resp: number; reqBytes: number; respBytes: number }>();
  for (const c of golden.calls) {
    let m = byMethod.get(c.method);
    if (!m) byMethod.set(c.method, (m = { calls: 0, status: {}, errors: 0, durations: [], req: 0, resp: 0, reqBytes: 0, respBytes: 0 }));
    m.calls++;
    const label = c.status === null ? 'NONE' : NAMES[c.status];
    m.status[label] = (m.status[label] ?? 0) + 1;
    const t = times.get(`${c.tcp_stream}/${c.stream}`)!;
    // Ended other than OK: a non-zero status, or closed without one (reset).
    if (c.status !== null ? c.status !== 0 : t.end !== null) m.errors++;
    if (t.end !== null) m.durations.push(Number(t.end - t.start) / 1e6);
  }
  for (const msg of golden.messages) {
    const m = byMethod.get(methodOf.get(`${msg.tcp_stream}/${msg.stream}`)!)!;
    if (msg.direction === 'request') {
      m.req++;
      m.reqBytes += msg.length;
    } else {
      m.resp++;
      m.respBytes += msg.length;
    }
  }
  return byMethod;
}

async function statsOf(input: string): Promise<StatsResult> {
  const tap = new StatsTap({ by: ['method'] });
  await readRecords(input, tap, pipelineOptionsFrom({ protoPath: [path.join(ROOT, 'samples/protos')], quiet: true }));
  return tap.result();
}

/** decode --format ndjson, in-process: every record of the capture, one JSON per line. */
async function ndjsonOf(input: string): Promise<string> {
  const lines: string[] = [];
  const keep = (r: CallRecord | MessageRecord) => void lines.push(JSON.stringify(r));
  await readRecords(input, { message: keep, call: keep }, pipelineOptionsFrom({ protoPath: [path.join(ROOT, 'samples/protos')], quiet: true }));
  return lines.join('\n') + '\n';
}

function compare(result: StatsResult, want: ReturnType<typeof expected>): void {
  assert.deepEqual(new Set(result.groups.map((g) => g.key)), new Set(want.keys()));
  for (const g of result.groups) {
    const w = want.get(g.key as string)!;
    const label = g.key as string;
    assert.equal(g.calls, w.calls, label);
    assert.deepEqual(g.status, w.status, label);
    assert.equal(g.errors, w.errors, label);
    assert.equal(g.request_messages, w.req, label);
    assert.equal(g.response_messages, w.resp, label);
    assert.equal(g.request_bytes, w.reqBytes, label);
    assert.equal(g.response_bytes, w.respBytes, label);
    const sorted = [...w.durations].sort((a, b) => a - b);
    assert.equal(g.latency_ms.count, sorted.length, label);
    const close = (got: number | null, exp: number, what: string) =>
      assert.ok(got !== null && Math.abs(got - exp) < 1e-6, `${label} ${what}: ${got} vs tshark ${exp}`);
    close(g.latency_ms.min, sorted[0], 'min');
    close(g.latency_ms.max, sorted[sorted.length - 1], 'max');
    close(g.latency_ms.mean, sorted.reduce((a, b) => a + b, 0) / sorted.length, 'mean');
    for (const p of [50, 90, 99] as const) close(g.latency_ms[`p${p}`], nearestRank(sorted, p), `p${p}`);
  }
  const total = [...want.values()].reduce((a, m) => a + m.calls, 0);
  assert.equal(result.total.calls, total);
}

for (const [file, port] of [['grpcjs-basic.pcapng', 50051], ['grpcio-basic.pcapng', 50052]] as const) {
  test(`stats on ${file} equal Wireshark's counts and latencies, from the capture and from its NDJSON`, { skip: !READY.includes(file) && 'samples not recorded' }, async () => {
    const want = expected(file, port);
    const fromCapture = await statsOf(path.join(ROOT, 'samples', file));
    compare(fromCapture, want);

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'grpctk-stats-'));
    try {
      const nd = path.join(dir, 'calls.ndjson');
      fs.writeFileSync(nd, await ndjsonOf(path.join(ROOT, 'samples', file)));
      const fromNdjson = await statsOf(nd);
      assert.deepEqual(fromNdjson, fromCapture);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}
