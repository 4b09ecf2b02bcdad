/**
 * Target "h2": property-based HTTP/2 conversations (fast-check), written as a real capture (Ethernet/IPv4/
 * TCP, ../../../hostile/build.ts) and decoded by the whole core.
 *
 * Each input is 0 to 4 well-formed gRPC calls (the four demo methods, messages in DATA frames split
 * anywhere, gzip-compressed or not, header blocks as HPACK literals or from hpack.js's compressor with
 * Huffman and indexing, split into CONTINUATIONs; trailers or trailers-only), interleaved on one connection
 * and cut into TCP segments of random sizes, with a random initial sequence number (wrapping included).
 *  - clean inputs (about a third): nothing else. Then the check also asserts that grpctk decodes exactly
 *    those calls: method, status, message counts and every message's text.
 *  - dirty inputs: random frames of every type are inserted (lying lengths, bad padding, SETTINGS with
 *    huge values, HPACK blocks of random bytes, size updates to 4 GB, gRPC prefixes that lie, corrupt gzip),
 *    and TCP segments may be dropped, duplicated or swapped. Then only robustness is checked.
 */
import * as zlib from 'node:zlib';
import fc from 'fast-check';
import hpackjs from 'hpack.js';
import {
  Capture,
  CLIENT,
  SERVER,
  END_HEADERS,
  END_STREAM,
  ethIpv4Tcp,
  frame,
  grpcMessage,
  H2,
  headerBlock,
  hpackSizeUpdate,
  PREFACE,
  PSH,
  ACK,
  SYN,
  settings,
  demoReply,
  demoRequest,
} from '../../../hostile/build';
import { rarely } from '../arbs';
import { decodeCore, FuzzFailure } from '../core';
import { mix, Rng } from '../rng';
import type { FuzzInput, Target } from '../target';

type Compressor = ReturnType<typeof hpackjs.compressor.create>;

const METHODS = ['/grpctk.demo.Demo/Unary', '/grpctk.demo.Demo/ServerStream', '/grpctk.demo.Demo/ClientStream', '/grpctk.demo.Demo/Bidi'];

interface CallSpec {
  stream: number;
  method: string;
  status: number;
  requests: string[];
  replies: string[];
  gzipRequests: boolean;
  trailersOnly: boolean;
  /** How header blocks are encoded: literals, or hpack.js (indexing + Huffman). */
  hpack: 'literal' | 'hpackjs';
  /** Pieces each header block is cut into (HEADERS + CONTINUATIONs). */
  headerPieces: number;
  /** Bytes per DATA frame. */
  dataFrameBytes: number;
}

interface JunkFrame {
  dir: 0 | 1;
  type: number;
  flags: number;
  stream: number;
  payload: Uint8Array;
  lie: number | null;
  at: number;
}

interface Scenario {
  calls: CallSpec[];
  /** Interleaving of the calls' frame units: a list of call indexes, consumed in order. */
  order: number[];
  junk: JunkFrame[];
  isn: [number, number];
  segmentSizes: number[];
  tcp: Array<{ op: 'drop' | 'dup' | 'swap'; at: number }>;
  preface: boolean;
  handshake: boolean;
}

const text = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constantFrom('', 'x'.repeat(20_000), '\u0000\u001b[31m\r\n', '日本 ✓'),
);

const callArb = fc.record({
  method: fc.constantFrom(...METHODS),
  status: fc.constantFrom(0, 0, 0, 1, 3, 4, 5, 13, 16),
  requests: fc.array(text, { maxLength: 3 }),
  replies: fc.array(text, { maxLength: 3 }),
  gzipRequests: fc.boolean(),
  trailersOnly: fc.boolean(),
  hpack: fc.constantFrom<'literal' | 'hpackjs'>('literal', 'hpackjs'),
  headerPieces: fc.constantFrom(1, 1, 1, 2, 3),
  dataFrameBytes: fc.constantFrom(1, 7, 100, 16_384),
});

const u32 = fc.oneof(fc.constantFrom(0, 1, 0x7fffffff, 0xffffffff, 16_384, 16_777_215, 4_294_967_295), fc.nat());
const bytes = (max: number) => fc.uint8Array({ maxLength: max });

/** A frame payload of any type, often wrong for it. */
const junkArb: fc.Arbitrary<Omit<JunkFrame, 'at'>> = fc.oneof(
  // DATA carrying a lying gRPC prefix, corrupt gzip, or noise; maybe PADDED with a pad length that lies.
  fc.record({
    dir: fc.constantFrom<0 | 1>(0, 1),
    type: fc.constant(H2.DATA),
    flags: fc.constantFrom(0, 1, 8, 9),
    stream: fc.constantFrom(1, 3, 5, 7, 0, 2, 0x7fffffff),
    payload: fc.oneof(
      u32.map((n) => grpcMessage(Buffer.from('abc'), true, n)),
      bytes(64).map((b) => grpcMessage(Buffer.concat([Buffer.from([0x1f, 0x8b]), b]), true)),
      bytes(300),
    ),
    lie: rarely(u32, 5),
  }),
  // HEADERS / CONTINUATION / PUSH_PROMISE with HPACK noise, size updates up to 4 GB, long integers.
  fc.record({
    dir: fc.constantFrom<0 | 1>(0, 1),
    type: fc.constantFrom(H2.HEADERS, H2.CONTINUATION, H2.PUSH_PROMISE),
    flags: fc.constantFrom(0, 1, 4, 5, 8, 0x20, 0x2d),
    stream: fc.constantFrom(1, 3, 5, 7, 9, 0, 0x7fffffff),
    payload: fc.oneof(
      bytes(200),
      u32.map((n) => Buffer.concat([hpackSizeUpdate(n), headerBlock([['grpc-status', '0']])])),
      fc.constant(Buffer.from([0x3f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f])),
      fc.array(fc.tuple(fc.string({ maxLength: 20 }), fc.string({ maxLength: 40 })), { maxLength: 8 }).map((l) => headerBlock(l)),
    ),
    lie: rarely(u32, 5),
  }),
  // Connection-level frames: SETTINGS (huge table size and frame size), PING, GOAWAY, WINDOW_UPDATE,
  // RST_STREAM, PRIORITY, and types no one has defined.
  fc.record({
    dir: fc.constantFrom<0 | 1>(0, 1),
    type: fc.oneof(
      fc.constantFrom(H2.SETTINGS, H2.PING, H2.GOAWAY, H2.WINDOW_UPDATE, H2.RST_STREAM, H2.PRIORITY),
      fc.integer({ min: 10, max: 255 }),
    ),
    flags: fc.integer({ min: 0, max: 255 }),
    stream: fc.constantFrom(0, 1, 3, 5, 0x7fffffff),
    payload: fc.oneof(
      fc.array(fc.tuple(fc.constantFrom(1, 2, 3, 4, 5, 6, 0xfe03, 0xffff), u32), { maxLength: 6 }).map((e) => settings(e).subarray(9)),
      bytes(20),
      fc.tuple(u32, u32, bytes(100)).map(([last, code, debug]) => {
        const p = Buffer.alloc(8 + debug.length);
        p.writeUInt32BE(last >>> 0, 0);
        p.writeUInt32BE(code >>> 0, 4);
        p.set(debug, 8);
        return p;
      }),
    ),
    lie: rarely(u32, 5),
  }),
);

const scenarioArb = (clean: boolean): fc.Arbitrary<Scenario> =>
  fc.record({
    calls: fc.array(callArb, { maxLength: 4 }),
    order: fc.array(fc.nat({ max: 3 }), { maxLength: 40 }),
    junk: clean
      ? fc.constant<JunkFrame[]>([])
      : fc.array(fc.record({ f: junkArb, at: fc.nat({ max: 60 }) }).map(({ f, at }) => ({ ...f, at })), { minLength: 1, maxLength: 12 }),
    isn: fc.tuple(
      fc.oneof(fc.nat(), fc.constantFrom(0xffffffff, 0xfffffff0, 0xffffff00)),
      fc.oneof(fc.nat(), fc.constantFrom(0xffffffff, 0xfffffff0)),
    ),
    segmentSizes: fc.array(fc.constantFrom(1, 5, 9, 13, 100, 1460, 16_393, 60_000), { minLength: 1, maxLength: 6 }),
    tcp: clean
      ? fc.constant<Scenario['tcp']>([])
      : fc.array(fc.record({ op: fc.constantFrom<'drop' | 'dup' | 'swap'>('drop', 'dup', 'swap'), at: fc.nat({ max: 200 }) }), { maxLength: 2 }),
    preface: clean ? fc.constant(true) : fc.boolean(),
    handshake: fc.boolean(),
  }).map((s) => ({ ...s, calls: s.calls.map((c, i) => ({ ...c, stream: 1 + 2 * i })) }));

/** What a clean input must decode to. */
interface ExpectedCall {
  stream: number;
  method: string;
  status: number;
  requests: string[];
  replies: string[];
}

/** Frame units (HEADERS + CONTINUATIONs stay together) of one call, in its own order. */
function callUnits(c: CallSpec, enc: { req: Compressor; resp: Compressor } | null): Array<{ dir: 0 | 1; bytes: Buffer }> {
  const units: Array<{ dir: 0 | 1; bytes: Buffer }> = [];
  const block = (dir: 0 | 1, fields: Array<[string, string]>): Buffer => {
    if (c.hpack === 'hpackjs' && enc) {
      const comp = dir === 0 ? enc.req : enc.resp;
      comp.write(fields.map(([name, value]) => ({ name, value })));
      return comp.read() ?? Buffer.alloc(0);
    }
    return headerBlock(fields);
  };
  const headers = (dir: 0 | 1, fields: Array<[string, string]>, endStream: boolean): Buffer => {
    const b = block(dir, fields);
    const pieces = Math.min(c.headerPieces, Math.max(1, b.length));
    const size = Math.ceil(b.length / pieces);
    const out: Buffer[] = [];
    for (let k = 0; k < pieces; k++) {
      const piece = b.subarray(k * size, Math.min(b.length, (k + 1) * size));
      const last = k === pieces - 1;
      if (k === 0) out.push(frame(H2.HEADERS, (last ? END_HEADERS : 0) | (endStream ? END_STREAM : 0), c.stream, piece));
      else out.push(frame(H2.CONTINUATION, last ? END_HEADERS : 0, c.stream, piece));
    }
    return Buffer.concat(out);
  };
  const data = (dir: 0 | 1, msgs: Buffer[], endStream: boolean): void => {
    const all = Buffer.concat(msgs);
    if (all.length === 0) {
      if (endStream) units.push({ dir, bytes: frame(H2.DATA, END_STREAM, c.stream) });
      return;
    }
    // At most about 200 DATA frames per direction, whatever the message sizes: inputs stay small and fast.
    const step = Math.max(c.dataFrameBytes, Math.ceil(all.length / 200));
    for (let at = 0; at < all.length; at += step) {
      const last = at + step >= all.length;
      units.push({ dir, bytes: frame(H2.DATA, last && endStream ? END_STREAM : 0, c.stream, all.subarray(at, at + step)) });
    }
  };
  const reqFields: Array<[string, string]> = [
    [':method', 'POST'], [':scheme', 'http'], [':path', c.method], [':authority', 'fuzz.test'],
    ['content-type', 'application/grpc'], ['te', 'trailers'],
  ];
  if (c.gzipRequests) reqFields.push(['grpc-encoding', 'gzip']);
  units.push({ dir: 0, bytes: headers(0, reqFields, false) });
  const reqMsgs = c.requests.map((t) => {
    const body = demoRequest(t);
    return c.gzipRequests ? grpcMessage(zlib.gzipSync(body), true) : grpcMessage(body);
  });
  data(0, reqMsgs, true);
  const trailers: Array<[string, string]> = [['grpc-status', String(c.status)]];
  if (c.trailersOnly && c.replies.length === 0) {
    units.push({ dir: 1, bytes: headers(1, [[':status', '200'], ['content-type', 'application/grpc'], ...trailers], true) });
    return units;
  }
  units.push({ dir: 1, bytes: headers(1, [[':status', '200'], ['content-type', 'application/grpc']], false) });
  data(1, c.replies.map((t, k) => grpcMessage(demoReply(t, k))), false);
  units.push({ dir: 1, bytes: headers(1, trailers, true) });
  return units;
}

function build(s: Scenario, clean: boolean): { bytes: Buffer; expect: ExpectedCall[] } {
  const enc = { req: hpackjs.compressor.create({ table: { maxSize: 4096 } }), resp: hpackjs.compressor.create({ table: { maxSize: 4096 } }) };
  // Interleave the calls' units, keeping each call's own order. hpack.js encodes in block order, so blocks
  // are encoded here, in wire order: units are built lazily per call, then consumed.
  const perCall = s.calls.map(() => [] as Array<{ dir: 0 | 1; bytes: Buffer }>);
  const pending = s.calls.map((c) => ({ c, started: false }));
  const seq: Array<{ dir: 0 | 1; bytes: Buffer }> = [];
  // Encoding with hpack.js must follow wire order per direction, so calls using it are encoded when their
  // first unit goes out and all their units are laid out in order before the next such call interleaves.
  const take = (k: number): void => {
    const p = pending[k];
    if (!p.started) {
      perCall[k] = callUnits(p.c, enc);
      p.started = true;
    }
    const u = perCall[k].shift();
    if (u) seq.push(u);
  };
  const hpackjsCalls = s.calls.map((c) => c.hpack === 'hpackjs');
  for (const o of s.order) {
    if (s.calls.length === 0) break;
    const k = o % s.calls.length;
    // A call encoded by hpack.js is emitted whole: its blocks were encoded in that order.
    if (hpackjsCalls[k]) {
      take(k);
      while (perCall[k].length > 0) take(k);
    } else take(k);
  }
  for (let k = 0; k < s.calls.length; k++) {
    take(k);
    while (perCall[k].length > 0) take(k);
  }
  // Junk frames go in between units.
  for (const j of [...s.junk].sort((a, b) => b.at - a.at)) {
    const at = Math.min(j.at, seq.length);
    seq.splice(at, 0, { dir: j.dir, bytes: frame(j.type, j.flags, j.stream, j.payload, j.lie ?? undefined) });
  }

  // Cut each direction into segments; the client's bytes always go out before the server's that follow them.
  const cap = new Capture();
  const seqNo: [number, number] = [s.isn[0] >>> 0, s.isn[1] >>> 0];
  const ep = [CLIENT, SERVER];
  const packets: Array<{ dir: 0 | 1; seq: number; payload: Buffer }> = [];
  if (s.handshake) {
    cap.packet(ethIpv4Tcp(CLIENT, SERVER, seqNo[0], 0, SYN, Buffer.alloc(0)));
    seqNo[0] = (seqNo[0] + 1) >>> 0;
    cap.packet(ethIpv4Tcp(SERVER, CLIENT, seqNo[1], seqNo[0], SYN | ACK, Buffer.alloc(0)));
    seqNo[1] = (seqNo[1] + 1) >>> 0;
  }
  const buf: [Buffer[], Buffer[]] = [[], []];
  let sizeIndex = 0;
  const flush = (dir: 0 | 1): void => {
    const all = Buffer.concat(buf[dir]);
    buf[dir] = [];
    // At most about 300 segments per flush, so tiny segment sizes do not blow up the capture.
    const least = Math.ceil(all.length / 300);
    for (let at = 0; at < all.length;) {
      const n = Math.max(least, s.segmentSizes[sizeIndex++ % s.segmentSizes.length]);
      const payload = all.subarray(at, at + n);
      packets.push({ dir, seq: seqNo[dir], payload });
      seqNo[dir] = (seqNo[dir] + payload.length) >>> 0;
      at += n;
    }
  };
  if (s.preface) buf[0].push(PREFACE, settings([[2, 0]]));
  buf[1].push(settings([[3, 100]]));
  flush(0);
  flush(1);
  seq.forEach((u, k) => {
    buf[u.dir].push(u.bytes);
    if (u.dir === 1 || k % 3 === 0) {
      flush(0);
      flush(1);
    }
  });
  flush(0);
  flush(1);
  for (const op of s.tcp) {
    if (packets.length < 2) break;
    const at = op.at % packets.length;
    if (op.op === 'drop') packets.splice(at, 1);
    else if (op.op === 'dup') packets.splice(at, 0, packets[at]);
    else if (at + 1 < packets.length) [packets[at], packets[at + 1]] = [packets[at + 1], packets[at]];
  }
  for (const p of packets) {
    const other = p.dir === 0 ? 1 : 0;
    cap.packet(ethIpv4Tcp(ep[p.dir], ep[other], p.seq, seqNo[other], PSH | ACK, p.payload));
  }
  const expect = clean
    ? s.calls.map((c) => ({ stream: c.stream, method: c.method, status: c.status, requests: c.requests, replies: c.replies }))
    : [];
  return { bytes: cap.bytes(), expect };
}

export const target: Target = {
  name: 'h2',
  longIterations: 600,
  quickIterations: 60,
  generate(seed: number, i: number): FuzzInput {
    const rng = Rng.for(seed, i);
    const clean = rng.bool(0.35);
    const s = fc.sample(scenarioArb(clean), { seed: mix(seed ^ 0x4832, i) | 0, numRuns: 1 })[0];
    const { bytes, expect } = build(s, clean);
    const forced = !s.preface;
    return {
      label: `${clean ? 'clean' : 'dirty'} HTTP/2 conversation: ${s.calls.length} call(s), ${s.junk.length} junk frame(s), ` +
        `TCP ${s.tcp.map((t) => t.op).join(',') || 'in order'}, ISN ${s.isn.join('/')}, segments ${s.segmentSizes.join(',')}`,
      kind: 'pcapng',
      bytes,
      options: { chunkSeed: rng.u32(), frames: rng.bool(0.3), http2Ports: forced ? [SERVER.port] : [] },
      expect: clean ? expect : undefined,
    };
  },
  check(input: FuzzInput): void {
    const r = decodeCore(input.bytes, input.options, input.expect !== undefined);
    if (input.expect === undefined) return;
    if (r.error) throw new FuzzFailure(`a well-formed conversation gave an input error: ${r.error.message}`);
    checkExpected(input.expect as ExpectedCall[], r.lines);
  },
};

function checkExpected(expect: ExpectedCall[], lines: string[]): void {
  const records = lines.map((l) => JSON.parse(l));
  const calls = records.filter((r) => r.type === 'call');
  const got = calls.map((c) => `${c.stream} ${c.method} ${c.status}`).sort().join('; ');
  const want = expect.map((c) => `${c.stream} ${c.method} ${c.status}`).sort().join('; ');
  if (got !== want) throw new FuzzFailure(`calls decoded [${got}], expected [${want}]`);
  for (const c of expect) {
    const call = calls.find((x) => x.stream === c.stream);
    if (!call.complete) throw new FuzzFailure(`call on stream ${c.stream} not complete: ${JSON.stringify(call.errors ?? [])}`);
    for (const [dir, texts] of [['request', c.requests], ['response', c.replies]] as const) {
      const msgs = records.filter((r) => r.type === 'message' && r.stream === c.stream && r.direction === dir);
      const gotTexts = msgs.map((m) => (m.body && typeof m.body === 'object' ? (m.body.text ?? '') : `<${m.error}>`));
      if (JSON.stringify(gotTexts) !== JSON.stringify(texts)) {
        throw new FuzzFailure(`stream ${c.stream} ${dir} messages ${JSON.stringify(gotTexts).slice(0, 300)}, expected ${JSON.stringify(texts).slice(0, 300)}`);
      }
    }
  }
}
