/**
 * Is this connection TLS? A cheap test over the first bytes, for the detector (../detect/).
 *
 * Every TLS byte stream is a run of records, each with a 5-octet header (RFC 8446 §5.1, RFC 5246 §6.2):
 * ContentType (20 change_cipher_spec, 21 alert, 22 handshake, 23 application_data), legacy version 3.x and
 * a length of at most 2^14 + 2048 octets (TLSCiphertext). A connection whose start was captured begins with
 * a handshake record; one joined midway begins wherever a record begins, which is not known, so it is taken
 * as TLS only when two record headers in a row agree.
 */
import type { Claim, DetectView, Dissector } from '../detect/types';
import type { ConnectionHandler, Direction, TcpConnection } from '../tcp/types';
import { ContentType, MAX_CIPHERTEXT_LENGTH, RECORD_HEADER_LENGTH, TlsConnection, type TlsLayer } from './connection';

export { newTlsCounters, type TlsCounters, type TlsLayer } from './connection';

/** 'yes' when `b` starts a run of plausible TLS record headers, 'more' when too short to tell. */
function probeDirection(b: Uint8Array, startSeen: boolean, final: boolean): Claim {
  let off = 0;
  let records = 0;
  while (off + RECORD_HEADER_LENGTH <= b.length) {
    const type = b[off];
    if (type < ContentType.change_cipher_spec || type > ContentType.application_data) return 'no';
    if (b[off + 1] !== 3 || b[off + 2] > 4) return 'no';
    const len = (b[off + 3] << 8) | b[off + 4];
    if (len === 0 || len > MAX_CIPHERTEXT_LENGTH) return 'no';
    // A captured start is a handshake record (ClientHello or ServerHello): one header is enough.
    if (records === 0 && startSeen) return type === ContentType.handshake ? 'yes' : 'no';
    records++;
    if (records >= 2) return 'yes';
    off += RECORD_HEADER_LENGTH + len;
  }
  if (b.length > 0 && off === 0) {
    // Fewer than 5 octets: the first ones may still rule TLS out.
    if (b[0] < ContentType.change_cipher_spec || b[0] > ContentType.application_data) return 'no';
    if (b.length > 1 && b[1] !== 3) return 'no';
  }
  return final ? (records > 0 ? 'yes' : 'no') : 'more';
}

/** The TLS test of the detector: either direction decides; 'more' while both may still be TLS. */
export function probeTls(view: DetectView): Claim {
  let more = false;
  for (const d of [0, 1] as Direction[]) {
    const head = view.head(d);
    if (head.length === 0) continue;
    const claim = probeDirection(head, view.conn.synSeen && !view.startLost[d], view.final);
    if (claim !== 'more') return claim;
    more = true;
  }
  return more || !view.final ? 'more' : 'no';
}

/** The detector's TLS entry: a TLS connection is decrypted by ./connection.ts with the layer's keys. */
export function tlsDissector(layer: TlsLayer): Dissector {
  return {
    name: 'tls',
    probe: probeTls,
    create: (conn: TcpConnection): ConnectionHandler => new TlsConnection(conn, layer),
  };
}
