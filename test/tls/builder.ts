/**
 * Crafted TLS connections for tests: hellos in the clear and records encrypted with Node's crypto
 * (createCipheriv), from secrets chosen here and written into a key log text. The key derivation is the one
 * of src/tls/keys.ts, checked against the RFC test vectors in keys.test.ts; the record protection here is
 * written independently of src/tls/aead.ts.
 */
import { createCipheriv, randomBytes } from 'node:crypto';
import { tls12Keys, tls13Keys, tls13NextSecret, type TrafficKeys } from '../../src/tls/keys';
import { cipherSuite, type CipherSuite } from '../../src/tls/suites';
import type { CloseReason, ConnectionHandler, Direction } from '../../src/tcp/types';

const u16 = (n: number) => Buffer.from([n >> 8, n & 255]);
const u24 = (n: number) => Buffer.from([n >> 16, (n >> 8) & 255, n & 255]);
const vec8 = (b: Buffer) => Buffer.concat([Buffer.from([b.length]), b]);
const vec16 = (b: Buffer) => Buffer.concat([u16(b.length), b]);
const ext = (type: number, data: Buffer) => Buffer.concat([u16(type), vec16(data)]);

export function handshakeMessage(type: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([type]), u24(body.length), body]);
}

export function record(type: number, fragment: Buffer, version = 0x0303): Buffer {
  return Buffer.concat([Buffer.from([type]), u16(version), u16(fragment.length), fragment]);
}

function alpnExt(protocols: string[]): Buffer {
  return ext(16, vec16(Buffer.concat(protocols.map((p) => vec8(Buffer.from(p))))));
}

export function clientHello(random: Buffer, opts: { sni?: string; tls13?: boolean; sessionId?: Buffer } = {}): Buffer {
  const exts: Buffer[] = [];
  if (opts.sni) exts.push(ext(0, vec16(Buffer.concat([Buffer.from([0]), vec16(Buffer.from(opts.sni))]))));
  exts.push(alpnExt(['h2']));
  if (opts.tls13 !== false) exts.push(ext(43, vec8(Buffer.concat([u16(0x0304), u16(0x0303)]))));
  const body = Buffer.concat([
    u16(0x0303),
    random,
    vec8(opts.sessionId ?? Buffer.alloc(0)),
    vec16(Buffer.concat([u16(0x1301), u16(0x1302), u16(0x1303), u16(0xc02b)])),
    vec8(Buffer.from([0])),
    vec16(Buffer.concat(exts)),
  ]);
  return handshakeMessage(1, body);
}

export function serverHello(random: Buffer, suite: number, opts: { tls13: boolean; alpn?: string }): Buffer {
  const exts: Buffer[] = [];
  if (opts.tls13) exts.push(ext(43, u16(0x0304)));
  if (!opts.tls13 && opts.alpn) exts.push(alpnExt([opts.alpn]));
  const body = Buffer.concat([u16(0x0303), random, vec8(Buffer.alloc(0)), u16(suite), Buffer.from([0]), vec16(Buffer.concat(exts))]);
  return handshakeMessage(2, body);
}

/** Independent AEAD sealing of one record (RFC 8446 §5.2 / RFC 5288 / RFC 7905). */
export class Sealer {
  seq = 0;
  constructor(readonly suite: CipherSuite, public keys: TrafficKeys, readonly tls13: boolean) {}

  seal(type: number, plaintext: Buffer): Buffer {
    const seq = this.seq++;
    const seqBytes = Buffer.alloc(8);
    seqBytes.writeBigUInt64BE(BigInt(seq));
    const explicit = !this.tls13 && this.suite.aead !== 'chacha20-poly1305';
    let nonce: Buffer;
    let prefix = Buffer.alloc(0);
    if (explicit) {
      prefix = seqBytes;
      nonce = Buffer.concat([this.keys.iv.subarray(0, 4), prefix]);
    } else {
      nonce = Buffer.from(this.keys.iv);
      for (let i = 0; i < 8; i++) nonce[4 + i] ^= seqBytes[i];
    }
    const inner = this.tls13 ? Buffer.concat([plaintext, Buffer.from([type])]) : plaintext;
    const length = prefix.length + inner.length + 16;
    const outerType = this.tls13 ? 23 : type;
    const aad = this.tls13
      ? Buffer.concat([Buffer.from([23, 3, 3]), u16(length)])
      : Buffer.concat([seqBytes, Buffer.from([type, 3, 3]), u16(plaintext.length)]);
    const c = createCipheriv(this.suite.aead as 'aes-128-gcm', this.keys.key, nonce, { authTagLength: 16 });
    c.setAAD(aad);
    const ct = Buffer.concat([c.update(inner), c.final()]);
    return record(outerType, Buffer.concat([prefix, ct, c.getAuthTag()]));
  }
}

export interface Crafted {
  /** The key log text that decrypts it. */
  keylog: string;
  /** Each chunk as TCP would hand it: direction and bytes. 0 is the client. */
  events: Array<{ dir: Direction; bytes: Buffer }>;
}

const hex = (b: Buffer) => b.toString('hex');

/**
 * A TLS 1.3 connection: ClientHello, ServerHello, the server's encrypted EncryptedExtensions (ALPN h2) and
 * Finished, the client's Finished, then `appData` (chunks of plaintext per direction). `keyUpdateAfter`:
 * the server sends a KeyUpdate after that many of its application records.
 */
export function craftTls13(opts: { suite?: number; appData: Array<{ dir: Direction; text: string }>; keyUpdateAfter?: number; sni?: string }): Crafted {
  const suite = cipherSuite(opts.suite ?? 0x1301)!;
  const cr = randomBytes(32);
  const sr = randomBytes(32);
  const secret = () => randomBytes(suite.hash === 'sha384' ? 48 : 32);
  const s = { cht: secret(), sht: secret(), c0: secret(), s0: secret() };
  const keylog = [
    '# crafted',
    `CLIENT_HANDSHAKE_TRAFFIC_SECRET ${hex(cr)} ${hex(s.cht)}`,
    `SERVER_HANDSHAKE_TRAFFIC_SECRET ${hex(cr)} ${hex(s.sht)}`,
    `CLIENT_TRAFFIC_SECRET_0 ${hex(cr)} ${hex(s.c0)}`,
    `SERVER_TRAFFIC_SECRET_0 ${hex(cr)} ${hex(s.s0)}`,
    '',
  ].join('\n');
  const events: Crafted['events'] = [];
  events.push({ dir: 0, bytes: record(22, clientHello(cr, { sni: opts.sni ?? 'crafted.test' }), 0x0301) });
  const serverHs = new Sealer(suite, tls13Keys(suite, s.sht), true);
  const ee = handshakeMessage(8, vec16(alpnExt(['h2'])));
  const fin = handshakeMessage(20, Buffer.alloc(32, 7));
  events.push({
    dir: 1,
    bytes: Buffer.concat([
      record(22, serverHello(sr, suite.id, { tls13: true })),
      record(20, Buffer.from([1])),
      serverHs.seal(22, Buffer.concat([ee, handshakeMessage(11, Buffer.alloc(300, 1))])),
      serverHs.seal(22, fin),
    ]),
  });
  const clientHs = new Sealer(suite, tls13Keys(suite, s.cht), true);
  events.push({ dir: 0, bytes: Buffer.concat([record(20, Buffer.from([1])), clientHs.seal(22, fin)]) });
  const app: [Sealer, Sealer] = [new Sealer(suite, tls13Keys(suite, s.c0), true), new Sealer(suite, tls13Keys(suite, s.s0), true)];
  let serverSecret = s.s0;
  let serverRecords = 0;
  for (const a of opts.appData) {
    events.push({ dir: a.dir, bytes: app[a.dir].seal(23, Buffer.from(a.text)) });
    if (a.dir === 1 && ++serverRecords === opts.keyUpdateAfter) {
      events.push({ dir: 1, bytes: app[1].seal(22, handshakeMessage(24, Buffer.from([0]))) });
      serverSecret = tls13NextSecret(suite, serverSecret);
      app[1] = new Sealer(suite, tls13Keys(suite, serverSecret), true);
    }
  }
  return { keylog, events };
}

/** A TLS 1.2 connection (full handshake, AEAD suite), then `appData`. */
export function craftTls12(opts: { suite?: number; appData: Array<{ dir: Direction; text: string }> }): Crafted {
  const suite = cipherSuite(opts.suite ?? 0xc02b)!;
  const cr = randomBytes(32);
  const sr = randomBytes(32);
  const ms = randomBytes(48);
  const keylog = `CLIENT_RANDOM ${hex(cr)} ${hex(ms)}\r\n`;
  const keys = tls12Keys(suite, ms, cr, sr);
  const events: Crafted['events'] = [];
  events.push({ dir: 0, bytes: record(22, clientHello(cr, { tls13: false }), 0x0301) });
  events.push({
    dir: 1,
    bytes: Buffer.concat([
      record(22, Buffer.concat([serverHello(sr, suite.id, { tls13: false, alpn: 'h2' }), handshakeMessage(11, Buffer.alloc(200, 1)), handshakeMessage(14, Buffer.alloc(0))])),
    ]),
  });
  const client = new Sealer(suite, keys.client, false);
  const server = new Sealer(suite, keys.server, false);
  events.push({ dir: 0, bytes: Buffer.concat([record(22, handshakeMessage(16, Buffer.alloc(65, 4))), record(20, Buffer.from([1])), client.seal(22, handshakeMessage(20, Buffer.alloc(12, 9)))]) });
  events.push({ dir: 1, bytes: Buffer.concat([record(20, Buffer.from([1])), server.seal(22, handshakeMessage(20, Buffer.alloc(12, 9)))]) });
  const app = [client, server];
  for (const a of opts.appData) events.push({ dir: a.dir, bytes: app[a.dir].seal(23, Buffer.from(a.text)) });
  return { keylog, events };
}

/** A handler that writes down what the TLS layer hands up. */
export class Recorder implements ConnectionHandler {
  readonly text: [string, string] = ['', ''];
  readonly log: string[] = [];
  closed: CloseReason | null = null;
  data(dir: Direction, bytes: Uint8Array): void {
    this.text[dir] += Buffer.from(bytes).toString('latin1');
  }
  gap(dir: Direction, lost: number): void {
    this.log.push(`gap ${dir} ${lost}`);
    this.text[dir] += '|';
  }
  close(reason: CloseReason): void {
    this.closed = reason;
  }
}
