/**
 * Benchmark: the HTTP/2 layer on a synthetic gRPC connection (unary calls: request HEADERS + DATA, response
 * HEADERS + DATA + trailers), fed in 1448-octet segments as TCP would deliver them. Prints numbers.
 *
 *   node --import tsx test/http2/connection-bench.ts [calls]
 */
import { http2HandlerFactory } from '../../src/http2/connection';
import type { Http2Sink } from '../../src/http2/types';
import { Encoder, PREFACE, concat, frame, settings, tcpConn } from './helpers';

const CALLS = Number(process.argv[2] ?? 20_000);
const ce = new Encoder();
const se = new Encoder();
const msg = new Uint8Array(200).fill(0x41);
const client: Uint8Array[] = [PREFACE, settings([])];
const server: Uint8Array[] = [settings([])];
for (let i = 0; i < CALLS; i++) {
  const sid = 1 + 2 * i;
  client.push(
    frame(0x1, 0x4, sid, ce.encode([[':method', 'POST'], [':scheme', 'http'], [':path', '/pkg.Service/Method'], [':authority', 'svc:50051'], ['content-type', 'application/grpc'], ['te', 'trailers'], ['grpc-timeout', `${i % 100}m`]])),
    frame(0x0, 0x1, sid, msg),
  );
  server.push(
    frame(0x1, 0x4, sid, se.encode([[':status', '200'], ['content-type', 'application/grpc']])),
    frame(0x0, 0x0, sid, msg),
    frame(0x1, 0x5, sid, se.encode([['grpc-status', '0'], ['grpc-message', '']])),
  );
}
const c = concat(...client);
const s = concat(...server);
let fields = 0;
let bytes = 0;
const sink: Http2Sink = {
  headers: (ev) => (fields += ev.headers.length),
  data: (ev) => (bytes += ev.data.length),
  rstStream: () => undefined,
  connectionClosed: () => undefined,
};
for (let round = 0; round < 4; round++) {
  fields = bytes = 0;
  const h = http2HandlerFactory(sink)(tcpConn());
  const t0 = process.hrtime.bigint();
  const SEG = 1448;
  for (let off = 0, n = 1; off < Math.max(c.length, s.length); off += SEG, n++) {
    if (off < c.length) h.data(0, c.subarray(off, off + SEG), n, 0, 0);
    if (off < s.length) h.data(1, s.subarray(off, off + SEG), n, 0, 0);
  }
  h.close('fin');
  const sec = Number(process.hrtime.bigint() - t0) / 1e9;
  const mb = (c.length + s.length) / 1e6;
  console.log(`round ${round}: ${CALLS} calls, ${mb.toFixed(1)} MB in ${(sec * 1000).toFixed(0)} ms: ${(mb / sec).toFixed(0)} MB/s, ${(CALLS / sec / 1000).toFixed(0)}k calls/s (${fields} fields, ${bytes} data octets)`);
}
