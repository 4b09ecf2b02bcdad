import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageDeframer, type DeframedMessage } from '../../src/grpc/deframer';

function frame(flag: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + payload.length);
  out[0] = flag;
  new DataView(out.buffer).setUint32(1, payload.length);
  out.set(payload, 5);
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  return Buffer.concat(parts);
}

/** Messages as [flag, hex] pairs, copied out of the callback (views are only valid during it). */
function run(d: MessageDeframer, pushes: Uint8Array[]): Array<[boolean, string | null, number]> {
  const got: Array<[boolean, string | null, number]> = [];
  const cb = (m: DeframedMessage) => got.push([m.compressed, m.bytes ? Buffer.from(m.bytes).toString('hex') : null, m.length]);
  for (const p of pushes) d.push(p, cb);
  return got;
}

const m1 = new Uint8Array([0x0a, 0x03, 0x61, 0x62, 0x63]);
const m2 = new Uint8Array(0);
const m3 = new Uint8Array(300).map((_, i) => i & 0xff);
const stream = concat([frame(0, m1), frame(1, m2), frame(0, m3)]);
const expected: Array<[boolean, string | null, number]> = [
  [false, Buffer.from(m1).toString('hex'), 5],
  [true, '', 0],
  [false, Buffer.from(m3).toString('hex'), 300],
];

test('three messages in one DATA payload come out whole, in order', () => {
  assert.deepEqual(run(new MessageDeframer(), [stream]), expected);
});

test('every split point into two pushes gives the same messages', () => {
  for (let i = 0; i <= stream.length; i++) {
    const got = run(new MessageDeframer(), [stream.subarray(0, i), stream.subarray(i)]);
    assert.deepEqual(got, expected, `split at ${i}`);
  }
});

test('every pair of split points into three pushes gives the same messages', () => {
  const short = concat([frame(0, m1), frame(1, m2), frame(0, m1)]);
  const exp = run(new MessageDeframer(), [short]);
  for (let i = 0; i <= short.length; i++) {
    for (let j = i; j <= short.length; j++) {
      const got = run(new MessageDeframer(), [short.subarray(0, i), short.subarray(i, j), short.subarray(j)]);
      assert.deepEqual(got, exp, `split at ${i}, ${j}`);
    }
  }
});

test('byte-at-a-time pushes give the same messages', () => {
  const pushes = [...stream].map((b) => new Uint8Array([b]));
  assert.deepEqual(run(new MessageDeframer(), pushes), expected);
});

test('a message inside one push is a zero-copy view of the pushed bytes', () => {
  const d = new MessageDeframer();
  let view: Uint8Array | null = null;
  d.push(stream, (m) => {
    if (m.length === 5) view = m.bytes;
  });
  assert.ok(view);
  assert.equal((view as Uint8Array).buffer, stream.buffer);
});

test('a message spanning pushes survives the caller reusing its buffer', () => {
  const d = new MessageDeframer();
  const buf = new Uint8Array(stream);
  const got: string[] = [];
  d.push(buf.subarray(0, 8), (m) => got.push(Buffer.from(m.bytes!).toString('hex')));
  buf.fill(0xee, 0, 8); // the HTTP/2 layer's view is only valid during the call
  d.push(buf.subarray(8), (m) => got.push(Buffer.from(m.bytes!).toString('hex')));
  assert.equal(got[0], Buffer.from(m1).toString('hex'));
});

test('a declared length above the limit is skipped, counted and reported with its length', () => {
  const d = new MessageDeframer(100);
  const big = new Uint8Array(150).fill(7);
  const got = run(d, [concat([frame(0, big), frame(0, m1)]).subarray(0, 60), concat([frame(0, big), frame(0, m1)]).subarray(60)]);
  assert.deepEqual(got, [
    [false, null, 150],
    [false, Buffer.from(m1).toString('hex'), 5],
  ]);
});

test('a 4 GB length prefix buffers nothing', () => {
  const d = new MessageDeframer(1024);
  const prefix = new Uint8Array([0, 0xff, 0xff, 0xff, 0xff]);
  const chunk = new Uint8Array(1 << 20);
  const got: DeframedMessage[] = [];
  const before = process.memoryUsage().arrayBuffers;
  d.push(prefix, (m) => got.push(m));
  for (let i = 0; i < 64; i++) d.push(chunk, (m) => got.push(m));
  const after = process.memoryUsage().arrayBuffers;
  assert.equal(got.length, 0);
  assert.deepEqual(d.pending(), { prefixBytes: 5, length: 0xffffffff, received: 64 << 20 });
  assert.ok(after - before < 8 << 20, `grew by ${after - before} bytes`);
});

test('pending() reports a stream cut inside a prefix or a message', () => {
  const d = new MessageDeframer();
  d.push(stream.subarray(0, 3), () => {});
  assert.deepEqual(d.pending(), { prefixBytes: 3, length: -1, received: 0 });
  d.push(stream.subarray(3, 7), () => {});
  assert.deepEqual(d.pending(), { prefixBytes: 5, length: 5, received: 2 });
  d.reset();
  assert.equal(d.pending(), null);
});

test('a compressed flag other than 0 or 1 is reported', () => {
  const got: DeframedMessage[] = [];
  new MessageDeframer().push(frame(0x80, m1), (m) => got.push(m));
  assert.equal(got[0].badFlag, 0x80);
});
