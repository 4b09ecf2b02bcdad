'use strict';
// Records bench/out/large.pcapng: unary calls whose request and reply each carry a ~100 KB blob, from a grpc-js
// client to the bench server (bench/server.js) on loopback, captured with dumpcap. The large-message capture of
// issue 7: about 150 MB and 1,500 messages of 100 KB, each spread over many HTTP/2 DATA frames and TCP
// segments, so the work is in reassembly and copying, not in header blocks.
//
//   node bench/gen-large.js [--calls 750] [--size 100000] [--in-flight 4] [--connections 2] [--port 50101]
//                           [--out bench/out/large.pcapng]
//
// Writes the capture and its sidecar bench/out/large.json (see gen-dense.js, whose recorder it shares).

const path = require('node:path');
const { OUT_DIR, parseArgs, log } = require('./lib');
const { record, fireCalls } = require('./gen-dense');

const USAGE = `usage: node bench/gen-large.js [--calls N] [--size BYTES] [--in-flight N] [--connections N] [--port P] [--out FILE]`;

async function main() {
  const opts = parseArgs(
    process.argv.slice(2),
    { calls: 750, size: 100000, inFlight: 4, connections: 2, port: 50101, out: path.join(OUT_DIR, 'large.pcapng') },
    USAGE,
  );
  const { calls, size } = opts;
  // One request buffer for every call: the client's time goes to gRPC, not to filling buffers.
  const blob = Buffer.alloc(size, 0x62);
  await record({
    name: 'large',
    file: path.resolve(opts.out),
    port: opts.port,
    connections: opts.connections,
    // The default 4 MB receive limit of grpc-js is enough for 100 KB; raised so --size can go further.
    clientOptions: { 'grpc.max_receive_message_length': 64 * 1024 * 1024, 'grpc.max_send_message_length': 64 * 1024 * 1024 },
    describe: `${calls} unary calls, ${size}-byte request and reply blobs, ${opts.inFlight} in flight over ${opts.connections} connections`,
    run: async (clients) => {
      // The reply's blob is as long as `count` asks (bench/server.js).
      const failed = await fireCalls(clients, calls, opts.inFlight, (i) => ({ text: `large ${i}`, count: size, blob }));
      return { calls, messages: 2 * calls, failed };
    },
  });
}

main().catch((err) => {
  log(`gen-large: ${err.message}`);
  process.exit(1);
});
