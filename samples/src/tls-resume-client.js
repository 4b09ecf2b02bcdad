'use strict';
// A client that resumes TLS sessions, for tls-resume.pcapng: Node's own HTTP/2 client (grpc-js does not
// resume sessions) sends helloworld.Greeter/SayHello to a grpc-js server over two TLS connections, the second
// resuming the first's session (a TLS 1.3 ticket, PSK; or a TLS 1.2 session ticket). With --curves the
// client's first key share is for a group the server does not take, so the server answers the first
// ClientHello with a HelloRetryRequest (TLS 1.3).
//
//   node --tls-keylog=keys.txt samples/src/tls-resume-client.js --target 127.0.0.1:50104 \
//     --tls-ca cert.pem --tls-name grpctk.test [--curves X25519:P-256]
//
// Exits non-zero if a call fails or the second connection was not resumed.

const fs = require('node:fs');
const http2 = require('node:http2');
const { parseArgs } = require('./common');

const args = parseArgs(process.argv.slice(2));
const [host, port] = args.target.split(':');
const ca = fs.readFileSync(args['tls-ca']);

/** helloworld.HelloRequest { name: NAME } as a gRPC length-prefixed message. */
function helloRequest(name) {
  const body = Buffer.concat([Buffer.from([0x0a, name.length]), Buffer.from(name, 'utf8')]);
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32BE(body.length, 1);
  return Buffer.concat([prefix, body]);
}

function connect(session) {
  return http2.connect(`https://${args['tls-name']}:${port}`, {
    host,
    servername: args['tls-name'],
    ca,
    session,
    ecdhCurve: args.curves,
    lookup: (_name, _opts, cb) => cb(null, host, 4),
  });
}

/** One SayHello on `client`; resolves with the grpc-status. */
function sayHello(client, name) {
  return new Promise((resolve, reject) => {
    const req = client.request({
      ':method': 'POST',
      ':path': '/helloworld.Greeter/SayHello',
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    let status = null;
    req.on('trailers', (t) => { status = t['grpc-status']; });
    req.on('response', (h) => { if (h['grpc-status'] !== undefined) status = h['grpc-status']; });
    req.on('data', () => {});
    req.on('end', () => resolve(status));
    req.on('error', reject);
    req.end(helloRequest(name));
  });
}

async function main() {
  const first = connect(undefined);
  let ticket;
  first.socket.on('session', (s) => { ticket = s; });
  const s1 = await sayHello(first, 'first');
  // The TLS 1.3 ticket comes after the handshake; give it a moment to arrive.
  await new Promise((r) => setTimeout(r, 200));
  first.close();
  if (!ticket) throw new Error('no session ticket received');
  const second = connect(ticket);
  const s2 = await sayHello(second, 'resumed');
  const reused = second.socket.isSessionReused();
  second.close();
  console.log(`SayHello ${s1}, resumed SayHello ${s2}, session reused: ${reused}`);
  if (s1 !== '0' || s2 !== '0' || !reused) process.exit(1);
}

main().catch((err) => {
  console.error(`tls-resume-client: ${err.message}`);
  process.exit(1);
});
