/**
 * Benchmark: HPACK decoding per header block, hpack.js (stream API, and its internals called directly)
 * against src/http2/hpack.ts. Prints numbers; never fails on timing.
 *
 *   node --import tsx test/http2/hpack-bench.ts [blocks]
 *
 * The blocks are what a gRPC connection carries: request headers, response headers and trailers, with a
 * per-call varying grpc-timeout and a request id, encoded by hpack.js's compressor (Huffman, incremental
 * indexing), so most fields are dynamic-table hits after the first call, as on a real connection.
 */
import hpackjs from 'hpack.js';
import { HpackDecoder } from '../../src/http2/hpack';

const N = Number(process.argv[2] ?? 30_000);

function makeBlocks(): Uint8Array[] {
  const comp = hpackjs.compressor.create({ table: { maxSize: 4096 } });
  const blocks: Uint8Array[] = [];
  for (let i = 0; i < N / 3; i++) {
    for (const list of [
      [
        [':method', 'POST'],
        [':scheme', 'http'],
        [':path', '/helloworld.Greeter/SayHello'],
        [':authority', 'localhost:50051'],
        ['content-type', 'application/grpc'],
        ['user-agent', 'grpc-node-js/1.14.0'],
        ['te', 'trailers'],
        ['grpc-accept-encoding', 'identity,deflate,gzip'],
        ['grpc-timeout', `${(i % 97) + 1}m`],
        ['x-request-id', `req-${i}`],
      ],
      [
        [':status', '200'],
        ['content-type', 'application/grpc+proto'],
        ['grpc-accept-encoding', 'identity,deflate,gzip'],
      ],
      [
        ['grpc-status', '0'],
        ['grpc-message', 'OK'],
      ],
    ]) {
      comp.write(list.map(([name, value]) => ({ name, value })));
      blocks.push(Uint8Array.from(comp.read() ?? Buffer.alloc(0)));
    }
  }
  return blocks;
}

/** Median of 5 runs after a warm-up run, in µs per block. */
function time(label: string, blocks: Uint8Array[], run: (blocks: Uint8Array[]) => number): void {
  run(blocks);
  const runs: number[] = [];
  let fields = 0;
  for (let i = 0; i < 5; i++) {
    const t0 = process.hrtime.bigint();
    fields = run(blocks);
    runs.push(Number(process.hrtime.bigint() - t0) / blocks.length / 1000);
  }
  runs.sort((a, b) => a - b);
  console.log(`${label.padEnd(52)} ${runs[2].toFixed(2).padStart(7)} µs/block  (${fields} fields)`);
}

const blocks = makeBlocks();
const avg = blocks.reduce((s, b) => s + b.length, 0) / blocks.length;
console.log(`${blocks.length} blocks, ${avg.toFixed(1)} octets on average`);

time('hpack.js decompressor write/execute/read', blocks, (bs) => {
  const d = hpackjs.decompressor.create({ table: { maxSize: 4096 } });
  let n = 0;
  for (const b of bs) {
    d.write(Buffer.from(b.buffer, b.byteOffset, b.length));
    d.execute();
    while (d.read() !== null) n++;
  }
  return n;
});

type Internals = { _decoder: { push(b: Buffer): void; isEmpty(): boolean }; _execute(): void; push(h: unknown): boolean };
time('hpack.js internals (_decoder.push/_execute)', blocks, (bs) => {
  const d = hpackjs.decompressor.create({ table: { maxSize: 4096 } }) as unknown as Internals;
  let out: unknown[] = [];
  d.push = (h) => (out.push(h), true);
  let n = 0;
  for (const b of bs) {
    out = [];
    d._decoder.push(Buffer.from(b.buffer, b.byteOffset, b.length));
    while (!d._decoder.isEmpty()) d._execute();
    n += out.length;
  }
  return n;
});

time('src/http2/hpack.ts HpackDecoder', blocks, (bs) => {
  const d = new HpackDecoder();
  let n = 0;
  for (const b of bs) n += d.decode(b).headers.length;
  return n;
});

// First calls on a connection: every field a Huffman literal (no dynamic-table hits).
const cold = blocks.slice(0, 3);
const coldBlocks = Array.from({ length: 3000 }, (_, i) => cold[i % 3]);
console.log('first-call blocks (all literals, Huffman), a fresh decoder per call:');
time('  hpack.js decompressor write/execute/read', coldBlocks, (bs) => {
  let n = 0;
  for (let i = 0; i < bs.length; i += 3) {
    const d = hpackjs.decompressor.create({ table: { maxSize: 4096 } });
    for (let j = i; j < i + 3; j++) {
      d.write(Buffer.from(bs[j].buffer, bs[j].byteOffset, bs[j].length));
      d.execute();
      while (d.read() !== null) n++;
    }
  }
  return n;
});
time('  src/http2/hpack.ts HpackDecoder', coldBlocks, (bs) => {
  let n = 0;
  for (let i = 0; i < bs.length; i += 3) {
    const d = new HpackDecoder();
    for (let j = i; j < i + 3; j++) n += d.decode(bs[j]).headers.length;
  }
  return n;
});

