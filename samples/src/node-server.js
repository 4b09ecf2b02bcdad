'use strict';
// grpc-js server of the sample captures: serves grpctk.demo.Demo and helloworld.Greeter.
//
//   node samples/src/node-server.js --host 127.0.0.1 --port 50051
//   node samples/src/node-server.js --host 127.0.0.1 --port 50100 --tls-cert cert.pem --tls-key key.pem
//
// Prints "listening <host>:<port>" on stdout once bound (make-samples.sh waits for it) and stops on SIGTERM
// or SIGINT. What each call does is chosen by the request's `action` field (see samples/README.md):
//   Unary:        ok (default), error, fail-fast, big, slow, hostile, hostile-error
//   ServerStream: `count` replies; slow-stream: one every 100 ms (for a client that cancels); ticks: one
//                 every 100 ms, those whose seq is in `numbers` with a 20 KB blob, then status 8
//                 (RESOURCE_EXHAUSTED) with a grpc-message
//   ClientStream: one reply summing `numbers` of every request
//   Bidi:         one reply per request; echo: the reply carries the request's blob back (up to 64 KiB)
// grpc-js servers never compress responses (grpc-js 1.14: "response compression is currently not
// supported"), whatever the client asks; compressed responses come from the Python server.

const { grpc, loadServices, parseArgs, serverCredentials, WHEN, WHEN_LATER } = require('./common');
const { HOSTILE } = require('./hostile');

const args = parseArgs(process.argv.slice(2));
const host = args.host ?? '127.0.0.1';
const port = Number(args.port ?? 50051);
const { Demo, Greeter } = loadServices();
// --tls-curves P-256: the key exchange groups the TLS server takes (a client whose first key share is for
// another group gets a HelloRetryRequest).
if (args['tls-curves']) require('node:tls').DEFAULT_ECDH_CURVE = args['tls-curves'];

function serverMetadata() {
  const md = new grpc.Metadata();
  md.set('x-server', 'grpctk-sample-node');
  md.set('x-server-bin', Buffer.from([0xde, 0xad, 0xbe, 0xef]));
  return md;
}

function trailers() {
  const md = new grpc.Metadata();
  md.set('x-trailer', 'done');
  md.set('x-trailer-bin', Buffer.from('trailer bytes \u2713', 'utf8'));
  return md;
}

function fullReply(req, seq) {
  return {
    text: `reply to ${req.text ?? ''}`,
    seq,
    big: '9223372036854775807',
    ubig: '12345678901234567890',
    blob: Buffer.from('binary\x00reply', 'latin1'),
    color: 'COLOR_GREEN',
    points: [{ x: 1, y: 1 }, { x: 2, y: 4, label: 'square' }],
    labels: { env: 'sample', lang: 'node' },
    when: WHEN_LATER,
    elapsed: { seconds: '0', nanos: 1500000 },
    extra: { fields: { served_by: { stringValue: 'node' }, seq: { numberValue: seq } } },
    note: { value: 'a wrapped reply' },
    ok_text: 'fine',
  };
}

function statusError(code, details, metadata) {
  const err = new Error(details);
  err.code = code;
  err.details = details;
  if (metadata) err.metadata = metadata;
  return err;
}

const demo = {
  Unary(call, callback) {
    const req = call.request;
    switch (req.action) {
      case 'error':
        // Headers first, then the error in trailers: a normal (not trailers-only) failed call. The message
        // holds non-ASCII and '%', which gRPC percent-encodes in grpc-message.
        call.sendMetadata(serverMetadata());
        callback(statusError(grpc.status.INVALID_ARGUMENT, 'bad value: 100% wrong \u2013 caf\u00e9 \u2717 \u65e5\u672c', trailers()));
        return;
      case 'fail-fast':
        // No headers sent before the error: grpc-js answers with a trailers-only response (one HEADERS frame
        // with :status, grpc-status and END_STREAM).
        callback(statusError(grpc.status.NOT_FOUND, 'no such thing'));
        return;
      case 'big':
        call.sendMetadata(serverMetadata());
        callback(null, { text: 'big reply', seq: 1, blob: Buffer.alloc(req.count || 100000, 0x61), total: String(req.blob?.length ?? 0) }, trailers());
        return;
      case 'slow':
        // Sleeps `count` ms: longer than the client's deadline.
        setTimeout(() => callback(null, { text: 'too late', seq: 1 }), req.count || 1000);
        return;
      case 'hostile':
        call.sendMetadata(hostileMetadata());
        callback(null, { text: HOSTILE.text, labels: HOSTILE.labels, note: { value: HOSTILE.note }, ok_text: HOSTILE.formula }, hostileMetadata());
        return;
      case 'hostile-error':
        callback(statusError(grpc.status.ABORTED, HOSTILE.statusMessage, hostileMetadata()));
        return;
      default:
        call.sendMetadata(serverMetadata());
        callback(null, fullReply(req, 1), trailers());
    }
  },

  ServerStream(call) {
    const req = call.request;
    if (req.action === 'ticks') return ticks(call, req);
    const n = req.count || 3;
    const gap = req.action === 'slow-stream' ? 100 : 0;
    call.sendMetadata(serverMetadata());
    let seq = 0;
    let cancelled = false;
    call.on('cancelled', () => {
      cancelled = true;
    });
    const next = () => {
      if (cancelled) return;
      if (seq === n) {
        call.end(trailers());
        return;
      }
      seq += 1;
      call.write({ text: `item ${seq} of ${n}`, seq, when: WHEN });
      setTimeout(next, gap);
    };
    next();
  },

  ClientStream(call, callback) {
    let total = 0n;
    const texts = [];
    call.on('data', (req) => {
      for (const n of req.numbers ?? []) total += BigInt(n);
      texts.push(req.text ?? '');
    });
    call.on('end', () => {
      callback(null, { text: texts.join('|').slice(0, 200), seq: texts.length, total: total.toString() }, trailers());
    });
  },

  Bidi(call) {
    let seq = 0;
    call.sendMetadata(serverMetadata());
    call.on('data', (req) => {
      seq += 1;
      const reply = { text: `echo ${req.text ?? ''}`, seq, color: req.color };
      if (req.action === 'echo' && req.blob?.length && req.blob.length <= 64 * 1024) reply.blob = req.blob;
      call.write(reply);
    });
    call.on('end', () => call.end(trailers()));
  },
};

/**
 * A long-lived server stream (the joined-stream sample): one reply every 100 ms, the replies whose seq is in
 * req.numbers with a 20 KB blob (more than one 16 KB DATA frame), then an error status with a message.
 */
function ticks(call, req) {
  const n = req.count || 30;
  const big = new Set(req.numbers ?? []);
  call.sendMetadata(serverMetadata());
  let seq = 0;
  let cancelled = false;
  call.on('cancelled', () => {
    cancelled = true;
  });
  const next = () => {
    if (cancelled) return;
    if (seq === n) {
      call.emit('error', statusError(grpc.status.RESOURCE_EXHAUSTED, `tick budget spent: ${n} of ${n} (100%)`, trailers()));
      return;
    }
    seq += 1;
    const reply = { text: `tick ${seq} of ${n}`, seq, when: WHEN };
    if (big.has(seq)) reply.blob = Buffer.alloc(20 * 1024, 0x74);
    call.write(reply);
    setTimeout(next, 100);
  };
  next();
}

function hostileMetadata() {
  const md = new grpc.Metadata();
  for (const [k, v] of Object.entries(HOSTILE.metadata)) md.set(k, v);
  md.set('x-hostile-bin', Buffer.from(HOSTILE.text, 'utf8'));
  return md;
}

const greeter = {
  SayHello(call, callback) {
    callback(null, { message: `Hello ${call.request.name}` });
  },
};

const server = new grpc.Server();
server.addService(Demo.service, demo);
server.addService(Greeter.service, greeter);
const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
server.bindAsync(address, serverCredentials(args), (err) => {
  if (err) {
    console.error(`node-server: cannot bind ${address}: ${err.message}`);
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
