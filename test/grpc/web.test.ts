/**
 * gRPC-Web and Connect cases the sample capture does not hold (its stack sends neither grpc-web-text nor
 * Connect GET): crafted stream events through the adapter into the real call tracker and schema.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as zlib from 'node:zlib';
import { GrpcCallTracker } from '../../src/grpc/calls';
import { RpcProtocolAdapter, classify } from '../../src/grpc/web';
import type { Http2Connection, Http2Direction, HeaderField } from '../../src/http2/types';
import type { CallRecord, MessageRecord } from '../../src/records/types';
import { loadSchemaSync } from '../../src/protobuf/schema';

const decoder = loadSchemaSync({ protoPaths: ['samples/protos'] });
const HelloRequest = decoder.root.lookupType('helloworld.HelloRequest');
const HelloReply = decoder.root.lookupType('helloworld.HelloReply');
const req = (name: string) => Buffer.from(HelloRequest.encode({ name }).finish());
const reply = (message: string) => Buffer.from(HelloReply.encode({ message }).finish());
const envelope = (flags: number, b: Buffer) => Buffer.concat([Buffer.from([flags, b.length >>> 24, (b.length >> 16) & 255, (b.length >> 8) & 255, b.length & 255]), b]);

const conn: Http2Connection = {
  tcp: { index: 0, endpoints: [{ addr: '127.0.0.1', port: 40000 }, { addr: '127.0.0.1', port: 8080 }], synSeen: true, firstFrame: 1, firstTsSec: 0, firstTsNsec: 0 },
  clientIndex: 0,
  client: '127.0.0.1:40000',
  server: '127.0.0.1:8080',
};

class Run {
  calls: CallRecord[] = [];
  messages: MessageRecord[] = [];
  adapter = new RpcProtocolAdapter(new GrpcCallTracker({ call: (r) => this.calls.push(r), message: (r) => this.messages.push(r) }, decoder));
  frame = 0;
  headers(direction: Http2Direction, headers: HeaderField[], endStream = false, streamId = 1) {
    this.adapter.headers({ conn, direction, frame: ++this.frame, tsSec: 0, tsNsec: this.frame, streamId, headers, endStream });
  }
  data(direction: Http2Direction, data: Uint8Array, endStream = false, streamId = 1) {
    this.adapter.data({ conn, direction, frame: ++this.frame, tsSec: 0, tsNsec: this.frame, streamId, data, endStream });
  }
  bodies(direction: Http2Direction) {
    return this.messages.filter((m) => m.direction === direction).map((m) => m.body);
  }
}

const POST = (ct: string, extra: HeaderField[] = []): HeaderField[] => [[':method', 'POST'], [':path', '/helloworld.Greeter/SayHello'], ['content-type', ct], ...extra];

test('gRPC-Web: the trailer frame becomes the trailers, split at every byte', () => {
  const body = Buffer.concat([envelope(0, reply('hi')), envelope(0x80, Buffer.from('grpc-status: 7\r\ngrpc-message: no%20way\r\nx-t: 1\r\n'))]);
  for (let cut = 0; cut <= body.length; cut++) {
    const r = new Run();
    r.headers('request', POST('application/grpc-web+proto'));
    r.data('request', envelope(0, req('bob')), true);
    r.headers('response', [[':status', '200'], ['content-type', 'application/grpc-web+proto']]);
    r.data('response', body.subarray(0, cut));
    r.data('response', body.subarray(cut), true);
    assert.equal(r.calls.length, 1, `cut ${cut}`);
    const c = r.calls[0];
    assert.deepEqual([c.protocol, c.status, c.grpc_message, c.trailers['x-t'], c.errors], ['grpc-web', 7, 'no way', '1', undefined], `cut ${cut}`);
    assert.deepEqual(r.bodies('response'), [{ message: 'hi' }], `cut ${cut}`);
  }
});

test('gRPC-Web text: base64 bodies, each message padded on its own, decoded as binary gRPC-Web', () => {
  const r = new Run();
  r.headers('request', POST('application/grpc-web-text'));
  r.data('request', Buffer.from(envelope(0, req('alice')).toString('base64')), true);
  r.headers('response', [[':status', '200'], ['content-type', 'application/grpc-web-text+proto']]);
  const text = envelope(0, reply('one')).toString('base64') + envelope(0, reply('two!')).toString('base64') + envelope(0x80, Buffer.from('grpc-status:0\r\n')).toString('base64');
  for (let i = 0; i < text.length; i += 7) r.data('response', Buffer.from(text.slice(i, i + 7)));
  r.data('response', new Uint8Array(0), true);
  assert.deepEqual(r.bodies('request'), [{ name: 'alice' }]);
  assert.deepEqual(r.bodies('response'), [{ message: 'one' }, { message: 'two!' }]);
  assert.deepEqual([r.calls[0].protocol, r.calls[0].status], ['grpc-web-text', 0]);
});

test('Connect unary GET: the message comes from the query string; the method is the path without it', () => {
  const r = new Run();
  const q = new URLSearchParams({ connect: 'v1', encoding: 'proto', base64: '1', message: req('carol').toString('base64url') });
  r.headers('request', [[':method', 'GET'], [':path', `/helloworld.Greeter/SayHello?${q}`]], true);
  r.headers('response', [[':status', '200'], ['content-type', 'application/proto']]);
  r.data('response', reply('hello carol'), true);
  const c = r.calls[0];
  assert.deepEqual([c.method, c.protocol, c.status, c.request_messages, c.response_messages], ['/helloworld.Greeter/SayHello', 'connect', 0, 1, 1]);
  assert.deepEqual(r.bodies('request'), [{ name: 'carol' }]);
  assert.deepEqual(r.bodies('response'), [{ message: 'hello carol' }]);
});

test('Connect unary: gzip body, its length as on the wire; an error status from the JSON body or the HTTP status', () => {
  const r = new Run();
  const gz = zlib.gzipSync(req('dave'));
  r.headers('request', POST('application/proto', [['content-encoding', 'gzip'], ['connect-protocol-version', '1']]));
  r.data('request', gz, true);
  r.headers('response', [[':status', '404'], ['content-type', 'application/json'], ['trailer-x-why', 'gone']]);
  r.data('response', Buffer.from(JSON.stringify({ code: 'not_found', message: 'no dave', details: [{ type: 't', value: 'AA' }] })), true);
  const c = r.calls[0];
  assert.deepEqual([c.status, c.status_name, c.grpc_message, c.http_status, c.trailers], [5, 'NOT_FOUND', 'no dave', 404, { 'x-why': 'gone' }]);
  assert.deepEqual(c.status_details, [{ type: 't', value: 'AA' }]);
  const m = r.messages[0];
  assert.deepEqual([m.length, m.compressed, m.encoding, m.body], [gz.length, true, 'gzip', { name: 'dave' }]);

  const bare = new Run();
  bare.headers('request', POST('application/json', [['connect-protocol-version', '1']]));
  bare.data('request', Buffer.from('{"name":"eve"}'), true);
  bare.headers('response', [[':status', '503'], ['content-type', 'text/html']]);
  bare.data('response', Buffer.from('<html>busy</html>'), true);
  assert.deepEqual([bare.calls[0].status, bare.calls[0].status_name], [14, 'UNAVAILABLE'], "503 maps to unavailable");
  assert.deepEqual(bare.bodies('request'), [{ name: 'eve' }], 'JSON codec: the body as sent');
});

test('Connect streaming: the end-stream message gives the status and the trailers (metadata)', () => {
  const r = new Run();
  r.headers('request', [[':method', 'POST'], [':path', '/helloworld.Greeter/SayHello'], ['content-type', 'application/connect+proto']]);
  r.data('request', envelope(0, req('fay')), true);
  r.headers('response', [[':status', '200'], ['content-type', 'application/connect+proto']]);
  r.data('response', Buffer.concat([envelope(0, reply('a')), envelope(2, Buffer.from(JSON.stringify({ error: { code: 'resource_exhausted', message: 'slow down' }, metadata: { 'x-left': ['0'] } })))]), true);
  const c = r.calls[0];
  assert.deepEqual([c.protocol, c.status, c.grpc_message, c.trailers, c.response_messages], ['connect', 8, 'slow down', { 'x-left': '0' }, 1]);
});

test('what is not an RPC is left alone: REST JSON on a two-segment path, plain gRPC passes through', () => {
  assert.equal(classify([[':method', 'POST'], [':path', '/api/users'], ['content-type', 'application/json']]), null);
  assert.equal(classify([[':method', 'POST'], [':path', '/a.B/C'], ['content-type', 'application/grpc']]), null);
  assert.deepEqual(classify([[':method', 'POST'], [':path', '/a.B/C'], ['content-type', 'application/json']]), { protocol: 'connect', codec: 'json', unary: true });
  assert.equal(classify([[':method', 'GET'], [':path', '/index.html?x=1']]), null);
});

test('a Connect unary body over the limit is reported with its length, not held', () => {
  const calls: CallRecord[] = [];
  const messages: MessageRecord[] = [];
  const adapter = new RpcProtocolAdapter(new GrpcCallTracker({ call: (r) => calls.push(r), message: (r) => messages.push(r) }, decoder, { maxMessageBytes: 16 }), 16);
  let frame = 0;
  const o = (direction: Http2Direction) => ({ conn, direction, frame: ++frame, tsSec: 0, tsNsec: frame, streamId: 1 });
  adapter.headers({ ...o('request'), headers: POST('application/proto'), endStream: false });
  for (let i = 0; i < 3; i++) adapter.data({ ...o('request'), data: Buffer.alloc(10, 0x41), endStream: i === 2 });
  adapter.headers({ ...o('response'), headers: [[':status', '200'], ['content-type', 'application/proto']], endStream: false });
  adapter.data({ ...o('response'), data: reply('x'), endStream: true });
  assert.equal(messages[0].length, 30);
  assert.equal(messages[0].body, null);
  assert.match(String(messages[0].error), /message length 30 over limit 16/);
  assert.deepEqual([calls[0].status, calls[0].request_messages, calls[0].complete], [0, 1, true]);
});
