/**
 * Finding things as a user does: -Y display filters, durations, one call by --call, and a filter that
 * matches nothing saying what was there. The same grammar in decode, stats and export.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertCleanStderr, grpctk, ndjson, PROTOS } from './helpers';

const PY = 'samples/grpcio-basic.pcapng';
const EXAMPLE = 'status != 0 && duration_ms > 100 && request_headers["user-agent"] contains "python"';

test("-Y: the issue's example finds the one slow failed call of the Python client, with its messages", () => {
  const run = grpctk(['decode', '-F', 'ndjson', '-I', PROTOS, '-Y', EXAMPLE, PY]);
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stderr, '');
  const records = ndjson(run.stdout);
  assert.deepEqual(records.map((r) => [r.type, r.call_id]), [['message', '0/15'], ['call', '0/15']]);
  assert.equal(records[1].status_name, 'DEADLINE_EXCEEDED');
  // The same filter in stats and export.
  const stats = grpctk(['stats', '-F', 'json', '--display-filter', EXAMPLE, PY]);
  assert.equal(stats.status, 0, stats.stderr);
  assert.equal(JSON.parse(stats.stdout).total.calls, 1);
  const csv = grpctk(['export', '--columns', 'call_id,status_name', '-Y', EXAMPLE, PY]);
  assert.equal(csv.stdout, 'call_id,status_name\r\n0/15,DEADLINE_EXCEEDED\r\n');
});

test('-Y on message fields: export of messages, and decode shows the calls with the messages that matched', () => {
  const run = grpctk(['export', '--records', 'messages', '--columns', 'call_id,direction,index', '-Y', 'direction == "response" && method contains "ServerStream" && status == OK', PY]);
  assert.equal(run.status, 0, run.stderr);
  assert.deepEqual(run.stdout.trim().split('\r\n').slice(1), ['0/5,response,0', '0/5,response,1', '0/5,response,2', '0/5,response,3', '1/3,response,0', '1/3,response,1', '1/3,response,2']);
  const text = grpctk(['decode', '-V', '-I', PROTOS, '-Y', 'length > 300', PY]);
  assert.equal(text.status, 0, text.stderr);
  assert.equal(text.stdout.trim().split('\n\n').length, 1);
  assert.match(text.stdout, /→ request #0 grpctk\.demo\.DemoRequest \(367 bytes\)/);
  assert.doesNotMatch(text.stdout, /← response/);
  // stats counts calls: a message field there is a usage error, one line, exit 2.
  const stats = grpctk(['stats', '-Y', 'length > 300', PY]);
  assert.equal(stats.status, 2);
  assert.equal(stats.stderr, 'grpctk: -Y: length is a field of message records; this command reads call records (use decode or export --records messages)\n');
});

test('-Y mistakes: one line naming the column, exit 2, nothing read', () => {
  const run = grpctk(['decode', '-Y', 'status == 0 && user_agent contains "x"', PY]);
  assert.equal(run.status, 2);
  assert.match(run.stderr, /^grpctk: -Y: unknown field "user_agent" .* at column 16 of "status == 0 && user_agent contains \\"x\\""\n$/);
  assert.equal(run.stdout, '');
});

test('--call follows one call: its messages and the call record share call_id', () => {
  const run = grpctk(['decode', '-F', 'ndjson', '-I', PROTOS, '--call', '0/9', PY]);
  assert.equal(run.status, 0, run.stderr);
  const records = ndjson(run.stdout);
  assert.deepEqual(records.map((r) => r.type), ['message', 'message', 'message', 'message', 'message', 'message', 'call']);
  assert.ok(records.every((r) => r.call_id === '0/9' && r.tcp_stream === 0 && r.stream === 9));
  // call_id survives NDJSON round trips, and is filled in for NDJSON written before it existed.
  const old = run.stdout.replace(/"call_id":"[^"]*",/g, '');
  const again = grpctk(['decode', '-F', 'ndjson', '--call', '0/9', '-'], { input: old });
  assert.deepEqual(ndjson(again.stdout).map((r) => r.call_id), records.map((r) => r.call_id));
});

test('--min-duration/--max-duration keep calls by duration, with their messages', () => {
  const run = grpctk(['export', '-F', 'ndjson', '--columns', 'call_id,duration_ms', '--min-duration', '150ms', PY]);
  assert.equal(run.status, 0, run.stderr);
  assert.deepEqual(ndjson(run.stdout).map((r) => r.call_id), ['0/15', '0/17']);
  const fast = grpctk(['stats', '-F', 'json', '--max-duration', '0.15s', PY]);
  assert.equal(JSON.parse(fast.stdout).total.calls, 10);
});

test('a filter that matches nothing says so, with what was there and a hint', () => {
  const run = grpctk(['decode', '--method', 'Unary', PY]);
  assert.equal(run.status, 0);
  assert.equal(run.stdout, '');
  assertCleanStderr(run.stderr);
  assert.match(
    run.stderr,
    /^grpctk: no call matched --method Unary \(12 calls read\); methods seen: \/grpctk\.demo\.Demo\/Unary, .*\/helloworld\.Greeter\/SayHello; globs match the full path: try '\*Unary' or '\*Unary\*'$/m,
  );
  const stats = grpctk(['stats', '-Y', 'status == PERMISSION_DENIED', PY]);
  assert.match(stats.stderr, /^grpctk: no call matched -Y 'status == PERMISSION_DENIED' \(12 calls read\); statuses seen: OK \(8\), .*NOT_FOUND \(1\)/m);
  assert.equal(grpctk(['stats', '-q', '-Y', 'status == 7', PY]).stderr, '');
});
