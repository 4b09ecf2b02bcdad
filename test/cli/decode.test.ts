/**
 * grpctk decode as a user runs it: formats, hostile content on the terminal, filters, bad input, pipes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { assertCleanStderr, golden, grpctk, ndjson, PROTOS, ROOT } from './helpers';

const BASIC = 'samples/grpcjs-basic.pcapng';

test('text view -V: one block per call with method, status, metadata and protobuf JSON bodies', () => {
  const run = grpctk(['decode', '-V', '-I', PROTOS, BASIC]);
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stderr, '');
  const blocks = run.stdout.trim().split('\n\n');
  assert.equal(blocks.length, golden('grpcjs-basic.pcapng').calls.length);
  const first = blocks.find((b) => b.includes('x-request-id: req-0001'))!;
  assert.match(first, /^\/grpctk\.demo\.Demo\/Unary {2}OK {2}[\d.]+ ms/);
  assert.match(first, /x-client-bin: AAECf4D\//);
  assert.match(first, /→ request #0 grpctk\.demo\.DemoRequest \(371 bytes\)/);
  assert.match(first, /"big": "-9007199254740993"/);
  const failed = blocks.find((b) => b.includes('INVALID_ARGUMENT'))!;
  assert.match(failed, /INVALID_ARGUMENT \(3\)/);
  assert.match(failed, /message: bad value: 100% wrong – café ✗ 日本/);
});

test('text view escapes control characters from the capture and keeps UTF-8', () => {
  const run = grpctk(['decode', '--verbose', '-I', PROTOS, 'samples/hostile.pcapng']);
  assert.equal(run.status, 0, run.stderr);
  assert.ok(!run.stdout.includes('\x1b'), 'no raw ESC reaches the terminal');
  assert.ok(!run.stdout.includes('\x07'), 'no raw BEL reaches the terminal');
  assert.ok(!run.stdout.includes('\r'), 'no raw carriage return');
  assert.ok(run.stdout.includes('\\u001b[31mred'), 'ESC shown as an escape');
  assert.ok(run.stdout.includes('héllo ✓ 日本'), 'UTF-8 kept');
  // The status message carried a newline and an ESC: shown on one line, escaped.
  const line = run.stdout.split('\n').find((l) => l.startsWith('  message: failed:'));
  assert.ok(line, run.stdout);
  assert.ok(line!.includes('\\n\\x1b[31mred\\x1b[0m\\t-2+3'), line);
});

test('--format json is one valid JSON array of calls holding their messages', () => {
  const run = grpctk(['decode', '--format', 'json', '-I', PROTOS, BASIC]);
  assert.equal(run.status, 0, run.stderr);
  const calls = JSON.parse(run.stdout);
  assert.equal(calls.length, 13);
  const big = calls.find((c: any) => c.request_bytes === 100027);
  assert.equal(big.messages.length, 2);
  assert.deepEqual(big.messages.map((m: any) => m.direction), ['request', 'response']);
});

test('NDJSON records carry the documented fields', () => {
  const schema = JSON.parse(fs.readFileSync(path.join(ROOT, 'schema', 'records.schema.json'), 'utf8'));
  const run = grpctk(['decode', '--format', 'ndjson', '--frames', '-I', PROTOS, BASIC]);
  assert.equal(run.status, 0, run.stderr);
  const records = ndjson(run.stdout);
  for (const type of ['message', 'call', 'frame']) {
    const required: string[] = schema.$defs[type].required;
    const sample = records.filter((r) => r.type === type);
    assert.ok(sample.length > 0, `some ${type} records`);
    for (const r of sample) for (const field of required) assert.ok(field in r, `${type} record lacks ${field}`);
    for (const r of sample) if ('ts' in r) assert.match(r.ts, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
  }
});

test('filters: --method, --status !OK, --port select calls', () => {
  let run = grpctk(['decode', '-F', 'ndjson', '-I', PROTOS, '--method', '*SayHello', BASIC]);
  let calls = ndjson(run.stdout).filter((r) => r.type === 'call');
  assert.deepEqual(calls.map((c) => c.method), ['/helloworld.Greeter/SayHello']);
  run = grpctk(['decode', '-F', 'ndjson', '-I', PROTOS, '--status', '!OK', BASIC]);
  const records = ndjson(run.stdout);
  calls = records.filter((r) => r.type === 'call');
  assert.deepEqual(calls.map((c) => c.status).sort(), [3, 4, 5, null]);
  // Messages of a filtered call come with it; none of the OK calls' messages.
  const kept = new Set(calls.map((c) => `${c.tcp_stream}/${c.stream}`));
  for (const m of records.filter((r) => r.type === 'message')) assert.ok(kept.has(`${m.tcp_stream}/${m.stream}`));
  run = grpctk(['decode', '-F', 'ndjson', '--port', '1', BASIC]);
  assert.equal(run.stdout, '');
});

test('without a schema, bodies are decoded raw, keyed by field number', () => {
  const run = grpctk(['decode', '-F', 'ndjson', '--method', '*SayHello', BASIC]);
  const msgs = ndjson(run.stdout).filter((r) => r.type === 'message');
  assert.equal(msgs.length, 2);
  assert.equal(msgs[0].message_type, null);
  assert.deepEqual(msgs[0].body, { '1': 'world' });
});

test('stdin: the capture piped in gives the same records', () => {
  const file = grpctk(['decode', '-F', 'ndjson', '-I', PROTOS, BASIC]);
  const piped = grpctk(['decode', '-F', 'ndjson', '-I', PROTOS, '-'], { input: fs.readFileSync(path.join(ROOT, BASIC)) });
  assert.equal(piped.status, 0, piped.stderr);
  assert.equal(piped.stdout, file.stdout);
});

test('not a capture: one line on stderr, exit 1', () => {
  const run = grpctk(['decode', 'README.md']);
  assert.equal(run.status, 1);
  assertCleanStderr(run.stderr);
  assert.match(run.stderr, /^grpctk: .*(not a pcap or pcapng|NDJSON|line 1)/m);
});

test('a missing file is a usage error: exit 2', () => {
  const run = grpctk(['decode', 'no/such/file.pcapng']);
  assert.equal(run.status, 2);
  assert.equal(run.stderr, 'grpctk: cannot open no/such/file.pcapng: no such file\n');
});

test('bad flag values are usage errors: exit 2, one line', () => {
  const run = grpctk(['decode', '--max-message-size', 'lots', BASIC]);
  assert.equal(run.status, 2);
  assertCleanStderr(run.stderr);
});

test('a capture cut short still yields every call complete before the cut, then exit 1', () => {
  const whole = fs.readFileSync(path.join(ROOT, BASIC));
  const all = ndjson(grpctk(['decode', '-F', 'ndjson', '-I', PROTOS, BASIC]).stdout).filter((r) => r.type === 'call');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'grpctk-'));
  const cut = path.join(dir, 'cut.pcapng');
  fs.writeFileSync(cut, whole.subarray(0, Math.floor(whole.length * 0.6) + 3));
  const run = grpctk(['decode', '-F', 'ndjson', '-I', PROTOS, cut]);
  assert.equal(run.status, 1);
  assertCleanStderr(run.stderr);
  assert.match(run.stderr, /cut short/);
  const calls = ndjson(run.stdout).filter((r) => r.type === 'call');
  const complete = calls.filter((c) => c.complete);
  assert.ok(complete.length >= 5, `complete calls before the cut: ${complete.length}`);
  for (const c of complete) {
    const same = all.find((a) => a.tcp_stream === c.tcp_stream && a.stream === c.stream);
    assert.deepEqual(c, same);
  }
  fs.rmSync(dir, { recursive: true });
});

test('a closed pipe (| head) ends quietly with exit 0', () => {
  const r = spawnSync('bash', ['-o', 'pipefail', '-c', `node bin/grpctk.js decode -F ndjson -I samples/protos samples/large-messages.pcapng | head -c 10 >/dev/null`], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.stderr, '');
  assert.equal(r.status, 0);
});

test('-o FILE writes the file; an unwritable place is one line and exit 1', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'grpctk-'));
  const out = path.join(dir, 'calls.ndjson');
  let run = grpctk(['decode', '-F', 'ndjson', '-o', out, BASIC]);
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stdout, '');
  assert.equal(ndjson(fs.readFileSync(out, 'utf8')).filter((r) => r.type === 'call').length, 13);
  assert.deepEqual(fs.readdirSync(dir), ['calls.ndjson'], 'no temporary file left behind');
  run = grpctk(['decode', '-F', 'ndjson', '-o', '/dev/full', BASIC]);
  assert.equal(run.status, 1);
  assert.match(run.stderr, /^grpctk: cannot write \/dev\/full: no space left on device\n$/);
  run = grpctk(['decode', '-o', path.join(dir, 'missing', 'x.txt'), BASIC]);
  assert.equal(run.status, 1);
  assertCleanStderr(run.stderr);
  fs.rmSync(dir, { recursive: true });
});

test('-bin metadata is shown as base64 whether sent as base64 (grpc-js) or as true binary (grpc-core)', () => {
  for (const sample of ['samples/grpcjs-basic.pcapng', 'samples/grpcio-basic.pcapng']) {
    const calls = ndjson(grpctk(['decode', '-F', 'ndjson', '-I', PROTOS, sample]).stdout).filter((r) => r.type === 'call');
    const full = calls.find((c) => c.request_headers['x-request-id'] === 'req-0001');
    assert.ok(full, sample);
    assert.equal(full.request_headers['x-client-bin'], 'AAECf4D/', sample);
    assert.equal(Buffer.from(full.trailers['x-trailer-bin'], 'base64').toString('utf8'), 'trailer bytes ✓', sample);
  }
});

test('a deadline exceeded shows the server status even when the client reset crosses it', () => {
  const calls = ndjson(grpctk(['decode', '-F', 'ndjson', '-I', PROTOS, 'samples/grpcio-basic.pcapng']).stdout).filter((r) => r.type === 'call');
  const slow = calls.find((c) => c.timeout_ms === 201);
  assert.ok(slow);
  assert.equal(slow.status_name, 'DEADLINE_EXCEEDED');
  assert.equal(slow.reset, 'CANCEL');
  assert.equal(slow.complete, true);
});

test('empty input: decode says so (exit 1); stats answers zero calls with a warning (exit 0)', () => {
  let run = grpctk(['decode', '-'], { input: '' });
  assert.equal(run.status, 1);
  assert.equal(run.stderr, 'grpctk: empty input: not a pcap or pcapng file\n');
  run = grpctk(['stats', '-F', 'json', '-'], { input: '\n' });
  assert.equal(run.status, 0);
  assert.equal(run.stderr, 'grpctk: warning: empty input: no records\n');
  assert.equal(JSON.parse(run.stdout).total.calls, 0);
});

test('usage errors from the flag parser are one line in grpctk\'s voice, exit 2', () => {
  for (const args of [['decode', '--no-such-flag', 'x'], ['split', 'samples/grpcjs-basic.pcapng'], ['decode', '-F', 'yaml', 'x']]) {
    const run = grpctk(args);
    assert.equal(run.status, 2, args.join(' '));
    assert.equal(run.stderr.split('\n').filter(Boolean).length, 1, run.stderr);
    assert.match(run.stderr, /^grpctk: .+ \(see --help\)\n$/);
  }
});
