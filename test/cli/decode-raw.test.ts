/**
 * grpctk decode without a schema, as a user runs it: strings read as strings, sub-messages as messages.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { grpctk, ndjson } from './helpers';

test('without a schema, short printable strings are strings and sub-messages stay nested', () => {
  const run = grpctk(['decode', '-F', 'ndjson', '--method', '*ServerStream', 'samples/grpcjs-basic.pcapng']);
  assert.equal(run.status, 0, run.stderr);
  const replies = ndjson(run.stdout).filter((r) => r.type === 'message' && r.direction === 'response');
  const ofFive = replies.filter((r) => / of 5$/.test(r.body['1']));
  assert.equal(ofFive.length, 5);
  ofFive.forEach((r, i) => {
    // "item 1 of 5" also parses as a message ({"4":53,"13":"7381…"}): numbers read out of letters lose.
    assert.equal(r.body['1'], `item ${i + 1} of 5`);
    assert.equal(r.body['2'], i + 1);
    // The google.protobuf.Timestamp: not printable text, so a nested message.
    assert.deepEqual(r.body['9'], { '1': 1704164645, '2': 123456789 });
  });
});

test('without a schema, a one-word action is a string, not field 12 of a message', () => {
  const run = grpctk(['decode', '-F', 'ndjson', '--method', '*Unary', 'samples/grpcjs-basic.pcapng']);
  assert.equal(run.status, 0, run.stderr);
  const requests = ndjson(run.stdout).filter((r) => r.type === 'message' && r.direction === 'request');
  assert.ok(requests.some((r) => r.body['1'] === 'error' && r.body['2'] === 'please fail'));
  assert.ok(!run.stdout.includes('1919906418'), '"error" read as fixed32 1919906418');
});
