// The committed sample captures and their tshark golden files agree with each other and with what
// samples/README.md promises, so that a re-recorded sample that lost a call (or a golden file made with the
// wrong Wireshark options) fails here rather than in a decoder test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const SAMPLES = join(ROOT, 'samples');
const GOLDEN = join(ROOT, 'test', 'golden');

interface GoldenMessage {
  frame: number;
  tcp_stream: number;
  stream: number;
  direction: 'request' | 'response';
  length: number;
  compressed: number;
  message_type: string | null;
}
interface GoldenCall {
  tcp_stream: number;
  stream: number;
  method: string;
  status: number | null;
}
interface Golden {
  messages: GoldenMessage[];
  calls: GoldenCall[];
}

const captures = readdirSync(SAMPLES).filter((f) => /\.(pcapng|pcap|pcapng\.gz)$/.test(f));
const golden = (f: string): Golden => JSON.parse(readFileSync(join(GOLDEN, `${f}.grpc.json`), 'utf8'));
const tsv = (f: string): Record<string, string>[] => {
  const [head, ...rows] = readFileSync(join(GOLDEN, f), 'utf8').trimEnd().split('\n');
  const names = head.split('\t');
  return rows.map((r) => Object.fromEntries(r.split('\t').map((v, i) => [names[i], v])));
};
const calls = (f: string) => golden(f).calls.map((c) => `${c.tcp_stream}/${c.stream} ${c.method} ${c.status}`);

test('every capture listed in samples/READY exists and has its three golden files', () => {
  const ready = readFileSync(join(SAMPLES, 'READY'), 'utf8').trim().split('\n');
  assert.ok(ready.includes('grpcjs-basic.pcapng'));
  for (const f of ready) {
    assert.ok(captures.includes(f), `${f} is in READY but not in samples/`);
    for (const g of ['packets.tsv', 'grpc.json', 'bytes.tsv']) {
      assert.ok(statSync(join(GOLDEN, `${f}.${g}`)).size > 0, `${f}.${g} is empty`);
    }
  }
});

test('captures stay small: each under 3 MB, all together under 5 MB', () => {
  let total = 0;
  for (const f of captures) {
    const size = statSync(join(SAMPLES, f)).size;
    assert.ok(size < 3_000_000, `${f} is ${size} bytes`);
    total += size;
  }
  assert.ok(total < 5_000_000, `samples total ${total} bytes`);
});

test('grpcjs-basic: Wireshark sees the 13 calls of samples/README.md with their statuses', () => {
  assert.deepEqual(calls('grpcjs-basic.pcapng'), [
    '0/1 /grpctk.demo.Demo/Unary 0',
    '0/3 /grpctk.demo.Demo/ServerStream 0',
    '0/5 /grpctk.demo.Demo/ClientStream 0',
    '0/7 /grpctk.demo.Demo/Bidi 0',
    '0/9 /grpctk.demo.Demo/Unary 3',
    '0/11 /grpctk.demo.Demo/Unary 5',
    '0/13 /grpctk.demo.Demo/Unary 0',
    '0/15 /grpctk.demo.Demo/Unary 4',
    '0/17 /grpctk.demo.Demo/ServerStream null',
    '1/1 /grpctk.demo.Demo/Unary 0',
    '1/3 /grpctk.demo.Demo/ClientStream 0',
    '1/5 /grpctk.demo.Demo/Bidi 0',
    '2/1 /helloworld.Greeter/SayHello 0',
  ]);
  const g = golden('grpcjs-basic.pcapng');
  assert.equal(g.messages.length, 40);
  // The 100 KB messages were reassembled from many segments.
  assert.deepEqual(
    g.messages.filter((m) => m.length > 16384).map((m) => [m.stream, m.direction]),
    [[13, 'request'], [13, 'response']],
  );
  // gzip: requests of the second connection only (grpc-js servers do not compress).
  assert.deepEqual(
    [...new Set(g.messages.filter((m) => m.compressed === 1).map((m) => `${m.tcp_stream} ${m.direction}`))],
    ['1 request'],
  );
});

test('the pcap, nanosecond pcap and gzip copies decode exactly like the pcapng', () => {
  const base = readFileSync(join(GOLDEN, 'grpcjs-basic.pcapng.grpc.json'), 'utf8');
  for (const f of ['grpcjs-basic.pcap', 'grpcjs-basic-ns.pcap', 'grpcjs-basic.pcapng.gz']) {
    assert.equal(readFileSync(join(GOLDEN, `${f}.grpc.json`), 'utf8'), base, f);
    const times = tsv(`${f}.packets.tsv`).map((r) => r['frame.time_epoch']);
    const ns = tsv('grpcjs-basic.pcapng.packets.tsv').map((r) => r['frame.time_epoch']);
    // The microsecond pcap lost the last three digits; the others keep all nine.
    assert.deepEqual(times, f === 'grpcjs-basic.pcap' ? ns.map((t) => `${t.slice(0, -3)}000`) : ns, f);
  }
});

test('grpcio-basic and mixed carry gzip-compressed responses from the Python server', () => {
  for (const f of ['grpcio-basic.pcapng', 'mixed.pcapng']) {
    const dirs = new Set(golden(f).messages.filter((m) => m.compressed === 1).map((m) => m.direction));
    assert.deepEqual([...dirs].sort(), ['request', 'response'], f);
  }
});

test('non-grpc: the h2c and HTTP/1.1 exchanges are not gRPC calls, only the SayHello is', () => {
  assert.deepEqual(calls('non-grpc.pcapng'), ['3/1 /helloworld.Greeter/SayHello 0']);
  assert.deepEqual(
    golden('non-grpc.pcapng').messages.map((m) => m.tcp_stream),
    [3, 3],
  );
});

test('every gRPC message of the samples has its protobuf type (the protos of samples/protos are complete)', () => {
  for (const f of captures) {
    for (const m of golden(f).messages) {
      // tshark counts a gRPC-Web trailer frame (connect.pcapng) as a message with no type; reflection.pcapng also
      // carries the reflection service's own messages.
      if (f === 'connect.pcapng' && m.message_type === null && m.direction === 'response') continue;
      if (f === 'reflection.pcapng' && /^grpc\.reflection\.v1\.ServerReflection(Request|Response)$/.test(m.message_type ?? '')) continue;
      assert.match(m.message_type ?? 'null', /^(grpctk\.demo\.Demo(Request|Reply)|helloworld\.Hello(Request|Reply))$/, `${f} frame ${m.frame}`);
    }
  }
});

test('bytes.tsv equals the sum of tcp.len of packets.tsv per connection and direction (less retransmissions)', () => {
  for (const f of captures) {
    const sums = new Map<string, number>();
    for (const r of tsv(`${f}.packets.tsv`)) {
      if (r['tcp.stream'] === '') continue;
      const src = r['ip.src'] || `[${r['ipv6.src']}]`;
      const key = `${r['tcp.stream']} ${src}:${r['tcp.srcport']}`;
      sums.set(key, (sums.get(key) ?? 0) + Number(r['tcp.len']));
    }
    const rows = tsv(`${f}.bytes.tsv`);
    assert.equal(rows.length, sums.size, f);
    for (const r of rows) {
      const sum = sums.get(`${r['tcp.stream']} ${r.src}`) as number;
      const what = `${f} ${r['tcp.stream']} ${r.direction}`;
      // bytes.tsv leaves retransmissions out: loopback captures recorded on a loaded machine have a few (the
      // TLS, connect, joined and other-protocols samples; in merged.pcapng, tshark takes much of what came
      // out of order for retransmissions); the others have none.
      if (/^(tls|connect\.pcapng)/.test(f)) assert.ok(Number(r.bytes) <= sum && Number(r.bytes) > 0, what);
      else if (/^(joined-|merged|other-protocols)/.test(f)) assert.ok(Number(r.bytes) <= sum, what);
      else assert.equal(Number(r.bytes), sum, what);
    }
  }
});
