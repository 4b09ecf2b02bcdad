/**
 * The handshake messages grpctk reads (RFC 8446 §4, RFC 5246 §7.4): enough of ClientHello, ServerHello and
 * EncryptedExtensions for the randoms, the version, the cipher suite, SNI (RFC 6066 §3), ALPN (RFC 7301),
 * session resumption and HelloRetryRequest. Everything else is skipped by length.
 */

/** RFC 8446 §4 HandshakeType. */
export enum HandshakeType {
  client_hello = 1,
  server_hello = 2,
  new_session_ticket = 4,
  end_of_early_data = 5,
  encrypted_extensions = 8,
  certificate = 11,
  finished = 20,
  key_update = 24,
}

/** RFC 8446 §4.2 ExtensionType (the ones read here). */
export enum ExtensionType {
  server_name = 0,
  application_layer_protocol_negotiation = 16,
  pre_shared_key = 41,
  early_data = 42,
  supported_versions = 43,
}

/** RFC 8446 §4.1.3: a ServerHello with this random is a HelloRetryRequest (SHA-256 of "HelloRetryRequest"). */
export const HELLO_RETRY_REQUEST_RANDOM = Buffer.from('cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c', 'hex');

export class HandshakeError extends Error {}

/** Bounds-checked reading of a handshake body: one place that says what was expected. */
class Reader {
  off = 0;
  constructor(private readonly b: Uint8Array, private readonly what: string) {}
  need(n: number, field: string): void {
    if (this.off + n > this.b.length) throw new HandshakeError(`${this.what}: ${field} runs past the message`);
  }
  u8(field: string): number { this.need(1, field); return this.b[this.off++]; }
  u16(field: string): number { this.need(2, field); const v = (this.b[this.off] << 8) | this.b[this.off + 1]; this.off += 2; return v; }
  bytes(n: number, field: string): Uint8Array { this.need(n, field); return this.b.subarray(this.off, (this.off += n)); }
  vec8(field: string): Uint8Array { return this.bytes(this.u8(field), field); }
  vec16(field: string): Uint8Array { return this.bytes(this.u16(field), field); }
  get done(): boolean { return this.off >= this.b.length; }
}

export interface ClientHello {
  random: Uint8Array;
  sessionId: Uint8Array;
  sni?: string;
  alpnOffered: string[];
  /** supported_versions offered (TLS 1.3 clients). */
  versions: number[];
  earlyData: boolean;
  psk: boolean;
}

export interface ServerHello {
  random: Uint8Array;
  sessionId: Uint8Array;
  legacyVersion: number;
  /** The negotiated version: supported_versions when present, else legacy_version. */
  version: number;
  cipherSuite: number;
  alpn?: string;
  /** TLS 1.3: the server accepted a pre-shared key (resumption). */
  psk: boolean;
  helloRetryRequest: boolean;
}

/** Calls `f(type, data)` for each extension of an extensions block. */
function eachExtension(ext: Uint8Array, what: string, f: (type: number, data: Uint8Array) => void): void {
  const r = new Reader(ext, what);
  while (!r.done) {
    const type = r.u16('extension type');
    f(type, r.vec16('extension data'));
  }
}

function alpnList(data: Uint8Array, what: string): string[] {
  const r = new Reader(new Reader(data, what).vec16('ALPN protocol list'), what);
  const out: string[] = [];
  while (!r.done) out.push(Buffer.from(r.vec8('ALPN protocol')).toString('latin1'));
  return out;
}

export function parseClientHello(body: Uint8Array): ClientHello {
  const what = 'ClientHello';
  const r = new Reader(body, what);
  r.u16('legacy_version');
  const random = r.bytes(32, 'random').slice();
  const sessionId = r.vec8('legacy_session_id').slice();
  r.vec16('cipher_suites');
  r.vec8('legacy_compression_methods');
  const hello: ClientHello = { random, sessionId, alpnOffered: [], versions: [], earlyData: false, psk: false };
  if (r.done) return hello;
  eachExtension(r.vec16('extensions'), what, (type, data) => {
    switch (type) {
      case ExtensionType.server_name: {
        const list = new Reader(new Reader(data, what).vec16('server_name_list'), what);
        while (!list.done) {
          const nameType = list.u8('name_type');
          const name = list.vec16('host_name');
          if (nameType === 0 && hello.sni === undefined) hello.sni = Buffer.from(name).toString('latin1');
        }
        break;
      }
      case ExtensionType.application_layer_protocol_negotiation:
        hello.alpnOffered = alpnList(data, what);
        break;
      case ExtensionType.supported_versions: {
        const v = new Reader(new Reader(data, what).vec8('supported_versions'), what);
        while (!v.done) hello.versions.push(v.u16('ProtocolVersion'));
        break;
      }
      case ExtensionType.early_data:
        hello.earlyData = true;
        break;
      case ExtensionType.pre_shared_key:
        hello.psk = true;
        break;
    }
  });
  return hello;
}

export function parseServerHello(body: Uint8Array): ServerHello {
  const what = 'ServerHello';
  const r = new Reader(body, what);
  const legacyVersion = r.u16('legacy_version');
  const random = r.bytes(32, 'random').slice();
  const sessionId = r.vec8('legacy_session_id_echo').slice();
  const cipherSuite = r.u16('cipher_suite');
  r.u8('legacy_compression_method');
  const hello: ServerHello = {
    random,
    sessionId,
    legacyVersion,
    version: legacyVersion,
    cipherSuite,
    psk: false,
    helloRetryRequest: Buffer.compare(random, HELLO_RETRY_REQUEST_RANDOM) === 0,
  };
  if (r.done) return hello;
  eachExtension(r.vec16('extensions'), what, (type, data) => {
    switch (type) {
      case ExtensionType.supported_versions:
        hello.version = new Reader(data, what).u16('selected_version');
        break;
      case ExtensionType.application_layer_protocol_negotiation:
        hello.alpn = alpnList(data, what)[0];
        break;
      case ExtensionType.pre_shared_key:
        hello.psk = true;
        break;
    }
  });
  return hello;
}

/** TLS 1.3 EncryptedExtensions: the selected ALPN protocol, if any. */
export function parseEncryptedExtensions(body: Uint8Array): { alpn?: string; earlyData: boolean } {
  const what = 'EncryptedExtensions';
  const out: { alpn?: string; earlyData: boolean } = { earlyData: false };
  eachExtension(new Reader(body, what).vec16('extensions'), what, (type, data) => {
    if (type === ExtensionType.application_layer_protocol_negotiation) out.alpn = alpnList(data, what)[0];
    else if (type === ExtensionType.early_data) out.earlyData = true;
  });
  return out;
}

/**
 * Handshake messages of one direction, reassembled across records (RFC 8446 §5.1: a message may span
 * records, a record may hold many). Messages grpctk does not read (certificates) are skipped by length, never
 * buffered; the ones it reads are held up to MAX_HANDSHAKE_MESSAGE_BYTES.
 */
export const MAX_HANDSHAKE_MESSAGE_BYTES = 64 * 1024;

const WANTED = new Set<number>([
  HandshakeType.client_hello,
  HandshakeType.server_hello,
  HandshakeType.encrypted_extensions,
  HandshakeType.finished,
  HandshakeType.key_update,
  HandshakeType.end_of_early_data,
]);

export class HandshakeReader {
  private head = new Uint8Array(4);
  private headLen = 0;
  private type = 0;
  private body: Uint8Array | null = null;
  private bodyLen = 0;
  /** Octets of the current message still to come (read or skipped). */
  private left = 0;
  /** Messages larger than MAX_HANDSHAKE_MESSAGE_BYTES of a kind grpctk reads: skipped. */
  oversized = 0;

  constructor(private readonly onMessage: (type: number, body: Uint8Array) => void) {}

  push(b: Uint8Array): void {
    let off = 0;
    while (off < b.length) {
      if (this.left === 0 && this.body === null) {
        const take = Math.min(4 - this.headLen, b.length - off);
        this.head.set(b.subarray(off, off + take), this.headLen);
        this.headLen += take;
        off += take;
        if (this.headLen < 4) return;
        this.headLen = 0;
        this.type = this.head[0];
        const len = (this.head[1] << 16) | (this.head[2] << 8) | this.head[3];
        if (WANTED.has(this.type) && len <= MAX_HANDSHAKE_MESSAGE_BYTES) {
          this.body = new Uint8Array(len);
          this.bodyLen = 0;
          this.left = len;
          if (len === 0) this.finish();
        } else {
          if (WANTED.has(this.type)) this.oversized++;
          this.left = len;
        }
        continue;
      }
      const take = Math.min(this.left, b.length - off);
      if (this.body !== null) {
        this.body.set(b.subarray(off, off + take), this.bodyLen);
        this.bodyLen += take;
      }
      this.left -= take;
      off += take;
      if (this.left === 0 && this.body !== null) this.finish();
    }
  }

  /** Forget a partial message (bytes were lost). */
  reset(): void {
    this.headLen = 0;
    this.body = null;
    this.left = 0;
  }

  private finish(): void {
    const body = this.body as Uint8Array;
    this.body = null;
    this.onMessage(this.type, body);
  }
}
