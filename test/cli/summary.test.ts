/**
 * The end-of-run summary as a user meets it: a capture grpctk cannot (fully) read never gives empty output,
 * exit 0 and no word. One line per reason on stderr, with what to do.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { assertCleanStderr, grpctk, ndjson, PROTOS } from './helpers';

const TLS = 'samples/tls-nokeys.pcapng';
const JOINED = 'samples/joined.pcapng';

test('a TLS capture without its keys: no calls, and stderr says the connection is TLS and what to pass', () => {
  for (const cmd of ['decode', 'stats', 'export']) {
    const run = grpctk([cmd, TLS]);
    assert.equal(run.status, 0, run.stderr);
    assertCleanStderr(run.stderr);
    assert.match(run.stderr, /^grpctk: warning: no gRPC call decoded from 30 packets: 1 TCP connection, none recognised as HTTP\/2$/m, cmd);
    assert.match(run.stderr, /^grpctk: warning: 1 TLS connection not decrypted: no keys for their client random; pass --tls-keylog$/m, cmd);
  }
  assert.equal(grpctk(['decode', TLS]).stdout, '');
  assert.equal(grpctk(['decode', '-q', TLS]).stderr, '');
});

test('a capture that joined a connection midway: found without a hint, and the summary says what joining cost', () => {
  const run = grpctk(['decode', '-F', 'ndjson', '-I', PROTOS, JOINED]);
  assert.equal(run.status, 0, run.stderr);
  // The joined connection's two calls (found by its frames, no --http2-port) and the whole one's.
  assert.equal(ndjson(run.stdout).filter((r) => r.type === 'call').length, 3);
  assert.doesNotMatch(run.stderr, /start was not captured \(the capture joined/);
  assert.match(run.stderr, /^grpctk: warning: HTTP\/2: 1 connection joined midway \(start not captured: found by its frames, or named by --http2-port\)/m);
  // --http2-port stays, as a hint that forces it: the same calls.
  const forced = grpctk(['decode', '-F', 'ndjson', '-I', PROTOS, '--http2-port', '50100', JOINED]);
  assert.equal(forced.status, 0, forced.stderr);
  assert.equal(ndjson(forced.stdout).filter((r) => r.type === 'call').length, 3);
});

test('methods without a schema are named, with the flags that load one; not with the schema loaded', () => {
  const run = grpctk(['decode', '-F', 'ndjson', 'samples/non-grpc.pcapng']);
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stderr, /^grpctk: warning: 1 method without a schema, bodies decoded raw \(by field number\): \/helloworld\.Greeter\/SayHello; no schema was loaded: give the \.proto files with -I DIR/m);
  // Its HTTP/1.1 connection is read as HTTP/1.1 now (for gRPC-Web and Connect); it carries no call. Its
  // requests and the h2c connection's are named, with their server ports, as not RPCs.
  assert.match(run.stderr, /^grpctk: warning: 3 HTTP requests \(server ports 50060, 50061\) skipped: not gRPC, gRPC-Web or Connect \(\/index\.html, /m);
  assert.equal(ndjson(run.stdout).filter((r) => r.type === 'call').length, 1);
  const loaded = grpctk(['decode', '-F', 'ndjson', '-I', PROTOS, 'samples/non-grpc.pcapng']);
  assert.doesNotMatch(loaded.stderr, /without a schema/);
  // stats reads calls only: message bodies are not decoded, so schemas are not its concern.
  assert.doesNotMatch(grpctk(['stats', 'samples/non-grpc.pcapng']).stderr, /without a schema/);
});

test('a clean capture decoded with its schema has nothing to say', () => {
  const run = grpctk(['decode', '-F', 'ndjson', '-I', PROTOS, 'samples/grpcjs-basic.pcapng']);
  assert.equal(run.status, 0);
  assert.equal(run.stderr, '');
});

test('split --by method says why a TLS connection has no method part', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'grpctk-summary-'));
  const run = grpctk(['split', '--by', 'method', '-o', dir, TLS]);
  assert.equal(run.status, 0, run.stderr);
  assert.deepEqual(ndjson(run.stdout).map((r) => r.key), ['other']);
  assert.match(run.stderr, /^grpctk: warning: 1 TLS connection not decrypted: no keys for their client random; pass --tls-keylog; those packets went to the 'other' part$/m);
  fs.rmSync(dir, { recursive: true });
});
