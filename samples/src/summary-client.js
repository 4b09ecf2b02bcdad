'use strict';
// Traffic for the samples that grpctk cannot fully decode, so its end-of-run summary has to say why:
//
//   node samples/src/summary-client.js --scenario tls --port 50443 --dir DIR
//     a grpc-js server and client in this process, over TLS with a self-signed certificate for 127.0.0.1
//     (DIR/cert.pem and DIR/key.pem, made by make-samples.sh with openssl); two SayHello calls. No key log
//     is written: the capture shows TLS records only.
//
//   node samples/src/summary-client.js --scenario joined --target 127.0.0.1:50100 --dir DIR
//     against node-server.js: one SayHello on a first connection, then "ready" on stdout and a wait for
//     DIR/go (make-samples.sh starts dumpcap in between), then two more calls on that connection (the
//     capture joins it midway) and one call on a second, new connection (captured from its start).

const fs = require('node:fs');
const path = require('node:path');
const { grpc, loadServices, parseArgs } = require('./common');

const args = parseArgs(process.argv.slice(2));
const { Greeter } = loadServices();
const options = { 'grpc.use_local_subchannel_pool': 1 };

function hello(client, name) {
  return new Promise((resolve, reject) => {
    client.sayHello({ name }, (err, reply) => (err ? reject(err) : resolve(reply)));
  });
}

async function waitFor(file) {
  for (let i = 0; i < 200; i++) {
    if (fs.existsSync(file)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${file}`);
}

async function tls() {
  const cert = fs.readFileSync(path.join(args.dir, 'cert.pem'));
  const key = fs.readFileSync(path.join(args.dir, 'key.pem'));
  const server = new grpc.Server();
  server.addService(Greeter.service, {
    sayHello: (call, cb) => cb(null, { message: `Hello ${call.request.name}` }),
  });
  const port = await new Promise((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${args.port}`, grpc.ServerCredentials.createSsl(null, [{ private_key: key, cert_chain: cert }]), (e, p) => (e ? reject(e) : resolve(p))),
  );
  const client = new Greeter(`127.0.0.1:${port}`, grpc.credentials.createSsl(cert), options);
  await hello(client, 'secret world');
  await hello(client, 'secret again');
  client.close();
  await new Promise((r) => server.tryShutdown(r));
}

async function joined() {
  const first = new Greeter(args.target, grpc.credentials.createInsecure(), options);
  await hello(first, 'before the capture');
  process.stdout.write('ready\n');
  await waitFor(path.join(args.dir, 'go'));
  await hello(first, 'joined midway 1');
  await hello(first, 'joined midway 2');
  const second = new Greeter(args.target, grpc.credentials.createInsecure(), options);
  await hello(second, 'new connection');
  first.close();
  second.close();
}

(args.scenario === 'tls' ? tls() : joined()).catch((err) => {
  console.error(err);
  process.exit(1);
});
