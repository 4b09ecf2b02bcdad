/**
 * End to end: a real Node http2 client and server on 127.0.0.1 talk through a tiny TCP relay that records
 * what each side sent; the recording is then fed to the HTTP/2 layer as a TCP assembler would.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { http2HandlerFactory } from '../../src/http2/connection';
import type { Direction } from '../../src/tcp/types';
import { RecordingSink, tcpConn } from './helpers';

/** Relay client ⇄ server, recording each chunk with its direction (0: client → server). */
async function withRelay(
  serverPort: number,
  body: (port: number) => Promise<void>,
): Promise<Array<[Direction, Uint8Array]>> {
  const chunks: Array<[Direction, Uint8Array]> = [];
  const sockets: net.Socket[] = [];
  const relay = net.createServer((down) => {
    const up = net.connect(serverPort, '127.0.0.1');
    sockets.push(down, up);
    down.on('data', (b) => {
      chunks.push([0, Uint8Array.from(b)]);
      up.write(b);
    });
    up.on('data', (b) => {
      chunks.push([1, Uint8Array.from(b)]);
      down.write(b);
    });
    down.on('end', () => up.end());
    up.on('end', () => down.end());
    down.on('error', () => up.destroy());
    up.on('error', () => down.destroy());
  });
  await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
  try {
    await body((relay.address() as AddressInfo).port);
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => relay.close(() => r()));
  }
  return chunks;
}

test('bytes exchanged by Node http2 client and server decode to the request path, status and DATA', async () => {
  const responseBody = Buffer.alloc(50_000, 'r');
  const requestBody = Buffer.from('{"hello":"world"}');
  const server = http2.createServer();
  server.on('stream', (stream, headers) => {
    const parts: Buffer[] = [];
    stream.on('data', (d: Buffer) => parts.push(d));
    stream.on('end', () => {
      stream.respond({ ':status': 201, 'content-type': 'text/plain', 'x-echo-path': String(headers[':path']) });
      stream.end(responseBody);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const serverPort = (server.address() as AddressInfo).port;

  const chunks = await withRelay(serverPort, async (port) => {
    const client = http2.connect(`http://127.0.0.1:${port}`);
    for (const path of ['/first', '/second?x=1']) {
      await new Promise<void>((resolve, reject) => {
        const req = client.request({ ':method': 'POST', ':path': path, 'content-type': 'application/json' });
        req.on('response', () => undefined);
        req.on('data', () => undefined);
        req.on('end', resolve);
        req.on('error', reject);
        req.end(requestBody);
      });
    }
    await new Promise<void>((r) => client.close(() => r()));
  });
  await new Promise<void>((r) => server.close(() => r()));

  const sink = new RecordingSink();
  const factory = http2HandlerFactory(sink);
  const h = factory(tcpConn({ serverPort }));
  chunks.forEach(([dir, bytes], i) => h.data(dir, bytes, i + 1, 0, 0));
  h.close('fin');

  const requests = sink.of('headers').filter((e) => e.dir === 'request');
  assert.deepEqual(
    requests.map((e) => [e.streamId, new Map(e.headers).get(':path'), new Map(e.headers).get(':method')]),
    [
      [1, '/first', 'POST'],
      [3, '/second?x=1', 'POST'],
    ],
  );
  const responses = sink.of('headers').filter((e) => e.dir === 'response');
  assert.deepEqual(
    responses.map((e) => [e.streamId, new Map(e.headers).get(':status'), new Map(e.headers).get('x-echo-path')]),
    [
      [1, '201', '/first'],
      [3, '201', '/second?x=1'],
    ],
  );
  assert.ok(responses.every((e) => e.hpackError === undefined));
  for (const sid of [1, 3]) {
    const req = sink.of('data').filter((d) => d.dir === 'request' && d.streamId === sid);
    assert.equal(req.map((d) => d.data).join(''), requestBody.toString('latin1'));
    const resp = sink.of('data').filter((d) => d.dir === 'response' && d.streamId === sid);
    assert.equal(resp.map((d) => d.data).join(''), responseBody.toString('latin1'));
    assert.equal(resp[resp.length - 1].endStream, true);
  }
  assert.equal(factory.counters.hpackErrors, 0);
  assert.equal(factory.counters.bytesSkipped, 0);
  assert.equal(sink.recs[sink.recs.length - 1].ev, 'closed');
});
