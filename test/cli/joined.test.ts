/**
 * Captures that join long-lived connections (samples/make-samples.sh `joined`, `merged`): grpc-js, grpcio
 * and grpc-go clients make two rounds of calls on one connection; the capture is cut (editcap -r) after the
 * first round. Without --http2-port, every call of the second round is listed; what grpctk shows agrees
 * with Wireshark's dissection of the uncut capture (test/golden/joined-*.pcapng.grpc.json): a method, a
 * status or a message type shown is never wrong, an inferred one is marked, and an ambiguous one stays
 * unknown with its candidates.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { golden, grpctk, ndjson, PROTOS, assertCleanStderr } from './helpers';

const CUT = ['joined-grpcjs.pcapng', 'joined-grpcio.pcapng', 'joined-grpcgo.pcapng'];

function decode(sample: string, schema = true) {
  const run = grpctk(['decode', '--format', 'ndjson', ...(schema ? ['-I', PROTOS] : []), `samples/${sample}`]);
  assertCleanStderr(run.stderr);
  assert.equal(run.status, 0, run.stderr);
  const records = ndjson(run.stdout);
  return { calls: records.filter((r) => r.type === 'call'), messages: records.filter((r) => r.type === 'message') };
}

for (const sample of CUT) {
  test(`${sample}: every call of the joined connection is listed, and nothing shown differs from Wireshark on the uncut capture`, () => {
    const want = golden(sample);
    const { calls, messages } = decode(sample);
    assert.equal(want.calls.length, 7, 'the second round: 7 calls');
    const byStream = new Map(calls.map((c) => [`${c.tcp_stream}/${c.stream}`, c]));
    assert.equal(calls.length, want.calls.length);
    for (const w of want.calls) {
      const c = byStream.get(`${w.tcp_stream}/${w.stream}`);
      assert.ok(c, `call ${w.tcp_stream}/${w.stream} listed`);
      if (c.method !== '') assert.equal(c.method, w.method, `stream ${w.stream}: a method shown is the one sent`);
      else {
        assert.match(c.method_group, /^unknown method #\d+$/);
        assert.ok(c.method_candidates.includes(w.method), `stream ${w.stream}: the method sent is among the candidates`);
      }
      if (c.inferred?.includes('method')) assert.match(c.inferred_reason, /\S/);
      if (c.status !== null) assert.equal(c.status, w.status, `stream ${w.stream}: a status shown is the one sent`);
      else assert.ok(c.errors.some((e: string) => e.startsWith('grpc-status not known')), `stream ${w.stream}: why the status is not known`);
    }
    // Every message Wireshark found is there, in the same packet; a type shown is Wireshark's.
    const key = (m: { frame: number; stream: number; direction: string; length: number }) => `${m.frame} ${m.stream} ${m.direction} ${m.length}`;
    assert.deepEqual(messages.map(key).sort(), want.messages.map(key).sort());
    const types = new Map(want.messages.map((m) => [key(m), m.message_type]));
    for (const m of messages) {
      if (m.message_type !== null) assert.equal(m.message_type, types.get(key(m)), key(m));
      if (m.method === '' || m.inferred !== undefined) assert.ok(m.method_group !== undefined || m.inferred !== undefined);
    }
  });
}

test('grpc-go indexes :path: the calls are grouped by the unknown entry, named where the evidence is unique, and ambiguous ones stay unknown', () => {
  const { calls, messages } = decode('joined-grpcgo.pcapng');
  const at = (stream: number) => calls.find((c) => c.stream === stream);
  // Unary ok (11), Unary error (17) and Unary fail-fast (23) use the same :path entry: one group.
  assert.equal(at(11).method_group, at(17).method_group);
  assert.equal(at(11).method_group, at(23).method_group);
  assert.notEqual(at(11).method_group, at(13).method_group);
  // Demo's four methods share their types, so one request and one reply fit all four: unknown, with the
  // types (the same for every candidate) inferred and marked.
  assert.equal(at(11).method, '');
  assert.deepEqual(at(11).method_candidates, ['/grpctk.demo.Demo/Unary', '/grpctk.demo.Demo/ServerStream', '/grpctk.demo.Demo/ClientStream', '/grpctk.demo.Demo/Bidi']);
  assert.deepEqual(at(11).inferred, ['message_type']);
  const m11 = messages.filter((m) => m.stream === 11);
  assert.deepEqual(m11.map((m) => [m.direction, m.message_type, m.inferred]), [
    ['request', 'grpctk.demo.DemoRequest', ['message_type']],
    ['response', 'grpctk.demo.DemoReply', ['message_type']],
  ]);
  // SayHello's request (one string field 1) also parses as DemoRequest: the types differ, nothing inferred.
  assert.equal(at(15).method, '');
  assert.ok(at(15).method_candidates.includes('/helloworld.Greeter/SayHello'));
  assert.equal(at(15).inferred, undefined);
  assert.ok(messages.filter((m) => m.stream === 15).every((m) => m.message_type === null));
  // Bidi: two requests and two replies fit only a method streaming both ways.
  assert.equal(at(19).method, '/grpctk.demo.Demo/Bidi');
  assert.deepEqual(at(19).inferred, ['method']);
  assert.ok(messages.filter((m) => m.stream === 19).every((m) => m.method === '/grpctk.demo.Demo/Bidi' && m.inferred.includes('method')));
  // ClientStream was first called after the cut: its :path is a literal, seen.
  assert.equal(at(21).method, '/grpctk.demo.Demo/ClientStream');
  assert.equal(at(21).inferred, undefined);
});

test('without a schema every call is still listed and grouped, and the text view says which are unknown', () => {
  const { calls } = decode('joined-grpcgo.pcapng', false);
  assert.equal(calls.length, 7);
  assert.ok(calls.filter((c) => c.method === '').every((c) => /^unknown method #\d+$/.test(c.method_group)));
  assert.ok(calls.every((c) => c.inferred === undefined && c.method_candidates === undefined));
  const text = grpctk(['decode', '-V', '-I', PROTOS, 'samples/joined-grpcgo.pcapng']);
  assert.equal(text.status, 0);
  assert.match(text.stdout, /^\(unknown method #1\)/m);
  assert.match(text.stdout, /^\/grpctk\.demo\.Demo\/Bidi \(inferred\)/m);
  assert.match(text.stdout, /~ method not known; it is one of: \/grpctk\.demo\.Demo\/Unary, /);
});

test('stats keeps inferred methods apart and counts unknown ones by group', () => {
  const run = grpctk(['stats', '--format', 'json', '-I', PROTOS, 'samples/joined-grpcgo.pcapng']);
  assert.equal(run.status, 0, run.stderr);
  const groups: Array<{ key: string; calls: number; errors: number }> = JSON.parse(run.stdout).groups;
  const keys = groups.map((g) => g.key);
  assert.ok(keys.includes('/grpctk.demo.Demo/Bidi (inferred)'), keys.join());
  assert.ok(keys.includes('/grpctk.demo.Demo/ClientStream'), keys.join());
  // Unary ok, error and fail-fast: one group of three; their statuses are entries from before the capture,
  // so not known, and not counted as errors.
  const g1 = groups.find((g) => g.key === '(unknown method #1)');
  assert.deepEqual([g1?.calls, g1?.errors], [3, 0]);
});

test('a capture merged from one file per direction (mergecap -a) decodes as the capture of both directions', () => {
  const strip = (r: Record<string, unknown>) => {
    // Three dumpcaps stamp the same packet a few microseconds apart, and number it differently.
    const { ts, start, end, duration_ms, frame, first_frame, last_frame, ...rest } = r as Record<string, unknown>;
    void ts, start, end, duration_ms, frame, first_frame, last_frame;
    const h = rest.response_headers as Record<string, string> | undefined;
    if (h?.date !== undefined) h.date = 'x';
    const t = rest.trailers as Record<string, string> | undefined;
    if (t?.date !== undefined) t.date = 'x';
    return JSON.stringify(rest);
  };
  const merged = decode('merged.pcapng');
  const ref = decode('merged-ref.pcapng');
  assert.equal(ref.calls.length, 12);
  assert.deepEqual(merged.calls.map(strip).sort(), ref.calls.map(strip).sort());
  assert.deepEqual(merged.messages.map(strip).sort(), ref.messages.map(strip).sort());
  // Each call starts at its request, although its response came first in the file.
  for (const c of merged.calls) assert.ok(c.start < c.end, `stream ${c.stream}`);
  assert.ok(merged.calls.every((c) => c.errors === undefined));
});
