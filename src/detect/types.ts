/**
 * The contract of protocol detection (model: Wireshark's heuristic dissectors, `heur_dissector_add`).
 *
 * Each protocol that can ride on a TCP connection offers a `Dissector`: a cheap "is this mine?" test over the
 * first bytes of both directions, and a factory for the `ConnectionHandler` that decodes it. The detector
 * (./dispatcher.ts) asks them in order and hands the connection, with every byte it held, to the first that
 * says yes. A protocol that carries others (TLS) builds a detector of its own over its plaintext, so HTTP/2
 * inside TLS is found by the same tests as HTTP/2 in the clear.
 */
import type { ConnectionHandler, Direction, TcpConnection } from '../tcp/types';
import { newUnrecognisedCounters, type UnrecognisedCounters } from './unrecognised';

/** A dissector's answer: the connection is its protocol, is not, or more bytes are needed to tell. */
export type Claim = 'yes' | 'no' | 'more';

/** What a dissector may look at. */
export interface DetectView {
  readonly conn: TcpConnection;
  /** The first bytes of each direction seen so far (at most DETECT_BUFFER_BYTES over both), a view. */
  head(dir: Direction): Uint8Array;
  /** A gap came before the first bytes of this direction: its start was not captured. */
  readonly startLost: readonly [boolean, boolean];
  /** No more bytes will come (the connection closed, or the hold limit was reached): answer 'yes' or 'no'. */
  readonly final: boolean;
}

export interface Dissector {
  /** Short protocol name, used in summaries: 'tls', 'http2', 'http1'. */
  readonly name: string;
  probe(view: DetectView): Claim;
  /** The handler for a connection this dissector claimed; it then receives every held byte, in order. */
  create(conn: TcpConnection, view: DetectView): ConnectionHandler;
}

export interface DetectCounters {
  /** Connections claimed, per dissector name. */
  claimed: Record<string, number>;
  /** Connections no dissector claimed (with bytes), by reason and server port, for the summary. */
  unrecognised: UnrecognisedCounters;
}

export function newDetectCounters(): DetectCounters {
  return { claimed: {}, unrecognised: newUnrecognisedCounters() };
}
