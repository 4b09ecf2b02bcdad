/**
 * Long-lived streams joined in their middle (samples/make-samples.sh `joined-stream`): on two grpc-js
 * connections a bidi stream and a server stream send a message every 100 ms; the capture is cut (editcap -r)
 * after both streams' HEADERS, inside an 80 KB request of connection 0's bidi stream, so it holds their DATA
 * and trailers alone. What grpctk shows is checked against Wireshark's dissection of the uncut capture
 * (test/golden/joined-stream.pcapng.grpc.json): a value shown is never wrong, an inferred one is marked, an
 * ambiguous one stays unknown with its candidates.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { GOLDEN, golden, grpctk, ndjson, PROTOS, assertCleanStderr } from './helpers';

const SAMPLE = 'joined-stream.pcapng';
const DATA_ONLY = 'request and response headers not captured (capture started after the call): method, start and duration unknown';

function decode(schema = true) {
  const run = grpctk(['decode', '--format', 'ndjson', ...(schema ? ['-I', PROTOS] : []), `samples/${SAMPLE}`]);
  assertCleanStderr(run.stderr);
  assert.equal(run.status, 0, run.stderr);
  const records = ndjson(run.stdout);
  return { calls: records.filter((r) => r.type === 'call'), messages: records.filter((r) => r.type === 'message'), stderr: run.stderr };
}

const callKey = (c: { tcp_stream: number; stream: number }) => `${c.tcp_stream}/${c.stream}`;
const msgKey = (m: { tcp_stream: number; frame: number; stream: number; direction: string; length: number }) =>
  `${m.tcp_stream} ${m.frame} ${m.stream} ${m.direction} ${m.length}`;

test(`${SAMPLE}: every stream of which the capture holds DATA alone is a call, and its messages are Wireshark's on the uncut capture`, () => {
  const want = golden(SAMPLE);
  const { calls, messages, stderr } = decode();
  // Wireshark: the four streams (bidi and server stream on each connection) and the two unary calls after the cut.
  assert.equal(want.calls.length, 6);
  assert.equal(calls.length, want.calls.length);
  const byKey = new Map(calls.map((c) => [callKey(c), c]));
  for (const w of want.calls) {
    const c = byKey.get(callKey(w));
    assert.ok(c, `call ${callKey(w)} listed`);
    if (c.method !== '') assert.equal(c.method, w.method, `${callKey(w)}: a method shown is the one sent`);
    else assert.ok(c.method_candidates.includes(w.method), `${callKey(w)}: the method sent is among the candidates`);
    if (c.status !== null) assert.equal(c.status, w.status, `${callKey(w)}: a status shown is the one sent`);
    // Client and server are told apart although the client's ephemeral port is the lower one.
    assert.match(c.server, /:52104$/);
  }
  const dataOnly = calls.filter((c) => c.errors?.includes(DATA_ONLY));
  assert.deepEqual(dataOnly.map(callKey).sort(), ['0/3', '0/5', '1/1', '1/3']);
  for (const c of dataOnly) {
    assert.equal(c.method_group ?? null, c.method === '' ? 'unknown method (request headers not captured)' : null);
    assert.equal(c.duration_ms, null, `${callKey(c)}: its start was not captured, so no duration`);
    assert.notEqual(c.end, null);
    assert.equal(c.complete, true);
  }
  assert.match(stderr, /4 calls began before the capture \(request headers not captured, 4 seen by their DATA alone/);

  // Every message shown is one Wireshark shows, in the same packet, stream and direction, with its type.
  const want_ = new Map(want.messages.map((m) => [msgKey(m), m]));
  for (const m of messages) {
    const w = want_.get(msgKey(m));
    assert.ok(w, `message ${msgKey(m)} is one Wireshark shows`);
    if (m.message_type !== null) assert.equal(m.message_type, w.message_type, msgKey(m));
  }
  // The one Wireshark shows and grpctk does not: the 80 KB request the cut landed in, whose start is not in
  // the capture. The call says how many of its bytes it skipped: the DATA payload of the packet that
  // completes it (frame 1, which tshark dissects on the uncut capture as 2 whole DATA frames of stream 3,
  // of 16,384 and 478 octets), i.e. its TCP payload less 2 frame headers of 9 octets.
  const got = new Set(messages.map(msgKey));
  const missing = want.messages.filter((m) => !got.has(msgKey(m)));
  assert.deepEqual(missing.map(msgKey), ['0 1 3 request 81948']);
  const packets = fs.readFileSync(path.join(GOLDEN, `${SAMPLE}.packets.tsv`), 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t'));
  const payload = packets
    .filter(([frame, , tcpStream, , , dstport]) => Number(frame) <= 1 && tcpStream === '0' && dstport === '52104')
    .reduce((n, p) => n + Number(p[3]), 0);
  const skipped = payload - 2 * 9;
  assert.equal(skipped, 16384 + 478);
  const bidi = byKey.get('0/3');
  assert.ok(bidi.errors.includes(`request: ${skipped} bytes skipped to the first message boundary (the capture joined the stream inside a message)`), bidi.errors.join('; '));
  assert.ok(skipped < 5 + 81948, 'no more than the message the cut landed in');
  // No other call skipped anything: the other streams were joined between messages.
  for (const c of calls) if (c !== bidi) assert.ok(!(c.errors ?? []).some((e: string) => e.includes('skipped')), callKey(c));
});

test(`${SAMPLE}: a method is inferred and marked only where the messages single it out; an ambiguous one stays unknown`, () => {
  const { calls, messages } = decode();
  const at = (k: string) => calls.find((c) => callKey(c) === k);
  // Bidi streams: requests and responses both ways in numbers that only a bidi method allows.
  for (const k of ['0/3', '1/1']) {
    assert.equal(at(k).method, '/grpctk.demo.Demo/Bidi');
    assert.deepEqual(at(k).inferred, ['method']);
    assert.match(at(k).inferred_reason, /request and response headers were not captured/);
    assert.ok(messages.filter((m) => callKey(m) === k).every((m) => m.method === '/grpctk.demo.Demo/Bidi' && m.inferred.includes('method')));
  }
  // Server streams: their one request came before the capture, and replies alone fit ServerStream and Bidi:
  // the method stays unknown; both have the same types, so those are inferred (and marked).
  for (const k of ['0/5', '1/3']) {
    assert.equal(at(k).method, '');
    assert.deepEqual(at(k).method_candidates, ['/grpctk.demo.Demo/ServerStream', '/grpctk.demo.Demo/Bidi']);
    assert.deepEqual(at(k).inferred, ['message_type']);
    const ms = messages.filter((m) => callKey(m) === k);
    assert.ok(ms.length > 0 && ms.every((m) => m.direction === 'response' && m.message_type === 'grpctk.demo.DemoReply' && m.inferred.includes('message_type')));
  }
  // Without a schema nothing is inferred: the four are listed with method "" and their messages raw.
  const bare = decode(false);
  const dataOnly = bare.calls.filter((c) => c.errors?.includes(DATA_ONLY));
  assert.equal(dataOnly.length, 4);
  assert.ok(dataOnly.every((c) => c.method === '' && c.inferred === undefined && c.method_group === 'unknown method (request headers not captured)'));
  assert.deepEqual(bare.messages.map(msgKey).sort(), messages.map(msgKey).sort());
});

test(`${SAMPLE}: trailers are read when the capture holds what they use, and stay unknown, with why, when they use entries from before it`, () => {
  const { calls } = decode();
  const at = (k: string) => calls.find((c) => callKey(c) === k);
  // Connection 1 made no call before the cut: its statuses are literals or entries inserted after it.
  assert.deepEqual([at('1/1').status, at('1/1').grpc_message], [0, 'OK']);
  assert.deepEqual([at('1/3').status, at('1/3').status_name, at('1/3').grpc_message], [8, 'RESOURCE_EXHAUSTED', 'tick budget spent: 30 of 30 (100%)']);
  assert.equal(at('1/5').status, 0);
  // Connection 0's first call ended before the cut: grpc-status (and grpc-message) are entries from before
  // it, by name or whole, even where the value (8) was sent as a literal.
  for (const k of ['0/3', '0/5', '0/7']) {
    assert.equal(at(k).status, null, k);
    assert.ok(at(k).errors.some((e: string) => /^grpc-status not known: the trailers use \d+ header table entries from before the capture$/.test(e)), k);
  }
});

test(`${SAMPLE}: stats counts the calls that began before the capture but leaves them out of the latencies; the text view shows them`, () => {
  const run = grpctk(['stats', '--format', 'json', '-I', PROTOS, `samples/${SAMPLE}`]);
  assert.equal(run.status, 0, run.stderr);
  const groups: Array<{ key: string; calls: number; latency_ms: { count: number } }> = JSON.parse(run.stdout).groups;
  const g = (key: string) => groups.find((x) => x.key === key);
  assert.deepEqual([g('/grpctk.demo.Demo/Bidi (inferred)')?.calls, g('/grpctk.demo.Demo/Bidi (inferred)')?.latency_ms.count], [2, 0]);
  assert.deepEqual([g('(unknown method (request headers not captured))')?.calls, g('(unknown method (request headers not captured))')?.latency_ms.count], [2, 0]);
  assert.deepEqual([g('/grpctk.demo.Demo/Unary')?.calls, g('/grpctk.demo.Demo/Unary')?.latency_ms.count], [2, 2]);

  const text = grpctk(['decode', '-I', PROTOS, `samples/${SAMPLE}`]);
  assert.equal(text.status, 0);
  const lines = text.stdout.split('\n');
  const bidi = lines.filter((l) => l.includes('/grpctk.demo.Demo/Bidi (inferred)'));
  assert.equal(bidi.length, 2);
  assert.ok(bidi.every((l) => /\s-\s+127\.0\.0\.1:\d+ → 127\.0\.0\.1:52104/.test(l)), 'no duration shown');
  assert.ok(lines.some((l) => l.includes('(unknown method (request headers not captured))  RESOURCE_EXHAUSTED (8)') && l.includes('"tick budget spent: 30 of 30 (100%)"')));
  const verbose = grpctk(['decode', '-V', '-I', PROTOS, `samples/${SAMPLE}`]);
  assert.match(verbose.stdout, new RegExp(`! ${DATA_ONLY.replace(/[()]/g, '\\$&')}`));
  assert.match(verbose.stdout, /~ method not known; it is one of: \/grpctk\.demo\.Demo\/ServerStream, \/grpctk\.demo\.Demo\/Bidi/);
});
