/**
 * `grpctk capture -w - | grpctk decode -`: calls show up while traffic flows, and every call is decoded.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { callAll, capturing, exitOf, ROOT, runGrpctk, startServer, track, waitFor } from './helpers';

test('capture -w - piped into decode - shows every call while the capture is still running', async () => {
  const server = await startServer();
  const capture = runGrpctk(['capture', '-i', 'lo', '-f', `tcp port ${server.port}`, '-w', '-'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const decode = track(
    spawn(process.execPath, [path.join(ROOT, 'bin', 'grpctk.js'), 'decode', '-F', 'ndjson', '-'], {
      cwd: ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
    }),
  );
  // The test reads capture's stdout into its own buffer list too; forward every chunk to decode.
  capture.proc.stdout!.on('data', (b: Buffer) => decode.stdin!.write(b));
  capture.proc.stdout!.on('end', () => decode.stdin!.end());
  let out = '';
  decode.stdout!.setEncoding('utf8');
  decode.stdout!.on('data', (s: string) => (out += s));
  let err = '';
  decode.stderr!.setEncoding('utf8');
  decode.stderr!.on('data', (s: string) => (err += s));
  const decodeExit = new Promise<number | null>((resolve) => decode.on('exit', (code) => resolve(code)));
  try {
    await capturing(capture);
    const names = ['alpha', 'beta', 'gamma'];
    const replies = await callAll(server.port, names);
    assert.deepEqual(replies, names.map((n) => `Hello ${n}`));
    const calls = () => out.split('\n').filter((l) => l.includes('"type":"call"'));
    await waitFor(() => calls().length === names.length, 'three calls from decode while capturing', 30_000);
    assert.equal(capture.proc.exitCode, null, 'the capture is still running');
    capture.proc.kill('SIGINT');
    assert.equal(await exitOf(capture), 0, capture.stderr);
    assert.equal(await decodeExit, 0, err);
    const records = out.split('\n').filter(Boolean).map((l) => JSON.parse(l));
    const done = records.filter((r) => r.type === 'call');
    assert.deepEqual(done.map((c) => [c.method, c.status_name, c.complete]), names.map(() => ['/helloworld.Greeter/SayHello', 'OK', true]));
    assert.deepEqual(records.filter((r) => r.type === 'message' && r.direction === 'request').map((m) => m.body), names.map((n) => ({ '1': n })));
    // Decoded without a schema: the summary says so, and nothing else.
    assert.match(err, /^grpctk: warning: 1 method without a schema, bodies decoded raw \(by field number\): \/helloworld\.Greeter\/SayHello; .*\n$/);
  } finally {
    capture.proc.kill('SIGKILL');
    decode.kill('SIGKILL');
    await server.stop();
  }
});
