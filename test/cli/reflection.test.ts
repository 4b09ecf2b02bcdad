/**
 * Schemas from the capture: samples/reflection.pcapng holds a grpc-js client asking a server's reflection
 * service for its files (between two calls). With no .proto given, grpctk decodes every message with its
 * type, as tshark does with the .proto files; the call before the reflection exchange too (a first pass over
 * the file). Read from a pipe there is no first pass: only calls after the exchange are typed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { golden, grpctk, ndjson, SAMPLES, assertCleanStderr } from './helpers';

const SAMPLE = 'samples/reflection.pcapng';

test('a capture with reflection calls decodes typed with no .proto given, as tshark does with them', () => {
  const run = grpctk(['decode', '-F', 'ndjson', SAMPLE]);
  assertCleanStderr(run.stderr);
  assert.equal(run.status, 0, run.stderr);
  const ours = ndjson(run.stdout).filter((r) => r.type === 'message');
  const theirs = golden('reflection.pcapng').messages;
  assert.deepEqual(
    ours.map((m) => [m.frame, m.stream, m.direction, m.length, m.message_type]),
    theirs.map((m) => [m.frame, m.stream, m.direction, m.length, m.message_type]),
  );
  assert.deepEqual(ours[0].body, { name: 'before' }, 'the call before the reflection exchange is typed too');
  assert.ok(ours.every((m) => m.error === null));
});

test('from a pipe, calls after the reflection exchange are typed; the one before stays raw', () => {
  const run = grpctk(['decode', '-F', 'ndjson', '-'], { input: fs.readFileSync(path.join(SAMPLES, 'reflection.pcapng')) });
  assert.equal(run.status, 0, run.stderr);
  const types = ndjson(run.stdout).filter((r) => r.type === 'message').map((m) => m.message_type);
  assert.deepEqual(types.slice(0, 2), [null, null]);
  assert.deepEqual(types.slice(-4), ['helloworld.HelloRequest', 'helloworld.HelloReply', 'grpctk.demo.DemoRequest', 'grpctk.demo.DemoReply']);
});
