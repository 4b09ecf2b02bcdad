'use strict';
// The grpc-js server the bench captures are recorded against (grpctk.demo.Demo from samples/protos).
//
//   node bench/server.js --port 50100 [--tls-cert cert.pem --tls-key key.pem]
//
// Prints "listening 127.0.0.1:PORT" once bound; stops on SIGTERM or SIGINT. Replies are as small or as large
// as the request asks, so one server serves both generators:
//   Unary         a reply whose `blob` has `count` bytes (0: no blob, the small reply of the dense capture)
//   ServerStream  `count` replies, each with a blob as long as the request's blob
// Bodies are deterministic (no clock, no randomness) so two recordings carry the same messages.

const { grpc, loadServices, serverCredentials } = require('../samples/src/common');

const args = process.argv.slice(2);
const portArg = args.indexOf('--port');
const port = portArg >= 0 ? Number(args[portArg + 1]) : 50100;
const argOf = (name) => (args.indexOf(name) >= 0 ? args[args.indexOf(name) + 1] : undefined);
// TLS (the dense-tls capture) when a certificate is given.
const credentials = serverCredentials({ 'tls-cert': argOf('--tls-cert'), 'tls-key': argOf('--tls-key') });
const { Demo } = loadServices();

// Blobs are made once per size: the server's time goes to gRPC, not to filling buffers.
const blobs = new Map();
function blob(size) {
  let b = blobs.get(size);
  if (b === undefined) {
    b = Buffer.alloc(size, 0x61);
    if (blobs.size < 16) blobs.set(size, b);
  }
  return b;
}

const demo = {
  Unary(call, callback) {
    const req = call.request;
    const reply = { text: 'ok', seq: req.count === undefined ? 0 : 1 };
    if (req.count > 0) reply.blob = blob(req.count);
    if (req.text) reply.text = `ok ${req.text}`;
    callback(null, reply);
  },
  ServerStream(call) {
    const req = call.request;
    const n = req.count || 1;
    const size = req.blob ? req.blob.length : 0;
    let seq = 0;
    const next = () => {
      while (seq < n) {
        seq += 1;
        const more = call.write({ text: `item ${seq}`, seq, blob: size > 0 ? blob(size) : undefined });
        // Respect HTTP/2 flow control through the stream's back-pressure instead of buffering everything.
        if (!more) {
          call.once('drain', next);
          return;
        }
      }
      call.end();
    };
    next();
  },
};

const server = new grpc.Server();
server.addService(Demo.service, demo);
const address = `127.0.0.1:${port}`;
server.bindAsync(address, credentials, (err) => {
  if (err) {
    console.error(`bench server: cannot bind ${address}: ${err.message}`);
    process.exit(1);
  }
  console.log(`listening ${address}`);
});

for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => {
    server.forceShutdown();
    process.exit(0);
  });
}
