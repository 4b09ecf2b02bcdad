/**
 * grpctk decode agrees with Wireshark: for every sample capture, every gRPC message (packet, connection,
 * stream, direction, length, compressed flag, protobuf type) and every call (method, status) matches the
 * golden files made from tshark's dissection (test/golden/make-golden.sh).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { golden, grpctk, ndjson, PROTOS, readySamples, assertCleanStderr, SAMPLES } from './helpers';

function key(values: unknown[]): string {
  return JSON.stringify(values);
}

for (const sample of readySamples()) {
  test(`decode ${sample}: messages and calls match tshark`, () => {
    // TLS samples: decrypted with the key log written beside them, as tshark was (make-golden.sh);
    // tls13-dsb.pcapng carries its secrets in the capture.
    const keys = join(SAMPLES, sample.replace(/\.pcapng$/, '.keys'));
    const keylog = existsSync(keys) ? ['--tls-keylog', keys] : [];
    const run = grpctk(['decode', '--format', 'ndjson', '-I', PROTOS, ...keylog, `samples/${sample}`]);
    assertCleanStderr(run.stderr);
    assert.equal(run.status, 0, run.stderr);
    let records = ndjson(run.stdout);
    const want = golden(sample);
    if (sample === 'joined.pcapng') {
      // tcp.stream 0 was joined midway: Wireshark (Decode As) dissects none of it; grpctk finds its frames and
      // reads the two calls whose :path grpc-js sent as a literal; their statuses are table entries from
      // before the capture (samples/README.md). The rest is compared with tshark below.
      const joined = records.filter((r) => r.tcp_stream === 0);
      const calls = joined.filter((r) => r.type === 'call');
      assert.deepEqual(calls.map((c) => [c.stream, c.method, c.status, c.status_unknown]), [
        [3, '/helloworld.Greeter/SayHello', null, true],
        [5, '/helloworld.Greeter/SayHello', null, true],
      ]);
      assert.deepEqual(joined.filter((r) => r.type === 'message').map((m) => [m.stream, m.direction, m.message_type]), [
        [3, 'request', 'helloworld.HelloRequest'],
        [3, 'response', 'helloworld.HelloReply'],
        [5, 'request', 'helloworld.HelloRequest'],
        [5, 'response', 'helloworld.HelloReply'],
      ]);
      records = records.filter((r) => r.tcp_stream !== 0);
    }

    const ours = records
      .filter((r) => r.type === 'message')
      .map((m) => key([m.frame, m.tcp_stream, m.stream, m.direction, m.length, m.compressed ? 1 : 0, m.message_type]))
      .sort();
    const theirs = want.messages
      .map((m) => key([m.frame, m.tcp_stream, m.stream, m.direction, m.length, m.compressed, m.message_type]))
      .sort();
    assert.deepEqual(ours, theirs);

    const ourCalls = records
      .filter((r) => r.type === 'call')
      .map((c) => key([c.tcp_stream, c.stream, c.method, c.status]))
      .sort();
    const theirCalls = want.calls.map((c) => key([c.tcp_stream, c.stream, c.method, c.status])).sort();
    assert.deepEqual(ourCalls, theirCalls);

    // Every message decoded against its schema: no fallback errors on real traffic.
    for (const m of records.filter((r) => r.type === 'message')) {
      assert.equal(m.error, null, `message in frame ${m.frame}: ${m.error}`);
    }
  });
}
