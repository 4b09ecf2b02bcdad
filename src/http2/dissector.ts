/**
 * HTTP/2's entry in the detector (../detect/). For now the HTTP/2 handler keeps its own recognition (the
 * client preface, an h2c upgrade, `--http2-port` for a connection whose start was not captured; see
 * connection.ts), so it is asked last and takes every connection the dissectors before it declined.
 */
import type { Dissector } from '../detect/types';
import type { HandlerFactory } from '../tcp/types';

export function http2Dissector(factory: HandlerFactory): Dissector {
  return {
    name: 'http2',
    probe: () => 'yes',
    create: (conn) => factory(conn),
  };
}
