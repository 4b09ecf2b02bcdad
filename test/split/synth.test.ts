/**
 * grpctk split on synthetic captures (./synth.ts): thousands of connections within the open-file bound,
 * hostile method names, non-TCP packets, packet comments and interface options, filters, and method parts
 * of a connection that interleaves large and small calls.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { createRequire } from 'module';
import { MAX_NAME_CHARS } from '../../src/split/names';
import { parseMethodGlobs } from '../../src/filter/parse';
import { SynthConnection, bytesOf, udpPacket, writeCapture, type SynthPacket } from './synth';
import { comparable, decodeRecords, grpctk, ndjson, packetKey, readAll, runSplit, tmpDir } from './helpers';
import { LONG } from '../long';

/** Connections of the open-file test: far more than the pool (16) and than `ulimit -n 48` leaves. */
const MANY = LONG ? 3000 : 400;

/** `n` connections whose packets interleave: every handshake, then every preface, every call, every close. */
function manyConnections(n: number): SynthPacket[] {
  const clock = { sec: 0, nsec: 0 };
  const phases: SynthPacket[][][] = [[], [], [], []];
  for (let i = 0; i < n; i++) {
    const c = new SynthConnection(`10.1.${i >> 8}.${i & 255}`, 20000 + i, '10.2.0.1', 50051, clock);
    const marks: number[] = [];
    c.handshake();
    marks.push(c.packets.length);
    c.prefaces();
    marks.push(c.packets.length);
    c.call({ method: `/svc.S/M${i % 3}`, request: bytesOf(20, i), response: bytesOf(30, i) });
    marks.push(c.packets.length);
    c.close();
    phases[0].push(c.packets.slice(0, marks[0]));
    phases[1].push(c.packets.slice(marks[0], marks[1]));
    phases[2].push(c.packets.slice(marks[1], marks[2]));
    phases[3].push(c.packets.slice(marks[2]));
  }
  const out = phases.flatMap((ph) => ph.flat());
  // Times in file order, 1 µs apart, from 2026-01-01.
  out.forEach((p, i) => {
    p.tsSec = 1767225600 + Math.floor(i / 1e6);
    p.tsNsec = (i % 1e6) * 1000;
  });
  return out;
}

test(`a split into ${MANY} connection parts keeps at most --max-open-files part files open`, async () => {
  const dir = tmpDir();
  const file = path.join(dir, 'many.pcapng');
  const packets = manyConnections(MANY);
  writeCapture(file, packets);
  const out = path.join(dir, 'parts');

  // Count the part files open at any moment, independently of the pool's own bookkeeping.
  const open = new Set<number>();
  let peak = 0;
  // The module object itself (an `import * as` namespace is a read-only view of it).
  const nodeFs = createRequire(__filename)('fs') as typeof fs;
  const realOpen = nodeFs.openSync;
  const realClose = nodeFs.closeSync;
  nodeFs.openSync = ((p: fs.PathLike, ...rest: unknown[]) => {
    const fd = (realOpen as (...a: unknown[]) => number)(p, ...rest);
    if (String(p).startsWith(out + path.sep)) {
      open.add(fd);
      peak = Math.max(peak, open.size);
    }
    return fd;
  }) as typeof fs.openSync;
  nodeFs.closeSync = ((fd: number) => {
    open.delete(fd);
    realClose(fd);
  }) as typeof fs.closeSync;
  let result;
  try {
    result = await runSplit({ by: 'connection', input: file, outDir: out, maxOpenFiles: 16 });
  } finally {
    nodeFs.openSync = realOpen;
    nodeFs.closeSync = realClose;
  }
  const { index, summary } = result;
  assert.equal(index.length, MANY);
  assert.ok(peak <= 16, `peak ${peak} part files open`);
  assert.ok(peak >= 8, 'the test did exercise the pool');
  assert.ok(summary.peakOpenFiles <= 16);
  // Parts closed to make room were reopened for append: each is still one valid pcapng file.
  const want = new Map<string, string[]>();
  for (const p of packets) {
    const port = (p.data[34] << 8) | p.data[35];
    const client = port === 50051 ? (p.data[36] << 8) | p.data[37] : port;
    const k = String(client);
    if (!want.has(k)) want.set(k, []);
    want.get(k)!.push(packetKey({ ...p, data: Buffer.from(p.data), originalLength: p.data.length, comments: [], interfaceId: 0 }));
  }
  for (const r of [index[0], index[Math.floor(MANY * 0.4)], index[MANY - 1]]) {
    const got = (await readAll(r.path)).packets.map(packetKey);
    const port = /:(\d+)-/.exec(r.key)![1];
    assert.deepEqual(got, want.get(port), r.key);
    assert.equal(r.packets, 13);
  }
  const total = index.reduce((n, r) => n + r.packets, 0);
  assert.equal(total, packets.length);

  // The command under a descriptor limit far below the number of parts: `ulimit -n 48` leaves Node about 20 to spare.
  const out2 = path.join(dir, 'parts2');
  const run = grpctk(['split', '--by', 'connection', '--max-open-files', '8', '-o', out2, file], { shell: 'ulimit -n 48;' });
  assert.equal(run.status, 0, run.stderr);
  assert.equal(ndjson(run.stdout).length, MANY);
  assert.equal(fs.readdirSync(out2).length, MANY);
  fs.rmSync(dir, { recursive: true });
});

test('part names built from hostile method paths stay inside -o DIR, safe and distinct', async () => {
  const dir = tmpDir();
  const file = path.join(dir, 'hostile.pcapng');
  const clock = { sec: 1767225600, nsec: 0 };
  const methods = [
    '/../../etc/passwd',
    '/a/b',
    '/a:b',
    '/' + 'x'.repeat(3000),
    '/' + 'x'.repeat(2999) + 'y',
    '/.hidden',
    '/-rf',
    '/пример/метод',
    '/',
  ];
  const c = new SynthConnection('10.0.0.1', 40000, '10.0.1.1', 50051, clock).handshake().prefaces();
  for (const m of methods) c.call({ method: m, request: bytesOf(10), response: bytesOf(10) });
  c.close();
  writeCapture(file, c.packets);
  const out = path.join(dir, 'parts');
  const { index } = await runSplit({ by: 'method', input: file, outDir: out });
  const methodParts = index.filter((r) => r.key !== 'other');
  assert.deepEqual(methodParts.map((r) => r.key).sort(), [...methods].sort());
  const names = fs.readdirSync(out);
  assert.equal(names.length, index.length, 'every part is a file directly in DIR');
  for (const r of index) {
    const name = path.basename(r.path);
    assert.equal(path.dirname(r.path), out);
    assert.match(name, /^[A-Za-z0-9_][A-Za-z0-9._~-]*$/);
    assert.ok(name.length <= MAX_NAME_CHARS);
  }
  assert.equal(new Set(names.map((n) => n.toLowerCase())).size, names.length, 'no two parts share a name');
  assert.equal(path.basename(index.find((r) => r.key === '/../../etc/passwd')!.path), '0000-_.._.._etc_passwd.pcapng');
  // `/a/b` and `/a:b` sanitize alike: the second gets a suffix.
  assert.equal(path.basename(index.find((r) => r.key === '/a:b')!.path), '0002-_a_b.pcapng');
  // Each hostile part still decodes to its one call.
  const calls = (await decodeRecords(index.find((r) => r.key === '/../../etc/passwd')!.path)).filter((x) => x.type === 'call');
  assert.ok(calls.some((x) => x.method === '/../../etc/passwd' && x.status === 0));
  fs.rmSync(dir, { recursive: true });
});

/** One connection mixing a large call (many packets inside its frames) and small ones, plus UDP. */
function mixedCapture(file: string): SynthPacket[] {
  const clock = { sec: 1767225600, nsec: 0 };
  const a = new SynthConnection('10.0.0.1', 40000, '10.0.1.1', 50051, clock).handshake().prefaces();
  a.call({ method: '/pkg.Svc/Big', request: bytesOf(50_000), response: bytesOf(70_000, 2) });
  a.call({ method: '/pkg.Svc/Small', request: bytesOf(10), response: bytesOf(20, 2) });
  a.call({ method: '/pkg.Svc/Big', request: bytesOf(30_000, 3), response: bytesOf(100, 2) });
  a.call({ method: '/pkg.Svc/Small', request: bytesOf(12), response: bytesOf(40_000, 4) });
  a.close();
  const b = new SynthConnection('10.0.0.2', 40001, '10.0.1.2', 50052, clock).handshake().prefaces();
  b.call({ method: '/pkg.Svc/Small', request: bytesOf(5), response: bytesOf(5) }).close();
  const packets: SynthPacket[] = [...a.packets, ...b.packets];
  packets.splice(7, 0, {
    tsSec: packets[6].tsSec,
    tsNsec: packets[6].tsNsec + 1,
    data: udpPacket('10.0.0.9', 53, '10.0.0.1', 5353, bytesOf(30)),
    comments: ['a UDP packet', 'with two comments'],
  });
  packets[3].comments = ['the client preface'];
  packets[8].iface = 1;
  writeCapture(file, packets, [
    { linkType: 1, snapLen: 65535, name: 'eth0', description: 'first', tsResolBase: 10, tsResolExp: 9 },
    { linkType: 1, snapLen: 1500, name: 'eth1', description: 'second, microseconds', filter: 'tcp or udp', tsResolBase: 10, tsResolExp: 6 },
  ]);
  return packets;
}

test('method parts of a connection mixing large and small calls decode to the same calls; non-TCP has its own part', async () => {
  const dir = tmpDir();
  const file = path.join(dir, 'mixed.pcapng');
  mixedCapture(file);
  const input = await readAll(file);
  const { index } = await runSplit({ by: 'method', input: file, outDir: path.join(dir, 'parts') });
  assert.deepEqual(index.map((r) => r.key), ['/pkg.Svc/Big', '/pkg.Svc/Small', 'other', 'non-tcp']);
  const whole = await decodeRecords(file);
  for (const key of ['/pkg.Svc/Big', '/pkg.Svc/Small']) {
    const r = index.find((x) => x.key === key)!;
    const mine = (await decodeRecords(r.path)).filter((x) => x.method === key);
    assert.deepEqual(comparable(mine), comparable(whole.filter((x) => x.method === key)));
  }
  // Small's part leaves out the packets inside Big's frames, and Big's part those inside Small's reply.
  const small = index.find((r) => r.key === '/pkg.Svc/Small')!;
  const big = index.find((r) => r.key === '/pkg.Svc/Big')!;
  assert.ok(small.packets < input.packets.length / 2, `${small.packets} of ${input.packets.length}`);
  assert.ok(big.packets < input.packets.length - 20);
  const nonTcp = await readAll(index.find((r) => r.key === 'non-tcp')!.path);
  assert.deepEqual(nonTcp.packets.map((p) => p.comments), [['a UDP packet', 'with two comments']]);
  // Every packet is somewhere.
  const seen = new Set<string>();
  for (const r of index) for (const p of (await readAll(r.path)).packets) seen.add(packetKey(p));
  assert.deepEqual([...seen].sort(), input.packets.map(packetKey).sort());
  fs.rmSync(dir, { recursive: true });
});

test('parts keep packet comments, and each interface with its options and timestamp resolution', async () => {
  const dir = tmpDir();
  const file = path.join(dir, 'mixed.pcapng');
  mixedCapture(file);
  const input = await readAll(file);
  const { index } = await runSplit({ by: 'connection', input: file, outDir: path.join(dir, 'parts') });
  assert.deepEqual(index.map((r) => r.key), ['10.0.0.1:40000-10.0.1.1:50051', '10.0.0.2:40001-10.0.1.2:50052', 'non-tcp']);
  const first = await readAll(index[0].path);
  // The client preface packet's comment is kept; the packet from interface eth1 (microseconds) keeps its time.
  assert.deepEqual(first.packets.find((p) => p.comments.length > 0)!.comments, ['the client preface']);
  const onEth1 = first.packets.filter((p) => first.interfaces[p.interfaceId].name === 'eth1');
  assert.equal(onEth1.length, 1);
  const strip = (i: (typeof input.interfaces)[number]) => ({ ...i, id: 0, localId: 0, sectionIndex: 0 });
  assert.deepEqual(first.interfaces.map(strip), input.interfaces.map(strip));
  const eth1 = first.interfaces.find((i) => i.name === 'eth1')!;
  assert.deepEqual([eth1.description, eth1.filter, eth1.snapLen, eth1.tsResolExp], ['second, microseconds', 'tcp or udp', 1500, 6]);
  // The second connection never used eth1: its part has only the interface it needs.
  assert.deepEqual((await readAll(index[1].path)).interfaces.map((i) => i.name), ['eth0']);
  fs.rmSync(dir, { recursive: true });
});

test('filters: --host/--port keep matching connections, --method keeps matching method parts, --since/--until cut by time', async () => {
  const dir = tmpDir();
  const file = path.join(dir, 'mixed.pcapng');
  const packets = mixedCapture(file);
  let n = 0;
  const run = async (opts: Partial<Parameters<typeof runSplit>[0]>) =>
    runSplit({ by: 'connection', input: file, outDir: path.join(dir, `p${n++}`), ...opts } as Parameters<typeof runSplit>[0]);
  const base = { matchConnection: () => true, connectionFilter: false, methods: null, since: null, until: null };

  const byPort = await run({ filter: { ...base, connectionFilter: true, matchConnection: (c, s) => c.endsWith(':50052') || s.endsWith(':50052') } });
  assert.deepEqual(byPort.index.map((r) => r.key), ['10.0.0.2:40001-10.0.1.2:50052']);

  const byMethod = await run({ by: 'method', filter: { ...base, methods: parseMethodGlobs(['*/Small']) } });
  assert.deepEqual(byMethod.index.map((r) => r.key), ['/pkg.Svc/Small']);

  const connWithBig = await run({ filter: { ...base, methods: parseMethodGlobs(['/pkg.Svc/Big']) } });
  assert.deepEqual(connWithBig.index.map((r) => r.key), ['10.0.0.1:40000-10.0.1.1:50051']);

  const t = (i: number) => BigInt(packets[i].tsSec) * 1_000_000_000n + BigInt(packets[i].tsNsec);
  const window = await run({ by: 'count', count: 1000, filter: { ...base, since: t(10), until: t(20) } });
  assert.equal(window.index.length, 1);
  assert.deepEqual(
    (await readAll(window.index[0].path)).packets.map(packetKey),
    packets.slice(10, 20).map((p) => packetKey({ ...p, data: Buffer.from(p.data), originalLength: p.data.length, comments: p.comments ?? [], interfaceId: 0 })),
  );

  const tcpOnly = await run({ by: 'count', count: 1000, tcpOnly: true });
  assert.equal(tcpOnly.index[0].packets, packets.length - 1);
  fs.rmSync(dir, { recursive: true });
});
