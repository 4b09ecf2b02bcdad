import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FrameParser, RESYNC_WINDOW_BYTES } from '../../src/http2/framer';
import { HpackDecoder } from '../../src/http2/hpack';
import { http2HandlerFactory } from '../../src/http2/connection';
import { Encoder, PREFACE, RecordingSink, concat, frame, settings, tcpConn } from './helpers';

type Out = Array<[type: number, flags: number, sid: number, payload: string]>;

function parser(opts: { maxFrameSize?: number } = {}) {
  const out: Out = [];
  const skipped: number[] = [];
  const p = new FrameParser((t, f, s, pl) => out.push([t, f, s, Buffer.from(pl).toString('hex')]), {
    ...opts,
    onSkipped: (n) => skipped.push(n),
  });
  return { p, out, skipped };
}

const F1 = frame(0x1, 0x4, 1, [0x82, 0x84]);
const F2 = frame(0x0, 0x1, 1, [1, 2, 3]);
const F3 = frame(0x8, 0, 0, [0, 0, 1, 0]);

test('frames inside one chunk are handed out as views of it (zero copy)', () => {
  const chunk = concat(F1, F2);
  const views: Uint8Array[] = [];
  const p = new FrameParser((_t, _f, _s, pl) => views.push(pl));
  p.push(chunk);
  assert.equal(views.length, 2);
  assert.equal(views[0].buffer, chunk.buffer);
  assert.equal(views[1].byteOffset, chunk.byteOffset + F1.length + 9);
});

test('an unsynchronised start skips to the first header confirmed by the one after it', () => {
  const { p, out, skipped } = parser();
  p.startUnsynchronised();
  const junk = Uint8Array.from([0xde, 0xad, 0xbe, 0xef, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00]);
  p.push(concat(junk, F1, F2, F3));
  assert.deepEqual(out.map((f) => f[0]), [0x1, 0x0, 0x8]);
  assert.deepEqual(skipped, [junk.length]);
});

test('at the end of the data, a candidate frame that ends exactly there is believed', () => {
  const { p, out, skipped } = parser();
  p.startUnsynchronised();
  p.push(concat(Uint8Array.of(0xff, 0xfe), F2));
  assert.deepEqual(out, []);
  p.end();
  assert.deepEqual(out.map((f) => f[0]), [0x0]);
  assert.deepEqual(skipped, [2]);
});

test('a candidate frame too long to confirm inside the resync window is believed once the window is full', () => {
  const { p, out } = parser();
  p.startUnsynchronised();
  const big = frame(0x0, 0, 1, new Uint8Array(RESYNC_WINDOW_BYTES));
  p.plausibleMaxLength = RESYNC_WINDOW_BYTES;
  p.push(concat(Uint8Array.of(0xff), big, F3));
  assert.deepEqual(out.map((f) => [f[0], f[3].length / 2]), [
    [0x0, RESYNC_WINDOW_BYTES],
    [0x8, 4],
  ]);
});

test('a PING that is not 8 octets means framing is lost', () => {
  const { p, out, skipped } = parser();
  p.push(concat(frame(0x6, 0, 0, [1, 2, 3]), F1, F2));
  assert.deepEqual(out.map((f) => f[0]), [0x1, 0x0]);
  assert.deepEqual(skipped, [12]);
});

test('any split of a frame sequence gives the same frames (property)', () => {
  const stream = concat(F1, F2, F3, frame(0x0, 0, 3, new Uint8Array(700).fill(9)), F1);
  const whole = parser();
  whole.p.push(stream);
  fc.assert(
    fc.property(fc.uniqueArray(fc.integer({ min: 1, max: stream.length - 1 }), { maxLength: 20 }), (cuts) => {
      const { p, out } = parser();
      let prev = 0;
      for (const c of [...cuts].sort((a, b) => a - b)) {
        p.push(stream.subarray(prev, c));
        prev = c;
      }
      p.push(stream.subarray(prev));
      assert.deepEqual(out, whole.out);
    }),
    { numRuns: 300 },
  );
});

test('random bytes never throw: the HPACK decoder', () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 10 }), (blocks) => {
      const d = new HpackDecoder({ maxTableSize: 1024 });
      for (const b of blocks) {
        const r = d.decode(b);
        assert.ok(Array.isArray(r.headers));
        assert.ok(d.tableSize <= 1024);
      }
    }),
    { numRuns: 500 },
  );
});

test('random bytes, splits and gaps never throw: the connection handler', () => {
  const ce = new Encoder();
  const valid = concat(
    PREFACE,
    settings([[1, 100000], [5, 1 << 20]]),
    frame(0x1, 0x4, 1, ce.encode([[':path', '/a'], ['x', 'y']])),
    frame(0x0, 0x9, 1, [2, 7, 7, 0, 0]),
  );
  const event = fc.oneof(
    fc.record({ dir: fc.constantFrom(0 as const, 1 as const), bytes: fc.uint8Array({ maxLength: 300 }) }),
    fc.record({ dir: fc.constantFrom(0 as const, 1 as const), gap: fc.integer({ min: -1, max: 1000 }) }),
    fc.record({ dir: fc.constant(0 as const), mutate: fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })) }),
  );
  fc.assert(
    fc.property(fc.boolean(), fc.array(event, { maxLength: 30 }), (synSeen, events) => {
      const sink = new RecordingSink();
      const h = http2HandlerFactory(sink, { http2Ports: [50051], maxFrameSize: 4096 })(tcpConn({ synSeen }));
      h.data(0, valid.subarray(0, 30), 1, 0, 0);
      let n = 2;
      for (const e of events) {
        if ('bytes' in e) h.data(e.dir, e.bytes, n++, 0, 0);
        else if ('gap' in e) h.gap(e.dir, e.gap, n++, 0, 0);
        else {
          const copy = Uint8Array.from(valid.subarray(30));
          copy[e.mutate[0] % copy.length] = e.mutate[1];
          h.data(0, copy, n++, 0, 0);
        }
      }
      h.close('end');
    }),
    { numRuns: 400 },
  );
});
