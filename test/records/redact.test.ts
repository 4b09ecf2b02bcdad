import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeRedactor, REDACTED } from '../../src/records/redact';
import { makeCall } from './make';

test('named headers are masked in every header object, case-insensitively; the record is a new object', () => {
  const redact = makeRedactor(['Authorization', 'grpc-message', ':authority'])!;
  const call = makeCall({
    request_headers: { authorization: 'Bearer s3cret', 'user-agent': 'x' },
    trailers: { 'grpc-status': '16', 'grpc-message': 'token s3cret expired', authorization: 'again' },
    grpc_message: 'token s3cret expired',
  });
  const out = redact(call);
  assert.notEqual(out, call);
  assert.equal(call.request_headers.authorization, 'Bearer s3cret'); // the original is untouched
  assert.deepEqual(out.request_headers, { authorization: REDACTED, 'user-agent': 'x' });
  assert.deepEqual(out.trailers, { 'grpc-status': '16', 'grpc-message': REDACTED, authorization: REDACTED });
  assert.equal(out.grpc_message, REDACTED);
  assert.equal(out.authority, REDACTED);
  assert.doesNotMatch(JSON.stringify(out), /s3cret/);
  assert.deepEqual(Object.keys(out), Object.keys(call));
});

test('a call without the named headers passes as it is; no names, no redactor', () => {
  const redact = makeRedactor(['cookie'])!;
  const call = makeCall();
  assert.equal(redact(call), call);
  assert.equal(makeRedactor([]), null);
  assert.equal(makeRedactor([' ']), null);
});
