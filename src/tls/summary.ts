/**
 * The TLS layer's summary lines: one per kind of trouble, with what to do about it. Never a secret.
 */
import type { TlsCounters } from './connection';
import type { KeyLog } from './keylog';

function plural(n: number, one: string, many = one + 's'): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}

export function tlsWarnings(c: TlsCounters, keys: KeyLog): string[] {
  const out: string[] = [...keys.warnings()];
  if (c.noKeys > 0) {
    out.push(
      keys.reports.length === 0
        ? `${plural(c.noKeys, 'TLS connection')} not decrypted: no keys for their client random; pass --tls-keylog`
        : `${plural(c.noKeys, 'TLS connection')} not decrypted: no keys for their client random in the key logs`,
    );
  }
  for (const [name, n] of c.unsupportedSuites) {
    out.push(`${plural(n, 'TLS connection')} not decrypted: cipher suite ${name} not supported (AES-GCM and ChaCha20-Poly1305 only)`);
  }
  if (c.unsupportedVersion > 0) out.push(`${plural(c.unsupportedVersion, 'TLS connection')} not decrypted: a version before TLS 1.2`);
  if (c.noHandshake > 0) {
    out.push(`${plural(c.noHandshake, 'TLS connection')} not decrypted: handshake not captured (the client random is in the ClientHello)`);
  }
  if (c.failedRecords > 0) {
    out.push(`${plural(c.failedRecords, 'TLS record')} in ${plural(c.failedConnections, 'connection')} failed authentication (wrong keys or damaged bytes): their bytes are lost (see the calls' errors)`);
  }
  if (c.lostDirections > 0) {
    out.push(`TLS: ${plural(c.lostDirections, 'direction')} of connections not followed after a TCP gap (no record decrypted within the search limits)`);
  }
  if (c.handshakeNotDecrypted > 0) {
    out.push(`TLS: ${plural(c.handshakeNotDecrypted, 'handshake record')} not decrypted (the key log has the traffic secrets only): ALPN unknown`);
  }
  if (c.earlyDataRecords > 0) out.push(`TLS: ${plural(c.earlyDataRecords, 'early data (0-RTT) record')} not decrypted`);
  if (c.malformed > 0) out.push(`TLS: ${plural(c.malformed, 'malformed record or handshake message', 'malformed records or handshake messages')}`);
  return out;
}
