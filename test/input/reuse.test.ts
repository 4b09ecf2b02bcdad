import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { openInput } from '../../src/input/open';

const SAMPLE = path.resolve(__dirname, '..', '..', 'samples', 'grpcjs-basic.pcapng');

/** Every chunk copied out before the next is asked for (as the decode pipeline does), and the buffers used. */
async function readAll(file: string, reuseBuffers: boolean, chunkSize: number): Promise<{ bytes: Buffer; buffers: Set<ArrayBufferLike>; kind: string }> {
  const opened = await openInput(file, { reuseBuffers, chunkSize });
  const parts: Buffer[] = [];
  const buffers = new Set<ArrayBufferLike>();
  for await (const chunk of opened.chunks) {
    parts.push(Buffer.from(chunk));
    buffers.add(chunk.buffer);
  }
  return { bytes: Buffer.concat(parts), buffers, kind: opened.kind };
}

test('reuseBuffers: a capture file reads the same bytes, through two buffers used in turn after the first chunk', async () => {
  const whole = fs.readFileSync(SAMPLE);
  const chunkSize = 512;
  const fresh = await readAll(SAMPLE, false, chunkSize);
  const reused = await readAll(SAMPLE, true, chunkSize);
  assert.deepEqual(reused.bytes, whole);
  assert.deepEqual(fresh.bytes, whole);
  assert.equal(reused.kind, 'capture');
  const chunks = Math.ceil(whole.length / chunkSize);
  assert.ok(chunks > 10);
  // The chunks read before the input was recognised (the first one, and the one read ahead) are fresh.
  assert.ok(reused.buffers.size <= 4, `${reused.buffers.size} buffers for ${chunks} chunks`);
});

test('reuseBuffers leaves gzip and text input on fresh buffers (they may be kept)', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'grpctk-reuse-'));
  try {
    const gz = path.join(dir, 'c.pcapng.gz');
    fs.writeFileSync(gz, gzipSync(fs.readFileSync(SAMPLE)));
    const text = path.join(dir, 'r.ndjson');
    fs.writeFileSync(text, '{"type":"call"}\n'.repeat(2000));
    for (const file of [gz, text]) {
      const opened = await openInput(file, { reuseBuffers: true, chunkSize: 256 });
      const kept: Buffer[] = [];
      for await (const chunk of opened.chunks) kept.push(chunk);
      const expected = file === gz ? fs.readFileSync(SAMPLE) : fs.readFileSync(file);
      // Chunks kept without copying are still intact at the end.
      assert.deepEqual(Buffer.concat(kept), expected, path.basename(file));
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('reuseBuffers: stopping early releases the file without an unhandled rejection', async () => {
  const opened = await openInput(SAMPLE, { reuseBuffers: true, chunkSize: 256 });
  let n = 0;
  for await (const _ of opened.chunks) {
    if (++n === 3) break;
  }
  assert.equal(n, 3);
  await new Promise((r) => setTimeout(r, 20));
});
