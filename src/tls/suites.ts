/**
 * The cipher suites grpctk decrypts: the AEAD suites (RFC 9113 §9.2.2 forbids the others for HTTP/2) of
 * TLS 1.3 (RFC 8446 §B.4) and TLS 1.2 (RFC 5288 AES-GCM, RFC 5289 ECDHE AES-GCM, RFC 7905 ChaCha20-Poly1305).
 * Names as IANA registers them (https://www.iana.org/assignments/tls-parameters/), as Wireshark shows them.
 */
import type { HashName } from './keys';

export type Aead = 'aes-128-gcm' | 'aes-256-gcm' | 'chacha20-poly1305';

export interface CipherSuite {
  id: number;
  name: string;
  aead: Aead;
  keyLength: number;
  /** HKDF hash (1.3) or PRF hash (1.2). */
  hash: HashName;
}

function s(id: number, name: string, aead: Aead, hash: HashName): CipherSuite {
  return { id, name, aead, keyLength: aead === 'aes-128-gcm' ? 16 : 32, hash };
}

const SUITES: readonly CipherSuite[] = [
  // TLS 1.3
  s(0x1301, 'TLS_AES_128_GCM_SHA256', 'aes-128-gcm', 'sha256'),
  s(0x1302, 'TLS_AES_256_GCM_SHA384', 'aes-256-gcm', 'sha384'),
  s(0x1303, 'TLS_CHACHA20_POLY1305_SHA256', 'chacha20-poly1305', 'sha256'),
  // TLS 1.2
  s(0x009c, 'TLS_RSA_WITH_AES_128_GCM_SHA256', 'aes-128-gcm', 'sha256'),
  s(0x009d, 'TLS_RSA_WITH_AES_256_GCM_SHA384', 'aes-256-gcm', 'sha384'),
  s(0x009e, 'TLS_DHE_RSA_WITH_AES_128_GCM_SHA256', 'aes-128-gcm', 'sha256'),
  s(0x009f, 'TLS_DHE_RSA_WITH_AES_256_GCM_SHA384', 'aes-256-gcm', 'sha384'),
  s(0xc02b, 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', 'aes-128-gcm', 'sha256'),
  s(0xc02c, 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384', 'aes-256-gcm', 'sha384'),
  s(0xc02f, 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 'aes-128-gcm', 'sha256'),
  s(0xc030, 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384', 'aes-256-gcm', 'sha384'),
  s(0xcca8, 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256', 'chacha20-poly1305', 'sha256'),
  s(0xcca9, 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256', 'chacha20-poly1305', 'sha256'),
  s(0xccaa, 'TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256', 'chacha20-poly1305', 'sha256'),
];

const BY_ID = new Map(SUITES.map((x) => [x.id, x]));

/** The suite for a ServerHello's cipher_suite, or undefined when grpctk cannot decrypt it. */
export function cipherSuite(id: number): CipherSuite | undefined {
  return BY_ID.get(id);
}

/** A name for any suite id: the IANA name when known here, else 0xNNNN. */
export function cipherSuiteName(id: number): string {
  return BY_ID.get(id)?.name ?? `0x${id.toString(16).padStart(4, '0')}`;
}

/** RFC 8446 §4.2.1 / RFC 5246 ProtocolVersion, as Wireshark names it. */
export function versionName(v: number): string {
  switch (v) {
    case 0x0304: return 'TLS 1.3';
    case 0x0303: return 'TLS 1.2';
    case 0x0302: return 'TLS 1.1';
    case 0x0301: return 'TLS 1.0';
    case 0x0300: return 'SSL 3.0';
    default: return `0x${v.toString(16).padStart(4, '0')}`;
  }
}
