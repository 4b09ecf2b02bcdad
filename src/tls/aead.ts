/**
 * Record protection: one direction's AEAD decryption of TLSCiphertext records, with Node's `crypto`.
 *
 * TLS 1.3 (RFC 8446 §5.2, §5.3): nonce = write_iv XOR the 64-bit record sequence number (left-padded);
 * additional data = the 5-octet record header; the plaintext ends with the real content type, then zero
 * padding.
 * TLS 1.2 AES-GCM (RFC 5288 §3): nonce = the 4-octet salt + the 8-octet explicit nonce that starts the
 * record; TLS 1.2 ChaCha20-Poly1305 (RFC 7905 §2): nonce as in 1.3; both with additional data
 * seq_num + type + version + plaintext length (RFC 5246 §6.2.3.3).
 */
import { createDecipheriv, type DecipherGCM } from 'node:crypto';
import type { CipherSuite } from './suites';
import type { TrafficKeys } from './keys';

export const TAG_LENGTH = 16;
const EXPLICIT_NONCE_LENGTH = 8;

/** What decrypting one record gave: the plaintext and (TLS 1.3) the inner content type. */
export interface Opened {
  type: number;
  plaintext: Uint8Array;
}

export class RecordCipher {
  /** Sequence number of the next record (RFC 8446 §5.3; RFC 5246 §6.1), as a plain number (< 2^53). */
  seq = 0;
  private readonly nonce = Buffer.alloc(12);
  private readonly aad: Buffer;

  constructor(
    readonly suite: CipherSuite,
    readonly keys: TrafficKeys,
    readonly tls13: boolean,
  ) {
    this.aad = Buffer.alloc(tls13 ? 5 : 13);
  }

  /** Smallest fragment that can be a record of this cipher. */
  get minLength(): number {
    return this.tls13 ? TAG_LENGTH + 1 : TAG_LENGTH + (this.explicitNonce ? EXPLICIT_NONCE_LENGTH : 0);
  }

  private get explicitNonce(): boolean {
    return !this.tls13 && this.suite.aead !== 'chacha20-poly1305';
  }

  /**
   * Decrypt the record with header `header` (5 octets) and `fragment`, as sequence number `seq`; null when
   * it fails authentication (wrong keys, wrong sequence number, damaged bytes). Does not advance `seq`.
   */
  open(header: Uint8Array, fragment: Uint8Array, seq: number): Opened | null {
    if (fragment.length < this.minLength) return null;
    const nonce = this.nonce;
    let ct: Uint8Array;
    if (this.explicitNonce) {
      this.keys.iv.copy(nonce, 0, 0, 4);
      nonce.set(fragment.subarray(0, EXPLICIT_NONCE_LENGTH), 4);
      ct = fragment.subarray(EXPLICIT_NONCE_LENGTH, fragment.length - TAG_LENGTH);
    } else {
      this.keys.iv.copy(nonce, 0, 0, 12);
      // XOR the sequence number into the last 8 octets; numbers stay below 2^53.
      let hi = Math.floor(seq / 0x100000000);
      let lo = seq >>> 0;
      for (let i = 11; i >= 8; i--) { nonce[i] ^= lo & 0xff; lo >>>= 8; }
      for (let i = 7; i >= 4; i--) { nonce[i] ^= hi & 0xff; hi >>>= 8; }
      ct = fragment.subarray(0, fragment.length - TAG_LENGTH);
    }
    const aad = this.aad;
    if (this.tls13) {
      aad.set(header.subarray(0, 5), 0);
    } else {
      aad.writeUInt32BE(Math.floor(seq / 0x100000000), 0);
      aad.writeUInt32BE(seq >>> 0, 4);
      aad[8] = header[0];
      aad[9] = header[1];
      aad[10] = header[2];
      aad.writeUInt16BE(ct.length, 11);
    }
    let plaintext: Buffer;
    try {
      const d = (this.suite.aead === 'chacha20-poly1305'
        ? createDecipheriv('chacha20-poly1305', this.keys.key, nonce, { authTagLength: TAG_LENGTH })
        : createDecipheriv(this.suite.aead, this.keys.key, nonce, { authTagLength: TAG_LENGTH })) as DecipherGCM;
      d.setAAD(aad);
      d.setAuthTag(fragment.subarray(fragment.length - TAG_LENGTH));
      plaintext = d.update(ct);
      d.final();
    } catch {
      return null;
    }
    if (!this.tls13) return { type: header[0], plaintext };
    // TLSInnerPlaintext: content, ContentType, zeros (RFC 8446 §5.4).
    let end = plaintext.length - 1;
    while (end >= 0 && plaintext[end] === 0) end--;
    if (end < 0) return null; // no content type: a malformed record (§5.4 says unexpected_message)
    return { type: plaintext[end], plaintext: plaintext.subarray(0, end) };
  }
}
