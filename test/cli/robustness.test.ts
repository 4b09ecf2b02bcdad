/**
 * The CLI under the things that happen to it: Ctrl-C and SIGTERM during `-o FILE`, a broken .proto in a
 * large -I tree, secrets in metadata that must not reach a shared file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { grpctk, ndjson, PROTOS, ROOT, SAMPLES } from './helpers';

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'grpctk-robust-'));
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  test(`${signal} while writing -o FILE removes the temporary file and ends by the signal`, async () => {
    const dir = tmpDir();
    const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'grpctk.js'), 'decode', '-o', 'out.txt', '-'], { cwd: dir, stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('exit', (code, sig) => resolve([code, sig])));
    // Part of a capture, and the pipe kept open: grpctk is reading, with its output file open.
    child.stdin.write(fs.readFileSync(path.join(SAMPLES, 'grpcjs-basic.pcapng')).subarray(0, 3000));
    await until(() => fs.readdirSync(dir).some((f) => f.startsWith('.out.txt.grpctk-')), 'the temporary file');
    child.kill(signal);
    const [code, sig] = await exited;
    assert.equal(sig, signal, `exit code ${code}, stderr: ${stderr}`);
    assert.deepEqual(fs.readdirSync(dir), []);
    fs.rmSync(dir, { recursive: true });
  });
}

test('a broken .proto under -I is skipped with a warning naming file and line; named with --proto it stops', () => {
  const dir = tmpDir();
  fs.cpSync(PROTOS, dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'broken.proto'), 'syntax = "proto3";\npackage broken;\nmessage X {\n  string a = 1\n  int32 b = 2;\n}\n');
  const run = grpctk(['decode', '-F', 'ndjson', '-I', dir, 'samples/grpcjs-basic.pcapng']);
  assert.equal(run.status, 0, run.stderr);
  assert.equal(
    run.stderr,
    `grpctk: warning: ${path.join(dir, 'broken.proto')}: line 5: illegal token 'int32', ';' expected; skipped (its types are not loaded: their messages are decoded raw)\n`,
  );
  // The other files still give every message its type.
  assert.ok(ndjson(run.stdout).filter((r) => r.type === 'message').every((m) => m.message_type !== null));
  const named = grpctk(['decode', '--proto', path.join(dir, 'broken.proto'), 'samples/grpcjs-basic.pcapng']);
  assert.equal(named.status, 2);
  assert.equal(named.stderr, `grpctk: --proto ${path.join(dir, 'broken.proto')}: line 5: illegal token 'int32', ';' expected\n`);
  fs.rmSync(dir, { recursive: true });
});

test('--redact and --redact-default mask header values in every output; split refuses them', () => {
  const args = ['--redact', 'x-request-id', '--redact-default', '-I', PROTOS, 'samples/grpcjs-basic.pcapng'];
  const nd = grpctk(['decode', '-F', 'ndjson', ...args]);
  assert.equal(nd.status, 0, nd.stderr);
  const first = ndjson(nd.stdout).find((r) => r.type === 'call' && r.request_headers['x-request-id'] !== undefined);
  assert.equal(first.request_headers['x-request-id'], '<redacted>');
  assert.equal(first.request_headers['user-agent'], 'grpc-node-js/1.14.7');
  assert.doesNotMatch(nd.stdout, /req-0001/);
  for (const out of [
    grpctk(['decode', '-V', ...args]).stdout,
    grpctk(['decode', '-F', 'json', ...args]).stdout,
    grpctk(['export', ...args]).stdout,
    grpctk(['export', '-F', 'ndjson', '--columns', 'request_headers.x-request-id', ...args]).stdout,
  ]) {
    assert.match(out, /<redacted>/);
    assert.doesNotMatch(out, /req-0001/);
  }
  // Fields that are headers too: authority, grpc-message.
  const stats = grpctk(['stats', '-F', 'csv', '--by', 'authority', '--redact', ':authority', 'samples/grpcjs-basic.pcapng']);
  assert.match(stats.stdout, /^<redacted>,13,/m);
  assert.doesNotMatch(stats.stdout, /127\.0\.0\.1/);
  const split = grpctk(['split', '--by', 'connection', '-o', path.join(tmpDir(), 'parts'), '--redact-default', 'samples/grpcjs-basic.pcapng']);
  assert.equal(split.status, 2);
  assert.match(split.stderr, /^grpctk: split writes the captured packets byte for byte: header values inside HPACK-compressed header blocks cannot be masked .* --redact is refused; share `grpctk decode --redact …`/);
});
