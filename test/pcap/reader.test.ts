import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError, TruncatedInputError } from '../../src/errors';
import { CaptureReader } from '../../src/pcap/reader';
import type { Packet } from '../../src/pcap/types';
import {
  Bin,
  block,
  bytes,
  cat,
  customBlock,
  dsb,
  epb,
  idb,
  isb,
  nrb,
  pb,
  pcapFile,
  readAll,
  shb,
  spb,
  time,
  u32opt,
  u64opt,
  u8,
} from './craft';

const ETH = 1;
const RAW = 101;
const frame = bytes('0123456789abcdefghijklmnopqrstuvwxyz!'); // 37 bytes: data padding is exercised

for (const le of [true, false]) {
  const order = le ? 'little-endian' : 'big-endian';

  for (const nanos of [false, true]) {
    test(`pcap ${nanos ? 'ns' : 'µs'} ${order}: packets, lengths, timestamps and the one interface`, () => {
      const file = pcapFile(le, nanos, RAW, 65535, [
        { sec: 1700000000, frac: nanos ? 123456789 : 123456, data: frame },
        { sec: 4294967295, frac: nanos ? 999999999 : 999999, data: frame.subarray(0, 5), origLen: 1500 },
      ]);
      const got = readAll(file);
      assert.equal(got.error, undefined);
      assert.deepEqual(
        got.sections.map((s) => [s.format, s.littleEndian]),
        [['pcap', le]],
      );
      assert.equal(got.interfaces.length, 1);
      assert.equal(got.interfaces[0].linkType, RAW);
      assert.equal(got.interfaces[0].snapLen, 65535);
      assert.equal(got.interfaces[0].tsResolExp, nanos ? 9 : 6);
      assert.deepEqual(
        got.packets.map((p) => [p.number, p.interfaceId, p.linkType, time(p), p.capturedLength, p.originalLength]),
        [
          [1, 0, RAW, nanos ? '1700000000.123456789' : '1700000000.123456000', 37, 37],
          [2, 0, RAW, nanos ? '4294967295.999999999' : '4294967295.999999000', 5, 1500],
        ],
      );
      assert.deepEqual(got.packets[0].data, frame);
    });
  }

  test(`pcapng ${order}: section and interface options, EPB comments and flags, odd-length option padding`, () => {
    const file = cat(
      shb(le, [
        [1, 'a comment'],
        [2, 'x86_64'],
        [3, 'Linux 6.1'],
        [4, 'dumpcap (Wireshark) 4.0.17'],
      ]),
      idb(le, ETH, 262144, [
        [2, 'lo'],
        [3, 'Loopback'],
        [11, cat(u8(0), bytes('tcp port 50051'))],
        [12, 'Linux'],
        [9, u8(9)],
      ]),
      epb(le, 0, 1700000000123456789n, frame, 40, [
        [1, 'odd'],
        [1, 'second comment'],
        [2, u32opt(le, 0x00000001)],
      ]),
    );
    const got = readAll(file);
    assert.equal(got.error, undefined);
    const s = got.sections[0];
    assert.deepEqual(
      [s.format, s.littleEndian, s.comments, s.hardware, s.os, s.userAppl],
      ['pcapng', le, ['a comment'], 'x86_64', 'Linux 6.1', 'dumpcap (Wireshark) 4.0.17'],
    );
    const i = got.interfaces[0];
    assert.deepEqual(
      [i.id, i.localId, i.sectionIndex, i.linkType, i.snapLen, i.name, i.description, i.filter, i.os, i.tsResolBase, i.tsResolExp],
      [0, 0, 0, ETH, 262144, 'lo', 'Loopback', 'tcp port 50051', 'Linux', 10, 9],
    );
    assert.deepEqual(i.options.map((o) => o.code), [2, 3, 11, 12, 9]);
    const p = got.packets[0];
    assert.equal(time(p), '1700000000.123456789');
    assert.deepEqual([p.capturedLength, p.originalLength, p.comments, p.flags], [37, 40, ['odd', 'second comment'], 1]);
    assert.deepEqual(p.data, frame);
    // Numeric option values read the same whatever the section's byte order.
    assert.deepEqual(p.options?.find((o) => o.code === 2)?.value, u8(1, 0, 0, 0));
  });
}

test('if_tsresol 10^-9, 10^-3, 2^-20, 10^-6 by default, 10^-12, and if_tsoffset are exact to the nanosecond', () => {
  const le = true;
  const file = cat(
    shb(le),
    idb(le, ETH, 0, [[9, u8(9)]]),
    idb(le, ETH, 0, [[9, u8(3)]]),
    idb(le, ETH, 0, [[9, u8(0x80 | 20)]]),
    idb(le, ETH, 0),
    idb(le, ETH, 0, [[9, u8(12)]]),
    idb(le, ETH, 0, [
      [9, u8(6)],
      [14, u64opt(le, 1000000000n)],
    ]),
    idb(le, ETH, 0, [[14, u64opt(le, -100n)]]),
    epb(le, 0, 1795232577208252790n, frame), // beyond 2^53 ticks
    epb(le, 1, 1795232577208n, frame),
    epb(le, 2, (1700000000n << 20n) + 1n, frame), // 1 tick = 953.674... ns
    epb(le, 2, (1700000000n << 20n) + (1n << 20n) - 1n, frame),
    epb(le, 3, 1700000000999999n, frame),
    epb(le, 4, 12345678123456789012n, frame),
    epb(le, 5, 700000000000001n, frame),
    epb(le, 6, 1700000000000001n, frame),
    epb(le, 0, 0n, frame),
    epb(le, 0, 0xffffffffffffffffn, frame),
  );
  const got = readAll(file);
  assert.equal(got.error, undefined);
  assert.deepEqual(
    got.interfaces.map((i) => [i.tsResolBase, i.tsResolExp, i.tsOffset]),
    [
      [10, 9, 0],
      [10, 3, 0],
      [2, 20, 0],
      [10, 6, 0],
      [10, 12, 0],
      [10, 6, 1000000000],
      [10, 6, -100],
    ],
  );
  assert.deepEqual(got.packets.map(time), [
    '1795232577.208252790',
    '1795232577.208000000',
    '1700000000.000000953',
    '1700000000.999999046',
    '1700000000.999999000',
    '12345678.123456789',
    '1700000000.000001000',
    '1699999900.000001000',
    '0.000000000',
    '18446744073.709551615',
  ]);
});

test('several sections in either byte order: interfaces are numbered over the file, EPBs refer to their own section', () => {
  const file = cat(
    shb(true),
    idb(true, ETH, 0),
    idb(true, RAW, 0),
    epb(true, 1, 1000000n, frame),
    shb(false, [[4, 'second']]),
    idb(false, 228, 0, [[9, u8(9)]]),
    epb(false, 0, 2000000001n, frame),
    shb(true),
    idb(true, 229, 0),
    epb(true, 0, 3000000n, frame),
  );
  const got = readAll(file);
  assert.equal(got.error, undefined);
  assert.deepEqual(
    got.sections.map((s) => [s.index, s.littleEndian, s.userAppl]),
    [
      [0, true, undefined],
      [1, false, 'second'],
      [2, true, undefined],
    ],
  );
  assert.deepEqual(
    got.interfaces.map((i) => [i.id, i.sectionIndex, i.localId, i.linkType]),
    [
      [0, 0, 0, ETH],
      [1, 0, 1, RAW],
      [2, 1, 0, 228],
      [3, 2, 0, 229],
    ],
  );
  assert.deepEqual(
    got.packets.map((p) => [p.number, p.interfaceId, p.linkType, time(p)]),
    [
      [1, 1, RAW, '1.000000000'],
      [2, 2, 228, '2.000000001'],
      [3, 3, 229, '3.000000000'],
    ],
  );
});

test('an EPB referring to an interface of a previous section is an InputError', () => {
  const file = cat(shb(true), idb(true, ETH, 0), idb(true, ETH, 0), shb(true), idb(true, ETH, 0), epb(true, 1, 0n, frame));
  const got = readAll(file);
  assert.ok(got.error instanceof InputError);
  assert.match(got.error.message, /Enhanced Packet Block at byte \d+: interface 1 is not described in this section/);
});

test('Simple Packet Block: interface 0, captured length min(snaplen, original), no timestamp', () => {
  for (const le of [true, false]) {
    const file = cat(
      shb(le),
      idb(le, RAW, 10),
      spb(le, 37, frame.subarray(0, 10)),
      spb(le, 4, frame.subarray(0, 4)),
    );
    const got = readAll(file);
    assert.equal(got.error, undefined);
    assert.deepEqual(
      got.packets.map((p) => [p.number, p.interfaceId, p.linkType, p.capturedLength, p.originalLength, time(p)]),
      [
        [1, 0, RAW, 10, 37, '0.000000000'],
        [2, 0, RAW, 4, 4, '0.000000000'],
      ],
    );
    assert.deepEqual(got.packets[0].data, frame.subarray(0, 10));
  }
});

test('a Simple Packet Block whose data does not fit its block is an InputError', () => {
  const got = readAll(cat(shb(true), idb(true, RAW, 0), spb(true, 100, frame.subarray(0, 8))));
  assert.ok(got.error instanceof InputError);
  assert.match(got.error.message, /Simple Packet Block at byte \d+: captured length 100 does not fit/);
});

test('obsolete Packet Block: 16-bit interface id, timestamp, comments', () => {
  for (const le of [true, false]) {
    const file = cat(shb(le), idb(le, ETH, 0), idb(le, RAW, 0, [[9, u8(9)]]), pb(le, 1, 3, 5000000007n, frame, [[1, 'old']]));
    const got = readAll(file);
    assert.equal(got.error, undefined);
    const p = got.packets[0];
    assert.deepEqual([p.interfaceId, p.linkType, time(p), p.capturedLength, p.comments], [1, RAW, '5.000000007', 37, ['old']]);
    assert.deepEqual(p.data, frame);
  }
});

test('NRB records, ISB counters, DSB secrets; custom and unknown blocks are skipped', () => {
  for (const le of [true, false]) {
    const file = cat(
      shb(le),
      idb(le, ETH, 0, [[9, u8(9)]]),
      nrb(le, [
        [1, cat(u8(127, 0, 0, 1), bytes('localhost\0lo\0'))],
        [2, cat(new Uint8Array(15), u8(1), bytes('ip6-localhost\0'))],
        [99, u8(1, 2, 3)],
      ]),
      customBlock(le, 0xbad, 32473, bytes('custom, copy')),
      customBlock(le, 0x40000bad, 32473, bytes('custom, no copy')),
      block(le, 0x12345678, u8(1, 2, 3, 4)),
      epb(le, 0, 7n, frame),
      dsb(le, 0x544c534b, bytes('CLIENT_RANDOM 00 11\n')),
      isb(le, 0, 9000000001n, [
        [2, cat(new Bin(le).u32(0).u32(1).done())],
        [4, u64opt(le, 12345678901234n)],
        [5, u64opt(le, 7n)],
      ]),
    );
    const got = readAll(file);
    assert.equal(got.error, undefined);
    assert.deepEqual(got.names, [
      [
        { type: 1, address: u8(127, 0, 0, 1), names: ['localhost', 'lo'] },
        { type: 2, address: cat(new Uint8Array(15), u8(1)), names: ['ip6-localhost'] },
      ],
    ]);
    assert.equal(got.packets.length, 1);
    assert.deepEqual(got.secrets, [{ secretsType: 0x544c534b, data: bytes('CLIENT_RANDOM 00 11\n') }]);
    const st = got.statistics[0];
    assert.deepEqual([st.interfaceId, time(st), st.received, st.dropped], [0, '9.000000001', 12345678901234, 7]);
  }
});

test('packet data is a zero-copy view of the pushed chunk when the block lies inside it', () => {
  const file = cat(shb(true), idb(true, ETH, 0), epb(true, 0, 1n, frame), epb(true, 0, 2n, frame));
  const views: Packet['data'][] = [];
  const reader = new CaptureReader({ packet: (p) => void views.push(p.data) });
  reader.push(file);
  reader.end();
  assert.equal(views.length, 2);
  for (const v of views) assert.equal(v.buffer, file.buffer);
  assert.equal(views[0].byteOffset, file.length - 2 * (32 + 40) + 28);
});

test('a file pushed in pieces of every size, or cut at every offset, gives the same packets', () => {
  const file = cat(
    shb(false, [[4, 'splits']]),
    idb(false, ETH, 0, [[9, u8(9)]]),
    epb(false, 0, 1700000000000000001n, frame, 37, [[1, 'c']]),
    spb(false, 37, frame),
    shb(true),
    idb(true, RAW, 0),
    epb(true, 0, 1000001n, frame.subarray(0, 3)),
    pb(true, 0, 0, 2000002n, frame),
  );
  const whole = readAll(file);
  assert.equal(whole.error, undefined);
  assert.equal(whole.packets.length, 4);
  for (let cut = 0; cut <= file.length; cut++) {
    assert.deepEqual(readAll(file, [cut]), whole, `cut at ${cut}`);
  }
  for (const size of [1, 2, 3, 5, 7, 13, 64]) {
    const splits: number[] = [];
    for (let at = size; at < file.length; at += size) splits.push(at);
    assert.deepEqual(readAll(file, splits), whole, `pieces of ${size}`);
  }
});

test('input cut short anywhere: every complete packet is delivered, then end() throws TruncatedInputError', () => {
  const blocks = [
    shb(true, [[4, 'cut']]),
    idb(true, ETH, 0),
    epb(true, 0, 1n, frame),
    nrb(true, [[1, cat(u8(10, 0, 0, 1), bytes('a\0'))]]),
    epb(true, 0, 2n, frame.subarray(0, 5)),
    isb(true, 0, 3n),
    epb(true, 0, 4n, frame),
  ];
  const file = cat(...blocks);
  const ends: number[] = [];
  let at = 0;
  for (const b of blocks) ends.push((at += b.length));
  const packetEnds = [ends[2], ends[4], ends[6]];
  // From 4 bytes on, the input is known to be a capture (under 4 it is "not a pcap or pcapng file").
  for (let cut = 4; cut < file.length; cut++) {
    for (const splits of [[], [Math.floor(cut / 2)]]) {
      const got = readAll(file.subarray(0, cut), splits);
      const complete = packetEnds.filter((e) => e <= cut).length;
      assert.equal(got.packets.length, complete, `cut at ${cut}`);
      if (ends.includes(cut)) {
        assert.equal(got.error, undefined, `cut at block boundary ${cut}`);
      } else {
        assert.ok(got.error instanceof TruncatedInputError, `cut at ${cut}: ${got.error}`);
        assert.match(got.error.message, new RegExp(`^capture cut short at byte ${cut}: in the middle of `));
        assert.doesNotMatch(got.error.message, /\n/);
      }
    }
  }
});

test('truncation messages say which block or record and how much of it is there', () => {
  const file = cat(shb(true), idb(true, ETH, 0), epb(true, 0, 1n, frame));
  const cutEpb = readAll(file.subarray(0, file.length - 10));
  assert.equal(
    cutEpb.error?.message,
    `capture cut short at byte ${file.length - 10}: in the middle of an Enhanced Packet Block of 72 bytes (62 present)`,
  );
  const cutHeader = readAll(file.subarray(0, file.length - 70));
  assert.match(cutHeader.error!.message, /in the middle of a pcapng block header \(2 of 8 bytes present\)$/);
  const pcap = pcapFile(true, false, ETH, 65535, [{ sec: 1, frac: 2, data: frame }]);
  assert.match(readAll(pcap.subarray(0, 30)).error!.message, /at byte 30: in the middle of a pcap record header \(6 of 16/);
  assert.match(readAll(pcap.subarray(0, 50)).error!.message, /at byte 50: in the middle of a pcap record of 53 bytes \(26 present\)/);
  assert.match(readAll(pcap.subarray(0, 10)).error!.message, /at byte 10: in the middle of the pcap file header of 24 bytes/);
});

test('empty input, too short input and other files are InputErrors naming what was expected', () => {
  const empty = readAll(new Uint8Array(0));
  assert.ok(empty.error instanceof InputError);
  assert.equal(empty.error.message, 'empty input: not a pcap or pcapng file');
  assert.equal(readAll(u8(0x0a, 0x0d)).error?.message, 'not a pcap or pcapng file: only 2 byte(s) long');
  assert.equal(
    readAll(bytes('{"type":"call"}\n')).error?.message,
    'not a pcap or pcapng file: it starts with bytes 7b 22 74 79',
  );
  assert.match(readAll(u8(0x1f, 0x8b, 8, 0, 0, 0)).error!.message, /gzip data: decompress it first/);
  assert.match(readAll(u8(0x34, 0xcd, 0xb2, 0xa1, 2, 0)).error!.message, /Kuznetzov's modified pcap.*editcap -F pcapng/);
});

test('lying block lengths are InputErrors with the byte offset; what came before is delivered', () => {
  const head = cat(shb(true), idb(true, ETH, 0), epb(true, 0, 1n, frame));
  const at = head.length;
  const cases: [string, Uint8Array, RegExp][] = [
    ['under 12', new Bin(true).u32(6).u32(8).u32(8).done(), /Enhanced Packet Block at byte \d+: block total length 8 is under the minimum of 12/],
    ['not a multiple of 4', new Bin(true).u32(6).u32(45).done(), /block total length 45 is not a multiple of 4/],
    ['absurd', new Bin(true).u32(6).u32(0xfffffff0).done(), /block total length 4294967280 is over the limit of 268435456 bytes \(maxBlockBytes\)/],
    ['trailing mismatch', (() => { const b = epb(true, 0, 1n, frame); b[b.length - 4] ^= 4; return b; })(), /trailing block total length 76 does not match the leading 72/],
    ['caplen past the block', (() => { const b = epb(true, 0, 1n, frame); b[20] = 200; return b; })(), /captured length 200 does not fit in a block of 72 bytes/],
    ['option past the block', epb(true, 0, 1n, frame, 37, [[1, 'x']]).map((v, i, a) => (i === 70 ? 99 : v)), /option 1 of 99 bytes at byte \d+ runs past the block/],
    ['bad SHB byte-order magic', (() => { const b = shb(true); b[8] = 0; return b; })(), /Section Header Block at byte \d+: byte-order magic is 0x1a2b3c00/],
    ['SHB version 2', (() => { const b = shb(true); b[12] = 2; return b; })(), /version 2\.0 is not 1\.x/],
  ];
  for (const [name, bad, re] of cases) {
    const got = readAll(cat(head, bad, epb(true, 0, 2n, frame)));
    assert.ok(got.error instanceof InputError, name);
    assert.ok(!(got.error instanceof TruncatedInputError), name);
    assert.match(got.error.message, re, name);
    assert.match(got.error.message, new RegExp(`at byte ${at}:`), name);
    assert.equal(got.packets.length, 1, name);
  }
});

test('a block length over maxBlockBytes is refused from its header, before its bytes arrive', () => {
  const { sink } = { sink: { packet: () => {} } };
  const reader = new CaptureReader(sink, { maxBlockBytes: 1024 });
  reader.push(cat(shb(true), idb(true, ETH, 0)));
  assert.throws(() => reader.push(new Bin(true).u32(6).u32(2048).done()), /block total length 2048 is over the limit of 1024 bytes/);
});

test('pcap record lengths over the snaplen and the limit are InputErrors; over the snaplen alone is read as Wireshark does', () => {
  const ok = pcapFile(false, false, ETH, 16, [{ sec: 1, frac: 0, data: frame }]);
  assert.equal(readAll(ok).packets[0].capturedLength, 37);
  const file = pcapFile(false, false, ETH, 65535, [{ sec: 1, frac: 0, data: frame }]);
  const lie = cat(file, new Bin(false).u32(2).u32(0).u32(300000).u32(300000).done());
  const got = readAll(lie);
  assert.ok(got.error instanceof InputError);
  assert.equal(
    got.error.message,
    `bad pcap record at byte ${file.length}: captured length 300000 is over the file's snapshot length and the limit of 262144 bytes`,
  );
  assert.equal(got.packets.length, 1);
});

test('pcap timestamps past the fraction limit carry into the seconds', () => {
  const got = readAll(pcapFile(true, false, ETH, 0, [{ sec: 10, frac: 2500000, data: frame }]));
  assert.equal(time(got.packets[0]), '12.500000000');
});

test('bytesConsumed, bytesPushed, packets and format follow the input', () => {
  const file = cat(shb(true), idb(true, ETH, 0), epb(true, 0, 1n, frame));
  const reader = new CaptureReader({ packet: () => {} });
  assert.equal(reader.format, undefined);
  reader.push(file.slice(0, 50));
  assert.equal(reader.format, 'pcapng');
  assert.equal(reader.bytesConsumed, 48);
  reader.push(file.slice(50));
  reader.end();
  assert.deepEqual([reader.bytesConsumed, reader.bytesPushed, reader.packets], [file.length, file.length, 1]);
});

test('custom and systemd journal blocks take a frame number as in Wireshark; unknown blocks and DSBs do not', () => {
  // The numbers tshark 4.0.17 gives the six EPBs of this file are 1, 3, 5, 7, 8, 9.
  const le = true;
  const file = cat(
    shb(le),
    idb(le, ETH, 0),
    epb(le, 0, 1n, frame),
    customBlock(le, 0xbad, 12345, bytes('copy')),
    epb(le, 0, 2n, frame),
    customBlock(le, 0x40000bad, 12345, bytes('nocopy')),
    epb(le, 0, 3n, frame),
    block(le, 9, bytes('__CURSOR=s=1\nMESSAGE=hi\n\0\0\0\0')),
    epb(le, 0, 4n, frame),
    block(le, 0x77, bytes('unkn')),
    epb(le, 0, 5n, frame),
    dsb(le, 0x544c534b, bytes('abcd')),
    epb(le, 0, 6n, frame),
  );
  const got = readAll(file);
  assert.equal(got.error, undefined);
  assert.deepEqual(got.packets.map((p) => p.number), [1, 3, 5, 7, 8, 9]);
});

test('a block header claiming a large length allocates only what has arrived, not the claimed size', () => {
  const reader = new CaptureReader({ packet: () => {} });
  reader.push(cat(shb(true), idb(true, ETH, 0)));
  const before = process.memoryUsage().arrayBuffers;
  // An EPB header that claims 200 MiB, then a few bytes of it in small pieces.
  reader.push(new Bin(true).u32(6).u32(200 * 1024 * 1024).done());
  for (let i = 0; i < 10; i++) reader.push(new Uint8Array(100));
  const grown = process.memoryUsage().arrayBuffers - before;
  assert.ok(grown < 8 * 1024 * 1024, `${grown} bytes allocated`);
  assert.throws(() => reader.end(), /in the middle of an Enhanced Packet Block of 209715200 bytes \(1008 present\)/);
});
