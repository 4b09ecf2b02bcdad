'use strict';
// Records bench/out/large.pcapng: unary calls whose request and reply each carry a ~100 KB blob, from a grpc-js
// client to the bench server (bench/server.js) on loopback, captured with dumpcap. The large-message capture of
// issue 7: about 150 MB and 1,500 messages of 100 KB, each spread over many HTTP/2 DATA frames and TCP
// segments, so the work is in reassembly and copying, not in header blocks.
//
//   node bench/gen-large.js [--calls 750] [--size 100000] [--in-flight 4] [--connections 2] [--port 50101]
//                           [--out bench/out/large.pcapng] [--mss N [--reuse]]
//
// Writes the capture and its sidecar bench/out/large.json (see gen-dense.js, whose recorder it shares).
//
// --mss N also writes the capture re-segmented to N-byte TCP segments, bench/out/large-mssN.pcapng and its
// sidecar (bench/resegment.js): on loopback (MTU 65,536) grpc-js sends 36–64 KB segments, 7,116 packets for
// 151 MB, where issue 7's capture had 58,000 packets for 150 MB (--mss 2800 gives 58,641) and one taken on
// Ethernet would have MSS 1,448 (109,597 packets). With --reuse the capture already at --out is re-segmented
// and nothing is recorded. Re-segmenting rather than recording with a smaller MTU on lo leaves the machine's
// interfaces alone (other processes use lo too) and gives the very same calls, bytes and message boundaries.

const path = require('node:path');
const { OUT_DIR, parseArgs, log } = require('./lib');
const fs = require('node:fs');
const { record, fireCalls } = require('./gen-dense');
const { resegmentWithSidecar, resegmentedPath } = require('./resegment');

const USAGE = `usage: node bench/gen-large.js [--calls N] [--size BYTES] [--in-flight N] [--connections N] [--port P] [--out FILE]
                             [--mss N [--reuse]]`;

async function main() {
  const opts = parseArgs(
    process.argv.slice(2),
    {
      calls: 750,
      size: 100000,
      inFlight: 4,
      connections: 2,
      port: 50101,
      out: path.join(OUT_DIR, 'large.pcapng'),
      mss: 0,
      reuse: false,
    },
    USAGE,
  );
  const file = path.resolve(opts.out);
  if (opts.reuse && !opts.mss) throw new Error('--reuse only goes with --mss');
  if (!opts.reuse || !fs.existsSync(file)) await recordLarge(opts, file);
  if (opts.mss) resegmentWithSidecar({ input: file, output: resegmentedPath(file, opts.mss), mss: opts.mss });
}

async function recordLarge(opts, file) {
  const { calls, size } = opts;
  // One request buffer for every call: the client's time goes to gRPC, not to filling buffers.
  const blob = Buffer.alloc(size, 0x62);
  await record({
    name: 'large',
    file,
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
