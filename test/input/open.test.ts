import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { InputError, TruncatedInputError, UsageError } from '../../src/errors';
import { openInput, readCapture } from '../../src/input/open';
import type { Packet } from '../../src/pcap/types';

const samples = join(__dirname, '../../samples');
const pcapng = join(samples, 'grpcjs-basic.pcapng');
const tmp = mkdtempSync(join(tmpdir(), 'grpctk-input-'));

function tmpFile(name: string, data: Uint8Array | string): string {
  const path = join(tmp, name);
  writeFileSync(path, data);
  return path;
}

/** number, time and length of every packet, as strings easy to compare. */
async function packetsOf(path: string, options?: Parameters<typeof readCapture>[2]) {
  const packets: string[] = [];
  let error: Error | undefined;
  let result: Awaited<ReturnType<typeof readCapture>> | undefined;
  try {
    result = await readCapture(
      path,
      { packet: (p: Packet) => void packets.push(`${p.number} ${p.tsSec}.${String(p.tsNsec).padStart(9, '0')} ${Buffer.from(p.data).toString('hex')}`) },
      options,
    );
  } catch (err) {
    error = err as Error;
  }
  return { packets, error, result };
}

const reference = packetsOf(pcapng);

test('readCapture reads a file, reports its size and progress up to the whole file', async () => {
  const progress: [number, number | undefined][] = [];
  const { packets, error, result } = await packetsOf(pcapng, { onProgress: (read, total) => void progress.push([read, total]), chunkSize: 64 * 1024 });
  assert.equal(error, undefined);
  assert.equal(packets.length, 143);
  const size = readFileSync(pcapng).length;
  assert.deepEqual(result, { format: 'pcapng', gzip: false, bytesRead: size, bytesDecoded: size, packets: 143 });
  assert.ok(progress.length >= 3);
  assert.deepEqual(progress.at(-1), [size, size]);
});

test('a gzip-compressed capture reads the same as the original; multi-member gzip too', async () => {
  const want = (await reference).packets;
  const gz = await packetsOf(join(samples, 'grpcjs-basic.pcapng.gz'));
  assert.equal(gz.error, undefined);
  assert.equal(gz.result?.gzip, true);
  assert.deepEqual(gz.packets, want);
  const raw = readFileSync(pcapng);
  const members = Buffer.concat([gzipSync(raw.subarray(0, 1000)), gzipSync(raw.subarray(1000, 77777)), gzipSync(raw.subarray(77777))]);
  const multi = await packetsOf(tmpFile('multi.pcapng.gz', members));
  assert.equal(multi.error, undefined);
  assert.deepEqual(multi.packets, want);
});

test('gzip data cut short: TruncatedInputError after every packet that could be decompressed', async () => {
  const want = (await reference).packets;
  const gz = readFileSync(join(samples, 'grpcjs-basic.pcapng.gz'));
  const cut = await packetsOf(tmpFile('cut.pcapng.gz', gz.subarray(0, Math.floor(gz.length * 0.6))), { chunkSize: 4096 });
  assert.ok(cut.error instanceof TruncatedInputError, String(cut.error));
  assert.match(cut.error.message, /^gzip data cut short after \d+ decompressed bytes$/);
  assert.ok(cut.packets.length > 10 && cut.packets.length < want.length, `${cut.packets.length} packets`);
  assert.deepEqual(cut.packets, want.slice(0, cut.packets.length));
});

test('corrupt gzip data is a one-line InputError, not a crash; the packets before it are delivered', async () => {
  const want = (await reference).packets;
  const gz = Buffer.from(readFileSync(join(samples, 'grpcjs-basic.pcapng.gz')));
  const crc = Buffer.from(gz);
  crc[crc.length - 6] ^= 1; // the CRC-32 of the trailer (RFC 1952 section 2.3.1)
  const badCrc = await packetsOf(tmpFile('crc.pcapng.gz', crc));
  assert.ok(badCrc.error instanceof InputError && !(badCrc.error instanceof TruncatedInputError), String(badCrc.error));
  assert.match(badCrc.error.message, /^corrupt gzip data after \d+ decompressed bytes \(incorrect data check\)$/);
  assert.ok(badCrc.packets.length > 50, `${badCrc.packets.length} packets`);
  assert.deepEqual(badCrc.packets, want.slice(0, badCrc.packets.length));
  // Garbage in the middle of the deflate data: whichever notices first (zlib or the reader) says so in one line.
  for (let i = 2000; i < 2400; i++) gz[i] ^= 0x5a;
  const bad = await packetsOf(tmpFile('bad.pcapng.gz', gz));
  assert.ok(bad.error instanceof InputError, String(bad.error));
  assert.doesNotMatch(bad.error.message, /\n/);
  assert.deepEqual(bad.packets, want.slice(0, bad.packets.length));
});

test('a gzip header that is wrong or cut short is reported when the input is opened', async () => {
  const header = await packetsOf(tmpFile('header.gz', Buffer.from([0x1f, 0x8b, 0x63, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00])));
  assert.ok(header.error instanceof InputError, String(header.error));
  assert.match(header.error.message, /^corrupt gzip data after 0 decompressed bytes \(.+\)$/);
  const short = await packetsOf(tmpFile('short.gz', Buffer.from([0x1f, 0x8b])));
  assert.ok(short.error instanceof TruncatedInputError, String(short.error));
  assert.equal(short.error.message, 'gzip data cut short after 0 decompressed bytes');
});

test('a capture cut short on disk: every complete packet, then TruncatedInputError naming the byte', async () => {
  const raw = readFileSync(pcapng);
  const want = (await reference).packets;
  const cut = await packetsOf(tmpFile('cut.pcapng', raw.subarray(0, 100000)), { chunkSize: 8192 });
  assert.ok(cut.error instanceof TruncatedInputError);
  assert.match(cut.error.message, /^capture cut short at byte 100000: in the middle of an Enhanced Packet Block of \d+ bytes \(\d+ present\)$/);
  assert.deepEqual(cut.packets, want.slice(0, cut.packets.length));
  assert.ok(cut.packets.length > 10);
});

test('a missing file or a directory is a UsageError (exit 2) in one line', async () => {
  const missing = await packetsOf(join(tmp, 'nope.pcap'));
  assert.ok(missing.error instanceof UsageError);
  assert.equal(missing.error.message, `cannot open ${join(tmp, 'nope.pcap')}: no such file`);
  assert.equal(missing.error.exitCode, 2);
  const dir = await packetsOf(tmp);
  assert.ok(dir.error instanceof UsageError);
  assert.equal(dir.error.message, `cannot open ${tmp}: is a directory`);
});

test('a text file given as a capture is refused with its first bytes named', async () => {
  const text = await packetsOf(tmpFile('records.ndjson', '{"type":"call"}\n'));
  assert.ok(text.error instanceof InputError);
  assert.equal(text.error.message, 'not a pcap or pcapng file: it starts with bytes 7b 22 74 79');
  const empty = await packetsOf(tmpFile('empty.pcap', ''));
  assert.equal(empty.error?.message, 'empty input: not a pcap or pcapng file');
});

test('openInput tells captures from text, and hands out every byte including the ones it peeked at', async () => {
  const cases: [string, Uint8Array, 'capture' | 'text', boolean][] = [
    ['a.pcapng', readFileSync(pcapng), 'capture', false],
    ['a.pcap', readFileSync(join(samples, 'grpcjs-basic.pcap')), 'capture', false],
    ['a.pcapng.gz', readFileSync(join(samples, 'grpcjs-basic.pcapng.gz')), 'capture', true],
    ['a.ndjson', Buffer.from('{"a":1}\n{"b":2}\n'), 'text', false],
    ['a.ndjson.gz', gzipSync('{"a":1}\n'), 'text', true],
    ['tiny', Buffer.from('x'), 'text', false],
    ['empty', Buffer.alloc(0), 'text', false],
  ];
  for (const [name, data, kind, gzip] of cases) {
    const input = await openInput(tmpFile(name, data), { chunkSize: 1000 });
    assert.deepEqual([input.kind, input.gzip, input.totalBytes], [kind, gzip, data.length], name);
    const parts: Buffer[] = [];
    for await (const c of input.chunks) parts.push(c);
    const expected = gzip ? gunzipSync(data) : Buffer.from(data);
    assert.ok(Buffer.concat(parts).equals(expected), name);
    assert.equal(input.bytesRead, data.length, name);
    assert.equal(input.bytesDecoded, expected.length, name);
  }
});

/** Runs stdin-child.ts with `pieces` written to its stdin one after another, a little apart. */
function throughStdin(pieces: Uint8Array[]): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--require', require.resolve('tsx/cjs'), join(__dirname, 'stdin-child.ts')], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', () => {
      try {
        resolve(JSON.parse(out));
      } catch {
        reject(new Error(`child printed: ${out}`));
      }
    });
    let i = 0;
    const next = () => {
      if (i === pieces.length) return void child.stdin.end();
      child.stdin.write(pieces[i++], () => setTimeout(next, 30));
    };
    next();
  });
}

test('stdin: a capture arriving a byte at first, then the rest, is read whole', async () => {
  const raw = readFileSync(pcapng);
  const got = await throughStdin([raw.subarray(0, 1), raw.subarray(1, 3), raw.subarray(3, 50000), raw.subarray(50000)]);
  assert.equal(got.kind, 'capture');
  assert.equal(got.format, 'pcapng');
  assert.equal(got.packets, 143);
  assert.equal(got.bytesRead, raw.length);
  assert.equal(got.totalBytes, undefined);
  const want = (await reference).packets.map((p) => p.split(' ').slice(0, 2).join(' '));
  assert.deepEqual((got.times as string[]).map((t) => t.split(' ').slice(0, 2).join(' ')), want);
});

test('stdin: gzip and text are told apart as for files', async () => {
  const gz = readFileSync(join(samples, 'grpcjs-basic.pcapng.gz'));
  const got = await throughStdin([gz.subarray(0, 1), gz.subarray(1)]);
  assert.deepEqual([got.kind, got.gzip, got.packets], ['capture', true, 143]);
  const text = await throughStdin([Buffer.from('{"a"'), Buffer.from(':1}\n')]);
  assert.deepEqual(text, { kind: 'text', gzip: false, text: '{"a":1}\n' });
});

test('stdin cut short: the error comes out as one line', async () => {
  const raw = readFileSync(pcapng);
  const got = await throughStdin([raw.subarray(0, 12345)]);
  assert.equal(got.error, 'TruncatedInputError');
  assert.match(String(got.message), /^capture cut short at byte 12345: in the middle of/);
});
