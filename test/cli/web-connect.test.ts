/**
 * One service through every protocol: samples/connect.pcapng holds a @connectrpc/connect-node server called
 * through Connect (proto and JSON codecs) and gRPC-Web over HTTP/1.1, and Connect, gRPC-Web and gRPC over
 * HTTP/2 (samples/README.md). decode agrees with what the client logged it sent and received
 * (samples/connect.client.log), and with tshark wherever tshark dissects (gRPC-Web and gRPC messages).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { golden, grpctk, ndjson, PROTOS, SAMPLES, assertCleanStderr } from './helpers';

const SAMPLE = 'samples/connect.pcapng';

interface Logged {
  transport: string;
  unary: unknown;
  stream: unknown[];
  error: { code: number; message: string };
}

/** samples/connect.client.log, per transport in the order they ran. */
function clientLog(): Logged[] {
  const lines = fs.readFileSync(path.join(SAMPLES, 'connect.client.log'), 'utf8').split('\n').filter(Boolean);
  const out: Logged[] = [];
  for (let i = 0; i < lines.length; i += 3) {
    const transport = lines[i].slice(0, lines[i].indexOf(':'));
    const after = (l: string) => l.slice(l.indexOf(' -> ') + 4);
    const [code, ...msg] = after(lines[i + 2]).split(' ');
    out.push({ transport, unary: JSON.parse(after(lines[i])), stream: JSON.parse(after(lines[i + 1])), error: { code: Number(code), message: msg.join(' ') } });
  }
  return out;
}

function decode(): any[] {
  const run = grpctk(['decode', '-F', 'ndjson', '-I', PROTOS, SAMPLE]);
  assertCleanStderr(run.stderr);
  assert.equal(run.status, 0, run.stderr);
  return ndjson(run.stdout);
}

test('every protocol gives the same calls, statuses and messages as the client saw', () => {
  const records = decode();
  const calls = records.filter((r) => r.type === 'call').sort((a, b) => a.start.localeCompare(b.start));
  const log = clientLog();
  assert.equal(log.length, 6);
  assert.equal(calls.length, 18);
  const want: Record<string, string> = {
    'connect proto HTTP/1.1': 'connect',
    'connect json HTTP/1.1': 'connect',
    'grpc-web proto HTTP/1.1': 'grpc-web',
    'connect proto HTTP/2': 'connect',
    'grpc-web proto HTTP/2': 'grpc-web',
    'grpc proto HTTP/2': 'grpc',
  };
  log.forEach((l, i) => {
    const [unary, stream, error] = calls.slice(3 * i, 3 * i + 3);
    for (const c of [unary, stream, error]) assert.equal(c.protocol, want[l.transport], `${l.transport}: protocol`);
    assert.deepEqual([unary.method, unary.status, unary.complete], ['/grpctk.demo.Demo/Unary', 0, true], l.transport);
    assert.deepEqual([stream.method, stream.status, stream.response_messages], ['/grpctk.demo.Demo/ServerStream', 0, 3], l.transport);
    assert.deepEqual([error.method, error.status, error.status_name, error.grpc_message, error.response_messages], ['/grpctk.demo.Demo/Unary', l.error.code, 'NOT_FOUND', l.error.message, 0], l.transport);
    assert.equal(unary.errors, undefined, `${l.transport}: ${unary.errors}`);
    const bodies = (c: any) => records.filter((r) => r.type === 'message' && r.tcp_stream === c.tcp_stream && r.stream === c.stream && r.direction === 'response').map((m) => m.body);
    assert.deepEqual(bodies(unary), [l.unary], `${l.transport}: unary reply`);
    assert.deepEqual(bodies(stream), l.stream, `${l.transport}: stream replies`);
    // Trailers are what the server sent: Connect carries no grpc-status header, so none is shown.
    if (want[l.transport] === 'connect') {
      assert.deepEqual(unary.trailers, { 'x-trailer': 'done' });
      assert.equal(error.trailers['grpc-status'], undefined);
    }
  });
});

test('gRPC-Web and gRPC messages agree with tshark (its gRPC-Web trailer frames are not messages)', () => {
  const records = decode();
  // tshark reassembles a whole HTTP/1.1 body before dissecting it, so it names the packet that ended the body;
  // grpctk names the one that delivered the message's last byte (bodies are streamed, never held whole).
  // Over HTTP/1.1 messages are compared in order per connection and direction; over HTTP/2, by packet too.
  const http1 = new Set([0]);
  const key = (m: { frame: number; tcp_stream: number; direction: string; length: number; message_type: string | null }) =>
    JSON.stringify(http1.has(m.tcp_stream) ? [m.tcp_stream, m.direction, m.length, m.message_type] : [m.frame, m.tcp_stream, m.direction, m.length, m.message_type]);
  const theirs = golden('connect.pcapng').messages.filter((m) => m.message_type !== null);
  const tsharkConns = new Set(theirs.map((m) => m.tcp_stream));
  const connectCalls = new Set(records.filter((r) => r.type === 'call' && r.protocol === 'connect').map((c) => `${c.tcp_stream}/${c.stream}`));
  const ours = records.filter((r) => r.type === 'message' && !connectCalls.has(`${r.tcp_stream}/${r.stream}`) && tsharkConns.has(r.tcp_stream));
  assert.equal(theirs.length, 21);
  assert.deepEqual(ours.map(key), theirs.map(key));
});

test('stats groups by method and protocol; --protocol keeps one protocol, messages included', () => {
  const stats = grpctk(['stats', '--by', 'method,protocol', '--format', 'json', SAMPLE]);
  assert.equal(stats.status, 0, stats.stderr);
  const groups = JSON.parse(stats.stdout).groups.map((g: any) => `${g.key.method} ${g.key.protocol} ${g.calls}`).sort();
  assert.deepEqual(groups, [
    '/grpctk.demo.Demo/ServerStream connect 3',
    '/grpctk.demo.Demo/ServerStream grpc 1',
    '/grpctk.demo.Demo/ServerStream grpc-web 2',
    '/grpctk.demo.Demo/Unary connect 6',
    '/grpctk.demo.Demo/Unary grpc 2',
    '/grpctk.demo.Demo/Unary grpc-web 4',
  ]);
  const web = ndjson(grpctk(['decode', '-F', 'ndjson', '--protocol', 'grpc-web', SAMPLE]).stdout);
  assert.equal(web.filter((r) => r.type === 'call').length, 6);
  assert.ok(web.filter((r) => r.type === 'message').every((m) => [2, 0].includes(m.tcp_stream)));
  assert.equal(web.filter((r) => r.type === 'message').length, 14);
  const bad = grpctk(['decode', '--protocol', 'soap', SAMPLE]);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /^grpctk: --protocol: unknown protocol "soap"/);
});
