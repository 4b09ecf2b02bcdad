/**
 * Which protocols the decode looks for on a TCP connection, in the order they are asked (./dispatcher.ts).
 * A new protocol is a folder with a `Dissector` and one line here.
 */
import { http2Dissector } from '../http2/dissector';
import type { Http2HandlerFactory } from '../http2/connection';
import { tlsDissector, type TlsCounters } from '../tls/detect';
import type { KeyLog } from '../tls/keylog';
import { http1Dissector } from '../http1/dissector';
import type { Http1Counters } from '../http1/connection';
import type { Http2Sink } from '../http2/types';
import { detectorFactory, type DetectorFactory } from './dispatcher';
import { newDetectCounters, type DetectCounters, type Dissector } from './types';

export { detectorFactory } from './dispatcher';
export type { DetectorFactory } from './dispatcher';

export interface ConnectionLayers {
  /**
   * The HTTP/2 layer (http2/connection.ts): its handler factory, which the HTTP/2 test (http2/detect.ts)
   * starts with its verdict, and which TLS calls directly when ALPN says h2.
   */
  http2: Http2HandlerFactory;
  /** Where TLS connections are counted, and the secrets that decrypt them (key logs, DSBs). */
  tls: TlsCounters;
  keys: KeyLog;
  /** The HTTP/1.1 layer's sink (the gRPC layer, through its gRPC-Web/Connect adapter) and counters. */
  http1?: { sink: Http2Sink; counters: Http1Counters };
}

/** The dissectors of protocols that TLS may carry: every one but TLS, in order. */
function plaintextDissectors(layers: ConnectionLayers): Dissector[] {
  return [
    ...(layers.http1 ? [http1Dissector(layers.http1.sink, layers.http1.counters)] : []),
    http2Dissector(layers.http2),
  ];
}

export function connectionDissectors(layers: ConnectionLayers, counters: DetectCounters = newDetectCounters()): Dissector[] {
  // TLS hands its plaintext to a detector of its own (the same dissectors minus TLS; what none of them takes
  // is counted with the rest), or straight to HTTP/2 when ALPN says h2 (RFC 9113 §3.2).
  const inner = detectorFactory(plaintextDissectors(layers), counters);
  return [
    tlsDissector({ keys: layers.keys, counters: layers.tls, inner, byAlpn: { h2: layers.http2 } }),
    ...plaintextDissectors(layers),
  ];
}

/** The detector over every protocol grpctk decodes. */
export function connectionDetector(layers: ConnectionLayers): DetectorFactory {
  const counters = newDetectCounters();
  return detectorFactory(connectionDissectors(layers, counters), counters);
}
