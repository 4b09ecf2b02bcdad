/**
 * HTTP/2's entry in the detector (../detect/): the test of ./detect.ts, and the handler of connection.ts
 * started with its verdict.
 */
import type { Dissector } from '../detect/types';
import type { ConnectionHandler, TcpConnection } from '../tcp/types';
import { probeHttp2, type Http2Verdict } from './detect';

/** What the dissector needs of the HTTP/2 layer's factory (connection.ts). */
export interface Http2Starter {
  readonly ports: ReadonlySet<number>;
  start(conn: TcpConnection, verdict: Http2Verdict): ConnectionHandler;
}

export function http2Dissector(layer: Http2Starter): Dissector {
  return {
    name: 'http2',
    probe: (view) => probeHttp2(view, layer.ports).claim,
    create(conn, view) {
      const p = probeHttp2(view, layer.ports);
      if (p.verdict === undefined) throw new Error('http2: create() without a claim');
      return layer.start(conn, p.verdict);
    },
  };
}
