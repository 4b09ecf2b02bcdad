// `grpctk capture` for real: a grpc-js server and client talk on loopback while the command captures them
// through libpcap; every stop (count, duration, SIGINT, SIGTERM, a closed pipe) leaves a complete pcapng file
// with the IDB options and the ISB, and holds every call made while it ran. Needs root (or CAP_NET_RAW) and
// the binding built by native/build.js (libpcap-dev installed), as in CI.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  GreeterServer,
  allPayload,
  callAll,
  capturing,
  exitOf,
  readCapture,
  runGrpctk,
  startServer,
  tcpSegment,
  waitFor,
} from './helpers';

let server: GreeterServer;
let dir: string;

before(async () => {
  server = await startServer();
  dir = mkdtempSync(join(tmpdir(), 'grpctk-capture-'));
});

after(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

const names = (tag: string, n: number) => Array.from({ length: n }, (_, i) => `grpctk-${tag}-${i + 1}`);

function assertEveryCall(payload: Buffer, calls: string[]): void {
  for (const name of calls) {
    assert.ok(payload.includes(name), `request of ${name} is in the capture`);
    assert.ok(payload.includes(`Hello ${name}`), `reply to ${name} is in the capture`);
  }
}

test('-c COUNT writes exactly COUNT packets of the filtered port, with if_name, if_filter, if_tsresol and an ISB', async () => {
  const file = join(dir, 'count.pcapng');
  const filter = `tcp port ${server.port}`;
  const child = runGrpctk(['capture', '-i', 'lo', '-f', filter, '-w', file, '-c', '10']);
  await capturing(child);
  // Calls until the capture has its ten packets and exits.
  let i = 0;
  while (child.proc.exitCode === null && i < 50) await callAll(server.port, [`grpctk-count-${++i}`]);
  assert.equal(await exitOf(child), 0, child.stderr);
  assert.match(child.stderr, /^10 packets captured, 0 dropped$/m);

  const read = readCapture(readFileSync(file));
  assert.equal(read.packets.length, 10);
  for (const p of read.packets) {
    const seg = tcpSegment(p.data);
    assert.ok(seg, 'an IPv4 TCP packet');
    assert.ok(seg.srcPort === server.port || seg.dstPort === server.port, `port ${seg.srcPort}->${seg.dstPort}`);
    assert.equal(p.originalLength, p.data.length);
  }
  assert.equal(read.sections.length, 1);
  assert.match(read.sections[0].userAppl ?? '', /^grpctk \d+\.\d+\.\d+/);
  assert.equal(read.interfaces.length, 1);
  const idb = read.interfaces[0];
  assert.equal(idb.name, 'lo');
  assert.equal(idb.filter, filter);
  assert.equal(idb.tsResolBase, 10);
  assert.equal(idb.tsResolExp, 9);
  assert.equal(idb.linkType, 1);
  assert.equal(idb.snapLen, 262144);
  assert.equal(read.statistics.length, 1);
  assert.ok((read.statistics[0].received ?? -1) >= 10, `isb_ifrecv ${read.statistics[0].received}`);
  assert.equal(read.statistics[0].dropped, 0);
  // Kernel timestamps to the nanosecond, in order, and from the last minute.
  const now = Date.now() / 1000;
  for (const p of read.packets) assert.ok(Math.abs(p.tsSec - now) < 60 && p.tsNsec < 1e9);
});

test('--duration stops on time and the file holds every call made meanwhile', async () => {
  const file = join(dir, 'duration.pcapng');
  const child = runGrpctk(['capture', '-i', 'lo', '-f', `tcp port ${server.port}`, '-w', file, '--duration', '1.5']);
  await capturing(child);
  const started = Date.now();
  const calls = names('duration', 5);
  await callAll(server.port, calls);
  assert.equal(await exitOf(child), 0, child.stderr);
  const elapsed = Date.now() - started;
  assert.ok(elapsed >= 1000 && elapsed < 6000, `stopped after ${elapsed} ms`);

  const read = readCapture(readFileSync(file));
  assertEveryCall(allPayload(read), calls);
  assert.equal(read.statistics.length, 1);
  const m = /^(\d+) packets captured, (\d+) dropped$/m.exec(child.stderr);
  assert.ok(m, child.stderr);
  assert.equal(Number(m[1]), read.packets.length);
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  test(`${signal} stops with a complete file that holds every call, exit 0`, async () => {
    const file = join(dir, `${signal}.pcapng`);
    const child = runGrpctk(['capture', '-i', 'lo', '-f', `tcp port ${server.port}`, '-w', file]);
    await capturing(child);
    const calls = names(signal, 3);
    await callAll(server.port, calls);
    // At once: the packets the kernel still holds in its current block must reach the file all the same.
    child.proc.kill(signal);
    assert.equal(await exitOf(child), 0, child.stderr);
    assert.doesNotMatch(child.stderr, /grpctk:/);

    const read = readCapture(readFileSync(file));
    assertEveryCall(allPayload(read), calls);
    assert.equal(read.statistics.length, 1, 'the ISB ends the file');
    assert.ok((read.statistics[0].received ?? 0) >= read.packets.length);
  });
}

test('-w - streams pcapng batch by batch: calls show up while the capture runs', async () => {
  const child = runGrpctk(['capture', '-i', 'lo', '-f', `tcp port ${server.port}`, '-w', '-']);
  await capturing(child);
  const calls = names('pipe', 2);
  await callAll(server.port, calls);
  // Without waiting for the end: the bytes are on the pipe already.
  await waitFor(() => Buffer.concat(child.stdout).includes(`Hello ${calls[1]}`), 'the reply on stdout', 5000, child);
  assert.equal(child.proc.exitCode, null, 'still capturing');
  child.proc.kill('SIGINT');
  assert.equal(await exitOf(child), 0, child.stderr);

  const read = readCapture(Buffer.concat(child.stdout));
  assertEveryCall(allPayload(read), calls);
  assert.equal(read.interfaces[0].name, 'lo');
  assert.equal(read.statistics.length, 1);
});

test('a closed stdout pipe (-w - | head) ends the capture quietly with exit 0', async () => {
  const child = runGrpctk(['capture', '-i', 'lo', '-f', `tcp port ${server.port}`, '-w', '-']);
  await capturing(child);
  // The reader goes away after the first bytes (the SHB and IDB are written at start).
  await waitFor(() => child.stdout.length > 0, 'first bytes', 5000, child);
  child.proc.stdout!.destroy();
  let i = 0;
  while (child.proc.exitCode === null && i < 20) await callAll(server.port, [`grpctk-closed-${++i}`]);
  assert.equal(await exitOf(child), 0, child.stderr);
  assert.doesNotMatch(child.stderr, /grpctk:|Error|at /);
});

test('--ring-size/--ring-files rotate into dumpcap-named files and keep the newest N, each complete', async () => {
  const ringDir = mkdtempSync(join(dir, 'ring-'));
  const child = runGrpctk([
    'capture', '-i', 'lo', '-f', `tcp port ${server.port}`, '-w', join(ringDir, 'trace.pcapng'),
    '--ring-size', '0.002', '--ring-files', '3', '--duration', '1.5',
  ]);
  await capturing(child);
  const calls = names('ring', 8);
  await callAll(server.port, calls);
  assert.equal(await exitOf(child), 0, child.stderr);

  const files = readdirSync(ringDir).sort();
  assert.equal(files.length, 3, files.join(' '));
  const seq = files.map((f) => {
    const m = /^trace_(\d{5})_(\d{14})\.pcapng$/.exec(f);
    assert.ok(m, f);
    return Number(m[1]);
  });
  assert.ok(seq[0] > 1, 'older files were deleted');
  assert.deepEqual(seq, [seq[0], seq[0] + 1, seq[0] + 2]);
  for (const f of files) {
    const read = readCapture(readFileSync(join(ringDir, f)));
    assert.equal(read.interfaces.length, 1);
    assert.ok(read.packets.length >= 1, `${f} has packets`);
    assert.equal(read.statistics.length, 1, `${f} ends with an ISB`);
  }
  // The newest files hold the end of the capture: the last call.
  const kept = Buffer.concat(files.map((f) => allPayload(readCapture(readFileSync(join(ringDir, f))))));
  assert.ok(kept.includes(`Hello ${calls[7]}`));
});
