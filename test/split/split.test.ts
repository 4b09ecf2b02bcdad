/**
 * grpctk split on the real sample captures: every packet kept byte for byte with its timestamp, parts that
 * Wireshark reads, connection and method parts that decode to the same calls as the whole capture, and
 * exact count, size and time boundaries.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { compactTime } from '../../src/split/split';
import { SAMPLES, comparable, decodeRecords, packetKey, readAll, runSplit, tmpDir, type ReadPacket } from './helpers';

const BASIC = path.join(SAMPLES, 'grpcjs-basic.pcapng');
const PYTHON = path.join(SAMPLES, 'grpcio-basic.pcapng');
const GOLDEN = path.join(SAMPLES, '..', 'test', 'golden');

function sortedKeys(packets: ReadPacket[]): string[] {
  return packets.map(packetKey).sort();
}

async function partsPackets(index: { path: string }[]): Promise<ReadPacket[][]> {
  const out: ReadPacket[][] = [];
  for (const r of index) out.push((await readAll(r.path)).packets);
  return out;
}

/**
 * tshark's tcp.stream of every packet of a sample, by its timestamp (`sec.nsec`), from the committed golden
 * file (test/golden/make-golden.sh): npm test needs no Wireshark. test/golden/check-live.sh runs tshark and
 * capinfos on split's parts themselves.
 */
function tsharkStreams(sample: string): { perPacket: string[]; byTime: Map<string, Set<string>> } {
  const lines = fs.readFileSync(path.join(GOLDEN, `${sample}.packets.tsv`), 'utf8').trim().split('\n');
  const header = lines[0].split('\t');
  const time = header.indexOf('frame.time_epoch');
  const stream = header.indexOf('tcp.stream');
  const perPacket: string[] = [];
  const byTime = new Map<string, Set<string>>();
  for (const line of lines.slice(1)) {
    const f = line.split('\t');
    perPacket.push(f[stream]);
    if (!byTime.has(f[time])) byTime.set(f[time], new Set());
    byTime.get(f[time])!.add(f[stream]);
  }
  return { perPacket, byTime };
}

test('split --by connection: the parts hold every packet once, same bytes and timestamps, one connection each', async () => {
  const dir = tmpDir();
  const input = await readAll(BASIC);
  const { index } = await runSplit({ by: 'connection', input: BASIC, outDir: dir });

  // Client ports change from one recording to the next (samples/README.md).
  for (const r of index) {
    assert.match(r.key, /^127\.0\.0\.1:\d+-127\.0\.0\.1:50051$/);
    assert.equal(path.basename(r.path).slice(5), `${r.key.replace(/:/g, '_')}.pcapng`);
  }
  // A connection's line comes as soon as its last packet is written.
  assert.deepEqual(index.map((r) => path.basename(r.path).slice(0, 4)).sort(), ['0000', '0001', '0002']);
  assert.equal(index.length, 3);
  const parts = await partsPackets(index);
  assert.deepEqual(sortedKeys(parts.flat()), sortedKeys(input.packets));

  // Wireshark's view (its tcp.stream of every packet, from the golden file): each part is a pcapng file
  // with one TCP conversation, as many packets as the index says.
  const { perPacket: perStream, byTime } = tsharkStreams('grpcjs-basic.pcapng');
  const wanted = [0, 1, 2].map((s) => perStream.filter((x) => x === String(s)).length).sort();
  assert.deepEqual(index.map((r) => r.packets).sort(), wanted);
  for (const [i, r] of index.entries()) {
    assert.equal(r.bytes, fs.statSync(r.path).size, 'bytes is the size of the part file');
    assert.equal(r.packets, parts[i].length);
    const part = await readAll(r.path);
    assert.equal(part.format, 'pcapng');
    assert.equal(part.packets.length, r.packets);
    const partStreams = new Set(part.packets.flatMap((p) => [...(byTime.get(`${p.tsSec}.${String(p.tsNsec).padStart(9, '0')}`) ?? ['?'])]));
    assert.equal(partStreams.size, 1, `${r.path}: packets of tcp.stream ${[...partStreams].join(', ')}`);
    assert.match(r.first!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
    const first = parts[i][0];
    const last = parts[i][parts[i].length - 1];
    assert.equal(r.first, new Date(first.tsSec * 1000).toISOString().slice(0, 19) + '.' + String(first.tsNsec).padStart(9, '0') + 'Z');
    assert.equal(r.last, new Date(last.tsSec * 1000).toISOString().slice(0, 19) + '.' + String(last.tsNsec).padStart(9, '0') + 'Z');
  }
  // Interfaces are copied with every option (if_name, if_tsresol, if_filter…).
  const partIfaces = (await readAll(index[0].path)).interfaces;
  assert.deepEqual(
    partIfaces.map((i) => [i.linkType, i.snapLen, i.name, i.tsResolExp, i.filter]),
    input.interfaces.slice(0, partIfaces.length).map((i) => [i.linkType, i.snapLen, i.name, i.tsResolExp, i.filter]),
  );
  fs.rmSync(dir, { recursive: true });
});

test('decoding the connection parts gives the same calls and messages as decoding the whole capture', async () => {
  const dir = tmpDir();
  const { index } = await runSplit({ by: 'connection', input: BASIC, outDir: dir });
  const whole = comparable(await decodeRecords(BASIC));
  const fromParts: string[] = [];
  for (const r of index) fromParts.push(...comparable(await decodeRecords(r.path)));
  assert.equal(whole.length, 53);
  assert.deepEqual(fromParts.sort(), whole);
  fs.rmSync(dir, { recursive: true });
});

for (const sample of [BASIC, PYTHON]) {
  test(`split --by method (${path.basename(sample)}): each method part decodes to that method's calls as in the whole capture`, async () => {
    const dir = tmpDir();
    const input = await readAll(sample);
    const { index } = await runSplit({ by: 'method', input: sample, outDir: dir });
    const whole = await decodeRecords(sample);
    const methods = [...new Set(whole.map((r) => r.method as string))].sort();
    const methodParts = index.filter((r) => r.key.startsWith('/'));
    assert.deepEqual(methodParts.map((r) => r.key).sort(), methods);
    for (const r of methodParts) {
      const mine = (await decodeRecords(r.path)).filter((x) => x.method === r.key);
      const want = whole.filter((x) => x.method === r.key);
      // Complete and identical, errors included: only packet numbers (and tcp.stream numbers) differ.
      assert.deepEqual(comparable(mine), comparable(want), `method ${r.key}`);
    }
    // Together (shared packets in several parts) they hold every packet of the input.
    const all = new Set((await partsPackets(index)).flat().map(packetKey));
    assert.deepEqual([...all].sort(), [...new Set(input.packets.map(packetKey))].sort());
    // Pure ACKs are needed by no method: they are in `other`.
    assert.ok(index.some((r) => r.key === 'other'));
    fs.rmSync(dir, { recursive: true });
  });
}

test('split --by method leaves the inside of other methods\' large messages out of a part', async () => {
  const dir = tmpDir();
  const { index } = await runSplit({ by: 'method', input: BASIC, outDir: dir });
  const packets = (key: string) => index.find((r) => r.key === key)!.packets;
  // Unary carries the 100 kB `big` call; ServerStream shares its connection but not those packets.
  assert.ok(packets('/grpctk.demo.Demo/ServerStream') < packets('/grpctk.demo.Demo/Unary') - 20);
  // SayHello is alone on its connection: its part is that connection without pure ACKs.
  const hello = (await readAll(index.find((r) => r.key === '/helloworld.Greeter/SayHello')!.path)).packets;
  assert.ok(hello.length >= 10 && hello.length < 20, String(hello.length));
  fs.rmSync(dir, { recursive: true });
});

test('split --by server and --by client: one part per server endpoint and per client address', async () => {
  const input = await readAll(BASIC);
  for (const [by, key] of [['server', '127.0.0.1:50051'], ['client', '127.0.0.1']] as const) {
    const dir = tmpDir();
    const { index } = await runSplit({ by, input: BASIC, outDir: dir });
    assert.deepEqual(index.map((r) => [r.key, path.basename(r.path)]), [[key, `0000-${key.replace(':', '_')}.pcapng`]]);
    const [part] = await partsPackets(index);
    // Same packets in the same order.
    assert.deepEqual(part.map(packetKey), input.packets.map(packetKey));
    fs.rmSync(dir, { recursive: true });
  }
});

test('a joined connection: --by server names the server that the first header block shows, not the lower port', async () => {
  // joined-stream.pcapng joins two connections midway; their clients' ephemeral ports (5114x) are lower than
  // the server's (52104), so a guess from the ports is wrong until a header block shows who is who.
  const dir = tmpDir();
  const { index } = await runSplit({ by: 'server', input: path.join(SAMPLES, 'joined-stream.pcapng'), outDir: dir });
  assert.deepEqual(index.map((r) => r.key), ['127.0.0.1:52104']);
  fs.rmSync(dir, { recursive: true });
});

test('split --by count: parts of exactly N packets, in capture order', async () => {
  const dir = tmpDir();
  const input = await readAll(BASIC);
  const { index } = await runSplit({ by: 'count', count: 10, input: BASIC, outDir: dir });
  const parts = await partsPackets(index);
  const n = input.packets.length;
  assert.equal(index.length, Math.ceil(n / 10));
  assert.deepEqual(
    parts.map((p) => p.length),
    index.map((_, i) => (i < index.length - 1 ? 10 : n - 10 * (index.length - 1))),
  );
  assert.deepEqual(parts.flat().map(packetKey), input.packets.map(packetKey));
  // The key is the first packet's time (ISO 8601 basic format); names are zero-padded part numbers.
  assert.equal(path.basename(index[1].path), `0001-${index[1].key}.pcapng`);
  assert.equal(index[1].key, compactTime(BigInt(parts[1][0].tsSec) * 1_000_000_000n + BigInt(parts[1][0].tsNsec)));
  fs.rmSync(dir, { recursive: true });
});

test('split --by size: no part is larger than the size, and the next packet would not have fitted', async () => {
  const dir = tmpDir();
  const input = await readAll(BASIC);
  const size = 20_000;
  const { index } = await runSplit({ by: 'size', size, input: BASIC, outDir: dir });
  const parts = await partsPackets(index);
  assert.deepEqual(parts.flat().map(packetKey), input.packets.map(packetKey));
  // dumpcap's packets carry no options: an Enhanced Packet Block is 32 bytes plus the data padded to 4.
  const epb = (p: ReadPacket) => 32 + ((p.data.length + 3) & ~3);
  for (let i = 0; i < index.length; i++) {
    assert.equal(index[i].bytes, fs.statSync(index[i].path).size);
    if (parts[i].length > 1) assert.ok(index[i].bytes <= size, `part ${i} is ${index[i].bytes} bytes`);
    else assert.ok(index[i].bytes > size || i === index.length - 1);
    if (i < index.length - 1) assert.ok(index[i].bytes + epb(parts[i + 1][0]) > size, `part ${i + 1}'s first packet would have fitted in part ${i}`);
  }
  assert.ok(index.length > 5);
  fs.rmSync(dir, { recursive: true });
});

test('split --by time: each part holds the packets of one interval counted from the first packet', async () => {
  const dir = tmpDir();
  const input = await readAll(BASIC);
  const interval = 200_000_000n;
  const { index } = await runSplit({ by: 'time', intervalNs: interval, input: BASIC, outDir: dir });
  const ns = (p: ReadPacket) => BigInt(p.tsSec) * 1_000_000_000n + BigInt(p.tsNsec);
  const t0 = ns(input.packets[0]);
  // Expected: runs of packets in the same interval; empty intervals make no part.
  const expected: { key: string; packets: string[] }[] = [];
  let current = -1n;
  for (const p of input.packets) {
    const k = (ns(p) - t0) / interval;
    if (k !== current) {
      expected.push({ key: compactTime(t0 + k * interval), packets: [] });
      current = k;
    }
    expected[expected.length - 1].packets.push(packetKey(p));
  }
  const parts = await partsPackets(index);
  assert.deepEqual(
    index.map((r, i) => ({ key: r.key, packets: parts[i].map(packetKey) })),
    expected,
  );
  assert.ok(index.length >= 3);
  fs.rmSync(dir, { recursive: true });
});

test('a pcap input (microseconds) and a gzip input give pcapng parts with the same packets and times', async () => {
  for (const name of ['grpcjs-basic.pcap', 'grpcjs-basic.pcapng.gz']) {
    const file = path.join(SAMPLES, name);
    const dir = tmpDir();
    const input = await readAll(file);
    const { index } = await runSplit({ by: 'connection', input: file, outDir: dir });
    assert.equal(index.length, 3);
    const parts = await Promise.all(index.map((r) => readAll(r.path)));
    for (const p of parts) assert.equal(p.format, 'pcapng');
    assert.deepEqual(sortedKeys(parts.flatMap((p) => p.packets)), sortedKeys(input.packets));
    fs.rmSync(dir, { recursive: true });
  }
});

/** Every sample recorded so far (samples/READY lists them as they are finished). */
function readySamples(): string[] {
  const ready = path.join(SAMPLES, 'READY');
  if (!fs.existsSync(ready)) return [];
  return fs.readFileSync(ready, 'utf8').split('\n').filter((l) => l.endsWith('.pcapng') && fs.existsSync(path.join(SAMPLES, l)));
}

test('every sample: connection parts and method parts together hold every packet; method parts decode alike', async () => {
  const samples = readySamples().filter((s) => s !== 'grpcjs-basic.pcapng' && s !== 'grpcio-basic.pcapng');
  assert.ok(samples.length >= 3, 'samples/READY lists the samples');
  for (const sample of samples) {
    const file = path.join(SAMPLES, sample);
    const input = await readAll(file);
    const want = [...new Set(input.packets.map(packetKey))].sort();
    const whole = await decodeRecords(file);
    for (const by of ['connection', 'method'] as const) {
      const dir = tmpDir();
      const { index } = await runSplit({ by, input: file, outDir: dir });
      const parts = await partsPackets(index);
      assert.deepEqual([...new Set(parts.flat().map(packetKey))].sort(), want, `${sample} --by ${by}`);
      if (by === 'connection') assert.equal(parts.flat().length, input.packets.length, `${sample}: each packet once`);
      for (const r of by === 'method' ? index.filter((x) => x.key.startsWith('/')) : []) {
        const mine = (await decodeRecords(r.path)).filter((x) => x.method === r.key);
        assert.deepEqual(comparable(mine), comparable(whole.filter((x) => x.method === r.key)), `${sample} ${r.key}`);
      }
      fs.rmSync(dir, { recursive: true });
    }
  }
});
