/**
 * Generators of the second round of hostile inputs (each small unless size is the point), for
 * round-two.test.ts; run by hand to look at the files:
 *     node --import tsx test/hostile/round-two.ts /tmp/round-two
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import {
  Capture,
  CLIENT,
  Connection,
  END_HEADERS,
  END_STREAM,
  ethIpv4Tcp,
  FIN,
  ACK,
  PSH,
  SYN,
  frame,
  goodCall,
  grpcMessage,
  grpcRequestHeaders,
  GRPC_RESPONSE_HEADERS,
  grpcTrailers,
  H2,
  h2Start,
  headerBlock,
  hpackInt,
  hpackSizeUpdate,
  hpackString,
  dataFrames,
  demoRequest,
  PREFACE,
  SERVER,
  settings,
  type Endpoint,
} from './build';

export const UNARY = '/grpctk.demo.Demo/Unary';

function conversation(cap: Capture, isn = 1000): Connection {
  const c = new Connection(cap, CLIENT, SERVER, isn).handshake();
  h2Start(c);
  return c;
}

/** HEADERS then CONTINUATIONs of at most 16,384 octets carrying `block`. */
export function headerFrames(streamId: number, block: Buffer, endStream: boolean): Buffer[] {
  const frames: Buffer[] = [];
  for (let at = 0; at < block.length; at += 16_384) {
    const last = at + 16_384 >= block.length;
    const flags = (last ? END_HEADERS : 0) | (at === 0 && endStream ? END_STREAM : 0);
    frames.push(frame(at === 0 ? H2.HEADERS : H2.CONTINUATION, flags, streamId, block.subarray(at, at + 16_384)));
  }
  return frames;
}

/**
 * Item 1, the HPACK bomb: the server allows a 64 KiB table, the client inserts one 65,000-octet entry and
 * refers to it `refs` times (one octet each) in the same block: ~1 MB on the wire, 60 GB decoded.
 */
export function hpackBomb(file: string, refs = 900_000): void {
  const cap = new Capture();
  const c = conversation(cap);
  goodCall(c, 1, 'before');
  c.send('s', settings([[0x1, 65_536]]));
  const entry = Buffer.concat([Buffer.from([0x40]), hpackString('x-bomb'), hpackString('a'.repeat(65_000))]);
  // Index 62: the newest dynamic entry (RFC 7541 §2.3.3), as an Indexed Header Field (§6.1).
  const refsBytes = Buffer.alloc(refs, hpackInt(62, 7, 0x80)[0]);
  const block = Buffer.concat([hpackSizeUpdate(65_536), headerBlock(grpcRequestHeaders(UNARY)), entry, refsBytes]);
  c.send('c', Buffer.concat(headerFrames(3, block, true)));
  c.send('s', frame(H2.HEADERS, END_HEADERS | END_STREAM, 3, headerBlock([...GRPC_RESPONSE_HEADERS, ...grpcTrailers(0)])));
  goodCall(c, 5, 'after');
  c.close();
  fs.writeFileSync(file, cap.bytes());
}

/** Item 2: `n` HTTP/2 connections, each with its preface, SETTINGS and one request left open. */
export function manyHttp2Connections(file: string, n: number): void {
  const cap = new Capture(file);
  const first = conversation(cap);
  goodCall(first, 1, 'before');
  first.close();
  const start = Buffer.concat([PREFACE, settings([]), frame(H2.HEADERS, END_HEADERS, 1, headerBlock(grpcRequestHeaders(UNARY)))]);
  for (let k = 0; k < n; k++) {
    const client: Endpoint = { ip: [10, 2 + (k >> 16), (k >> 8) & 0xff, k & 0xff], port: 1024 + (k % 60_000) };
    cap.packet(ethIpv4Tcp(client, SERVER, 7000, 0, SYN, Buffer.alloc(0)));
    cap.packet(ethIpv4Tcp(client, SERVER, 7001, 0, PSH | ACK, start));
  }
  cap.close();
}

/** Item 3: one-octet segments, each behind a one-octet hole, then a FIN: `holes` holes to give up. */
export function holesBeforeFin(file: string, holes: number): void {
  const cap = new Capture();
  const c = conversation(cap);
  goodCall(c, 1, 'before');
  const base = c.clientSeq;
  for (let i = 0; i < holes; i++) cap.packet(ethIpv4Tcp(CLIENT, SERVER, base + 2 * i + 1, c.serverSeq, PSH | ACK, Buffer.from('x')));
  cap.packet(ethIpv4Tcp(CLIENT, SERVER, base + 2 * holes, c.serverSeq, FIN | ACK, Buffer.alloc(0)));
  fs.writeFileSync(file, cap.bytes());
}

/** Item 3: a call whose request bytes arrive as `n` one-octet segments in random order. */
export function shuffledSegments(file: string, n: number): void {
  const cap = new Capture();
  const c = conversation(cap);
  goodCall(c, 1, 'before');
  const base = c.clientSeq;
  const order = Array.from({ length: n }, (_, i) => i);
  let x = 88172645;
  for (let i = n - 1; i > 0; i--) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const j = (x >>> 0) % (i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  for (const i of order) cap.packet(ethIpv4Tcp(CLIENT, SERVER, base + i, c.serverSeq, PSH | ACK, Buffer.from([0x41 + (i % 26)])));
  c.clientSeq = (base + n) >>> 0;
  c.close();
  fs.writeFileSync(file, cap.bytes());
}

/** Strings that try to drive a terminal, for method paths and status messages. */
export const TERMINAL_ATTACKS = [
  'del\u007fx',
  'c1\u0085csi\u009b31m',
  'osc\u009d0;title\u009c',
  'bidi\u202egnp.exe\u202c',
  'iso\u2066late\u2069',
  'line\u2028para\u2029',
  'zw\u200bsp\ufeff',
];

/** Item 5: calls whose method and grpc-message carry TERMINAL_ATTACKS. */
export function terminalAttacks(file: string): void {
  const cap = new Capture();
  const c = conversation(cap);
  TERMINAL_ATTACKS.forEach((s, k) => {
    const id = 1 + 2 * k;
    const method = `/grpctk.demo.Demo/${s}`;
    c.send('c', Buffer.concat([
      frame(H2.HEADERS, END_HEADERS, id, headerBlock(grpcRequestHeaders(Buffer.from(method, 'utf8').toString('latin1')))),
      ...dataFrames(id, grpcMessage(demoRequest('t')), true),
    ]));
    c.send('s', frame(H2.HEADERS, END_HEADERS | END_STREAM, id, headerBlock([...GRPC_RESPONSE_HEADERS, ...grpcTrailers(2, Buffer.from(s, 'utf8').toString('latin1'))])));
  });
  c.close();
  fs.writeFileSync(file, cap.bytes());
}

/** Item 6: one call with `n` zero-length request messages and no end (waiting for its call). */
export function manyEmptyMessages(file: string, n: number): void {
  const cap = new Capture();
  const c = conversation(cap);
  goodCall(c, 1, 'before');
  c.send('c', frame(H2.HEADERS, END_HEADERS, 3, headerBlock(grpcRequestHeaders(UNARY))));
  const empty = grpcMessage(Buffer.alloc(0));
  const batch = 2000;
  for (let k = 0; k < n; k += batch) c.send('c', frame(H2.DATA, 0, 3, Buffer.concat(Array.from({ length: Math.min(batch, n - k) }, () => empty))));
  c.close();
  fs.writeFileSync(file, cap.bytes());
}

/** Item 11: a gzip message followed by trailing bytes inside the same gRPC message. */
export function gzipTrailing(file: string): void {
  const cap = new Capture();
  const c = conversation(cap);
  const body = Buffer.concat([zlib.gzipSync(demoRequest('inflated')), Buffer.from('TRAILING-JUNK')]);
  c.send('c', Buffer.concat([
    frame(H2.HEADERS, END_HEADERS, 1, headerBlock(grpcRequestHeaders(UNARY, [['grpc-encoding', 'gzip']]))),
    ...dataFrames(1, grpcMessage(body, true), true),
  ]));
  c.send('s', frame(H2.HEADERS, END_HEADERS | END_STREAM, 1, headerBlock([...GRPC_RESPONSE_HEADERS, ...grpcTrailers(0)])));
  c.close();
  fs.writeFileSync(file, cap.bytes());
}

export { path };

if (require.main === module) {
  const dir = process.argv[2];
  if (!dir) {
    process.stderr.write('usage: node --import tsx test/hostile/round-two.ts DIR\n');
    process.exit(2);
  }
  fs.mkdirSync(dir, { recursive: true });
  hpackBomb(path.join(dir, 'hpack-bomb.pcapng'));
  manyHttp2Connections(path.join(dir, 'h2-connections-50k.pcapng'), 50_000);
  holesBeforeFin(path.join(dir, 'holes-60k.pcapng'), 60_000);
  shuffledSegments(path.join(dir, 'shuffled-100k.pcapng'), 100_000);
  terminalAttacks(path.join(dir, 'terminal.pcapng'));
  manyEmptyMessages(path.join(dir, 'empty-messages-100k.pcapng'), 100_000);
  gzipTrailing(path.join(dir, 'gzip-trailing.pcapng'));
}
