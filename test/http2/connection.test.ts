import { test } from 'node:test';
import assert from 'node:assert/strict';
import { http2HandlerFactory } from '../../src/http2/connection';
import type { Http2Options } from '../../src/http2/types';
import type { Direction, TcpConnection } from '../../src/tcp/types';
import { Encoder, PREFACE, RecordingSink, concat, frame, settings, tcpConn, u32 } from './helpers';

const DATA = 0x0;
const HEADERS = 0x1;
const PRIORITY = 0x2;
const RST_STREAM = 0x3;
const PUSH_PROMISE = 0x5;
const PING = 0x6;
const GOAWAY = 0x7;
const WINDOW_UPDATE = 0x8;
const CONTINUATION = 0x9;
const END_STREAM = 0x1;
const END_HEADERS = 0x4;
const PADDED = 0x8;
const PRIO = 0x20;

type Chunk = [Direction, Uint8Array] | [Direction, 'gap', number];

/** Feed chunks as packets numbered from 1; returns the sink and the factory (for counters). */
function run(chunks: Chunk[], opts: { conn?: TcpConnection; options?: Http2Options; close?: boolean } = {}) {
  const sink = new RecordingSink();
  const factory = http2HandlerFactory(sink, opts.options);
  const handler = factory(opts.conn ?? tcpConn());
  chunks.forEach((c, i) => {
    if (c[1] === 'gap') handler.gap(c[0], c[2] as number, i + 1, 100 + i, 0);
    else handler.data(c[0], c[1], i + 1, 100 + i, 0);
  });
  if (opts.close !== false) handler.close('fin');
  return { sink, counters: factory.counters };
}

const REQ: Array<[string, string]> = [
  [':method', 'POST'],
  [':scheme', 'http'],
  [':path', '/helloworld.Greeter/SayHello'],
  [':authority', 'localhost:50051'],
  ['content-type', 'application/grpc'],
  ['te', 'trailers'],
];
const RESP: Array<[string, string]> = [[':status', '200'], ['content-type', 'application/grpc']];
const TRAILERS: Array<[string, string]> = [['grpc-status', '0'], ['grpc-message', '']];
const MSG = Uint8Array.from([0, 0, 0, 0, 7, 0x0a, 0x05, 0x77, 0x6f, 0x72, 0x6c, 0x64]); // gRPC frame: "world"

/** A unary gRPC call: client bytes and server bytes. */
function unaryCall(streamId = 1, ce = new Encoder(), se = new Encoder(), withPreface = true) {
  const client = concat(
    withPreface ? PREFACE : new Uint8Array(0),
    withPreface ? settings([[0x3, 100]]) : new Uint8Array(0),
    frame(HEADERS, END_HEADERS, streamId, ce.encode(REQ)),
    frame(DATA, END_STREAM, streamId, MSG),
  );
  const server = concat(
    withPreface ? settings([[0x5, 16384]]) : new Uint8Array(0),
    frame(HEADERS, END_HEADERS, streamId, se.encode(RESP)),
    frame(DATA, 0, streamId, MSG),
    frame(HEADERS, END_HEADERS | END_STREAM, streamId, se.encode(TRAILERS)),
  );
  return { client, server };
}

const MSG_STR = Buffer.from(MSG).toString('latin1');

function expectedUnary(frameReq: number, frameResp: number, streamId = 1) {
  return [
    { ev: 'headers', dir: 'request', frame: frameReq, streamId, headers: REQ, endStream: false },
    { ev: 'data', dir: 'request', frame: frameReq, streamId, data: MSG_STR, endStream: true },
    { ev: 'headers', dir: 'response', frame: frameResp, streamId, headers: RESP, endStream: false },
    { ev: 'data', dir: 'response', frame: frameResp, streamId, data: MSG_STR, endStream: false },
    { ev: 'headers', dir: 'response', frame: frameResp, streamId, headers: TRAILERS, endStream: true },
  ];
}

test('the client preface makes a connection HTTP/2; its sender is the client; events carry packet and direction', () => {
  const { client, server } = unaryCall();
  const { sink, counters } = run([
    [0, client],
    [1, server],
  ]);
  assert.deepEqual(sink.recs, [
    { ev: 'connection', client: '10.0.0.1:40000', server: '10.0.0.2:50051' },
    ...expectedUnary(1, 2),
    { ev: 'closed' },
  ]);
  assert.equal(counters.connections, 1);
  // The preface is not a frame.
  assert.equal(counters.frames, 7);
  assert.deepEqual(
    sink.frames.map((f) => f.typeName),
    ['SETTINGS', 'HEADERS', 'DATA', 'SETTINGS', 'HEADERS', 'DATA', 'HEADERS'],
  );
});

test('a preface in the direction of endpoints[1] (capture without the SYN) makes endpoints[1] the client', () => {
  const { client, server } = unaryCall();
  const { sink } = run(
    [
      [1, client],
      [0, server],
    ],
    { conn: tcpConn({ synSeen: false, clientPort: 50051, serverPort: 40000 }) },
  );
  assert.deepEqual(sink.recs[0], { ev: 'connection', client: '10.0.0.2:40000', server: '10.0.0.1:50051' });
  assert.equal(sink.of('headers')[0].dir, 'request');
  assert.deepEqual(sink.of('headers')[0].headers, REQ);
});

test('a server that sends its SETTINGS before the client preface arrives is held, then decoded', () => {
  const { client, server } = unaryCall();
  const sset = settings([[0x4, 65535]]);
  const { sink } = run([
    [1, sset],
    [0, client],
    [1, server],
  ]);
  assert.equal(sink.recs[0].ev, 'connection');
  assert.equal(sink.frames[0].typeName, 'SETTINGS');
  assert.equal(sink.frames[0].dir, 'response');
  assert.equal(sink.frames[0].frame, 1);
  assert.deepEqual(sink.recs.slice(1, -1), expectedUnary(2, 3));
});

test('frames split at every byte boundary decode the same as whole', () => {
  const { client, server } = unaryCall();
  const whole = run([
    [0, client],
    [1, server],
  ]).sink.recs.map((r) => ({ ...r, frame: 0 }));
  for (const [dir, bytes] of [
    [0, client],
    [1, server],
  ] as Array<[Direction, Uint8Array]>) {
    for (let cut = 1; cut < bytes.length; cut++) {
      const other: Chunk = dir === 0 ? [1, server] : [0, client];
      const chunks: Chunk[] = [
        [dir, bytes.subarray(0, cut)],
        [dir, bytes.subarray(cut)],
      ];
      const all = dir === 0 ? [...chunks, other] : [other, ...chunks];
      const recs = run(all).sink.recs.map((r) => ({ ...r, frame: 0 }));
      assert.deepEqual(recs, whole, `cut at ${cut} of direction ${dir}`);
    }
  }
  // Byte by byte: a DATA frame completed by the packet carrying its last byte.
  const bytewise: Chunk[] = [...client].map((b) => [0, Uint8Array.of(b)] as Chunk);
  const { sink } = run([...bytewise, [1, server]]);
  const data = sink.of('data')[0];
  assert.equal(data.data, MSG_STR);
  assert.equal(data.frame, client.length, 'origin is the packet that completed the frame');
});

test('DATA and HEADERS padding is removed; the HEADERS PRIORITY fields and PRIORITY frames are skipped', () => {
  const ce = new Encoder();
  const block = ce.encode(REQ);
  const pad = 7;
  const headersPayload = concat(Uint8Array.of(pad), Uint8Array.from([0x80, 0, 0, 3, 200]), block, new Uint8Array(pad));
  const dataPayload = concat(Uint8Array.of(3), MSG, Uint8Array.of(0, 0, 0));
  const client = concat(
    PREFACE,
    frame(PRIORITY, 0, 1, [0, 0, 0, 0, 16]),
    frame(HEADERS, END_HEADERS | PADDED | PRIO, 1, headersPayload),
    frame(DATA, END_STREAM | PADDED, 1, dataPayload),
  );
  const { sink } = run([[0, client]]);
  assert.deepEqual(sink.of('headers').map((h) => h.headers), [REQ]);
  assert.deepEqual(sink.of('data').map((d) => [d.data, d.endStream]), [[MSG_STR, true]]);
  assert.deepEqual(sink.frames.map((f) => f.typeName), ['PRIORITY', 'HEADERS', 'DATA']);
});

test('a header block across HEADERS and CONTINUATION frames is decoded once, at the packet of the last one', () => {
  const ce = new Encoder();
  const many: Array<[string, string]> = [...REQ, ...Array.from({ length: 20 }, (_, i) => [`x-meta-${i}`, `value ${i}`] as [string, string])];
  const block = ce.encode(many);
  const a = block.subarray(0, 10);
  const b = block.subarray(10, 30);
  const c = block.subarray(30);
  const { sink } = run([
    [0, concat(PREFACE, frame(HEADERS, END_STREAM, 1, a))],
    [0, frame(CONTINUATION, 0, 1, b)],
    [0, frame(CONTINUATION, END_HEADERS, 1, c)],
  ]);
  const hs = sink.of('headers');
  assert.equal(hs.length, 1);
  assert.deepEqual(hs[0].headers, many);
  assert.equal(hs[0].endStream, true);
  assert.equal(hs[0].frame, 3);
  assert.deepEqual(sink.frames.map((f) => f.typeName), ['HEADERS', 'CONTINUATION', 'CONTINUATION']);
});

test('a header block interrupted by another frame is reported and the next block decodes', () => {
  const ce = new Encoder();
  const block = ce.encode(REQ);
  const ce2 = new Encoder(); // the interrupted block's insertions are unknown: encode the next one fresh
  const { sink, counters } = run([
    [
      0,
      concat(
        PREFACE,
        frame(HEADERS, 0, 1, block.subarray(0, 5)),
        frame(PING, 0, 0, new Uint8Array(8)),
        frame(HEADERS, END_HEADERS, 3, ce2.encode([[':path', '/x']])),
      ),
    ],
  ]);
  const hs = sink.of('headers');
  assert.equal(hs.length, 2);
  assert.equal(hs[0].streamId, 1);
  assert.match(hs[0].hpackError ?? '', /interrupted by a PING frame/);
  assert.deepEqual(hs[1].headers, [[':path', '/x']]);
  assert.equal(counters.hpackErrors, 1);
});

test('PUSH_PROMISE yields the promised request headers on the promised stream', () => {
  const { client } = unaryCall();
  const se = new Encoder();
  const promised: Array<[string, string]> = [[':method', 'GET'], [':scheme', 'http'], [':path', '/style.css'], [':authority', 'example']];
  const ppPayload = concat(Uint8Array.of(2), Uint8Array.from(u32(2)), se.encode(promised), Uint8Array.of(0, 0));
  const server = concat(
    frame(PUSH_PROMISE, END_HEADERS | PADDED, 1, ppPayload),
    frame(HEADERS, END_HEADERS, 2, se.encode([[':status', '200']])),
    frame(DATA, END_STREAM, 2, Buffer.from('body{}')),
  );
  const { sink } = run([
    [0, client],
    [1, server],
  ]);
  const hs = sink.of('headers').filter((h) => h.streamId === 2);
  assert.deepEqual(hs[0], { ev: 'headers', dir: 'response', frame: 2, streamId: 2, headers: promised, endStream: false, promised: true });
  assert.deepEqual(hs[1].headers, [[':status', '200']]);
  assert.equal(sink.of('data').find((d) => d.streamId === 2)?.data, 'body{}');
});

test('an unknown frame type is skipped by its length and the frames after it decode', () => {
  const ce = new Encoder();
  const client = concat(
    PREFACE,
    frame(0xfa, 0xff, 0, Buffer.from('extension payload')),
    frame(HEADERS, END_HEADERS | END_STREAM, 1, ce.encode(REQ)),
  );
  const { sink } = run([[0, client]]);
  assert.deepEqual(sink.frames.map((f) => f.typeName), ['UNKNOWN(0xFA)', 'HEADERS']);
  assert.deepEqual(sink.of('headers')[0].headers, REQ);
});

test('RST_STREAM and GOAWAY carry RFC 9113 §7 error names; PING and WINDOW_UPDATE are frames only', () => {
  const { client } = unaryCall();
  const server = concat(
    frame(RST_STREAM, 0, 1, u32(0x8)),
    frame(WINDOW_UPDATE, 0, 0, u32(1000)),
    frame(PING, 0x1, 0, new Uint8Array(8)),
    frame(GOAWAY, 0, 0, [...u32(1), ...u32(0xb), ...Buffer.from('too many pings')]),
    frame(RST_STREAM, 0, 3, u32(0x1234)),
  );
  const { sink } = run([
    [0, client],
    [1, server],
  ]);
  assert.deepEqual(sink.of('rst'), [
    { ev: 'rst', dir: 'response', streamId: 1, errorName: 'CANCEL', errorCode: 8 },
    { ev: 'rst', dir: 'response', streamId: 3, errorName: 'UNKNOWN(0x00001234)', errorCode: 0x1234 },
  ]);
  assert.deepEqual(sink.of('goaway'), [
    { ev: 'goaway', dir: 'response', lastStreamId: 1, errorName: 'ENHANCE_YOUR_CALM', debugData: 'too many pings' },
  ]);
});

test('SETTINGS_HEADER_TABLE_SIZE and a dynamic table size update let the encoder use a larger table', () => {
  // The server announces a 16 KiB table; the client encoder grows to it and fills more than 4 KiB.
  const ce = new Encoder();
  const sizeUpdate = Uint8Array.from([0x3f, 0xe1, 0x7f]); // size update to 16384 (31 + 0x61 + 0x7f*128)
  const big: Array<[string, string]> = Array.from({ length: 40 }, (_, i) => [`x-k${i}`, 'v'.repeat(200)]);
  const first = concat(sizeUpdate, hpackRaw(big));
  const again = Uint8Array.from(big.map((_, i) => 0x80 | (62 + (big.length - 1 - i)))); // all by index
  void ce;
  const { sink } = run([
    [0, PREFACE],
    [1, settings([[0x1, 16384]])],
    [0, frame(HEADERS, END_HEADERS, 1, first)],
    [0, frame(HEADERS, END_HEADERS, 3, again)],
  ]);
  const hs = sink.of('headers');
  assert.equal(hs[0].hpackError, undefined);
  assert.equal(hs[1].hpackError, undefined);
  assert.deepEqual(hs[1].headers, big);
});

/** Literal-with-incremental-indexing, raw strings, for exact control of the table. */
function hpackRaw(list: Array<[string, string]>): Uint8Array {
  const out: number[] = [];
  const str = (s: string) => {
    const b = Buffer.from(s, 'latin1');
    if (b.length < 127) out.push(b.length);
    else {
      out.push(127);
      let v = b.length - 127;
      while (v >= 128) {
        out.push((v % 128) | 0x80);
        v = Math.floor(v / 128);
      }
      out.push(v);
    }
    out.push(...b);
  };
  for (const [n, v] of list) {
    out.push(0x40);
    str(n);
    str(v);
  }
  return Uint8Array.from(out);
}

test('an HPACK error (dynamic index 62 on a fresh decoder) keeps decoded fields, and later blocks decode', () => {
  const client = concat(
    PREFACE,
    frame(HEADERS, END_HEADERS, 1, Uint8Array.from([0x83, 0x80 | 62, 0x86])),
    frame(HEADERS, END_HEADERS | END_STREAM, 3, Uint8Array.from([0x83, 0x84, 0x86])),
  );
  const { sink, counters } = run([[0, client]]);
  const hs = sink.of('headers');
  assert.deepEqual(hs[0].headers, [[':method', 'POST'], [':scheme', 'http']]);
  assert.match(hs[0].hpackError ?? '', /dynamic table index 62 is not known/);
  assert.deepEqual(hs[1].headers, [[':method', 'POST'], [':path', '/'], [':scheme', 'http']]);
  assert.equal(hs[1].hpackError, undefined);
  assert.equal(counters.hpackErrors, 1);
});

test('a TCP gap of unknown size mid-frame: the loss is reported, framing resynchronises, later calls decode', () => {
  const ce = new Encoder();
  const se = new Encoder();
  const a = unaryCall(1, ce, se);
  // Later calls use fresh encoders: after a gap the dynamic table is forgotten, as the peers' is not.
  const b = unaryCall(3, new Encoder(), new Encoder(), false);
  const c = unaryCall(5, new Encoder(), new Encoder(), false);
  const cut = a.client.length - 5; // inside the request DATA frame
  const { sink, counters } = run([
    [0, a.client.subarray(0, cut)],
    [0, 'gap', -1],
    [0, concat(Buffer.from('lost tail of the previous frame'), b.client)],
    [0, c.client],
    [1, concat(a.server, b.server, c.server)],
  ]);
  const gaps = sink.of('gap');
  assert.deepEqual(gaps[0], { ev: 'gap', dir: 'request', lost: -1 });
  // Then what was dropped: the cut frame's received part and the bytes passed over to find the next header.
  assert.deepEqual(gaps[1], { ev: 'gap', dir: 'request', lost: 9 + MSG.length - 5 + 'lost tail of the previous frame'.length });
  assert.equal(gaps.length, 2);
  // The loss is told before the frames found after it.
  const order = sink.recs.map((r) => (r.ev === 'gap' ? 'gap' : r.ev === 'headers' && r.dir === 'request' ? `h${r.streamId}` : '')).filter(Boolean);
  assert.deepEqual(order, ['h1', 'gap', 'gap', 'h3', 'h5']);
  const paths = sink.of('headers').filter((h) => h.dir === 'request').map((h) => h.streamId);
  assert.deepEqual(paths, [1, 3, 5]);
  assert.deepEqual(sink.of('data').filter((d) => d.dir === 'request').map((d) => d.streamId), [3, 5]);
  assert.ok(counters.bytesSkipped >= 'lost tail of the previous frame'.length);
});

test('a TCP gap of known size inside one DATA payload keeps framing: only that frame is dropped', () => {
  const { client } = unaryCall();
  const big = new Uint8Array(3000).fill(0x61);
  const se = new Encoder();
  const before = concat(settings([]), frame(HEADERS, END_HEADERS, 1, se.encode(RESP)));
  const resp = concat(before, frame(DATA, 0, 1, big), frame(HEADERS, END_HEADERS | END_STREAM, 1, se.encode(TRAILERS)));
  const holeAt = before.length + 9 + 1000;
  const { sink } = run([
    [0, client],
    [1, resp.subarray(0, holeAt)],
    [1, 'gap', 500],
    [1, resp.subarray(holeAt + 500)],
  ]);
  const resp2 = sink.of('headers').filter((h) => h.dir === 'response');
  assert.deepEqual(resp2.map((h) => h.headers), [RESP, TRAILERS]);
  assert.equal(sink.of('data').filter((d) => d.dir === 'response').length, 0);
  // The TCP loss, then the rest of the damaged frame (header + payload received around the hole), both
  // naming the stream whose DATA they were: no other stream lost anything.
  assert.deepEqual(sink.of('gap'), [
    { ev: 'gap', dir: 'response', lost: 500, streamId: 1 },
    { ev: 'gap', dir: 'response', lost: 9 + 3000 - 500, streamId: 1 },
  ]);
});

/** Client bytes of two calls on one connection with one encoder: stream 3's HEADERS index stream 1's. */
function twoCallsOneEncoder(big: Uint8Array) {
  const ce = new Encoder();
  const before = concat(PREFACE, settings([]), frame(HEADERS, END_HEADERS, 1, ce.encode(REQ)));
  const data = frame(DATA, END_STREAM, 1, big);
  const after = frame(HEADERS, END_HEADERS | END_STREAM, 3, ce.encode(REQ));
  return { before, data, after, bytes: concat(before, data, after) };
}

test('a TCP gap ending exactly at a DATA frame\'s end keeps framing and the HPACK table; it concerns that stream only', () => {
  const c = twoCallsOneEncoder(new Uint8Array(3000).fill(0x62));
  const holeAt = c.before.length + 9 + 1000;
  const lost = c.before.length + c.data.length - holeAt;
  const { sink, counters } = run([
    [0, c.bytes.subarray(0, holeAt)],
    [0, 'gap', lost],
    [0, c.after],
  ]);
  const req = sink.of('headers').filter((h) => h.dir === 'request');
  // Stream 3's block refers to dynamic-table entries made by stream 1's: it decodes only if the table was kept.
  assert.deepEqual(req.map((h) => [h.streamId, h.headers, h.hpackError]), [[1, REQ, undefined], [3, REQ, undefined]]);
  assert.equal(counters.hpackErrors, 0);
  assert.equal(sink.of('data').length, 0, 'the damaged frame is dropped');
  assert.deepEqual(sink.of('gap'), [
    { ev: 'gap', dir: 'request', lost, streamId: 1 },
    { ev: 'gap', dir: 'request', lost: 9 + 1000, streamId: 1 },
  ]);
  // The skipped bytes are told before the frame after the hole.
  assert.deepEqual(sink.recs.filter((r) => r.ev === 'gap' || r.ev === 'headers').map((r) => r.ev), ['headers', 'gap', 'gap', 'headers']);
});

test('a TCP gap reaching past a frame\'s end may have swallowed frame headers: framing resynchronises, the table is forgotten', () => {
  const c = twoCallsOneEncoder(new Uint8Array(3000).fill(0x62));
  const holeAt = c.before.length + 9 + 1000;
  const lost = c.before.length + c.data.length - holeAt + 1; // one octet of the next header too
  const { sink } = run([
    [0, c.bytes.subarray(0, holeAt)],
    [0, 'gap', lost],
    [0, c.after.subarray(1)],
    [0, frame(HEADERS, END_HEADERS | END_STREAM, 5, new Encoder().encode(REQ))],
  ]);
  const gaps = sink.of('gap');
  assert.deepEqual(gaps[0], { ev: 'gap', dir: 'request', lost }, 'no stream named: the loss may concern any');
  assert.ok(gaps.every((g) => g.streamId === undefined));
  // Stream 5's block (fresh encoder, no dynamic references) decodes after the resynchronisation.
  const req = sink.of('headers').filter((h) => h.dir === 'request');
  assert.deepEqual(req.map((h) => h.streamId), [1, 5]);
  assert.deepEqual(req[1].headers, REQ);
});

test('a capture that starts mid-connection is decoded with the server port in http2Ports, and without it by its frame run', () => {
  const ce = new Encoder();
  const se = new Encoder();
  unaryCall(1, ce, se); // the calls before the capture started
  const midFrame = frame(DATA, 0, 1, new Uint8Array(300).fill(7)).subarray(100);
  const b = unaryCall(3, new Encoder(), new Encoder(), false);
  const conn = tcpConn({ synSeen: false, clientPort: 40000, serverPort: 50051 });
  const chunks: Chunk[] = [
    [1, concat(midFrame, b.server)],
    [0, b.client],
  ];
  const forced = run(chunks, { conn, options: { http2Ports: [50051] } });
  assert.deepEqual(forced.sink.recs[0], { ev: 'connection', client: '10.0.0.1:40000', server: '10.0.0.2:50051' });
  // The response came first in the file; its frames waited for the request's HEADERS (REORDER_BUFFER_BYTES).
  assert.deepEqual(
    forced.sink.of('headers').map((h) => [h.dir, h.headers]),
    [
      ['request', REQ],
      ['response', RESP],
      ['response', TRAILERS],
    ],
  );
  assert.deepEqual(forced.sink.of('gap'), [{ ev: 'gap', dir: 'response', lost: midFrame.length }]);
  // Without --http2-port the same connection is recognised by its frames, and decoded the same way.
  const plain = run(chunks, { conn });
  assert.deepEqual(plain.sink.recs, forced.sink.recs);
  assert.equal(plain.counters.connections, 1);
  assert.equal(plain.counters.joinedConnections, 1);
});

test('an HTTP/1.1 connection is ignored: no events, no counters', () => {
  const req = Buffer.from('GET /index.html HTTP/1.1\r\nHost: example\r\n\r\n');
  const resp = Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi');
  const { sink, counters } = run([
    [0, req],
    [1, resp],
    [0, req],
    [1, resp],
  ]);
  assert.deepEqual(sink.recs, []);
  assert.equal(counters.connections, 0);
  assert.equal(counters.frames, 0);
});

test('a TLS connection is ignored even on a port that is not forced', () => {
  const hello = Uint8Array.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]);
  const { sink } = run([[0, hello]]);
  assert.deepEqual(sink.recs, []);
});

test('an h2c upgrade (Upgrade: h2c, 101 Switching Protocols) decodes, the request is stream 1', () => {
  const se = new Encoder();
  const req = Buffer.from(
    'GET /greet HTTP/1.1\r\nHost: example:8080\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\nAccept: */*\r\n\r\n',
  );
  const resp101 = Buffer.from('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n');
  const server = concat(
    resp101,
    settings([]),
    frame(HEADERS, END_HEADERS, 1, se.encode([[':status', '200']])),
    frame(DATA, END_STREAM, 1, Buffer.from('hello')),
  );
  const { sink, counters } = run([
    [0, req],
    [1, server],
    [0, concat(PREFACE, settings([]))],
  ]);
  assert.equal(counters.connections, 1);
  const hs = sink.of('headers');
  assert.deepEqual(hs[0], {
    ev: 'headers',
    dir: 'request',
    frame: 1,
    streamId: 1,
    headers: [[':method', 'GET'], [':scheme', 'http'], [':authority', 'example:8080'], [':path', '/greet'], ['accept', '*/*']],
    endStream: true,
  });
  assert.deepEqual(hs[1].headers, [[':status', '200']]);
  assert.deepEqual(sink.of('data').map((d) => d.data), ['hello']);
});

test('an HTTP/1.1 upgrade refused by the server is ignored', () => {
  const req = Buffer.from('GET / HTTP/1.1\r\nHost: x\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n');
  const { sink } = run([
    [0, req],
    [1, Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n')],
  ]);
  assert.deepEqual(sink.recs, []);
});

test('a SETTINGS flood and a 4 GB header table size stay bounded', () => {
  const entries: Array<[number, number]> = Array.from({ length: 2000 }, (_, i) => [1 + (i % 9), 0xffffffff]);
  const flood = settings(entries); // 12000 octets, every HEADER_TABLE_SIZE = 4 GB
  const parts: Uint8Array[] = [PREFACE];
  for (let i = 0; i < 500; i++) parts.push(flood);
  // The client's encoder then claims a 4 GB table with a size update.
  const n = 4294967295 - 31;
  const cont: number[] = [];
  for (let v = n; ; v = Math.floor(v / 128)) {
    if (v < 128) {
      cont.push(v);
      break;
    }
    cont.push((v % 128) | 0x80);
  }
  const start = process.hrtime.bigint();
  const before = process.memoryUsage().arrayBuffers + process.memoryUsage().heapUsed;
  const { sink, counters } = run([
    [1, concat(...parts)],
    [0, PREFACE],
    [1, frame(HEADERS, END_HEADERS, 1, Uint8Array.from([0x3f, ...cont, 0x88]))],
  ]);
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  assert.equal(counters.frames, 501);
  const h = sink.of('headers')[0];
  assert.deepEqual(h.headers, [[':status', '200']]);
  assert.match(h.hpackError ?? '', /exceeds the limit of 65536/);
  const grown = process.memoryUsage().arrayBuffers + process.memoryUsage().heapUsed - before;
  assert.ok(grown < 64 * 1024 * 1024, `memory grew by ${grown}`);
  assert.ok(ms < 5000, `took ${ms} ms`);
});

test('streams beyond maxStreamsPerConnection drop the oldest and are counted', () => {
  const ce = new Encoder();
  const parts: Uint8Array[] = [PREFACE];
  for (let i = 0; i < 20; i++) parts.push(frame(HEADERS, END_HEADERS, 1 + 2 * i, ce.encode(REQ)));
  const { sink, counters } = run([[0, concat(...parts)]], { options: { maxStreamsPerConnection: 5 } });
  assert.equal(sink.of('headers').length, 20, 'events are not lost, only bookkeeping');
  assert.equal(counters.droppedStreams, 15);
});

test('a header block larger than maxHeaderBlockBytes is skipped and reported; blocks after it decode', () => {
  const big: Array<[string, string]> = [[':path', '/big'], ['x-big', 'x'.repeat(3000)]];
  const ce = new Encoder();
  const block = ce.encode(big);
  const client = concat(
    PREFACE,
    frame(HEADERS, 0, 1, block.subarray(0, 1000)),
    frame(CONTINUATION, 0, 1, block.subarray(1000, 2000)),
    frame(CONTINUATION, END_HEADERS, 1, block.subarray(2000)),
    frame(HEADERS, END_HEADERS, 3, Uint8Array.from([0x83, 0x84])),
  );
  const { sink, counters } = run([[0, client]], { options: { maxHeaderBlockBytes: 1500 } });
  const hs = sink.of('headers');
  assert.deepEqual(hs[0].headers, []);
  assert.match(hs[0].hpackError ?? '', /header block of \d+ octets exceeds maxHeaderBlockBytes \(1500\)/);
  assert.deepEqual(hs[1].headers, [[':method', 'POST'], [':path', '/']]);
  assert.equal(counters.hpackErrors, 1);
});

test('a frame longer than maxFrameSize is a loss of framing: skipped and resynchronised', () => {
  const ce = new Encoder();
  const client = concat(
    PREFACE,
    frame(DATA, 0, 1, new Uint8Array(5000)),
    frame(HEADERS, END_HEADERS, 3, ce.encode(REQ)),
    frame(DATA, END_STREAM, 3, MSG),
  );
  const { sink, counters } = run([[0, client]], { options: { maxFrameSize: 4096 } });
  assert.deepEqual(sink.of('headers').map((h) => h.streamId), [3]);
  assert.deepEqual(sink.of('gap'), [{ ev: 'gap', dir: 'request', lost: 5009 }]);
  assert.equal(counters.bytesSkipped, 5009);
});

test('connectionClosed comes once per recognised connection, after everything else', () => {
  const { client, server } = unaryCall();
  const sink = new RecordingSink();
  const factory = http2HandlerFactory(sink);
  const h = factory(tcpConn());
  h.data(0, client, 1, 0, 0);
  h.data(1, server, 2, 0, 0);
  h.close('rst');
  h.close('end');
  h.data(0, client, 3, 0, 0);
  assert.equal(sink.recs.filter((r) => r.ev === 'closed').length, 1);
  assert.equal(sink.recs[sink.recs.length - 1].ev, 'closed');
});

test('with http2Ports and no SYN, a server preface first still waits for the client preface', () => {
  const { client, server } = unaryCall();
  const conn = tcpConn({ synSeen: false });
  const { sink, counters } = run(
    [
      [1, server.subarray(0, 9)],
      [0, client],
      [1, server.subarray(9)],
    ],
    { conn, options: { http2Ports: [50051] } },
  );
  assert.deepEqual(sink.recs.slice(1, -1), expectedUnary(2, 3));
  assert.equal(counters.bytesSkipped, 0);
});

test('with a SYN seen but the client start lost to a gap, http2Ports still applies', () => {
  const b = unaryCall(3, new Encoder(), new Encoder(), false);
  const { sink } = run(
    [
      [0, 'gap', -1],
      [0, b.client],
      [1, b.server],
    ],
    { options: { http2Ports: [50051] } },
  );
  assert.deepEqual(sink.of('headers').map((h) => [h.dir, h.streamId]), [
    ['request', 3],
    ['response', 3],
    ['response', 3],
  ]);
  // Without the port, the frames that follow the lost start are recognised for what they are.
  assert.deepEqual(run([[0, 'gap', -1], [0, b.client], [1, b.server]]).sink.recs, sink.recs);
  // Bytes that are not frames after a lost start are not.
  const http1 = Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(40));
  assert.deepEqual(run([[0, 'gap', -1], [0, http1], [1, Buffer.from('HTTP/1.1 200 OK\r\n\r\n'.repeat(40))]]).sink.recs, []);
});

test('a TCP gap inside a HEADERS frame reports the stream with the reason; later fresh blocks decode', () => {
  const ce = new Encoder();
  const many: Array<[string, string]> = [...REQ, ['x-pad', 'p'.repeat(400)]];
  const h1 = frame(HEADERS, END_HEADERS, 1, ce.encode(many));
  const h3 = frame(HEADERS, END_HEADERS | END_STREAM, 3, Uint8Array.from([0x83, 0x86, 0x84]));
  const { sink, counters } = run([
    [0, concat(PREFACE, h1.subarray(0, 100))],
    [0, 'gap', 50],
    [0, concat(h1.subarray(150), h3)],
  ]);
  const hs = sink.of('headers');
  assert.deepEqual(hs[0], { ev: 'headers', dir: 'request', frame: 2, streamId: 1, headers: [], endStream: false, hpackError: 'header block cut by a TCP gap' });
  assert.deepEqual(hs[1].headers, [[':method', 'POST'], [':scheme', 'http'], [':path', '/']]);
  assert.equal(counters.hpackErrors, 1);
});
