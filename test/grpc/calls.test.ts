import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { GrpcCallTracker, headerObject, MAX_HELD_BYTES_PER_CALL, MAX_HELD_BYTES_TOTAL } from '../../src/grpc/calls';
import type { RecordSink } from '../../src/records/types';
import type { Http2Connection, Http2Direction, HeaderField } from '../../src/http2/types';
import type { CallRecord, FrameRecord, MessageRecord } from '../../src/records/types';
import { loadSchemaSync, RAW_DECODER } from '../../src/protobuf/schema';
import type { MessageDecoder } from '../../src/protobuf/types';

const decoder = loadSchemaSync({ protoPaths: [path.join(__dirname, '..', '..', 'samples', 'protos')] });
const HelloRequest = decoder.root.lookupType('helloworld.HelloRequest');
const HelloReply = decoder.root.lookupType('helloworld.HelloReply');

function makeConn(index = 0): Http2Connection {
  return {
    tcp: {
      index,
      endpoints: [
        { addr: '127.0.0.1', port: 40000 },
        { addr: '127.0.0.1', port: 50051 },
      ],
      synSeen: true,
      firstFrame: 1,
      firstTsSec: 1700000000,
      firstTsNsec: 0,
    },
    clientIndex: 0,
    client: '127.0.0.1:40000',
    server: '127.0.0.1:50051',
  };
}

/** A recording sink and a small driver that numbers frames and advances time 1 ms per event. */
class Harness {
  messages: MessageRecord[] = [];
  calls: CallRecord[] = [];
  frames: FrameRecord[] = [];
  sink: RecordSink = {
    message: (r) => this.messages.push(r),
    call: (r) => this.calls.push(r),
    frame: (r) => this.frames.push(r),
  };
  tracker: GrpcCallTracker;
  frameNo = 0;
  nsec = 0;
  constructor(
    readonly conn = makeConn(),
    options = {},
    dec: MessageDecoder = decoder,
  ) {
    this.tracker = new GrpcCallTracker(this.sink, dec, options);
  }
  private origin(direction: Http2Direction) {
    this.frameNo++;
    this.nsec += 1_000_000;
    return { conn: this.conn, direction, frame: this.frameNo, tsSec: 1700000000, tsNsec: this.nsec };
  }
  headers(direction: Http2Direction, streamId: number, headers: HeaderField[], endStream = false, hpackError?: string) {
    this.tracker.headers({ ...this.origin(direction), streamId, headers, endStream, hpackError });
  }
  data(direction: Http2Direction, streamId: number, data: Uint8Array, endStream = false) {
    this.tracker.data({ ...this.origin(direction), streamId, data, endStream });
  }
  rst(direction: Http2Direction, streamId: number, errorCode: number, errorName: string) {
    this.tracker.rstStream({ ...this.origin(direction), streamId, errorCode, errorName });
  }
  goaway(lastStreamId: number, errorCode = 0, errorName = 'NO_ERROR') {
    this.tracker.goaway({ ...this.origin('response'), lastStreamId, errorCode, errorName, debugData: '' });
  }
}

function lpm(payload: Uint8Array, compressed = false): Uint8Array {
  const out = Buffer.alloc(5 + payload.length);
  out[0] = compressed ? 1 : 0;
  out.writeUInt32BE(payload.length, 1);
  out.set(payload, 5);
  return out;
}

const reqHeaders = (path = '/helloworld.Greeter/SayHello', extra: HeaderField[] = []): HeaderField[] => [
  [':method', 'POST'],
  [':scheme', 'http'],
  [':path', path],
  [':authority', 'localhost:50051'],
  ['content-type', 'application/grpc'],
  ['te', 'trailers'],
  ...extra,
];
const respHeaders: HeaderField[] = [
  [':status', '200'],
  ['content-type', 'application/grpc+proto'],
];
const okTrailers: HeaderField[] = [
  ['grpc-status', '0'],
  ['grpc-message', 'OK'],
];

test('a unary call gives two message records then one call record', () => {
  const h = new Harness();
  h.headers('request', 1, reqHeaders('/helloworld.Greeter/SayHello', [['grpc-timeout', '200m'], ['x-id', 'a'], ['x-id', 'b']]));
  const req = lpm(HelloRequest.encode({ name: 'world' }).finish());
  h.data('request', 1, req.subarray(0, 3));
  h.data('request', 1, req.subarray(3), true);
  h.headers('response', 1, respHeaders);
  h.data('response', 1, lpm(HelloReply.encode({ message: 'Hello world' }).finish()));
  h.headers('response', 1, okTrailers, true);

  assert.deepEqual(h.messages, [
    {
      type: 'message',
      frame: 3,
      ts: '2023-11-14T22:13:20.003000000Z',
      tcp_stream: 0,
      client: '127.0.0.1:40000',
      server: '127.0.0.1:50051',
      stream: 1,
      call_id: '0/1',
      method: '/helloworld.Greeter/SayHello',
      direction: 'request',
      index: 0,
      compressed: false,
      encoding: null,
      length: 7,
      message_type: 'helloworld.HelloRequest',
      body: { name: 'world' },
      error: null,
    },
    {
      type: 'message',
      frame: 5,
      ts: '2023-11-14T22:13:20.005000000Z',
      tcp_stream: 0,
      client: '127.0.0.1:40000',
      server: '127.0.0.1:50051',
      stream: 1,
      call_id: '0/1',
      method: '/helloworld.Greeter/SayHello',
      direction: 'response',
      index: 0,
      compressed: false,
      encoding: null,
      length: 13,
      message_type: 'helloworld.HelloReply',
      body: { message: 'Hello world' },
      error: null,
    },
  ]);
  assert.deepEqual(h.calls, [
    {
      type: 'call',
      tcp_stream: 0,
      client: '127.0.0.1:40000',
      server: '127.0.0.1:50051',
      stream: 1,
      call_id: '0/1',
      method: '/helloworld.Greeter/SayHello',
      protocol: 'grpc',
      authority: 'localhost:50051',
      start: '2023-11-14T22:13:20.001000000Z',
      end: '2023-11-14T22:13:20.006000000Z',
      duration_ms: 5,
      http_status: 200,
      status: 0,
      status_name: 'OK',
      grpc_message: 'OK',
      request_headers: {
        ':method': 'POST',
        ':scheme': 'http',
        ':path': '/helloworld.Greeter/SayHello',
        ':authority': 'localhost:50051',
        'content-type': 'application/grpc',
        te: 'trailers',
        'grpc-timeout': '200m',
        'x-id': 'a, b',
      },
      response_headers: { ':status': '200', 'content-type': 'application/grpc+proto' },
      trailers: { 'grpc-status': '0', 'grpc-message': 'OK' },
      request_messages: 1,
      response_messages: 1,
      request_bytes: 7,
      response_bytes: 13,
      complete: true,
      reset: null,
      first_frame: 1,
      last_frame: 6,
      timeout_ms: 200,
    },
  ]);
});

test('message records are emitted as each message completes, before the call ends', () => {
  const h = new Harness();
  h.headers('request', 1, reqHeaders('/grpctk.demo.Demo/ServerStream'));
  h.data('request', 1, lpm(new Uint8Array(0)), true);
  h.headers('response', 1, respHeaders);
  const replies = [1, 2, 3].map((seq) => lpm(decoder.root.lookupType('grpctk.demo.DemoReply').encode({ seq }).finish()));
  // Two replies in one DATA frame, the third split across two.
  h.data('response', 1, Buffer.concat([replies[0], replies[1], replies[2].subarray(0, 4)]));
  assert.equal(h.messages.length, 3);
  assert.equal(h.calls.length, 0);
  h.data('response', 1, replies[2].subarray(4));
  h.headers('response', 1, [['grpc-status', '0']], true);
  assert.deepEqual(
    h.messages.map((m) => [m.direction, m.index, m.frame, m.body]),
    [
      ['request', 0, 2, {}],
      ['response', 0, 4, { seq: 1 }],
      ['response', 1, 4, { seq: 2 }],
      ['response', 2, 5, { seq: 3 }],
    ],
  );
  assert.equal(h.calls[0].response_messages, 3);
  assert.equal(h.calls[0].request_messages, 1);
  assert.equal(h.calls[0].last_frame, 6);
});

test('a trailers-only response is reported once, as trailers, and says so', () => {
  const h = new Harness();
  h.headers('request', 1, reqHeaders());
  h.data('request', 1, lpm(HelloRequest.encode({ name: 'x' }).finish()), true);
  h.headers(
    'response',
    1,
    [
      [':status', '200'],
      ['content-type', 'application/grpc'],
      ['grpc-status', '5'],
      ['grpc-message', 'no%20such%20thing'],
    ],
    true,
  );
  const c = h.calls[0];
  assert.equal(c.status, 5);
  assert.equal(c.status_name, 'NOT_FOUND');
  assert.equal(c.grpc_message, 'no such thing');
  assert.equal(c.http_status, 200);
  assert.deepEqual(c.response_headers, {});
  assert.equal(c.trailers_only, true);
  assert.equal(c.trailers[':status'], '200');
  assert.equal(c.trailers['grpc-status'], '5');
  assert.equal(c.complete, true);
  assert.equal(c.response_messages, 0);
});

test('a client RST_STREAM ends a call with reset set to the error name once the server has nothing more', () => {
  const h = new Harness();
  h.headers('request', 1, reqHeaders('/grpctk.demo.Demo/ServerStream'));
  h.data('request', 1, lpm(new Uint8Array(0)), true);
  h.headers('response', 1, respHeaders);
  h.data('response', 1, lpm(new Uint8Array([0x10, 0x01])));
  h.rst('request', 1, 8, 'CANCEL');
  // Sent by the server before it saw the reset: on the wire, so it is shown.
  h.data('response', 1, lpm(new Uint8Array([0x10, 0x02])));
  assert.equal(h.calls.length, 0, 'the server may still send its trailers');
  h.nsec += 2_000_000_000; // more than PENDING_RESET_SEC of capture time later, another stream's frame
  h.headers('request', 3, reqHeaders('/grpctk.demo.Demo/Unary'));
  assert.equal(h.calls.length, 1);
  const c = h.calls[0];
  assert.equal(c.reset, 'CANCEL');
  assert.equal(c.complete, true);
  assert.equal(c.status, null);
  assert.equal(c.end, '2023-11-14T22:13:20.005000000Z', 'the call ends at the reset');
  assert.equal(h.messages.length, 3);
});

test('a client RST_STREAM crossing the server trailers keeps the trailers status (deadline exceeded)', () => {
  const h = new Harness();
  h.headers('request', 1, [...reqHeaders('/grpctk.demo.Demo/Unary'), ['grpc-timeout', '200m']]);
  h.data('request', 1, lpm(new Uint8Array([0x10, 0x01])), true);
  h.rst('request', 1, 8, 'CANCEL');
  h.headers('response', 1, [...respHeaders, ['grpc-status', '4'], ['grpc-message', 'Deadline Exceeded']], true);
  assert.equal(h.calls.length, 1);
  const c = h.calls[0];
  assert.equal(c.status_name, 'DEADLINE_EXCEEDED');
  assert.equal(c.reset, 'CANCEL');
  assert.equal(c.complete, true);
  assert.equal(c.end, '2023-11-14T22:13:20.003000000Z');
});

test('a call reset by the client and never answered is reported at the end of the capture', () => {
  const h = new Harness();
  h.headers('request', 1, reqHeaders('/grpctk.demo.Demo/Unary'));
  h.rst('request', 1, 8, 'CANCEL');
  h.tracker.finish();
  assert.equal(h.calls.length, 1);
  assert.equal(h.calls[0].reset, 'CANCEL');
  assert.equal(h.calls[0].complete, true);
});

test('RST_STREAM(NO_ERROR) after the response ended is a normal close', () => {
  const h = new Harness();
  h.headers('request', 1, reqHeaders('/grpctk.demo.Demo/ClientStream'));
  h.data('request', 1, lpm(new Uint8Array(0)));
  h.headers('response', 1, [...respHeaders, ['grpc-status', '3']], true);
  assert.equal(h.calls.length, 0, 'the request side is still open');
  h.rst('response', 1, 0, 'NO_ERROR');
  assert.equal(h.calls[0].reset, null);
  assert.equal(h.calls[0].complete, true);
  assert.equal(h.calls[0].status_name, 'INVALID_ARGUMENT');
});

test('GOAWAY ends the calls above last_stream_id only', () => {
  const h = new Harness();
  for (const id of [1, 3, 5]) h.headers('request', id, reqHeaders());
  h.goaway(1, 0, 'NO_ERROR');
  assert.deepEqual(
    h.calls.map((c) => [c.stream, c.reset, c.complete]),
    [
      [3, 'NO_ERROR', true],
      [5, 'NO_ERROR', true],
    ],
  );
  h.tracker.connectionClosed(h.conn);
  assert.deepEqual(h.calls[2].stream, 1);
  assert.equal(h.calls[2].complete, false);
});

test('calls open when the connection closes or the capture ends are reported incomplete', () => {
  const h = new Harness();
  h.headers('request', 1, reqHeaders());
  h.data('request', 1, lpm(HelloRequest.encode({ name: 'cut' }).finish()).subarray(0, 8));
  h.tracker.connectionClosed(h.conn);
  assert.equal(h.calls.length, 1);
  assert.equal(h.calls[0].complete, false);
  assert.equal(h.calls[0].end, null);
  assert.equal(h.calls[0].duration_ms, null);
  assert.deepEqual(h.calls[0].errors, ['request message 0 truncated: 3 of 5 bytes']);

  const h2 = new Harness(makeConn(4));
  h2.headers('request', 1, reqHeaders());
  h2.headers('request', 3, reqHeaders());
  assert.equal(h2.tracker.openCalls, 2);
  h2.tracker.finish();
  assert.deepEqual(
    h2.calls.map((c) => [c.tcp_stream, c.stream, c.complete]),
    [
      [4, 1, false],
      [4, 3, false],
    ],
  );
  assert.equal(h2.tracker.openCalls, 0);
});

test('non-gRPC streams are never reported', () => {
  const h = new Harness();
  h.headers('request', 1, [
    [':method', 'GET'],
    [':path', '/index.html'],
    [':authority', 'x'],
  ]);
  h.headers('response', 1, [
    [':status', '200'],
    ['content-type', 'text/html'],
  ]);
  h.data('response', 1, new Uint8Array([0, 0, 0, 0, 1, 0x41]), true);
  h.headers('request', 3, [
    [':method', 'POST'],
    [':path', '/api'],
    ['content-type', 'application/json'],
  ], true);
  h.headers('response', 3, [[':status', '200'], ['grpc-status', '0']], true); // does not make it a call
  h.tracker.finish();
  assert.deepEqual(h.messages, []);
  assert.deepEqual(h.calls, []);
  assert.equal(h.tracker.openCalls, 0);
});

test('a call whose request headers were not captured is reported from its response headers', () => {
  const h = new Harness();
  h.headers('request', 7, reqHeaders()); // a later call, seen whole
  h.headers('response', 5, respHeaders);
  h.data('request', 5, new Uint8Array([0x61, 0x62, 0x63]), false); // the end of a message begun before: skipped
  h.data('request', 5, lpm(new Uint8Array([0x0a, 0x01, 0x61])), true); // begins with a prefix that fits
  h.data('response', 5, lpm(new Uint8Array([0x0a, 0x01, 0x62])));
  h.headers('response', 5, okTrailers, true);
  const c = h.calls.find((x) => x.stream === 5)!;
  assert.equal(c.method, '');
  assert.deepEqual(c.request_headers, {});
  assert.equal(c.complete, true);
  assert.equal(c.status, 0);
  assert.equal(c.first_frame, 2);
  assert.deepEqual(c.errors, [
    'request headers not captured (capture started after the call)',
    'request: 3 bytes skipped to the first message boundary (the capture joined the stream inside a message)',
  ]);
  assert.equal(c.method_group, 'unknown method (request headers not captured)');
  assert.deepEqual(
    h.messages.map((m) => [m.stream, m.direction, m.method, m.message_type, m.body]),
    [
      [5, 'request', '', null, { 1: 'a' }],
      [5, 'response', '', null, { 1: 'b' }],
    ],
  );
});

test('request HEADERS whose HPACK decoding failed are taken as a call by their :path', () => {
  const h = new Harness();
  h.headers('request', 1, [[':path', '/helloworld.Greeter/SayHello']], false, 'dynamic table index 70 out of range');
  h.data('request', 1, lpm(HelloRequest.encode({ name: 'w' }).finish()), true);
  h.headers('response', 1, respHeaders);
  h.headers('response', 1, okTrailers, true);
  assert.equal(h.calls.length, 1);
  assert.deepEqual(h.calls[0].errors, ['HPACK: dynamic table index 70 out of range']);
  assert.deepEqual(h.messages[0].body, { name: 'w' });

  // …but dropped when the response shows it was not gRPC.
  const h2 = new Harness();
  h2.headers('request', 1, [[':path', '/a/b']], true, 'bad index');
  h2.headers('response', 1, [[':status', '200'], ['content-type', 'text/plain']], true);
  h2.tracker.finish();
  assert.deepEqual(h2.calls, []);
});

test('compressed messages are decompressed with the direction\'s grpc-encoding', () => {
  const h = new Harness();
  h.headers('request', 1, reqHeaders(undefined, [['grpc-encoding', 'gzip']]));
  h.data('request', 1, lpm(zlib.gzipSync(HelloRequest.encode({ name: 'zipped' }).finish()), true), true);
  h.headers('response', 1, [...respHeaders, ['grpc-encoding', 'deflate']]);
  h.data('response', 1, lpm(zlib.deflateSync(HelloReply.encode({ message: 'deflated' }).finish()), true));
  h.data('response', 1, lpm(HelloReply.encode({ message: 'plain' }).finish(), false));
  h.data('response', 1, lpm(Buffer.from('garbage'), true));
  h.headers('response', 1, okTrailers, true);
  assert.deepEqual(
    h.messages.map((m) => [m.compressed, m.encoding, m.body, m.error]),
    [
      [true, 'gzip', { name: 'zipped' }, null],
      [true, 'deflate', { message: 'deflated' }, null],
      [false, null, { message: 'plain' }, null],
      [true, 'deflate', null, 'deflate decompression failed: incorrect header check'],
    ],
  );
  assert.equal(h.messages[0].length, zlib.gzipSync(HelloRequest.encode({ name: 'zipped' }).finish()).length);
});

test('unsupported encodings and decompression bombs give a record with an error', () => {
  const h = new Harness(makeConn(), { maxDecompressedBytes: 1000 });
  h.headers('request', 1, reqHeaders(undefined, [['grpc-encoding', 'snappy']]));
  h.data('request', 1, lpm(Buffer.from('xx'), true), true);
  h.headers('response', 1, [...respHeaders, ['grpc-encoding', 'gzip']]);
  h.data('response', 1, lpm(zlib.gzipSync(Buffer.alloc(1 << 20)), true));
  assert.deepEqual(
    h.messages.map((m) => [m.body, m.error]),
    [
      [null, 'unsupported grpc-encoding snappy'],
      [null, 'decompressed size over limit 1000'],
    ],
  );
});

test('a message above --max-message-size is reported with its length and not decoded', () => {
  const h = new Harness(makeConn(), { maxMessageBytes: 10 });
  h.headers('request', 1, reqHeaders());
  h.data('request', 1, lpm(HelloRequest.encode({ name: 'a long name here' }).finish()), true);
  assert.equal(h.messages.length, 1);
  assert.equal(h.messages[0].length, 18);
  assert.equal(h.messages[0].body, null);
  assert.equal(h.messages[0].message_type, 'helloworld.HelloRequest');
  assert.equal(h.messages[0].error, 'message length 18 over limit 10 (--max-message-size)');
});

test('bytes that do not fit the method\'s type fall back to the raw decode with an error', () => {
  const h = new Harness();
  h.headers('request', 1, reqHeaders());
  h.data('request', 1, lpm(new Uint8Array([0x08, 0x96, 0x01])), true); // field 1 as a varint; name is a string
  assert.equal(h.messages[0].message_type, 'helloworld.HelloRequest');
  assert.deepEqual(h.messages[0].body, { 1: 150 });
  assert.equal(h.messages[0].error, 'field 1 (name) has wire type 0, the schema says 2');
});

test('without a schema messages are decoded raw with message_type null', () => {
  const h = new Harness(makeConn(), {}, RAW_DECODER);
  h.headers('request', 1, reqHeaders());
  h.data('request', 1, lpm(HelloRequest.encode({ name: 'world' }).finish()), true);
  assert.equal(h.messages[0].message_type, null);
  assert.deepEqual(h.messages[0].body, { 1: 'world' });
  assert.equal(h.messages[0].error, null);
});

test('protoNames keeps .proto field names', () => {
  const h = new Harness(makeConn(), { protoNames: true });
  h.headers('request', 1, reqHeaders('/grpctk.demo.Demo/Unary'));
  const T = decoder.root.lookupType('grpctk.demo.DemoRequest');
  h.data('request', 1, lpm(T.encode({ choice_name: 'n' }).finish()), true);
  assert.deepEqual(h.messages[0].body, { choice_name: 'n' });
});

test('-bin headers are shown as padded base64; status details are decoded', () => {
  const h = new Harness();
  h.headers('request', 1, reqHeaders(undefined, [['x-client-bin', 'AAECf4D_'.replace('_', '/')]]));
  h.headers('response', 1, [...respHeaders, ['x-server-bin', '3q2+7w']]);
  // google.rpc.Status{code: 3, message: "m"}: 08 03 12 01 6d
  h.headers('response', 1, [['grpc-status', '3'], ['grpc-status-details-bin', 'CAMSAW0']], true);
  h.tracker.finish();
  const c = h.calls[0];
  assert.equal(c.request_headers['x-client-bin'], 'AAECf4D/');
  assert.equal(c.response_headers['x-server-bin'], '3q2+7w==');
  assert.equal(c.trailers['grpc-status-details-bin'], 'CAMSAW0=');
  assert.deepEqual(c.status_details, { code: 3, message: 'm', details: [] });
});

test('headerObject keeps a header named __proto__ as an ordinary key', () => {
  const o = headerObject([['__proto__', 'x']]);
  assert.equal(Object.getPrototypeOf(o), Object.prototype);
  assert.deepEqual(Object.keys(o), ['__proto__']);
  assert.equal(JSON.stringify(o), '{"__proto__":"x"}');
});

test('HPACK errors, invalid headers and lost bytes go into the call errors', () => {
  const h = new Harness();
  h.headers('request', 1, reqHeaders(undefined, [['grpc-timeout', 'soon']]));
  const msg = lpm(HelloRequest.encode({ name: 'abc' }).finish());
  h.data('request', 1, msg.subarray(0, 4));
  h.tracker.gap!(h.conn, 'request', 100);
  h.data('request', 1, msg, true); // deframing restarts at the next DATA frame
  h.headers('response', 1, respHeaders, false, 'huffman decode failed');
  h.headers('response', 1, [['grpc-status', 'x']], true);
  const c = h.calls[0];
  assert.equal(c.timeout_ms, null);
  assert.equal(c.status, null);
  assert.deepEqual(c.errors, [
    'invalid grpc-timeout "soon"',
    '100 bytes lost in the request direction of the connection',
    'request message 0 dropped: cut by lost bytes',
    'HPACK: huffman decode failed',
    'invalid grpc-status "x"',
  ]);
  assert.deepEqual(h.messages.map((m) => m.body), [{ name: 'abc' }]);
});

test('bytes lost inside one stream\'s DATA frame are noted on that call only', () => {
  const h = new Harness();
  const msg = lpm(HelloRequest.encode({ name: 'abc' }).finish());
  h.headers('request', 1, reqHeaders());
  h.headers('request', 3, reqHeaders());
  h.data('request', 1, msg.subarray(0, 4));
  h.data('request', 3, msg.subarray(0, 4));
  h.tracker.gap!(h.conn, 'request', 700, 3);
  h.tracker.gap!(h.conn, 'request', 9, 5); // a stream that is not a call: nobody is concerned
  h.data('request', 1, msg.subarray(4), true);
  h.data('request', 3, msg, true);
  for (const sid of [1, 3]) {
    h.headers('response', sid, respHeaders);
    h.headers('response', sid, [['grpc-status', '0']], true);
  }
  const byStream = new Map(h.calls.map((c) => [c.stream, c]));
  assert.equal(byStream.get(1)!.errors, undefined);
  assert.deepEqual(byStream.get(3)!.errors, [
    '700 bytes lost in the request direction of the connection',
    'request message 0 dropped: cut by lost bytes',
  ]);
  // Stream 1's message, split around the loss, is whole; stream 3 deframes afresh at its next DATA.
  assert.deepEqual(h.messages.map((m) => [m.stream, m.body]), [[1, { name: 'abc' }], [3, { name: 'abc' }]]);
});

test('frame records are emitted only with the frames option', () => {
  const ev = {
    conn: makeConn(2),
    direction: 'request' as const,
    frame: 9,
    tsSec: 1700000000,
    tsNsec: 5,
    type: 1,
    typeName: 'HEADERS',
    flags: 5,
    streamId: 1,
    length: 42,
  };
  const off = new Harness();
  off.tracker.frame(ev);
  assert.deepEqual(off.frames, []);
  const on = new Harness(makeConn(), { frames: true });
  on.tracker.frame(ev);
  assert.deepEqual(on.frames, [
    {
      type: 'frame',
      frame: 9,
      ts: '2023-11-14T22:13:20.000000005Z',
      tcp_stream: 2,
      client: '127.0.0.1:40000',
      server: '127.0.0.1:50051',
      direction: 'request',
      stream: 1,
      frame_type: 'HEADERS',
      flags: 5,
      length: 42,
    },
  ]);
});

test('open calls per connection are bounded: the oldest is reported and forgotten', () => {
  const h = new Harness(makeConn(), { maxCallsPerConnection: 2 });
  for (const id of [1, 3, 5]) h.headers('request', id, reqHeaders());
  assert.equal(h.tracker.openCalls, 2);
  assert.equal(h.calls.length, 1);
  assert.equal(h.calls[0].stream, 1);
  assert.equal(h.calls[0].complete, false);
  assert.deepEqual(h.calls[0].errors, ['evicted: more than 2 open calls on the connection']);
});

test('errors per call are bounded', () => {
  const h = new Harness();
  h.headers('request', 1, reqHeaders());
  for (let i = 0; i < 100; i++) h.tracker.gap!(h.conn, 'response', 1);
  h.tracker.finish();
  assert.equal(h.calls[0].errors!.length, 21);
  assert.equal(h.calls[0].errors![20], '80 more errors not shown');
});

test('arbitrary DATA bytes on a call never throw and every record is JSON', async () => {
  const fc = (await import('fast-check')).default;
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 8 }), fc.boolean(), (chunks, compressed) => {
      const h = new Harness(makeConn(), { maxMessageBytes: 40, maxDecompressedBytes: 100 });
      h.headers('request', 1, reqHeaders('/grpctk.demo.Demo/Bidi', compressed ? [['grpc-encoding', 'gzip']] : []));
      h.headers('response', 1, respHeaders);
      chunks.forEach((c, i) => h.data(i % 2 ? 'response' : 'request', 1, c));
      h.tracker.finish();
      assert.equal(h.calls.length, 1);
      for (const r of [...h.messages, ...h.calls]) JSON.parse(JSON.stringify(r));
    }),
    { numRuns: 500 },
  );
});

test('messages held for inference are bounded over all calls (MAX_HELD_BYTES_TOTAL): the call that would go over is written undecided', () => {
  const h = new Harness({ ...makeConn(), joined: true });
  // Streams seen by their DATA alone on a joined connection: each holds one message just under
  // MAX_HELD_BYTES_PER_CALL, for inference when it ends.
  const size = MAX_HELD_BYTES_PER_CALL - 1024;
  const fit = Math.floor(MAX_HELD_BYTES_TOTAL / size);
  const body = new Uint8Array(size);
  for (let i = 0; i <= fit; i++) h.data('request', 1 + 2 * i, lpm(body));
  // All held but the last, which went out at once.
  assert.deepEqual(h.messages.map((m) => m.stream), [1 + 2 * fit]);
  h.tracker.finish();
  const over = `method not inferred: messages held over all calls exceed ${MAX_HELD_BYTES_TOTAL} bytes (MAX_HELD_BYTES_TOTAL)`;
  assert.equal(h.calls.length, fit + 1);
  assert.deepEqual(h.calls.filter((c) => c.errors?.includes(over)).map((c) => c.stream), [1 + 2 * fit]);
  assert.equal(h.messages.length, fit + 1);
});

test('a joined connection whose sides were guessed wrong: the calls seen by their DATA alone trade directions when told', () => {
  const h = new Harness({ ...makeConn(), joined: true, sidesGuessed: true }, {}, RAW_DECODER);
  h.data('request', 3, new Uint8Array([0x61, 0x62])); // the end of a message begun before the capture
  h.data('request', 3, lpm(new Uint8Array([0x0a, 0x01, 0x62])));
  h.data('response', 3, lpm(new Uint8Array([0x0a, 0x01, 0x61])));
  assert.deepEqual(h.messages, [], 'held while the sides are a guess');
  h.conn.sidesGuessed = false;
  h.tracker.sidesSettled(h.conn, true);
  h.data('request', 3, lpm(new Uint8Array([0x0a, 0x01, 0x63])), true);
  h.headers('response', 3, okTrailers, true);
  assert.deepEqual(h.messages.map((m) => [m.frame, m.direction, m.index, m.body]), [
    [2, 'response', 0, { 1: 'b' }],
    [3, 'request', 0, { 1: 'a' }],
    [4, 'request', 1, { 1: 'c' }],
  ]);
  const c = h.calls[0];
  assert.deepEqual([c.status, c.duration_ms, c.request_messages, c.response_messages], [0, null, 2, 1]);
  assert.ok(c.errors?.includes('response: 2 bytes skipped to the first message boundary (the capture joined the stream inside a message)'));
});

test('a joined connection whose sides stay a guess to the end: its calls say that client and server were guessed', () => {
  const h = new Harness({ ...makeConn(), joined: true, sidesGuessed: true }, {}, RAW_DECODER);
  h.data('request', 3, lpm(new Uint8Array([0x0a, 0x01, 0x62])));
  h.data('response', 3, lpm(new Uint8Array([0x0a, 0x01, 0x61])), true);
  h.data('request', 3, lpm(new Uint8Array([0x0a, 0x01, 0x63])), true);
  assert.equal(h.calls.length, 1);
  assert.ok(
    h.calls[0].errors?.includes('client and server guessed from the port numbers: no header block on the connection showed which side is which (request and response may be swapped)'),
    JSON.stringify(h.calls[0].errors),
  );
});
