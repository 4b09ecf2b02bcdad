/**
 * Which protocols the decode looks for on a TCP connection, in the order they are asked (./dispatcher.ts).
 * A new protocol is a folder with a `Dissector` and one line here.
 */
import type { HandlerFactory } from '../tcp/types';
import { http2Dissector } from '../http2/dissector';
import { tlsDissector, type TlsCounters } from '../tls/detect';
import { http1Dissector } from '../http1/dissector';
import type { Http1Counters } from '../http1/connection';
import type { Http2Sink } from '../http2/types';
import { detectorFactory, type DetectorFactory } from './dispatcher';
import type { Dissector } from './types';

export { detectorFactory } from './dispatcher';
export type { DetectorFactory } from './dispatcher';

export interface ConnectionLayers {
  /** The HTTP/2 layer's handler factory. */
  http2: HandlerFactory;
  /** Where TLS connections are counted. */
  tls: TlsCounters;
  /** The HTTP/1.1 layer's sink (the gRPC layer, through its gRPC-Web/Connect adapter) and counters. */
  http1: { sink: Http2Sink; counters: Http1Counters };
}

export function connectionDissectors(layers: ConnectionLayers): Dissector[] {
  return [
    tlsDissector(layers.tls),
    http1Dissector(layers.http1.sink, layers.http1.counters),
    // Last: it takes whatever the others declined (see http2/dissector.ts).
    http2Dissector(layers.http2),
  ];
}

/** The detector over every protocol grpctk decodes. */
export function connectionDetector(layers: ConnectionLayers): DetectorFactory {
  return detectorFactory(connectionDissectors(layers));
}
