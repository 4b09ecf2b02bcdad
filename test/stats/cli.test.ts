/** grpctk stats end to end on the NDJSON path: flags as users type them, errors as users see them. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { makeCall } from '../records/make';

const ROOT = path.resolve(__dirname, '../..');
const RUNNER = path.join(ROOT, 'test/stats/cli-runner.ts');

function grpctk(args: string[], input?: string) {
  return spawnSync(process.execPath, ['--import', 'tsx', RUNNER, ...args], { cwd: ROOT, input, encoding: 'utf8' });
}

const NDJSON = [
  makeCall({ stream: 1, duration_ms: 4 }),
  makeCall({ stream: 3, duration_ms: 8, status: 14, status_name: 'UNAVAILABLE' }),
  makeCall({ stream: 5, method: '/kv.Store/Get', duration_ms: 2 }),
]
  .map((c) => JSON.stringify(c))
  .join('\n');

test('--by-method --by status from stdin: nested keys in the order typed, JSON contract', () => {
  const r = grpctk(['stats', '--by-method', '--by', 'status', '-F', 'json', '-q', '-'], NDJSON);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.deepEqual(out.by, ['method', 'status']);
  assert.deepEqual(out.groups.map((g: { key: unknown; calls: number }) => [g.key, g.calls]), [
    [{ method: '/helloworld.Greeter/SayHello', status: 'OK' }, 1],
    [{ method: '/helloworld.Greeter/SayHello', status: 'UNAVAILABLE' }, 1],
    [{ method: '/kv.Store/Get', status: 'OK' }, 1],
  ]);
  assert.equal(out.total.calls, 3);
  assert.equal(out.total.errors, 1);
});

test('default table: by method, 80 columns, total row', () => {
  const r = grpctk(['stats', '-q', '-'], NDJSON);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /│ \/helloworld\.Greeter\/SayHello +│ +2 │ +1 │ +50% │/);
  assert.match(r.stdout, /│ Total +│ +3 │/);
  for (const line of r.stdout.split('\n')) assert.ok([...line].length <= 80, line);
});

test('a record of another type on stdin: stats up to it, then one line naming the line, exit 1', () => {
  const r = grpctk(['stats', '-F', 'csv', '-q', '-'], NDJSON + '\n{"type":"packet","frame":1}\n' + NDJSON);
  assert.equal(r.status, 1);
  assert.equal(r.stderr, 'grpctk: line 4: unknown record type "packet" (expected message, call or frame)\n');
  assert.match(r.stdout, /\r\nTOTAL,3,1,/);
});

test('bad flag values are usage errors (exit 2), one line', () => {
  const r = grpctk(['stats', '--by', 'method,colour', '-'], NDJSON);
  assert.equal(r.status, 2);
  assert.equal(r.stderr, 'grpctk: --by: unknown grouping "colour" (expected method, status, connection, server, client, authority, sni, tls)\n');
  const i = grpctk(['stats', '--interval', 'soon', '-'], NDJSON);
  assert.equal(i.status, 2);
  assert.match(i.stderr, /^grpctk: --interval: "soon" is not a duration/);
});
