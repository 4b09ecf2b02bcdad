'use strict';
// HTTP servers of non-grpc.pcapng that are not gRPC: a plain-text HTTP/2 server (h2c, prior knowledge) and an
// HTTP/1.1 server, both on 127.0.0.1. A gRPC decoder must never report their exchanges as gRPC calls.
//
//   node samples/src/plain-servers.js --h2-port 50060 --http1-port 50061
//
// Prints "listening" once both are bound; stops on SIGTERM or SIGINT.

const http = require('node:http');
const http2 = require('node:http2');
const { parseArgs } = require('./common');

const args = parseArgs(process.argv.slice(2));
const h2Port = Number(args['h2-port'] ?? 50060);
const h1Port = Number(args['http1-port'] ?? 50061);

const PAGE = '<!doctype html><title>grpctk</title><p>not gRPC</p>\n';

// h2c: GET / answers HTML; POST /echo answers the request body back as JSON.
const h2 = http2.createServer();
h2.on('stream', (stream, headers) => {
  const chunks = [];
  stream.on('data', (c) => chunks.push(c));
  stream.on('end', () => {
    if (headers[':method'] === 'POST') {
      const body = JSON.stringify({ echo: Buffer.concat(chunks).toString('utf8') });
      stream.respond({ ':status': 200, 'content-type': 'application/json', 'x-served-by': 'h2c' });
      stream.end(body);
    } else {
      stream.respond({ ':status': 200, 'content-type': 'text/html; charset=utf-8', 'x-served-by': 'h2c' });
      stream.end(PAGE);
    }
  });
});

const h1 = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'x-served-by': 'http1' });
    res.end(PAGE);
  });
});

let bound = 0;
const onListening = () => {
  bound += 1;
  if (bound === 2) console.log(`listening h2c 127.0.0.1:${h2Port} http/1.1 127.0.0.1:${h1Port}`);
};
h2.listen(h2Port, '127.0.0.1', onListening);
h1.listen(h1Port, '127.0.0.1', onListening);

for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => process.exit(0));
}
