import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PcapngWriter, interfaceFromCapture, sectionFromCapture } from '../../src/pcap/writer';
import { Collected, bytes, cat, epb, idb, isb, pb, readAll, shb, spb, time, u32opt, u64opt, u8 } from './craft';

const ETH = 1;
const frame = bytes('0123456789abcdefghijklmnopqrstuvwxyz!');

function written(build: (w: PcapngWriter) => void, section?: ConstructorParameters<typeof PcapngWriter>[1]): Uint8Array {
  const parts: Uint8Array[] = [];
  const w = new PcapngWriter((b) => parts.push(b), section);
  build(w);
  return cat(...parts);
}

/** Copies everything a reader saw into a writer: one section, every interface and packet, statistics. */
function rewrite(got: Collected): Uint8Array {
  return written(
    (w) => {
      const ids = got.interfaces.map((i) => w.addInterface(interfaceFromCapture(i)));
      for (const p of got.packets) w.writePacket(ids[p.interfaceId], p);
      for (const s of got.statistics) w.writeStatistics(ids[s.interfaceId], s);
    },
    got.sections[0] ? sectionFromCapture(got.sections[0]) : undefined,
  );
}

/** What must survive a round trip (option values compared as bytes). */
function essence(got: Collected) {
  return {
    interfaces: got.interfaces.map((i) => ({ ...i, options: i.options.map((o) => [o.code, [...o.value]]) })),
    packets: got.packets.map((p) => ({ ...p, options: p.options?.map((o) => [o.code, [...o.value]]) })),
    statistics: got.statistics.map((s) => [s.interfaceId, time(s), s.received, s.dropped]),
  };
}

test('the writer emits a little-endian SHB (version 1.0, section length -1) first, then one block per call', () => {
  const chunks: Uint8Array[] = [];
  const w = new PcapngWriter((b) => chunks.push(b), { userAppl: 'grpctk 0.1.0' });
  assert.equal(chunks.length, 1);
  const dv = new DataView(chunks[0].buffer);
  assert.deepEqual(
    [dv.getUint32(0, true), dv.getUint32(8, true), dv.getUint16(12, true), dv.getUint16(14, true), dv.getBigInt64(16, true)],
    [0x0a0d0d0a, 0x1a2b3c4d, 1, 0, -1n],
  );
  assert.equal(dv.getUint32(4, true), chunks[0].length);
  w.addInterface({ linkType: ETH, snapLen: 65535 });
  w.writePacket(0, { tsSec: 1, tsNsec: 2, originalLength: 37, data: frame });
  assert.equal(chunks.length, 3);
  assert.equal(w.bytesWritten, chunks.reduce((n, c) => n + c.length, 0));
  const got = readAll(cat(...chunks));
  assert.equal(got.error, undefined);
  assert.equal(got.sections[0].userAppl, 'grpctk 0.1.0');
});

test('interfaces are written with if_tsresol matching how timestamps are encoded (nanoseconds by default)', () => {
  const file = written((w) => {
    w.addInterface({ linkType: ETH, snapLen: 65535, name: 'lo', filter: 'tcp port 50051', description: 'loopback', os: 'Linux' });
    w.addInterface({ linkType: 101, snapLen: 0, tsResolBase: 2, tsResolExp: 20 });
    w.addInterface({ linkType: 101, snapLen: 0, options: [{ code: 9, value: u8(3) }, { code: 2, value: bytes('eth0') }] });
    w.writePacket(0, { tsSec: 1795232577, tsNsec: 208252790, originalLength: 40, data: frame, comments: ['hi', 'there'], flags: 2 });
    w.writePacket(1, { tsSec: 1700000000, tsNsec: 999999046, originalLength: 37, data: frame });
    w.writePacket(2, { tsSec: 1700000000, tsNsec: 123999999, originalLength: 37, data: frame.subarray(0, 1) });
  });
  const got = readAll(file);
  assert.equal(got.error, undefined);
  assert.deepEqual(
    got.interfaces.map((i) => [i.linkType, i.snapLen, i.tsResolBase, i.tsResolExp, i.name, i.filter, i.description, i.os]),
    [
      [ETH, 65535, 10, 9, 'lo', 'tcp port 50051', 'loopback', 'Linux'],
      [101, 0, 2, 20, undefined, undefined, undefined, undefined],
      [101, 0, 10, 3, 'eth0', undefined, undefined, undefined],
    ],
  );
  assert.deepEqual(
    got.packets.map((p) => [time(p), p.capturedLength, p.originalLength, p.comments, p.flags]),
    [
      ['1795232577.208252790', 37, 40, ['hi', 'there'], 2],
      ['1700000000.999999046', 37, 37, undefined, undefined],
      ['1700000000.123000000', 1, 37, undefined, undefined],
    ],
  );
  assert.deepEqual(got.packets[0].data, frame);
  assert.deepEqual(got.packets[2].data, frame.subarray(0, 1));
});

test('read → write → read keeps packets, timestamps, interfaces, options and statistics identical', () => {
  for (const le of [true, false]) {
    const source = cat(
      shb(le, [[1, 'section comment'], [4, 'source app']]),
      idb(le, ETH, 65535, [[2, 'lo'], [11, cat(u8(0), bytes('port 1'))], [9, u8(9)]]),
      idb(le, 101, 0, [[9, u8(0x80 | 20)], [14, u64opt(le, 3600n)]]),
      idb(le, 113, 1500, [[9, u8(3)], [8, u64opt(le, 1000000000n)]]),
      idb(le, 276, 0),
      epb(le, 0, 1795232577208252790n, frame, 60, [[1, 'odd comment'], [2, u32opt(le, 0x21)], [4, u64opt(le, 5n)]]),
      epb(le, 1, (1700000000n << 20n) + 12345n, frame.subarray(0, 7)),
      epb(le, 2, 1700000000123n, frame),
      epb(le, 3, 1700000000654321n, frame.subarray(0, 36)),
      pb(le, 0, 0, 5n, frame),
      isb(le, 0, 1795232580000000001n, [[4, u64opt(le, 100n)], [5, u64opt(le, 2n)]]),
    );
    const first = readAll(source);
    assert.equal(first.error, undefined);
    const second = readAll(rewrite(first));
    assert.equal(second.error, undefined);
    assert.deepEqual(essence(second), essence(first), le ? 'little-endian source' : 'big-endian source');
    assert.deepEqual(second.sections[0].comments, ['section comment']);
    assert.deepEqual(second.sections[0].userAppl, 'source app');
    assert.equal(time(second.packets[1]), '1700003600.011773109');
  }
});

test('a pcap file (µs) rewritten as pcapng keeps its microsecond resolution and every packet', () => {
  const path = join(__dirname, '../../samples/grpcjs-basic.pcap');
  const first = readAll(readFileSync(path));
  assert.equal(first.error, undefined);
  const second = readAll(rewrite(first));
  assert.equal(second.interfaces[0].tsResolExp, 6);
  assert.deepEqual(
    second.packets.map((p) => [p.number, time(p), p.originalLength, Buffer.from(p.data).toString('hex')]),
    first.packets.map((p) => [p.number, time(p), p.originalLength, Buffer.from(p.data).toString('hex')]),
  );
});

test('every sample survives read → write → read unchanged', () => {
  const dir = join(__dirname, '../../samples');
  for (const name of ['grpcjs-basic.pcapng', 'grpcio-basic.pcapng', 'any-sll.pcapng', 'any-sll2.pcapng', 'grpcjs-basic-ns.pcap']) {
    const first = readAll(readFileSync(join(dir, name)));
    assert.equal(first.error, undefined, name);
    const second = readAll(rewrite(first));
    assert.deepEqual(essence(second).packets, essence(first).packets, name);
  }
});

test('a Simple Packet Block written back becomes an EPB of its interface with the same bytes', () => {
  const first = readAll(cat(shb(true), idb(true, ETH, 8), spb(true, 37, frame.subarray(0, 8))));
  const second = readAll(rewrite(first));
  assert.deepEqual(
    second.packets.map((p) => [p.interfaceId, p.capturedLength, p.originalLength, [...p.data]]),
    [[0, 8, 37, [...frame.subarray(0, 8)]]],
  );
});

test('writing to an interface that was not added, or a time before 1970, is refused', () => {
  const w = new PcapngWriter(() => {});
  assert.throws(() => w.writePacket(0, { tsSec: 0, tsNsec: 0, originalLength: 0, data: new Uint8Array(0) }), /interface 0 was not added/);
  w.addInterface({ linkType: ETH, snapLen: 0 });
  assert.throws(() => w.writePacket(0, { tsSec: -5, tsNsec: 0, originalLength: 0, data: new Uint8Array(0) }), RangeError);
});
