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
import { spawn } from 'node:child_process';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { golden, grpctk, ndjson, PROTOS, ROOT, SAMPLES, assertCleanStderr } from './helpers';

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

/** Runs grpctk without blocking this process (the reflection server below lives in it). */
function grpctkAsync(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'grpctk.js'), ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b) => (stdout += b));
    child.stderr.on('data', (b) => (stderr += b));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

test('--reflect HOST:PORT takes the schema from a live server with @grpc/reflection, as -I would', async () => {
  const def = protoLoader.loadSync(['grpctk/demo/demo.proto', 'helloworld.proto'], { keepCase: true, includeDirs: [PROTOS] });
  const server = new grpc.Server();
  new ReflectionService(def).addToServer(server);
  const port = await new Promise<number>((res, rej) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))));
  try {
    const live = await grpctkAsync(['decode', '-F', 'ndjson', '--reflect', `127.0.0.1:${port}`, 'samples/grpcjs-basic.pcapng']);
    assert.equal(live.status, 0, live.stderr);
    const withProtos = grpctk(['decode', '-F', 'ndjson', '-I', PROTOS, 'samples/grpcjs-basic.pcapng']);
    const bodies = (out: string) => ndjson(out).filter((r) => r.type === 'message').map((m) => [m.message_type, m.body]);
    assert.deepEqual(bodies(live.stdout), bodies(withProtos.stdout));
    assert.ok(bodies(live.stdout).every(([t]) => t !== null));
  } finally {
    server.forceShutdown();
  }
  const gone = await grpctkAsync(['decode', '--reflect', `127.0.0.1:${port}`, 'samples/grpcjs-basic.pcapng']);
  assert.equal(gone.status, 2);
  assert.match(gone.stderr, /^grpctk: --reflect 127\.0\.0\.1:\d+: cannot get the schema from the server's reflection service: .*ECONNREFUSED.*\n$/);
});
