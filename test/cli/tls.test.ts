/**
 * gRPC over TLS as a user meets it: decode, stats and export with --tls-keylog, a capture that carries its
 * own secrets, and the summary lines when keys are missing, wrong or garbled. Never a secret on screen.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { assertCleanStderr, golden, grpctk, ndjson, PROTOS, SAMPLES } from './helpers';

const TLS13 = path.join(SAMPLES, 'tls13-grpcjs.pcapng');
const TLS13_KEYS = path.join(SAMPLES, 'tls13-grpcjs.keys');
const RESUME = path.join(SAMPLES, 'tls-resume.pcapng');
const RESUME_KEYS = path.join(SAMPLES, 'tls-resume.keys');

function tmp(name: string, text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'grpctk-tls-'));
  const f = path.join(dir, name);
  fs.writeFileSync(f, text);
  return f;
}

/** Every secret of a key log, to check that none is ever printed. */
function secretsOf(file: string): string[] {
  return fs.readFileSync(file, 'utf8').split('\n').map((l) => l.trim().split(' ')[2]).filter((s) => s && s.length >= 32);
}

test('decode --tls-keylog: every call of a TLS 1.3 capture, each with its tls object; no warning', () => {
  const r = grpctk(['decode', '-F', 'ndjson', '-I', PROTOS, '--tls-keylog', TLS13_KEYS, TLS13]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
  const calls = ndjson(r.stdout).filter((x) => x.type === 'call');
  assert.equal(calls.length, golden('tls13-grpcjs.pcapng').calls.length);
  for (const c of calls) {
    assert.deepEqual(c.tls, { version: 'TLS 1.3', cipher_suite: 'TLS_AES_256_GCM_SHA384', resumed: 'no', sni: 'grpctk.test', alpn: 'h2' });
  }
  for (const s of secretsOf(TLS13_KEYS)) assert.ok(!r.stdout.includes(s));
});

test('without keys: zero calls, exit 0, and one line that says what to pass', () => {
  const r = grpctk(['decode', '-F', 'ndjson', TLS13]);
  assert.equal(r.status, 0);
  assert.equal(r.stdout, '');
  assert.equal(
    r.stderr,
    'grpctk: warning: 3 TLS connections not decrypted: no keys for their client random; pass --tls-keylog\n' +
      'grpctk: warning: no gRPC call decoded from 166 packets: 3 TCP connections, none recognised as HTTP/2\n',
  );
});

test('a key log with garbage lines and missing connections: the others decrypt, each kind of trouble is one line', () => {
  const lines = fs.readFileSync(RESUME_KEYS, 'utf8').split('\n').filter(Boolean);
  // Keep the TLS 1.2 connections (CLIENT_RANDOM) only, with garbage around them and CRLF line ends.
  const kept = lines.filter((l) => l.startsWith('CLIENT_RANDOM'));
  const keylog = tmp('garbled.keys', ['# comment', 'not a key log line', ...kept, 'CLIENT_RANDOM 1234 5678', ''].join('\r\n'));
  const r = grpctk(['decode', '-F', 'ndjson', '-I', PROTOS, '--tls-keylog', keylog, RESUME]);
  assert.equal(r.status, 0, r.stderr);
  assertCleanStderr(r.stderr);
  const calls = ndjson(r.stdout).filter((x) => x.type === 'call');
  assert.deepEqual(calls.map((c) => `${c.tcp_stream} ${c.tls.version} ${c.tls.resumed}`), ['2 TLS 1.2 no', '3 TLS 1.2 yes']);
  assert.deepEqual(r.stderr.trim().split('\n'), [
    `grpctk: warning: TLS key log ${keylog}: 2 lines not understood (first: line 2), skipped`,
    'grpctk: warning: 2 TLS connections not decrypted: no keys for their client random in the key logs',
  ]);
  for (const s of secretsOf(RESUME_KEYS)) assert.ok(!r.stderr.includes(s) && !r.stdout.includes(s));
});

test('wrong keys: records fail authentication, said in one line, no stack trace, exit 0', () => {
  const wrong = fs.readFileSync(TLS13_KEYS, 'utf8').replace(/ ([0-9a-f])([0-9a-f]+)$/gm, (_m, a: string, rest: string) => ` ${a === '0' ? '1' : '0'}${rest}`);
  const r = grpctk(['decode', '-F', 'ndjson', '--tls-keylog', tmp('wrong.keys', wrong), TLS13]);
  assert.equal(r.status, 0);
  assertCleanStderr(r.stderr);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^grpctk: warning: \d+ TLS records in 3 connections failed authentication \(wrong keys or damaged bytes\)/);
});

test('a key log that does not exist is a usage error (exit 2)', () => {
  const r = grpctk(['decode', '--tls-keylog', '/nonexistent/keys.txt', TLS13]);
  assert.equal(r.status, 2);
  assert.equal(r.stderr, 'grpctk: --tls-keylog /nonexistent/keys.txt: no such file\n');
});

test('a capture with its secrets in a DSB decrypts with no flag', () => {
  const r = grpctk(['decode', '-F', 'ndjson', '-I', PROTOS, path.join(SAMPLES, 'tls13-dsb.pcapng')]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
  const calls = ndjson(r.stdout).filter((x) => x.type === 'call');
  assert.deepEqual(calls.map((c) => c.tls.cipher_suite), ['TLS_AES_128_GCM_SHA256', 'TLS_CHACHA20_POLY1305_SHA256']);
});

test('stats --by sni and export --columns tls.* read the tls object', () => {
  const s = grpctk(['stats', '-q', '-F', 'json', '--by', 'sni', '--by', 'tls', '--tls-keylog', RESUME_KEYS, RESUME]);
  assert.equal(s.status, 0, s.stderr);
  const groups = JSON.parse(s.stdout).groups.map((g: { key: unknown; calls: number }) => [g.key, g.calls]);
  assert.deepEqual(groups, [
    [{ sni: 'grpctk.test', tls: 'TLS 1.2 TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256' }, 2],
    [{ sni: 'grpctk.test', tls: 'TLS 1.3 TLS_AES_256_GCM_SHA384' }, 2],
  ]);
  const e = grpctk(['export', '-q', '--columns', 'tcp_stream,tls.version,tls.alpn,tls.resumed', '--tls-keylog', RESUME_KEYS, RESUME]);
  assert.equal(e.status, 0, e.stderr);
  assert.deepEqual(e.stdout.trim().split(/\r?\n/), [
    'tcp_stream,tls.version,tls.alpn,tls.resumed',
    '0,TLS 1.3,h2,no',
    '1,TLS 1.3,h2,yes',
    '2,TLS 1.2,h2,no',
    '3,TLS 1.2,h2,yes',
  ]);
});

test('split --by method on TLS: each part holds its method\'s calls and the secrets to decrypt them, and nothing else', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'grpctk-tls-split-'));
  try {
    const r = grpctk(['split', '--by', 'method', '-q', '-o', dir, '--tls-keylog', TLS13_KEYS, TLS13]);
    assert.equal(r.status, 0, r.stderr);
    const whole = ndjson(grpctk(['decode', '-F', 'ndjson', '--tls-keylog', TLS13_KEYS, TLS13]).stdout).filter((x) => x.type === 'call');
    const parts = ndjson(r.stdout).filter((p) => p.key !== 'other');
    assert.deepEqual(parts.map((p) => p.key).sort(), [...new Set(whole.map((c) => c.method))].sort());
    for (const part of parts) {
      // No key log: the part's own DSB decrypts it.
      const d = grpctk(['decode', '-F', 'ndjson', '-I', PROTOS, part.path]);
      assert.equal(d.status, 0, d.stderr);
      assert.equal(d.stderr, '', part.path);
      const calls = ndjson(d.stdout).filter((x) => x.type === 'call' && x.method === part.key);
      assert.deepEqual(
        // tcp.stream numbers start again from 0 in a part: compare streams and statuses.
        calls.map((c) => `${c.stream} ${c.status} ${c.request_messages}/${c.response_messages}`),
        whole.filter((c) => c.method === part.key).map((c) => `${c.stream} ${c.status} ${c.request_messages}/${c.response_messages}`),
        part.key,
      );
    }
    // Only the secrets of the part's own connections: SayHello runs on the third connection alone.
    const hello = parts.find((p) => p.key === '/helloworld.Greeter/SayHello');
    const lines = fs.readFileSync(hello.path).toString('latin1').match(/[A-Z_0-9]+_SECRET(?:_0)? [0-9a-f]{64} /g) ?? [];
    assert.equal(new Set(lines.map((l) => l.split(' ')[1])).size, 1);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
