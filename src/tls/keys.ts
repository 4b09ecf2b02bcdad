/**
 * Key derivation: from the secrets of a key log to the write keys and IVs of each direction.
 *
 * TLS 1.3 (RFC 8446 §7.1, §7.3): every traffic secret gives its key and IV through HKDF-Expand-Label
 * (RFC 5869 HKDF-Expand over HMAC with the suite's hash); KeyUpdate (§4.6.3, §7.2) derives the next
 * application traffic secret with the label "traffic upd".
 * TLS 1.2 (RFC 5246 §5, §6.3): the key block is PRF(master_secret, "key expansion", server_random +
 * client_random), P_hash with the suite's hash (SHA-256, or SHA-384 for *_SHA384 suites).
 */
import { createHmac } from 'node:crypto';
import type { CipherSuite } from './suites';

export type HashName = 'sha256' | 'sha384';

export function hashLength(h: HashName): number {
  return h === 'sha384' ? 48 : 32;
}

/** RFC 5869 §2.3 HKDF-Expand. */
export function hkdfExpand(hash: HashName, prk: Uint8Array, info: Uint8Array, length: number): Buffer {
  const out = Buffer.alloc(length);
  let t: Buffer = Buffer.alloc(0);
  let filled = 0;
  for (let i = 1; filled < length; i++) {
    t = createHmac(hash, prk).update(t).update(info).update(Buffer.of(i)).digest();
    t.copy(out, filled, 0, Math.min(t.length, length - filled));
    filled += t.length;
  }
  return out;
}

/** RFC 8446 §7.1 HKDF-Expand-Label(Secret, Label, Context, Length): label prefixed with "tls13 ". */
export function hkdfExpandLabel(hash: HashName, secret: Uint8Array, label: string, context: Uint8Array, length: number): Buffer {
  const full = Buffer.from(`tls13 ${label}`, 'latin1');
  const info = Buffer.alloc(2 + 1 + full.length + 1 + context.length);
  info.writeUInt16BE(length, 0);
  info[2] = full.length;
  full.copy(info, 3);
  info[3 + full.length] = context.length;
  info.set(context, 4 + full.length);
  return hkdfExpand(hash, secret, info, length);
}

/** Write key and IV of one direction. */
export interface TrafficKeys {
  key: Buffer;
  /** TLS 1.3 and ChaCha20 in 1.2: the 12-octet IV; AES-GCM in 1.2: the 4-octet implicit salt. */
  iv: Buffer;
}

const EMPTY = new Uint8Array(0);

/** RFC 8446 §7.3: [sender]_write_key and [sender]_write_iv from a traffic secret. */
export function tls13Keys(suite: CipherSuite, secret: Uint8Array): TrafficKeys {
  return {
    key: hkdfExpandLabel(suite.hash, secret, 'key', EMPTY, suite.keyLength),
    iv: hkdfExpandLabel(suite.hash, secret, 'iv', EMPTY, 12),
  };
}

/** RFC 8446 §7.2: application_traffic_secret_N+1 after a KeyUpdate. */
export function tls13NextSecret(suite: CipherSuite, secret: Uint8Array): Buffer {
  return hkdfExpandLabel(suite.hash, secret, 'traffic upd', EMPTY, hashLength(suite.hash));
}

/** RFC 5246 §5 P_hash(secret, seed), `length` octets. */
export function pHash(hash: HashName, secret: Uint8Array, seed: Uint8Array, length: number): Buffer {
  const out = Buffer.alloc(length);
  let a: Buffer = createHmac(hash, secret).update(seed).digest(); // A(1)
  let filled = 0;
  while (filled < length) {
    const block = createHmac(hash, secret).update(a).update(seed).digest();
    block.copy(out, filled, 0, Math.min(block.length, length - filled));
    filled += block.length;
    a = createHmac(hash, secret).update(a).digest();
  }
  return out;
}

/** RFC 5246 §6.3 key block for an AEAD suite (no MAC keys): client and server write keys and IVs. */
export function tls12Keys(suite: CipherSuite, masterSecret: Uint8Array, clientRandom: Uint8Array, serverRandom: Uint8Array): { client: TrafficKeys; server: TrafficKeys } {
  const ivLength = suite.aead === 'chacha20-poly1305' ? 12 : 4; // RFC 7905 §2; RFC 5288 §3 (salt)
  const seed = Buffer.concat([Buffer.from('key expansion', 'latin1'), serverRandom, clientRandom]);
  const block = pHash(suite.hash, masterSecret, seed, 2 * suite.keyLength + 2 * ivLength);
  let o = 0;
  const take = (n: number) => block.subarray(o, (o += n));
  const clientKey = take(suite.keyLength);
  const serverKey = take(suite.keyLength);
  return { client: { key: clientKey, iv: take(ivLength) }, server: { key: serverKey, iv: take(ivLength) } };
}
