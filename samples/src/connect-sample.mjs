// The Connect sample: one @connectrpc/connect-node server serving grpctk.demo.Demo over HTTP/1.1 and over
// HTTP/2 (cleartext), and one client that calls it through every transport connect-node has: Connect (binary
// and JSON codecs), gRPC-Web and gRPC, on HTTP/1.1 and HTTP/2 where the transport speaks it.
//
//   node samples/src/connect-sample.mjs server --descriptors demo.pb --http1-port 50100 --http2-port 50101
//   node samples/src/connect-sample.mjs client --descriptors demo.pb --http1-port 50100 --http2-port 50101
//
// demo.pb is a FileDescriptorSet of samples/protos/grpctk/demo/demo.proto with its imports (protoc
// --include_imports -o). The server prints "listening" once both ports are bound and stops on SIGTERM. The
// client prints, per call, what it sent and received (samples/README.md lists them), as the truth to compare
// grpctk's decode with.
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as http2 from 'node:http2';
import { createFileRegistry, fromBinary, create, toJson } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { ConnectError, Code, createClient } from '@connectrpc/connect';
import { connectNodeAdapter, createConnectTransport, createGrpcTransport, createGrpcWebTransport } from '@connectrpc/connect-node';

const argv = process.argv.slice(2);
const mode = argv[0];
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : dflt;
};
const registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, fs.readFileSync(opt('descriptors'))));
const Demo = registry.getService('grpctk.demo.Demo');
const DemoReply = registry.getMessage('grpctk.demo.DemoReply');
const DemoRequest = registry.getMessage('grpctk.demo.DemoRequest');
const http1Port = Number(opt('http1-port', 50100));
const http2Port = Number(opt('http2-port', 50101));

if (mode === 'server') {
  const routes = (router) =>
    router.service(Demo, {
      unary(req, ctx) {
        if (req.action === 'error') {
          ctx.responseTrailer.set('x-trailer', 'failed');
          throw new ConnectError(`no item named ${req.text}`, Code.NotFound);
        }
        ctx.responseHeader.set('x-server', 'connect-node');
        ctx.responseTrailer.set('x-trailer', 'done');
        return create(DemoReply, { text: `reply to ${req.text}`, seq: 1, okText: 'fine' });
      },
      async *serverStream(req) {
        for (let i = 1; i <= req.count; i++) yield create(DemoReply, { text: `${req.text} #${i}`, seq: i });
      },
    });
  const handler = connectNodeAdapter({ routes });
  const s1 = http.createServer(handler).listen(http1Port, '127.0.0.1');
  const s2 = http2.createServer(handler).listen(http2Port, '127.0.0.1');
  await Promise.all([new Promise((r) => s1.on('listening', r)), new Promise((r) => s2.on('listening', r))]);
  console.log(`listening 127.0.0.1:${http1Port} 127.0.0.1:${http2Port}`);
  const stop = () => {
    s1.close();
    s2.close();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
} else if (mode === 'client') {
  const h1 = `http://127.0.0.1:${http1Port}`;
  const h2 = `http://127.0.0.1:${http2Port}`;
  // One connection per transport, used for all its calls, in this order (samples/README.md).
  const transports = [
    ['connect proto HTTP/1.1', createConnectTransport({ baseUrl: h1, httpVersion: '1.1' })],
    ['connect json HTTP/1.1', createConnectTransport({ baseUrl: h1, httpVersion: '1.1', useBinaryFormat: false })],
    ['grpc-web proto HTTP/1.1', createGrpcWebTransport({ baseUrl: h1, httpVersion: '1.1' })],
    ['connect proto HTTP/2', createConnectTransport({ baseUrl: h2, httpVersion: '2' })],
    ['grpc-web proto HTTP/2', createGrpcWebTransport({ baseUrl: h2, httpVersion: '2' })],
    ['grpc proto HTTP/2', createGrpcTransport({ baseUrl: h2 })],
  ];
  for (const [name, transport] of transports) {
    const client = createClient(Demo, transport);
    const ok = await client.unary(create(DemoRequest, { text: 'apple', count: 0 }));
    console.log(`${name}: Unary ok -> ${JSON.stringify(toJson(DemoReply, ok))}`);
    const replies = [];
    for await (const r of client.serverStream(create(DemoRequest, { text: 'pear', count: 3 }))) replies.push(toJson(DemoReply, r));
    console.log(`${name}: ServerStream -> ${JSON.stringify(replies)}`);
    try {
      await client.unary(create(DemoRequest, { action: 'error', text: 'plum' }));
    } catch (e) {
      console.log(`${name}: Unary error -> ${ConnectError.from(e).code} ${ConnectError.from(e).rawMessage}`);
    }
    // Let the transport's connection close before the next one starts, so tcp.stream follows this order.
    await new Promise((r) => setTimeout(r, 300));
  }
  process.exit(0);
}
