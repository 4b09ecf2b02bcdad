import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as zlib from 'node:zlib';
import { compress, decompress, DecompressionError } from '../../src/grpc/compression';

const text = Buffer.from('hello gRPC '.repeat(100));

test('gzip round-trips', () => {
  assert.deepEqual(decompress('gzip', compress('gzip', text)), text);
});

test('deflate is the zlib format, and raw deflate is accepted too', () => {
  assert.deepEqual(decompress('deflate', compress('deflate', text)), text);
  assert.deepEqual(decompress('deflate', zlib.deflateRawSync(text)), text);
});

test('encoding names are case-insensitive', () => {
  assert.deepEqual(decompress('GZIP', zlib.gzipSync(text)), text);
});

test('unsupported encodings are named', () => {
  assert.throws(() => decompress('snappy', text), new DecompressionError('unsupported grpc-encoding snappy'));
});

test('a compressed flag with identity or no grpc-encoding is an error', () => {
  assert.throws(() => decompress('identity', text), /compressed flag set but grpc-encoding is identity/);
  assert.throws(() => decompress(undefined, text), /compressed flag set but no grpc-encoding header/);
});

test('corrupt data is reported', () => {
  assert.throws(() => decompress('gzip', Buffer.from('not gzip')), /^DecompressionError: gzip decompression failed/);
});

test('a gzip bomb of 256 MB of zeros stops at the limit quickly', () => {
  // 256 gzip members of 1 MiB of zeros each: one valid gzip stream of 256 MiB, ~260 KB on the wire.
  const member = zlib.gzipSync(Buffer.alloc(1 << 20), { level: 9 });
  const bomb = Buffer.concat(Array.from({ length: 256 }, () => member));
  assert.ok(bomb.length < 1 << 20);
  const t0 = process.hrtime.bigint();
  assert.throws(() => decompress('gzip', bomb, 1 << 20), new DecompressionError('decompressed size over limit 1048576'));
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  assert.ok(ms < 2000, `took ${ms} ms`);
  assert.throws(() => decompress('gzip', bomb), /decompressed size over limit 67108864/, 'default limit 64 MiB');
  assert.throws(() => decompress('deflate', zlib.deflateSync(Buffer.alloc(8 << 20)), 1000), /decompressed size over limit 1000/);
});
