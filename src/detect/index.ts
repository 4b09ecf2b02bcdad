/**
 * Which protocols the decode looks for on a TCP connection, in the order they are asked (./dispatcher.ts).
 * A new protocol is a folder with a `Dissector` and one line here.
 */
import { http2Dissector, type Http2Starter } from '../http2/dissector';
import { tlsDissector, type TlsCounters } from '../tls/detect';
import { detectorFactory, type DetectorFactory } from './dispatcher';
import type { Dissector } from './types';

export { detectorFactory } from './dispatcher';
export type { DetectorFactory } from './dispatcher';

export interface ConnectionLayers {
  /** The HTTP/2 layer's handler factory (http2/connection.ts). */
  http2: Http2Starter;
  /** Where TLS connections are counted. */
  tls: TlsCounters;
}

export function connectionDissectors(layers: ConnectionLayers): Dissector[] {
  return [
    tlsDissector(layers.tls),
    http2Dissector(layers.http2),
  ];
}

/** The detector over every protocol grpctk decodes. */
export function connectionDetector(layers: ConnectionLayers): DetectorFactory {
  return detectorFactory(connectionDissectors(layers));
}
