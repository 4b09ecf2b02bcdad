/**
 * The sharding recipe of the README, run as written (split by connection, one grpctk per part in
 * parallel, stats --merge), and the README's DuckDB query over the Parquet parts: both give the answer of
 * one run over the whole capture.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { grpctk, ROOT, SAMPLES } from '../cli/helpers';
import { duck } from '../output/duckdb';

const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');

/** The fenced block of `lang` that follows `after` in the README. */
function block(after: string, lang: string): string {
  const at = README.indexOf(after);
  assert.ok(at >= 0, `README has ${after}`);
  const m = new RegExp('```' + lang + '\\n([\\s\\S]*?)```').exec(README.slice(at));
  assert.ok(m, `a ${lang} block after ${after}`);
  return m[1];
}

test('README sharding recipe: the merged answer and the query over the Parquet parts equal the whole capture', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'grpctk-shards-'));
  try {
    fs.copyFileSync(path.join(SAMPLES, 'grpcjs-basic.pcapng'), path.join(dir, 'trace.pcapng'));
    // `grpctk` on PATH, as an installed package puts it.
    fs.mkdirSync(path.join(dir, 'bin'));
    fs.symlinkSync(path.join(ROOT, 'bin', 'grpctk.js'), path.join(dir, 'bin', 'grpctk'));
    const script = block('<!-- sharding recipe -->', 'sh');
    const run = spawnSync('bash', ['-euo', 'pipefail', '-c', script], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, PATH: `${path.join(dir, 'bin')}:${process.env.PATH}` },
    });
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stderr, '');
    const parts = fs.readdirSync(path.join(dir, 'parts')).filter((f) => f.endsWith('.pcapng'));
    assert.equal(parts.length, 3, 'one part per connection');
    assert.match(run.stdout, /Total +│ +13 │/, 'the merged table, total included');

    const whole = JSON.parse(grpctk(['stats', '-q', '-F', 'json', path.join(dir, 'trace.pcapng')]).stdout);
    const merged = JSON.parse(grpctk(['stats', '-q', '-F', 'json', '--merge', ...parts.map((p) => path.join(dir, 'parts', `${p}.stats.json`))]).stdout);
    assert.deepEqual(merged.groups.map((g: any) => g.key), whole.groups.map((g: any) => g.key));
    for (const [m, w] of [...merged.groups.map((g: any, i: number) => [g, whole.groups[i]]), [merged.total, whole.total]]) {
      for (const k of ['key', 'calls', 'status', 'errors', 'error_rate', 'request_messages', 'response_messages', 'request_bytes', 'response_bytes', 'first', 'last', 'calls_per_second']) {
        assert.deepEqual(m[k], w[k], `${w.key ?? 'total'}: ${k}`);
      }
      for (const k of ['count', 'min', 'max', 'mean']) assert.equal(m.latency_ms[k], w.latency_ms[k], `${w.key ?? 'total'}: latency ${k}`);
      for (const k of ['p50', 'p90', 'p99']) {
        const error = Math.abs(m.latency_ms[k] - w.latency_ms[k]);
        assert.ok(error <= w.latency_ms[k] * 0.001 + 0.001, `${w.key ?? 'total'}: ${k} ${m.latency_ms[k]} vs ${w.latency_ms[k]}`);
      }
      assert.equal(m.latency_ms.exact, false);
    }

    const sql = block('<!-- sharding recipe -->', 'sql').replace("'parts/*.parquet'", `'${path.join(dir, 'parts')}/*.parquet'`);
    const rows = await duck(sql);
    const byKey = [...whole.groups].sort((a: any, b: any) => (a.key < b.key ? -1 : 1));
    assert.deepEqual(rows, byKey.map((g: any) => ({ method: g.key, calls: String(g.calls), p99_ms: g.latency_ms.p99 })));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
