// The pieces of capture that need no network: the binding's batch format, ring file names, the summary line,
// and the output edge's handling of partial writes and of a reader that went away.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BATCH_RECORD_HEADER_BYTES, LivePacket, forEachPacket } from '../../src/capture/batch';
import { summaryLine } from '../../src/capture/capture';
import { PcapngOutput, ringFileName, writeAllSync } from '../../src/capture/output';
import { InputError } from '../../src/errors';
import { readCapture } from './helpers';

function record(sec: number, nsec: number, data: number[], len = data.length): Buffer {
  const b = Buffer.alloc(BATCH_RECORD_HEADER_BYTES + data.length);
  b.writeUInt32LE(sec % 2 ** 32, 0);
  b.writeUInt32LE(Math.floor(sec / 2 ** 32), 4);
  b.writeUInt32LE(nsec, 8);
  b.writeUInt32LE(data.length, 12);
  b.writeUInt32LE(len, 16);
  Buffer.from(data).copy(b, BATCH_RECORD_HEADER_BYTES);
  return b;
}

test('a batch yields its packets in order: nanosecond time, original length, zero-copy bytes', () => {
  const batch = Buffer.concat([record(1_700_000_000, 123_456_789, [1, 2, 3], 60), record(2 ** 33 + 5, 999_999_999, [])]);
  const seen: LivePacket[] = [];
  assert.equal(forEachPacket(batch, (p) => void seen.push(p)), 2);
  assert.deepEqual(
    seen.map((p) => [p.tsSec, p.tsNsec, p.originalLength, [...p.data]]),
    [
      [1_700_000_000, 123_456_789, 60, [1, 2, 3]],
      [2 ** 33 + 5, 999_999_999, 0, []],
    ],
  );
  assert.equal(seen[0].data.buffer, batch.buffer, 'a view into the batch, not a copy');
});

test('a batch consumer can stop early (the -c count reached inside a batch)', () => {
  const batch = Buffer.concat([record(1, 0, [1]), record(2, 0, [2]), record(3, 0, [3])]);
  let n = 0;
  assert.equal(forEachPacket(batch, () => ++n < 2), 2);
});

test('a batch record that runs past the end is an InputError naming the offset, not a read out of bounds', () => {
  const good = record(1, 0, [1, 2]);
  const bad = record(2, 0, [1, 2, 3, 4]).subarray(0, BATCH_RECORD_HEADER_BYTES + 2);
  assert.throws(() => forEachPacket(Buffer.concat([good, bad]), () => {}), (e: unknown) => e instanceof InputError && /at byte 22/.test(e.message));
  assert.throws(() => forEachPacket(Buffer.alloc(7), () => {}), /record header cut short at byte 0/);
});

test("ring files are named as dumpcap names them: stem_NNNNN_YYYYMMDDhhmmss.ext", () => {
  const when = new Date(2024, 0, 31, 23, 59, 58);
  assert.equal(ringFileName('/data/trace.pcapng', 1, when), '/data/trace_00001_20240131235958.pcapng');
  assert.equal(ringFileName('trace', 12345, when), 'trace_12345_20240131235958');
});

test('the summary line reads like dumpcap and tcpdump end theirs', () => {
  const base = { received: 0, ifDropped: 0, stoppedBy: 'signal' as const, files: [] };
  assert.equal(summaryLine({ ...base, captured: 12, dropped: 3 }), '12 packets captured, 3 dropped');
  assert.equal(summaryLine({ ...base, captured: 1, dropped: 0 }), '1 packet captured, 0 dropped');
  assert.equal(summaryLine({ ...base, captured: 5, dropped: 0, ifDropped: 2 }), '5 packets captured, 0 dropped, 2 dropped by the interface');
});

test('writeAllSync writes every chunk in order to a file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'grpctk-parts-'));
  try {
    const file = join(dir, 'out.bin');
    const fd = openSync(file, 'w');
    writeAllSync(fd, [Buffer.from('ab'), new Uint8Array(0), Buffer.from('cde')]);
    closeSync(fd);
    assert.equal(readFileSync(file, 'utf8'), 'abcde');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('PcapngOutput ring: rotation closes each file with an ISB and deletes the oldest beyond --ring-files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'grpctk-parts-'));
  try {
    let clock = 0;
    const out = new PcapngOutput({
      path: join(dir, 'r.pcapng'),
      section: { userAppl: 'test' },
      iface: { linkType: 1, snapLen: 262144, name: 'lo', filter: 'tcp', tsResolExp: 9 },
      ringSizeBytes: 400,
      ringFiles: 2,
      statsNow: () => ({ tsSec: 1, tsNsec: 0, received: 7, dropped: 1 }),
      now: () => new Date(2024, 5, 1, 12, 0, clock++),
    });
    for (let i = 0; i < 12; i++) {
      out.packet({ tsSec: 100 + i, tsNsec: i, originalLength: 100, data: new Uint8Array(100).fill(i) });
      out.flush();
    }
    out.close({ tsSec: 2, tsNsec: 0, received: 12, dropped: 0 });
    const files = readdirSync(dir).sort();
    assert.equal(files.length, 2);
    assert.deepEqual(out.keptFiles.map((f) => f.slice(dir.length + 1)), files);
    assert.ok(out.files.length > 2);
    let packets = 0;
    for (const f of files) {
      const read = readCapture(readFileSync(join(dir, f)));
      assert.equal(read.interfaces[0].name, 'lo');
      assert.equal(read.interfaces[0].filter, 'tcp');
      assert.equal(read.statistics.length, 1);
      packets += read.packets.length;
    }
    const last = readCapture(readFileSync(join(dir, files[1])));
    assert.equal(last.statistics[0].received, 12, 'the last file ends with the final counts');
    assert.equal(last.packets[last.packets.length - 1].tsSec, 111, 'the newest packet is in the newest file');
    assert.ok(packets >= 2 && packets < 12);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('writing into a pipe whose reader is gone is OutputClosedError (the capture then ends quietly)', async () => {
  const { spawnSync } = await import('node:child_process');
  // A child writes into a pipe closed by `true`, which exits at once without reading.
  const script = `
    const { writeAllSync, OutputClosedError } = require(${JSON.stringify(join(__dirname, '..', '..', 'src', 'capture', 'output.ts'))});
    setTimeout(() => {
      try { for (let i = 0; i < 100; i++) writeAllSync(1, [Buffer.alloc(65536)]); console.error('no error'); }
      catch (e) { console.error(e instanceof OutputClosedError ? 'closed' : 'other: ' + e.message); }
    }, 200);`;
  const r = spawnSync('/bin/sh', ['-c', `"${process.execPath}" --require "${require.resolve('tsx/cjs')}" -e '${script.replace(/'/g, "'\\''")}' | true`], {
    encoding: 'utf8',
    cwd: join(__dirname, '..', '..'),
  });
  assert.equal(r.stderr.trim(), 'closed');
});
