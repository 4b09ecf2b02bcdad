/** grpctk stats end to end on the NDJSON path: flags as users type them, errors as users see them. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { makeCall } from '../records/make';

const ROOT = path.resolve(__dirname, '../..');
/** The CLI as a user runs it (the bundle `npm test` builds first). */
const CLI = path.join(ROOT, 'bin', 'grpctk.js');

function grpctk(args: string[], input?: string) {
  return spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, input, encoding: 'utf8' });
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

test('default table: by method, total row', () => {
  const r = grpctk(['stats', '-q', '-'], NDJSON);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /│ \/helloworld\.Greeter\/SayHello +│ +2 │ +1 │ +50% │/);
  assert.match(r.stdout, /│ Total +│ +3 │/);
});

test('piped or redirected, the table is not wrapped at 80 columns: each row is one line, for grep', () => {
  const long = '/lab.v1.InventoryManagementService/GetInventoryItemsByWarehouseLocation';
  // Sorted by calls alone, Get's 2 OK calls would come between the long method's 3 OK and 1 NOT_FOUND.
  const input = [
    ...[1, 3, 5].map((stream) => makeCall({ stream, method: long, duration_ms: 4 })),
    makeCall({ stream: 7, method: long, duration_ms: 8, status: 5, status_name: 'NOT_FOUND' }),
    ...[9, 11].map((stream) => makeCall({ stream, method: '/lab.v1.Inventory/Get', duration_ms: 2 })),
  ].map((c) => JSON.stringify(c)).join('\n');
  const r = grpctk(['stats', '--by', 'method', '--by', 'status', '-q', '-'], input);
  assert.equal(r.status, 0, r.stderr);
  const rows = r.stdout.split('\n').filter((l) => l.includes(long));
  // Both tables: the method's two statuses, each row whole with its numbers and its statuses on one line.
  assert.equal(rows.length, 4, r.stdout);
  assert.ok(rows.some((l) => new RegExp(`^│ ${long.replace(/\./g, '\\.')} / OK +│ +3 │ +0 │ +0% │`).test(l)), rows.join('\n'));
  assert.match(r.stdout, /│ Messages req \/ resp │/);
  assert.match(r.stdout, /│ Total +│ OK 5, NOT_FOUND 1 +│/);
  // The rows of one method come together, whatever the sort puts between them.
  const keys = r.stdout.split('\n').filter((l) => l.startsWith('│ /')).slice(0, 3).map((l) => l.split(' / ')[0]);
  assert.deepEqual(keys, [`│ ${long}`, `│ ${long}`, '│ /lab.v1.Inventory/Get']);
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
  assert.equal(r.stderr, 'grpctk: --by: unknown grouping "colour" (expected method, status, connection, server, client, authority, sni, tls, protocol)\n');
  const i = grpctk(['stats', '--interval', 'soon', '-'], NDJSON);
  assert.equal(i.status, 2);
  assert.match(i.stderr, /^grpctk: --interval: "soon" is not a duration/);
});
