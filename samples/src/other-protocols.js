'use strict';
// Traffic that is not HTTP/2, for the detector's tests (samples/make-samples.sh, other-protocols): a TLS
// connection, an HTTP/1.1 keep-alive connection with several requests, and a connection carrying random
// bytes both ways. Servers and clients in one process, on 127.0.0.1; everything stops by itself.
//
//   node samples/src/other-protocols.js --tls-port 52110 --http1-port 52111 --random-port 52112 --key K --cert C

const fs = require('node:fs');
const net = require('node:net');
const tls = require('node:tls');
const http = require('node:http');
const crypto = require('node:crypto');
const { parseArgs } = require('./common');

const args = parseArgs(process.argv.slice(2));

function listen(server, port) {
  return new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
}

async function tlsExchange(port) {
  const server = tls.createServer({ key: fs.readFileSync(args.key), cert: fs.readFileSync(args.cert) }, (s) => {
    s.on('data', (d) => s.write(Buffer.concat([Buffer.from('echo:'), d])));
    s.on('end', () => s.end());
  });
  await listen(server, port);
  await new Promise((resolve, reject) => {
    const c = tls.connect({ port, host: '127.0.0.1', rejectUnauthorized: false }, () => {
      let n = 0;
      const send = () => c.write(crypto.randomBytes(200 + n * 300));
      c.on('data', () => {
        if (++n < 8) send();
        else c.end();
      });
      send();
    });
    c.on('close', resolve);
    c.on('error', reject);
  });
  server.close();
}

async function http1Exchange(port) {
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      res.setHeader('content-type', 'text/plain');
      res.end(`you asked for ${req.url} with ${body.length} bytes\n`.repeat(20));
    });
  });
  await listen(server, port);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  for (let i = 0; i < 8; i++) {
    await new Promise((resolve, reject) => {
      const req = http.request({ port, host: '127.0.0.1', path: `/item/${i}`, method: i % 2 ? 'POST' : 'GET', agent }, (res) => {
        res.resume();
        res.on('end', resolve);
      });
      req.on('error', reject);
      if (i % 2) req.write(JSON.stringify({ i, data: 'x'.repeat(100 * i) }));
      req.end();
    });
  }
  agent.destroy();
  server.close();
}

async function randomExchange(port) {
  const server = net.createServer((s) => {
    s.on('data', (d) => s.write(crypto.randomBytes(d.length * 2)));
    s.on('end', () => s.end());
  });
  await listen(server, port);
  await new Promise((resolve, reject) => {
    const c = net.connect(port, '127.0.0.1', () => {
      let n = 0;
      const send = () => c.write(crypto.randomBytes(100 + ((n * 977) % 3000)));
      c.on('data', () => {
        if (++n < 20) send();
        else c.end();
      });
      send();
    });
    c.on('close', resolve);
    c.on('error', reject);
  });
  server.close();
}

(async () => {
  await tlsExchange(Number(args['tls-port']));
  await http1Exchange(Number(args['http1-port']));
  await randomExchange(Number(args['random-port']));
})().catch((err) => {
  console.error(`other-protocols: ${err.message}`);
  process.exit(1);
});
