/**
 * stats --merge: shards' JSON answers combine into one run's answer (interval series included), merges of
 * merges equal one merge, and mismatched or foreign files are refused with a reason.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { grpctk, SAMPLES } from '../cli/helpers';
import { EXACT_LATENCY_LIMIT, LatencyDigest } from '../../src/stats/latency';
import { mergeStats } from '../../src/stats/merge';
import { StatsTap } from '../../src/stats/tap';
import { makeCall } from '../records/make';

/** The calls of a sample as NDJSON lines, cut into `n` shards round-robin. */
function shards(sample: string, n: number): string[] {
  const lines = grpctk(['export', '-q', '-F', 'ndjson', path.join(SAMPLES, sample)]).stdout.split('\n').filter(Boolean);
  const out: string[][] = Array.from({ length: n }, () => []);
  lines.forEach((l, i) => out[i % n].push(l));
  return out.map((ls) => ls.join('\n') + '\n');
}

function statsJson(args: string[], input?: string): any {
  const r = grpctk(['stats', '-q', '-F', 'json', ...args], { input });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

/** A result without what differs by construction between a merge and one run: percentiles, `exact`, merge state. */
function exactPart(result: any): any {
  const strip = (g: any) => {
    const { merge: _m, ...rest } = g;
    const { p50: _a, p90: _b, p99: _c, exact: _e, ...latency } = g.latency_ms;
    const series = g.series?.map(({ p99_ms: _p, merge: _h, ...s }: any) => s);
    return { ...rest, latency_ms: latency, ...(series ? { series } : {}) };
  };
  return { ...result, groups: result.groups.map(strip), total: strip(result.total) };
}

test('--merge of shards with --by method,status and --interval: exact numbers equal one run, series included', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'grpctk-merge-'));
  try {
    const args = ['--by', 'method,status', '--interval', '250ms', '--sort', 'key'];
    const parts = shards('grpcjs-basic.pcapng', 3);
    const files = parts.map((text, i) => {
      const f = path.join(dir, `s${i}.json`);
      fs.writeFileSync(f, JSON.stringify(statsJson([...args, '-'], text)));
      return f;
    });
    const whole = statsJson([...args, '-'], parts.join(''));
    const merged = statsJson(['--sort', 'key', '--merge', ...files]);
    assert.deepEqual(exactPart(merged), exactPart(whole));
    assert.ok(whole.total.series.length >= 3);
    merged.total.series.forEach((s: any, i: number) => {
      const w = whole.total.series[i].p99_ms;
      if (w === null) assert.equal(s.p99_ms, null);
      else assert.ok(Math.abs(s.p99_ms - w) <= w * 0.001 + 0.001, `interval ${s.start}: p99 ${s.p99_ms} vs ${w}`);
    });
    // A merge of merges is the merge of all.
    const ab = path.join(dir, 'ab.json');
    fs.writeFileSync(ab, JSON.stringify(statsJson(['--merge', files[0], files[1]])));
    assert.deepEqual(statsJson(['--sort', 'key', '--merge', ab, files[2]]), merged);
    // CSV and the table from the same merge.
    const csv = grpctk(['stats', '-F', 'csv', '--merge', ...files]);
    assert.equal(csv.status, 0, csv.stderr);
    assert.match(csv.stdout, /^method,status,interval_start,calls,errors,p99_ms\r\n/);
    assert.match(csv.stdout, /\r\nTOTAL,,/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('--merge refuses files of another grouping, foreign files and shard-time flags', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'grpctk-merge-'));
  try {
    const basic = path.join(SAMPLES, 'grpcjs-basic.pcapng');
    const a = path.join(dir, 'a.json');
    const b = path.join(dir, 'b.json');
    const c = path.join(dir, 'c.json');
    fs.writeFileSync(a, JSON.stringify(statsJson([basic])));
    fs.writeFileSync(b, JSON.stringify(statsJson(['--by', 'status', basic])));
    fs.writeFileSync(c, '{"hello": 1}');
    let r = grpctk(['stats', '--merge', a, b]);
    assert.equal(r.status, 1);
    assert.equal(r.stderr, `grpctk: ${b}: grouped by status, ${a} by method: merge answers of the same --by\n`);
    r = grpctk(['stats', '--merge', a, c]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^grpctk: .*c\.json: not grpctk stats --format json output/);
    r = grpctk(['stats', '--merge', a, path.join(dir, 'missing.json')]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^grpctk: cannot read .*missing\.json: no such file or directory\n$/);
    r = grpctk(['stats', '--by', 'method', '--merge', a]);
    assert.equal(r.status, 2);
    r = grpctk(['stats', '--method', '/x/*', '--merge', a]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /filters apply when the shards run/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('merged percentiles past the exact limit: nearest rank from the added histograms, within 0.1%', () => {
  // A shard past the exact limit (its histogram is the tap's own) and a small one, against the exact answer.
  const all: number[] = [];
  const taps = [new StatsTap({ by: [] }), new StatsTap({ by: [] })];
  const call = makeCall();
  for (let i = 0; i < EXACT_LATENCY_LIMIT + 20_000; i++) {
    const ms = 0.25 + ((i * 7919) % 100_000) / 97;
    all.push(ms);
    call.duration_ms = ms;
    taps[i < EXACT_LATENCY_LIMIT + 5_000 ? 0 : 1].call(call);
  }
  assert.equal(taps[0].result().total.latency_ms.exact, false);
  const merged = mergeStats(taps.map((t, i) => ({ name: `s${i}`, result: JSON.parse(JSON.stringify(t.result({ mergeable: true }))) })));
  const exact = new LatencyDigest(Infinity);
  for (const v of all) exact.add(v);
  for (const p of [50, 90, 99] as const) {
    const want = exact.percentile(p)!;
    const got = merged.total.latency_ms[`p${p}`]!;
    assert.ok(Math.abs(got - want) <= want * 0.001 + 0.001, `p${p}: ${got} vs ${want}`);
  }
  assert.equal(merged.total.latency_ms.count, all.length);
  assert.equal(merged.total.latency_ms.min, all.reduce((a, b) => Math.min(a, b)));
  assert.equal(merged.total.latency_ms.max, all.reduce((a, b) => Math.max(a, b)));
});
