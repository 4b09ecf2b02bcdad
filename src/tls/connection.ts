/**
 * The TLS layer: one `ConnectionHandler` per TLS connection, between TCP reassembly and the protocol inside.
 *
 * Bytes of each direction are cut into records (RFC 8446 §5.1, RFC 5246 §6.2; a record may span segments,
 * a segment may hold many records). The plaintext handshake gives the client random (the key log's key),
 * the version, the cipher suite, SNI and ALPN; the key log gives the secrets, from which ./keys.ts derives
 * each direction's keys; ./aead.ts decrypts. Application data goes, in order, to an inner handler: the one
 * ALPN names (`h2`), else a detector over the plaintext (injected: this layer knows no protocol above it).
 *
 * Losses are data here too. A record that fails authentication (wrong keys, damaged bytes) is counted and
 * passed up as a gap with the reason; the next record still decrypts, since its sequence number is the
 * record count. After a TCP gap the record boundary and the count are lost: the layer scans for a record
 * header that decrypts under one of the next MAX_SEQUENCE_SEARCH sequence numbers, and carries on from it.
 *
 * Key changes: TLS 1.2 at ChangeCipherSpec (per direction, sequence number 0); TLS 1.3 at the ServerHello
 * (handshake keys), after each side's Finished (application keys), after a KeyUpdate (the next secret).
 */
import type { CloseReason, ConnectionHandler, ConnectionSecurity, Direction, HandlerFactory, TcpConnection } from '../tcp/types';
import type { TlsInfo } from '../records/types';
import { RecordCipher } from './aead';
import { HandshakeError, HandshakeReader, HandshakeType, parseClientHello, parseEncryptedExtensions, parseServerHello, type ClientHello, type ServerHello } from './handshake';
import { tls12Keys, tls13Keys, tls13NextSecret } from './keys';
import type { ConnectionSecrets, KeyLog } from './keylog';
import { cipherSuite, cipherSuiteName, versionName, type CipherSuite } from './suites';

/** RFC 8446 §5.1 ContentType. */
export enum ContentType {
  change_cipher_spec = 20,
  alert = 21,
  handshake = 22,
  application_data = 23,
}

export const RECORD_HEADER_LENGTH = 5;
/** RFC 5246 §6.2.3: TLSCiphertext.length is at most 2^14 + 2048 (TLS 1.3, §5.2: 2^14 + 256). */
export const MAX_CIPHERTEXT_LENGTH = (1 << 14) + 2048;

/**
 * After a TCP gap, how many sequence numbers past the last known one a candidate record is tried with: the
 * most records a gap may have swallowed and still be recovered from. Past it the direction stays lost.
 */
export const MAX_SEQUENCE_SEARCH = 256;
/**
 * After a TCP gap, how many bytes are scanned for a record that decrypts before the direction is given up
 * (its later bytes are then dropped and counted).
 */
export const MAX_RESYNC_SCAN_BYTES = 256 * 1024;

/** What the TLS layer counts, for the summary (one line per kind). */
export interface TlsCounters {
  /** TLS connections seen. */
  connections: number;
  /** Connections with at least one record decrypted. */
  decrypted: number;
  /** Not decrypted: no secrets for their client random. */
  noKeys: number;
  /** Not decrypted: a cipher suite grpctk does not decrypt, by name. */
  unsupportedSuites: Map<string, number>;
  /** Not decrypted: the handshake (ClientHello or ServerHello) was not captured. */
  noHandshake: number;
  /** Not decrypted: a version grpctk does not decrypt (SSL 3.0 to TLS 1.1). */
  unsupportedVersion: number;
  /** Records that failed authentication, and the connections they were in. */
  failedRecords: number;
  failedConnections: number;
  /** Handshake records that could not be decrypted because the key log has only the traffic secrets. */
  handshakeNotDecrypted: number;
  /** TLS 1.3 early data (0-RTT) records skipped. */
  earlyDataRecords: number;
  /** Directions given up after a gap (no record found that decrypts within the search limits). */
  lostDirections: number;
  /** Malformed handshake messages or records (a length past the limit, a truncated hello). */
  malformed: number;
}

export function newTlsCounters(): TlsCounters {
  return {
    connections: 0,
    decrypted: 0,
    noKeys: 0,
    unsupportedSuites: new Map(),
    noHandshake: 0,
    unsupportedVersion: 0,
    failedRecords: 0,
    failedConnections: 0,
    handshakeNotDecrypted: 0,
    earlyDataRecords: 0,
    lostDirections: 0,
    malformed: 0,
  };
}

export interface TlsLayer {
  keys: KeyLog;
  counters: TlsCounters;
  /** The handler of the plaintext when ALPN does not name one: a detector without TLS. */
  inner: HandlerFactory;
  /** Handlers by ALPN protocol id (RFC 7301), e.g. `h2` → HTTP/2. */
  byAlpn?: Readonly<Record<string, HandlerFactory>>;
}

/** Phases of one direction's record protection. */
const enum Phase {
  /** Records are plaintext (before ChangeCipherSpec in 1.2, before the ServerHello in 1.3). */
  CLEAR,
  /** Records are encrypted with `cipher`. */
  ENCRYPTED,
  /** Encrypted, but the keys are not known: records are dropped (counted once for the connection). */
  OPAQUE,
}

/** Record framing state of one direction. */
const enum Sync {
  /** At a record boundary. */
  SYNCED,
  /** After a gap: scanning for a record that decrypts. */
  SEARCHING,
  /** Given up: everything dropped. */
  LOST,
}

interface DirState {
  dir: Direction;
  /** A partial record (header included), copied: bytes that arrived before the rest of the record. */
  buf: Uint8Array;
  bufLen: number;
  /** Octets of a damaged record still to pass over after a gap. */
  skip: number;
  sync: Sync;
  /** While SEARCHING: sequence numbers from here to here + MAX_SEQUENCE_SEARCH are tried. */
  searchFrom: number;
  searched: number;
  phase: Phase;
  cipher: RecordCipher | null;
  /** TLS 1.3: the current traffic secret (for KeyUpdate). */
  secret: Uint8Array | null;
  /** TLS 1.3: the application secret to switch to after this side's Finished. */
  nextSecret: Uint8Array | null;
  /** The keys were taken without the handshake secrets: failures before the first success are handshake records. */
  unconfirmed: boolean;
  hs: HandshakeReader;
  /** Set while a record's handshake messages are read: a key change to apply after the record. */
  switchAfterRecord: 'finished' | 'key_update' | null;
  /** Records of this direction decrypted so far. */
  opened: number;
  /** Plaintext of this direction was handed to the inner handler. */
  delivered: boolean;
  /** Plaintext was lost before the inner handler existed: it is told first (its start was not seen). */
  lossPending: boolean;
}

export class TlsConnection implements ConnectionHandler {
  private readonly dirs: [DirState, DirState];
  /** Index of the direction that sent the ClientHello, -1 until seen. */
  private client: -1 | 0 | 1 = -1;
  private clientHello: ClientHello | null = null;
  private serverHello: ServerHello | null = null;
  private suite: CipherSuite | null = null;
  private tls13 = false;
  private secrets: ConnectionSecrets | null = null;
  /** Why the connection is not decrypted (counted once), or null. */
  private failure: 'noKeys' | 'suite' | 'noHandshake' | 'version' | null = null;
  private decryptedAny = false;
  private failedAny = false;
  private inner: ConnectionHandler | null = null;
  private readonly security: ConnectionSecurity;
  private closed = false;

  constructor(
    private readonly conn: TcpConnection,
    private readonly layer: TlsLayer,
  ) {
    layer.counters.connections++;
    const mk = (dir: Direction): DirState => {
      const d: DirState = {
        dir,
        buf: new Uint8Array(0),
        bufLen: 0,
        skip: 0,
        sync: Sync.SYNCED,
        searchFrom: 0,
        searched: 0,
        phase: Phase.CLEAR,
        cipher: null,
        secret: null,
        nextSecret: null,
        unconfirmed: false,
        hs: null as unknown as HandshakeReader,
        switchAfterRecord: null,
        opened: 0,
        delivered: false,
        lossPending: false,
      };
      d.hs = new HandshakeReader((type, body) => this.handshakeMessage(d, type, body));
      return d;
    };
    this.dirs = [mk(0), mk(1)];
    this.security = { tls: { version: '', cipher_suite: '', resumed: 'no' }, lossReason: null };
  }

  // The packet being processed: where the plaintext it completes is said to come from.
  private frame = 0;
  private tsSec = 0;
  private tsNsec = 0;

  data(dir: Direction, bytes: Uint8Array, frame: number, tsSec: number, tsNsec: number): void {
    if (this.closed) return;
    this.frame = frame;
    this.tsSec = tsSec;
    this.tsNsec = tsNsec;
    const d = this.dirs[dir];
    if (d.sync === Sync.LOST || this.failure !== null) return;
    if (d.skip > 0) {
      const n = Math.min(d.skip, bytes.length);
      d.skip -= n;
      bytes = bytes.subarray(n);
      if (bytes.length === 0) return;
    }
    if (d.sync === Sync.SEARCHING) {
      this.append(d, bytes);
      this.search(d);
      return;
    }
    let off = 0;
    if (d.bufLen > 0) {
      // Complete the partial record first.
      if (d.bufLen < RECORD_HEADER_LENGTH) {
        const take = Math.min(RECORD_HEADER_LENGTH - d.bufLen, bytes.length);
        this.append(d, bytes.subarray(0, take));
        off = take;
        if (d.bufLen < RECORD_HEADER_LENGTH) return;
      }
      const total = RECORD_HEADER_LENGTH + this.recordLength(d, d.buf, 0);
      if (total < 0) return;
      const take = Math.min(total - d.bufLen, bytes.length - off);
      this.append(d, bytes.subarray(off, off + take));
      off += take;
      if (d.bufLen < total) return;
      d.bufLen = 0;
      this.record(d, d.buf.subarray(0, total));
      if (this.failure !== null || (d.sync as Sync) !== Sync.SYNCED) {
        if ((d.sync as Sync) === Sync.SEARCHING && off < bytes.length) { this.append(d, bytes.subarray(off)); this.search(d); }
        return;
      }
    }
    // Whole records straight from the segment, without a copy.
    while (off + RECORD_HEADER_LENGTH <= bytes.length) {
      const len = this.recordLength(d, bytes, off);
      if (len < 0) return;
      const end = off + RECORD_HEADER_LENGTH + len;
      if (end > bytes.length) break;
      this.record(d, bytes.subarray(off, end));
      off = end;
      if (this.failure !== null || (d.sync as Sync) === Sync.LOST) return;
      if ((d.sync as Sync) === Sync.SEARCHING) {
        if (off < bytes.length) { this.append(d, bytes.subarray(off)); this.search(d); }
        return;
      }
    }
    if (off < bytes.length) this.append(d, bytes.subarray(off));
  }

  gap(dir: Direction, lost: number, frame: number, tsSec: number, tsNsec: number): void {
    if (this.closed) return;
    this.frame = frame;
    this.tsSec = tsSec;
    this.tsNsec = tsNsec;
    const d = this.dirs[dir];
    if (d.sync === Sync.LOST || this.failure !== null) return;
    d.hs.reset();
    if (this.serverHello === null) {
      // The handshake itself was cut: its randoms may be gone.
      this.fail('noHandshake');
      return;
    }
    if (d.sync === Sync.SYNCED && d.bufLen >= RECORD_HEADER_LENGTH && lost >= 0) {
      // Inside a record whose length is known: the rest of it may be skipped exactly, and the record counted.
      const total = RECORD_HEADER_LENGTH + ((d.buf[3] << 8) | d.buf[4]);
      const remaining = total - d.bufLen;
      if (lost < remaining) {
        d.bufLen = 0;
        d.skip = remaining - lost;
        this.recordLost(d, total - RECORD_HEADER_LENGTH, 'a TCP gap cut a TLS record');
        return;
      }
    }
    // The boundary of the next record is not known: search for it.
    const wasClear = d.phase === Phase.CLEAR;
    d.bufLen = 0;
    d.skip = 0;
    if (wasClear || d.cipher === null) {
      // Records in the clear after a gap in the handshake: nothing to check them with. Give the direction up.
      this.loseDirection(d);
      return;
    }
    d.sync = Sync.SEARCHING;
    d.searchFrom = d.cipher.seq;
    d.searched = 0;
    this.lossToInner(d, -1, 'a TCP gap in the TLS records');
  }

  close(reason: CloseReason): void {
    if (this.closed) return;
    this.closed = true;
    if (this.inner !== null) this.inner.close(reason);
    if (this.decryptedAny) this.layer.counters.decrypted++;
    // Nothing but records that are not a handshake (a connection joined midway) or a cut handshake.
    else if (this.failure === null && this.serverHello === null) this.layer.counters.noHandshake++;
  }

  // ---------------------------------------------------------------------------------------------------------
  // Records

  /** The length field of the record header at `off`, or -1 (and the direction is lost) when implausible. */
  private recordLength(d: DirState, b: Uint8Array, off: number): number {
    const type = b[off];
    const len = (b[off + 3] << 8) | b[off + 4];
    if (type < ContentType.change_cipher_spec || type > ContentType.application_data || b[off + 1] !== 3 || len > MAX_CIPHERTEXT_LENGTH) {
      this.layer.counters.malformed++;
      this.loseDirection(d);
      return -1;
    }
    return len;
  }

  private append(d: DirState, b: Uint8Array): void {
    const need = d.bufLen + b.length;
    if (need > d.buf.length) {
      const grown = new Uint8Array(Math.max(need, d.buf.length * 2, 256));
      grown.set(d.buf.subarray(0, d.bufLen));
      d.buf = grown;
    }
    d.buf.set(b, d.bufLen);
    d.bufLen = need;
  }

  /** One whole record (header + fragment). */
  private record(d: DirState, rec: Uint8Array): void {
    const type = rec[0];
    const fragment = rec.subarray(RECORD_HEADER_LENGTH);
    if (d.phase === Phase.CLEAR) {
      switch (type) {
        case ContentType.handshake:
          d.hs.push(fragment);
          return;
        case ContentType.change_cipher_spec:
          // TLS 1.2: this direction's records are encrypted from here. TLS 1.3: compatibility only (§D.4).
          if (!this.tls13 && this.serverHello !== null) this.startTls12Encryption(d);
          return;
        case ContentType.application_data:
          // Encrypted records while the keys are not set: early data (0-RTT) of a TLS 1.3 client, or a
          // connection whose handshake is not understood.
          if (this.serverHello === null && this.client === d.dir && this.clientHello?.earlyData) {
            this.layer.counters.earlyDataRecords++;
            return;
          }
          this.fail(this.serverHello === null ? 'noHandshake' : 'noKeys');
          return;
        default:
          return; // alerts in the clear
      }
    }
    if (d.phase === Phase.OPAQUE) return;
    // TLS 1.3 protects records as application_data; others are in the clear (ChangeCipherSpec for middlebox
    // compatibility, §D.4; an alert sent before the keys).
    if (this.tls13 && type !== ContentType.application_data) return;
    const cipher = d.cipher as RecordCipher;
    const opened = cipher.open(rec, fragment, cipher.seq);
    cipher.seq++;
    if (opened === null) {
      if (d.unconfirmed) {
        // Keys taken from CLIENT/SERVER_TRAFFIC_SECRET_0 without the handshake secrets: the records before the
        // first that opens are the encrypted handshake.
        this.layer.counters.handshakeNotDecrypted++;
        cipher.seq = 0;
        return;
      }
      if (this.tls13 && d.dir === this.client && this.clientHello?.earlyData === true && d.opened === 0) {
        // Early data (0-RTT) the server accepted comes before the client's Finished, under other keys.
        this.layer.counters.earlyDataRecords++;
        cipher.seq--;
        return;
      }
      this.recordLost(d, this.plaintextLength(cipher, fragment.length), 'a TLS record failed authentication (wrong keys or damaged bytes)');
      return;
    }
    d.unconfirmed = false;
    d.opened++;
    this.decryptedAny = true;
    this.plaintext(d, opened.type, opened.plaintext);
  }

  /** Plaintext of one decrypted record. */
  private plaintext(d: DirState, type: number, plain: Uint8Array): void {
    switch (type) {
      case ContentType.application_data:
        if (plain.length > 0) this.deliver(d, plain);
        return;
      case ContentType.handshake:
        d.switchAfterRecord = null;
        d.hs.push(plain);
        if (d.switchAfterRecord !== null) this.applyKeyChange(d);
        return;
      default:
        return; // alerts
    }
  }

  /** A record's bytes did not reach the plaintext. */
  private recordLost(d: DirState, plaintextLength: number, reason: string): void {
    if (d.phase !== Phase.ENCRYPTED) return;
    this.layer.counters.failedRecords++;
    if (!this.failedAny) {
      this.failedAny = true;
      this.layer.counters.failedConnections++;
    }
    this.lossToInner(d, plaintextLength, reason);
  }

  /** Tell the inner handler (if any) that plaintext was lost, and why. */
  private lossToInner(d: DirState, plaintextLength: number, reason: string): void {
    if (this.inner === null || !d.delivered) {
      d.lossPending = true;
      return;
    }
    this.security.lossReason = reason;
    this.inner.gap(d.dir, plaintextLength, this.frame, this.tsSec, this.tsNsec);
    this.security.lossReason = null;
  }

  /** The plaintext length of a record that failed, when the framing says it exactly (TLS 1.2), else -1. */
  private plaintextLength(cipher: RecordCipher, fragmentLength: number): number {
    if (cipher.tls13) return -1; // the padding and the inner content type are inside the ciphertext
    return Math.max(0, fragmentLength - cipher.minLength);
  }

  /** After a gap: find the next record that decrypts, and resume from it. */
  private search(d: DirState): void {
    const cipher = d.cipher as RecordCipher;
    const b = d.buf;
    let off = 0;
    while (off + RECORD_HEADER_LENGTH <= d.bufLen) {
      const type = b[off];
      const len = (b[off + 3] << 8) | b[off + 4];
      const plausible =
        type >= ContentType.alert && type <= ContentType.application_data && b[off + 1] === 3 && b[off + 2] === 3 &&
        len >= cipher.minLength && len <= MAX_CIPHERTEXT_LENGTH && (!this.tls13 || type === ContentType.application_data);
      if (plausible) {
        const end = off + RECORD_HEADER_LENGTH + len;
        if (end > d.bufLen) break; // wait for the whole candidate
        const next = end + RECORD_HEADER_LENGTH <= d.bufLen ? b[end] : -1;
        if (next === -1 || (next >= ContentType.change_cipher_spec && next <= ContentType.application_data && b[end + 1] === 3)) {
          const rec = b.subarray(off, end);
          for (let i = 0; i < MAX_SEQUENCE_SEARCH; i++) {
            const seq = d.searchFrom + i;
            const opened = cipher.open(rec, rec.subarray(RECORD_HEADER_LENGTH), seq);
            if (opened !== null) {
              cipher.seq = seq + 1;
              d.sync = Sync.SYNCED;
              const rest = b.slice(end, d.bufLen);
              d.bufLen = 0;
              d.opened++;
              this.decryptedAny = true;
              this.plaintext(d, opened.type, opened.plaintext);
              if (rest.length > 0 && d.sync === Sync.SYNCED) this.data(d.dir, rest, this.frame, this.tsSec, this.tsNsec);
              return;
            }
          }
        }
      }
      off++;
      d.searched++;
      if (d.searched > MAX_RESYNC_SCAN_BYTES) {
        this.loseDirection(d);
        return;
      }
    }
    // Keep only what may still start a record.
    if (off > 0) {
      b.copyWithin(0, off, d.bufLen);
      d.bufLen -= off;
    }
  }

  private loseDirection(d: DirState): void {
    if (d.sync === Sync.LOST) return;
    d.sync = Sync.LOST;
    d.bufLen = 0;
    if (d.phase === Phase.ENCRYPTED) this.layer.counters.lostDirections++;
    this.lossToInner(d, -1, 'TLS records lost after a TCP gap');
  }

  // ---------------------------------------------------------------------------------------------------------
  // Handshake

  private handshakeMessage(d: DirState, type: number, body: Uint8Array): void {
    try {
      switch (type) {
        case HandshakeType.client_hello: {
          const hello = parseClientHello(body);
          if (this.client === -1) this.client = d.dir;
          // After a HelloRetryRequest the second ClientHello keeps the random (RFC 8446 §4.1.2).
          this.clientHello = hello;
          if (hello.sni !== undefined) this.setTls({ sni: hello.sni });
          return;
        }
        case HandshakeType.server_hello: {
          const hello = parseServerHello(body);
          if (this.client === -1) this.client = (1 - d.dir) as Direction;
          this.serverStarted(hello);
          return;
        }
        case HandshakeType.encrypted_extensions: {
          const ee = parseEncryptedExtensions(body);
          if (ee.alpn !== undefined) this.setTls({ alpn: ee.alpn });
          return;
        }
        case HandshakeType.finished:
          if (this.tls13) d.switchAfterRecord = 'finished';
          return;
        case HandshakeType.key_update:
          if (this.tls13) d.switchAfterRecord = 'key_update';
          return;
        case HandshakeType.end_of_early_data:
          return;
      }
    } catch (err) {
      if (!(err instanceof HandshakeError)) throw err;
      this.layer.counters.malformed++;
      this.fail('noHandshake');
    }
  }

  /**
   * What the handshake said, as a new object each time it changes (never changed in place): call records
   * share it as it stands when they end, and a writer may keep the text of the last one it wrote.
   */
  private setTls(change: Partial<TlsInfo>): void {
    this.security.tls = { ...this.security.tls, ...change };
  }

  private serverStarted(hello: ServerHello): void {
    this.setTls({ cipher_suite: cipherSuiteName(hello.cipherSuite), version: versionName(hello.version) });
    if (hello.helloRetryRequest) return; // the real ServerHello follows the second ClientHello
    this.serverHello = hello;
    if (this.clientHello === null) {
      this.fail('noHandshake');
      return;
    }
    this.tls13 = hello.version === 0x0304;
    if (!this.tls13 && hello.version !== 0x0303) {
      this.fail('version');
      return;
    }
    const ch = this.clientHello;
    const resumed = this.tls13
      ? hello.psk ? 'yes' : 'no'
      : ch.sessionId.length > 0 && Buffer.compare(ch.sessionId, hello.sessionId) === 0 ? 'yes' : 'no';
    this.setTls(hello.alpn !== undefined ? { alpn: hello.alpn, resumed } : { resumed });
    const suite = cipherSuite(hello.cipherSuite);
    if (suite === undefined) {
      this.fail('suite');
      return;
    }
    this.suite = suite;
    if (this.tls13) this.startTls13Encryption();
  }

  /** The secrets for this connection, looked up when first needed (a DSB may come after the ClientHello). */
  private lookupSecrets(): ConnectionSecrets | null {
    if (this.secrets === null && this.clientHello !== null) this.secrets = this.layer.keys.lookup(this.clientHello.random) ?? null;
    return this.secrets;
  }

  /** TLS 1.3: both directions are encrypted from the ServerHello on. */
  private startTls13Encryption(): void {
    const suite = this.suite as CipherSuite;
    const s = this.lookupSecrets();
    const server = this.dirs[(1 - this.client) as Direction];
    const client = this.dirs[this.client as Direction];
    if (s === null || ((s.serverHandshake === undefined || s.clientHandshake === undefined) && (s.serverTraffic0 === undefined || s.clientTraffic0 === undefined))) {
      this.fail('noKeys');
      return;
    }
    for (const [d, hs, app] of [[server, s.serverHandshake, s.serverTraffic0], [client, s.clientHandshake, s.clientTraffic0]] as const) {
      d.phase = Phase.ENCRYPTED;
      if (hs !== undefined) {
        d.secret = hs;
        d.nextSecret = app ?? null;
        d.cipher = new RecordCipher(suite, tls13Keys(suite, hs), true);
      } else if (app !== undefined) {
        d.secret = app;
        d.cipher = new RecordCipher(suite, tls13Keys(suite, app), true);
        d.unconfirmed = true;
      } else {
        d.phase = Phase.OPAQUE;
      }
    }
  }

  /** TLS 1.3: the key change a record's handshake messages asked for, applied after the record. */
  private applyKeyChange(d: DirState): void {
    const suite = this.suite as CipherSuite;
    const what = d.switchAfterRecord;
    d.switchAfterRecord = null;
    if (what === 'finished') {
      if (d.nextSecret === null) {
        d.phase = Phase.OPAQUE; // no application secret in the key log for this side
        return;
      }
      d.secret = d.nextSecret;
      d.nextSecret = null;
    } else if (what === 'key_update' && d.secret !== null) {
      d.secret = tls13NextSecret(suite, d.secret);
    } else {
      return;
    }
    d.cipher = new RecordCipher(suite, tls13Keys(suite, d.secret as Uint8Array), true);
  }

  /** TLS 1.2: ChangeCipherSpec from this direction. */
  private startTls12Encryption(d: DirState): void {
    const suite = this.suite;
    if (suite === null) return;
    const s = this.lookupSecrets();
    if (s === null || s.masterSecret === undefined) {
      this.fail('noKeys');
      return;
    }
    const keys = tls12Keys(suite, s.masterSecret, (this.clientHello as ClientHello).random, (this.serverHello as ServerHello).random);
    d.phase = Phase.ENCRYPTED;
    d.cipher = new RecordCipher(suite, d.dir === this.client ? keys.client : keys.server, false);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Plaintext

  private deliver(d: DirState, plain: Uint8Array): void {
    if (this.inner === null) this.inner = this.makeInner();
    if (!d.delivered) {
      d.delivered = true;
      // Plaintext lost before this direction's first delivered byte: its start was not seen.
      if (d.lossPending) this.inner.gap(d.dir, -1, this.frame, this.tsSec, this.tsNsec);
    }
    this.inner.data(d.dir, plain, this.frame, this.tsSec, this.tsNsec);
  }

  private makeInner(): ConnectionHandler {
    const conn: TcpConnection = { ...this.conn, security: this.security };
    const alpn = this.security.tls.alpn;
    const byAlpn = alpn !== undefined ? this.layer.byAlpn?.[alpn] : undefined;
    return (byAlpn ?? this.layer.inner)(conn);
  }

  private fail(why: 'noKeys' | 'suite' | 'noHandshake' | 'version'): void {
    if (this.failure !== null) return;
    this.failure = why;
    const c = this.layer.counters;
    switch (why) {
      case 'noKeys': c.noKeys++; break;
      case 'noHandshake': c.noHandshake++; break;
      case 'version': c.unsupportedVersion++; break;
      case 'suite': {
        const name = this.security.tls.cipher_suite;
        c.unsupportedSuites.set(name, (c.unsupportedSuites.get(name) ?? 0) + 1);
        break;
      }
    }
    for (const d of this.dirs) d.bufLen = 0;
  }
}

/** The TLS layer's handler factory. */
export function tlsHandlerFactory(layer: TlsLayer): HandlerFactory {
  return (conn) => new TlsConnection(conn, layer);
}

