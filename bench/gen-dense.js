'use strict';
// Records bench/out/dense.pcapng: 100,000 unary calls with small messages from a grpc-js client to the bench
// server (bench/server.js) on loopback, captured with dumpcap. The capture of issue 7: about 17 MB, 14k packets,
// 200k gRPC messages. grpc-js packs many calls into one TCP segment when they are fired concurrently, which is
// why a bounded number are kept in flight (200 by default) over a few connections.
//
//   node bench/gen-dense.js [--calls 100000] [--in-flight 200] [--connections 3] [--port 50100]
//                           [--out bench/out/dense.pcapng] [--tls]
//
// --tls records the same calls over TLS 1.3 (bench/out/dense-tls.pcapng by default, on port 50105), with the
// key log Node writes (--tls-keylog) beside it as dense-tls.keys: the cost of decryption, beside dense.
//
// Writes the capture and its sidecar bench/out/dense.json (server port, calls, messages, packets, drops), which
// bench/run.js and bench/gen-huge.js read. Needs dumpcap with the right to capture on lo (root or its
// capabilities) and the dev dependencies (@grpc/grpc-js, @grpc/proto-loader).

const fs = require('node:fs');
const path = require('node:path');
const { OUT_DIR, parseArgs, startCapture, startServer, writeMeta, mb, count, log } = require('./lib');
const { spawnSync } = require('node:child_process');
const { grpc, loadServices, channelCredentials } = require('../samples/src/common');

/** The test certificate for grpctk.test (test/capture/fixtures), for --tls. */
const TLS_CERT = path.join(__dirname, '..', 'test', 'capture', 'fixtures', 'tls-cert.pem');
const TLS_KEY = path.join(__dirname, '..', 'test', 'capture', 'fixtures', 'tls-key.pem');

const USAGE = `usage: node bench/gen-dense.js [--calls N] [--in-flight N] [--connections N] [--port P] [--out FILE] [--tls]`;

/**
 * Fires `calls` unary calls, at most `inFlight` at a time, round-robin over `clients`; `request(i)` makes the
 * i-th request. Resolves with the number of calls that did not end with status OK (the generators fail on any).
 */
async function fireCalls(clients, calls, inFlight, request) {
  let next = 0;
  let failed = 0;
  let firstError = null;
  const lane = async () => {
    while (next < calls) {
      const i = next++;
      const client = clients[i % clients.length];
      await new Promise((resolve) => {
        client.Unary(request(i), (err) => {
          if (err) {
            failed++;
            firstError ??= err;
          }
          resolve();
        });
      });
    }
  };
  const lanes = [];
  for (let k = 0; k < Math.min(inFlight, calls); k++) lanes.push(lane());
  await Promise.all(lanes);
  if (firstError) log(`first failed call: ${firstError.message}`);
  return failed;
}

/** Clients with one connection each (no subchannel sharing), connected before the capture's calls start. */
async function connectClients(port, n, options = {}) {
  const { Demo } = loadServices();
  const clients = [];
  const { tls, ...channelOptions } = options;
  const security = channelCredentials(tls ? { 'tls-ca': TLS_CERT, 'tls-name': 'grpctk.test' } : {});
  for (let k = 0; k < n; k++) {
    const c = new Demo(`127.0.0.1:${port}`, security.creds, {
      'grpc.use_local_subchannel_pool': 1,
      ...security.options,
      ...channelOptions,
    });
    await new Promise((resolve, reject) => c.waitForReady(Date.now() + 10000, (err) => (err ? reject(err) : resolve())));
    clients.push(c);
  }
  return clients;
}

/**
 * Records one capture: server up, dumpcap up, clients connect (the handshakes are in the capture), `run(clients)`,
 * clients close, dumpcap stops. Returns the sidecar it wrote.
 */
async function record({ name, file, port, connections, clientOptions, run, describe }) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp`;
  fs.rmSync(tmp, { force: true });
  const server = await startServer(port, clientOptions?.tls ? ['--tls-cert', TLS_CERT, '--tls-key', TLS_KEY] : []);
  let capture = null;
  try {
    capture = await startCapture({ filter: `tcp port ${port}`, file: tmp, comment: `grpctk bench: ${describe}` });
    const t0 = Date.now();
    const clients = await connectClients(port, connections, clientOptions);
    const result = await run(clients);
    for (const c of clients) c.close();
    const seconds = (Date.now() - t0) / 1000;
    const stats = await capture.stop();
    capture = null;
    if (result.failed > 0) throw new Error(`${result.failed} calls failed`);
    if (stats.dropped) log(`warning: dumpcap dropped ${stats.dropped} packets: the capture is incomplete`);
    // dumpcap creates the file readable by its owner only; the bench's other tools may run as someone else.
    fs.chmodSync(tmp, 0o644);
    fs.renameSync(tmp, file);
    const meta = {
      name,
      file: path.relative(path.join(__dirname, '..'), file),
      describe,
      port,
      connections,
      calls: result.calls,
      messages: result.messages,
      packets: stats.captured,
      dropped: stats.dropped,
      bytes: fs.statSync(file).size,
      seconds,
      recorded: new Date().toISOString(),
    };
    writeMeta(file, meta);
    log(
      `${name}: wrote ${meta.file}: ${mb(meta.bytes)} MB, ${count(meta.packets)} packets (${count(meta.dropped)} dropped), ` +
        `${count(meta.calls)} calls, ${count(meta.messages)} gRPC messages, in ${seconds.toFixed(1)} s`,
    );
    return meta;
  } finally {
    if (capture) await capture.stop().catch(() => {});
    await server.stop();
    fs.rmSync(tmp, { force: true });
  }
}

async function main() {
  const opts = parseArgs(
    process.argv.slice(2),
    { calls: 100000, inFlight: 200, connections: 3, port: 0, out: '', tls: false },
    USAGE,
  );
  const out = path.resolve(opts.out || path.join(OUT_DIR, opts.tls ? 'dense-tls.pcapng' : 'dense.pcapng'));
  const port = opts.port || (opts.tls ? 50105 : 50100);
  if (opts.tls && !process.execArgv.some((a) => a.startsWith('--tls-keylog'))) {
    // Node writes the secrets of every TLS connection of a process started with --tls-keylog: run again so.
    const keys = out.replace(/\.pcapng$/, '') + '.keys';
    fs.mkdirSync(path.dirname(keys), { recursive: true });
    fs.rmSync(keys, { force: true });
    const r = spawnSync(process.execPath, [`--tls-keylog=${keys}`, __filename, ...process.argv.slice(2)], { stdio: 'inherit' });
    process.exit(r.status ?? 1);
  }
  const calls = opts.calls;
  await record({
    name: opts.tls ? 'dense-tls' : 'dense',
    file: out,
    port,
    connections: opts.connections,
    clientOptions: opts.tls ? { tls: true } : {},
    describe: `${calls} unary calls, small messages, ${opts.inFlight} in flight over ${opts.connections} connections${opts.tls ? ', TLS 1.3' : ''}`,
    run: async (clients) => {
      // A small request (34 to 38 bytes) and reply (25 to 29): the header blocks dominate, as in RPC-heavy
      // services.
      const failed = await fireCalls(clients, calls, opts.inFlight, (i) => ({ text: `dense bench call ${i}`, tags: ['bench', 'small'] }));
      return { calls, messages: 2 * calls, failed };
    },
  });
}

if (require.main === module) {
  main().catch((err) => {
    log(`gen-dense: ${err.message}`);
    process.exit(1);
  });
}

module.exports = { record, fireCalls, connectClients };
