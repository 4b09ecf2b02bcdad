/**
 * Generates the hostile captures of issue 8 into a directory, with the project's pcapng writer and the
 * builder in ./build.ts. Each case is a file and what `grpctk` must do with it (exit code, what stderr
 * says, what is still decoded before the hostile part); hostile.test.ts runs the real CLI on each.
 *
 * Most cases put one good call (stream 1, text "before") ahead of the hostile part on the same
 * connection, and often one after it (text "after"): grpctk must still print the first, and the second
 * whenever the hostile part leaves the connection decodable.
 *
 * Run by hand to look at the files (e.g. in Wireshark):
 *     node --import tsx test/hostile/make-hostile.ts /tmp/hostile
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import hpackjs from 'hpack.js';
import {
  Capture,
  CLIENT,
  Connection,
  END_HEADERS,
  END_STREAM,
  ethIpv4Tcp,
  frame,
  goodCall,
  grpcMessage,
  grpcRequestHeaders,
  GRPC_RESPONSE_HEADERS,
  grpcTrailers,
  H2,
  h2Start,
  headerBlock,
  hpackLiteral,
  hpackSizeUpdate,
  pbBytes,
  pbVarint,
  varint,
  PREFACE,
  SERVER,
  settings,
  SYN,
  dataFrames,
  demoRequest,
} from './build';
import { decodeCore } from '../fuzz/lib/core';

export interface HostileCase {
  name: string;
  /** The input file (in the output directory). */
  file: string;
  /** What the case is, for test names. */
  what: string;
  /** Extra CLI arguments (decode's). */
  args?: string[];
  /** Exit code of decode, stats and export: 0, 1 for an input fault, 2 for bad usage. */
  exit: 0 | 1 | 2;
  /** decode's exit code and reason when they differ from stats' and export's (empty input). */
  decodeExit?: 0 | 1 | 2;
  decodeStderr?: RegExp;
  /**
   * What the file is: a capture (possibly hostile), NDJSON for the reading commands, or neither. `split`
   * reads captures only: anything else is exit 1 for it.
   */
  kind?: 'capture' | 'ndjson' | 'other';
  /** stderr must match (when the exit code is 1: the one-line reason). */
  stderr?: RegExp;
  /** Texts of request messages that must be in decode's NDJSON output ("before", "after"). */
  decoded?: string[];
  /** Peak RSS allowed, MiB (default in the test). */
  maxRssMb?: number;
  /** Wall time allowed, seconds (default in the test). */
  maxSeconds?: number;
}

const UNARY = '/grpctk.demo.Demo/Unary';

function conversation(cap: Capture, isn = 1000): Connection {
  const c = new Connection(cap, CLIENT, SERVER, isn).handshake();
  h2Start(c);
  return c;
}

function write(dir: string, name: string, bytes: Uint8Array): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, bytes);
  return file;
}

/** One good call, then `hostile(c)` on the same connection, then (unless told not to) one more good call. */
function sandwich(dir: string, name: string, hostile: (c: Connection) => void, after = true, isn = 1000): string {
  const cap = new Capture();
  const c = conversation(cap, isn);
  goodCall(c, 1, 'before');
  hostile(c);
  if (after) goodCall(c, 0x7ffffff1, 'after');
  c.close();
  return write(dir, name, cap.bytes());
}

/** `depth` levels of `wrap` around `inner`, built from the inside out (no recursion). */
function nest(depth: number, inner: Buffer, wrap: (b: Buffer) => Buffer): Buffer {
  let b = inner;
  for (let i = 0; i < depth; i++) b = wrap(b);
  return b;
}

/**
 * `megabytes` MiB of zeros as one gzip member (RFC 1952) of about 1 KiB per MiB, without holding them: each
 * MiB is deflated on its own and ended with a sync flush (RFC 1951 blocks concatenate), then a final empty
 * block, the CRC-32 and the size.
 */
export function gzipBomb(megabytes = 256): Buffer {
  const zero = Buffer.alloc(1 << 20);
  const block = zlib.deflateRawSync(zero, { level: 9, finishFlush: zlib.constants.Z_SYNC_FLUSH });
  let crc = 0;
  for (let i = 0; i < megabytes; i++) crc = zlib.crc32(zero, crc);
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc >>> 0, 0);
  trailer.writeUInt32LE((megabytes * (1 << 20)) >>> 0, 4);
  const header = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x02, 0xff]);
  return Buffer.concat([header, ...new Array(megabytes).fill(block), Buffer.from([0x03, 0x00]), trailer]);
}

export function makeHostile(dir: string): HostileCase[] {
  fs.mkdirSync(dir, { recursive: true });
  const cases: HostileCase[] = [];
  const add = (c: HostileCase) => cases.push(c);

  // --- A reference: no hostility at all. ---------------------------------------------------------------
  add({ name: 'good', what: 'two good calls', file: sandwich(dir, 'good.pcapng', () => undefined), exit: 0, decoded: ['before', 'after'] });

  // --- Framing that lies. -------------------------------------------------------------------------------
  {
    const good = fs.readFileSync(sandwich(dir, 'tmp-good.pcapng', () => undefined, false));
    fs.rmSync(path.join(dir, 'tmp-good.pcapng'));
    // The good call ends before the FIN packets; append blocks that lie after it.
    const epb = (totalLength: number, trailer: number, caplen: number, data = Buffer.alloc(64)) => {
      const b = Buffer.alloc(32 + data.length);
      b.writeUInt32LE(6, 0);
      b.writeUInt32LE(totalLength >>> 0, 4);
      b.writeUInt32LE(0, 8);
      b.writeUInt32LE(caplen >>> 0, 20);
      b.writeUInt32LE(data.length, 24);
      data.copy(b, 28);
      b.writeUInt32LE(trailer >>> 0, 28 + data.length);
      return b;
    };
    add({
      name: 'block-length-2g', what: 'a pcapng block claiming 0x7FFFFFFF bytes', exit: 1,
      file: write(dir, 'block-length-2g.pcapng', Buffer.concat([good, epb(0x7fffffff, 96, 64)])),
      stderr: /^grpctk: .*byte \d+/, decoded: ['before'],
    });
    add({
      name: 'block-length-0', what: 'a pcapng block claiming 0 bytes', exit: 1,
      file: write(dir, 'block-length-0.pcapng', Buffer.concat([good, epb(0, 96, 64)])),
      stderr: /^grpctk: .*byte \d+/, decoded: ['before'],
    });
    add({
      name: 'trailer-mismatch', what: 'a trailing block length that disagrees', exit: 1,
      file: write(dir, 'trailer-mismatch.pcapng', Buffer.concat([good, epb(96, 1, 64)])),
      stderr: /^grpctk: .*byte \d+/, decoded: ['before'],
    });
    add({
      name: 'caplen-lies', what: 'a captured length beyond its block', exit: 1,
      file: write(dir, 'caplen-lies.pcapng', Buffer.concat([good, epb(96, 96, 0xffffffff)])),
      stderr: /^grpctk: .*byte \d+/, decoded: ['before'],
    });
    // Cut inside the last block, and at a block boundary (a shorter but valid file).
    add({
      name: 'cut-inside-block', what: 'a capture cut in the middle of a block', exit: 1,
      file: write(dir, 'cut-inside-block.pcapng', Buffer.concat([good, epb(96, 96, 64)]).subarray(0, good.length + 50)),
      stderr: /^grpctk: .*(cut short|truncated|ends|in the middle)/i, decoded: ['before'],
    });
    // The same capture as pcap, with a record that claims 2 GB.
    const pcapHeader = Buffer.alloc(24);
    pcapHeader.writeUInt32LE(0xa1b2c3d4, 0);
    pcapHeader.writeUInt16LE(2, 4);
    pcapHeader.writeUInt16LE(4, 6);
    pcapHeader.writeUInt32LE(262_144, 16);
    pcapHeader.writeUInt32LE(1, 20);
    const records: Buffer[] = [pcapHeader];
    const cap = { packet: (d: Uint8Array) => {
      const h = Buffer.alloc(16);
      h.writeUInt32LE(1_700_000_000, 0);
      h.writeUInt32LE(records.length, 4);
      h.writeUInt32LE(d.length, 8);
      h.writeUInt32LE(d.length, 12);
      records.push(h, Buffer.from(d));
    } } as unknown as Capture;
    const c = conversation(cap);
    goodCall(c, 1, 'before');
    const lie = Buffer.alloc(16);
    lie.writeUInt32LE(0x7fffffff, 8);
    lie.writeUInt32LE(0x7fffffff, 12);
    add({
      name: 'pcap-record-2g', what: 'a pcap record claiming 0x7FFFFFFF bytes', exit: 1,
      file: write(dir, 'pcap-record-2g.pcap', Buffer.concat([...records, lie, Buffer.alloc(100)])),
      stderr: /^grpctk: .*byte \d+/, decoded: ['before'],
    });
  }

  // --- gRPC and HTTP/2 that lie. --------------------------------------------------------------------------
  add({
    name: 'grpc-length-4g', what: 'a gRPC length prefix of 4 GB', exit: 0, decoded: ['before', 'after'],
    file: sandwich(dir, 'grpc-length-4g.pcapng', (c) => {
      c.send('c', Buffer.concat([
        frame(H2.HEADERS, END_HEADERS, 3, headerBlock(grpcRequestHeaders(UNARY))),
        ...dataFrames(3, grpcMessage(Buffer.alloc(100_000, 0x41), false, 0xffffffff), true),
      ]));
      c.send('s', frame(H2.HEADERS, END_HEADERS | END_STREAM, 3, headerBlock([...GRPC_RESPONSE_HEADERS, ...grpcTrailers(8, 'too big')])));
    }),
  });
  {
    const bomb = gzipBomb(256);
    add({
      name: 'gzip-bomb', what: `a gzip bomb (256 MiB of zeros in ${Math.round(bomb.length / 1024)} KiB) as one message`, exit: 0,
      decoded: ['before', 'after'], maxRssMb: 300,
      file: sandwich(dir, 'gzip-bomb.pcapng', (c) => {
        c.send('c', Buffer.concat([
          frame(H2.HEADERS, END_HEADERS, 3, headerBlock(grpcRequestHeaders(UNARY, [['grpc-encoding', 'gzip']]))),
          ...dataFrames(3, grpcMessage(bomb, true), true),
        ]));
        c.send('s', frame(H2.HEADERS, END_HEADERS | END_STREAM, 3, headerBlock([...GRPC_RESPONSE_HEADERS, ...grpcTrailers(0)])));
      }),
    });
  }
  {
    // Nested 3,000 deep: through a schema type (Struct in Struct, Any in Any) and without one (fields,
    // groups) on a method no schema defines.
    const tag = (f: number, w: number) => varint(f * 8 + w);
    const struct = pbBytes(13, nest(3000, pbBytes(3, 'leaf'), (inner) =>
      pbBytes(1, Buffer.concat([pbBytes(1, 'k'), pbBytes(2, pbBytes(5, inner))]))));
    const any = nest(3000, pbBytes(2, 'innermost'), (inner) =>
      pbBytes(15, Buffer.concat([pbBytes(1, 'type.googleapis.com/grpctk.demo.DemoRequest'), pbBytes(2, inner)])));
    const fields = nest(3000, pbVarint(1, 1), (inner) => pbBytes(7, inner));
    const groups = nest(3000, pbVarint(1, 1), (inner) => Buffer.concat([tag(7, 3), inner, tag(7, 4)]));
    const file = sandwich(dir, 'protobuf-3000-deep.pcapng', (c) => {
      [[3, UNARY, struct], [5, UNARY, any], [7, '/no.such.Service/Raw', fields], [9, '/no.such.Service/Raw', groups]].forEach(([id, method, body]) => {
        c.send('c', Buffer.concat([
          frame(H2.HEADERS, END_HEADERS, id as number, headerBlock(grpcRequestHeaders(method as string))),
          ...dataFrames(id as number, grpcMessage(Buffer.concat([demoRequest('deep'), body as Buffer])), true),
        ]));
        c.send('s', frame(H2.HEADERS, END_HEADERS | END_STREAM, id as number, headerBlock([...GRPC_RESPONSE_HEADERS, ...grpcTrailers(0)])));
      });
    });
    add({ name: 'protobuf-3000-deep', what: 'protobuf nested 3,000 deep (Struct, Any, fields, groups)', file, exit: 0, decoded: ['before', 'deep', 'after'] });
    // The largest --max-depth the CLI takes: the bodies are then 1,000 levels deep and must still print.
    add({ name: 'protobuf-3000-deep-max-depth', what: 'protobuf nested 3,000 deep with --max-depth 1000', file, args: ['--max-depth', '1000'], exit: 0, decoded: ['before', 'deep', 'after'] });
    // Deeper limits are refused: a body 3,000 levels deep is more than JSON.stringify can write (the
    // protobuf fuzz target found it: exit 1 with "internal error: Maximum call stack size exceeded").
    add({ name: 'protobuf-3000-deep-max-depth-10000', what: 'protobuf nested 3,000 deep with --max-depth 10000', file, args: ['--max-depth', '10000'], exit: 2, stderr: /^grpctk: --max-depth/ });
  }
  add({
    // A :path of 100,000 characters (inside the 1 MiB header block limit): stats took minutes drawing it in
    // a table (cli-table3's layout grows faster than linearly with a cell's length; found by the ndjson
    // fuzz target), now the cell is cut.
    name: 'long-method', what: 'a method path of 100,000 characters', exit: 0, decoded: ['before', 'long', 'after'],
    file: sandwich(dir, 'long-method.pcapng', (c) => goodCall(c, 3, 'long', `/grpctk.demo.Demo/${'x'.repeat(100_000)}`)),
  });
  add({
    name: 'hpack-4g', what: 'an HPACK dynamic table size update to 4 GB', exit: 0, decoded: ['before', 'after'],
    file: sandwich(dir, 'hpack-4g.pcapng', (c) => {
      c.send('c', settings([[0x1, 0xffffffff]]));
      c.send('s', settings([[0x1, 0xffffffff]]));
      c.send('c', frame(H2.HEADERS, END_HEADERS | END_STREAM, 3, Buffer.concat([hpackSizeUpdate(2 ** 32), headerBlock(grpcRequestHeaders(UNARY))])));
      c.send('s', frame(H2.HEADERS, END_HEADERS | END_STREAM, 3, Buffer.concat([hpackSizeUpdate(0xffffffff), headerBlock([...GRPC_RESPONSE_HEADERS, ...grpcTrailers(0)])])));
    }),
  });
  add({
    name: 'header-list-10mb', what: 'a header list of 10 MB (HEADERS and 640 CONTINUATIONs)', exit: 0, decoded: ['before', 'after'],
    file: sandwich(dir, 'header-list-10mb.pcapng', (c) => {
      const block = Buffer.concat([headerBlock(grpcRequestHeaders(UNARY)), ...Array.from({ length: 10 * 64 }, (_, k) => hpackLiteral(`x-big-${k}`, 'v'.repeat(16_000)))]);
      const frames: Buffer[] = [];
      for (let at = 0; at < block.length; at += 16_384) {
        const piece = block.subarray(at, at + 16_384);
        const last = at + 16_384 >= block.length;
        frames.push(frame(at === 0 ? H2.HEADERS : H2.CONTINUATION, last ? END_HEADERS : 0, 3, piece));
      }
      c.send('c', Buffer.concat(frames));
      c.send('s', frame(H2.HEADERS, END_HEADERS | END_STREAM, 3, headerBlock([...GRPC_RESPONSE_HEADERS, ...grpcTrailers(0)])));
    }),
  });
  add({
    name: 'settings-flood', what: '100,000 SETTINGS frames (and their ACKs, and PINGs) between two calls', exit: 0, decoded: ['before', 'after'],
    file: sandwich(dir, 'settings-flood.pcapng', (c) => {
      const s = settings([[0x1, 0xffffffff], [0x3, 0], [0x4, 0x7fffffff], [0x5, 16_777_215], [0x6, 0xffffffff], [0xfe03, 1]]);
      const ack = settings([], true);
      const ping = frame(H2.PING, 0, 0, Buffer.alloc(8));
      for (let k = 0; k < 10; k++) {
        c.send('c', Buffer.concat(Array.from({ length: 10_000 }, () => s)));
        c.send('s', Buffer.concat(Array.from({ length: 10_000 }, () => Buffer.concat([ack, ping]))));
      }
    }),
  });
  {
    // 100,000 streams opened on one connection, never answered. Header blocks from hpack.js (indexed after
    // the first), so each costs a few bytes, as a real flood would.
    const cap = new Capture();
    const c = conversation(cap);
    goodCall(c, 1, 'before');
    const comp = hpackjs.compressor.create({ table: { maxSize: 4096 } });
    const frames: Buffer[] = [];
    for (let k = 0; k < 100_000; k++) {
      comp.write(grpcRequestHeaders(UNARY).map(([name, value]) => ({ name, value })));
      const block = comp.read() ?? Buffer.alloc(0);
      frames.push(frame(H2.HEADERS, END_HEADERS | END_STREAM, 3 + 2 * k, block));
      if (frames.length === 2000) c.send('c', Buffer.concat(frames.splice(0)));
    }
    c.close();
    add({
      name: 'streams-100k', what: '100,000 streams opened on one connection', file: write(dir, 'streams-100k.pcapng', cap.bytes()),
      exit: 0, decoded: ['before'], stderr: /^grpctk: warning: .*stream/m,
    });
  }
  {
    const file = path.join(dir, 'connections-100k.pcapng');
    const cap = new Capture(file);
    const first = new Connection(cap, CLIENT, SERVER).handshake();
    h2Start(first);
    goodCall(first, 1, 'before');
    first.close();
    for (let k = 0; k < 100_000; k++) {
      const client = { ip: [10, 1, (k >> 8) & 0xff, k & 0xff] as [number, number, number, number], port: 1024 + (k % 60_000) };
      cap.packet(ethIpv4Tcp(client, SERVER, k * 7919, 0, SYN, Buffer.alloc(0)));
    }
    cap.close();
    add({ name: 'connections-100k', what: '100,000 connections with no data (SYN only)', file, exit: 0, decoded: ['before'] });
  }
  {
    // Sequence numbers that wrap inside a 300 KB message, both ways.
    const file = sandwich(dir, 'seq-wrap.pcapng', (c) => {
      goodCall(c, 3, 'w'.repeat(300_000));
    }, true, 0xffffffff - 150_000);
    add({ name: 'seq-wrap', what: 'TCP sequence numbers that wrap inside a message', file, exit: 0, decoded: ['before', 'w'.repeat(300_000), 'after'] });
  }

  // --- Not captures at all. --------------------------------------------------------------------------
  // decode, stats and export read anything that is not a capture as NDJSON: a file whose first non-blank
  // byte is not '{' is neither (exit 1, "not a pcap or pcapng file, nor NDJSON…"); JSON-looking text ends at
  // its bad line. An empty file, or one of blank lines, is an error for decode (nothing to show) but an
  // empty NDJSON stream for stats and export (exit 0 with a warning), so `decode -F ndjson --status 5 … |
  // stats -` still answers when no call matches. split reads only captures: all of these are exit 1 for it.
  const neither = /^grpctk: not a pcap or pcapng file, nor NDJSON/;
  const notCapture: Array<[string, Buffer, 0 | 1, RegExp | undefined]> = [
    ['empty.pcapng', Buffer.alloc(0), 0, undefined],
    ['short.pcapng', Buffer.from([0x0a, 0x0d, 0x0d]), 0, undefined],
    ['text.txt', Buffer.from('hello, this is not a capture\nsecond line\n'), 1, neither],
    ['json-ish.txt', Buffer.from('{"hello": "not a record"}\n'), 1, /^grpctk: line 1: /],
    ['random.bin', Buffer.from(Array.from({ length: 65_536 }, (_, k) => (k * 2654435761) >>> 24)), 1, neither],
    ['jpeg.jpg', Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]), Buffer.from('JFIF\0'), Buffer.alloc(2000, 0x55)]), 1, neither],
    ['elf.bin', Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00]), Buffer.alloc(4000)]), 1, neither],
    ['gzip-garbage.gz', Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08, 0x00]), Buffer.alloc(100, 0xab)]), 1, /^grpctk: /],
  ];
  for (const [name, bytes, exit, stderr] of notCapture) {
    const empty = exit === 0;
    add({
      name: `not-a-capture-${name}`, what: `not a capture: ${name}`, file: write(dir, name, bytes), exit,
      stderr: empty ? /^grpctk: warning: empty input/ : stderr, kind: 'other',
      ...(empty ? { decodeExit: 1 as const, decodeStderr: /^grpctk: empty input: not a pcap or pcapng file$/ } : {}),
    });
  }

  // --- NDJSON that lies (what stats and export read). ----------------------------------------------------
  {
    const lines = decodeCore(fs.readFileSync(path.join(dir, 'good.pcapng')), {}, true).lines;
    const [first, ...rest] = lines;
    const deep = (d: number, open: string, close: string) => open.repeat(d) + '1' + close.repeat(d);
    const ndjson = (name: string, what: string, text: string, stderr: RegExp, decoded: string[] = ['before']) =>
      add({ name, what, file: write(dir, name, Buffer.from(text)), exit: 1, stderr, decoded, kind: 'ndjson' });
    // The good records, then a bad line: what came before is still counted and printed.
    ndjson('ndjson-broken-line.ndjson', 'NDJSON with a broken line after good records', [...lines.slice(0, 3).map((l) => l.trimEnd()), '{"type":"call","tcp_stream":', ...rest.slice(2)].join('\n') + '\n', /^grpctk: line 4: /);
    ndjson('ndjson-other-type.ndjson', 'NDJSON with a record of another type', [...lines.slice(0, 3).map((l) => l.trimEnd()), '{"type":"packet","frame":1}'].join('\n') + '\n', /^grpctk: line 4: .*type/);
    ndjson('ndjson-wrong-field.ndjson', 'NDJSON with a field of the wrong type', [...lines.slice(0, 3).map((l) => l.trimEnd()), first.trimEnd().replace(/"frame":\d+/, '"frame":"seven"')].join('\n') + '\n', /^grpctk: line 4: .*frame/);
    // Nested 20,000 deep, where the record reader quotes the value (type) or keeps it (body): JSON.parse
    // takes it, JSON.stringify does not (found by the ndjson fuzz target: exit 1 with an internal error).
    ndjson('ndjson-deep-type.ndjson', 'NDJSON whose "type" is nested 20,000 deep', [...lines.slice(0, 3).map((l) => l.trimEnd()), `{"type":${deep(20_000, '[', ']')}}`].join('\n') + '\n', /^grpctk: line 4: /);
    ndjson('ndjson-deep-body.ndjson', 'NDJSON whose message body is nested 20,000 deep', [...lines.slice(0, 3).map((l) => l.trimEnd()), first.trimEnd().replace(/"body":\{[^}]*\}/, `"body":${deep(20_000, '{"a":', '}')}`)].join('\n') + '\n', /^grpctk: line 4: .*deeper/);
  }
  {
    // A capture gzip-compressed, then cut: decoded up to the cut.
    const good = fs.readFileSync(path.join(dir, 'good.pcapng'));
    const gz = zlib.gzipSync(good);
    add({
      name: 'gzip-cut', what: 'a gzip-compressed capture cut short', exit: 1,
      file: write(dir, 'gzip-cut.pcapng.gz', gz.subarray(0, gz.length - 20)), stderr: /./, decoded: ['before', 'after'],
    });
  }
  // A capture that is not HTTP/2 at all but on a port forced to be: no crash, no call.
  add({
    name: 'preface-only', what: 'a connection that is only the HTTP/2 preface, cut', exit: 0,
    file: (() => {
      const cap = new Capture();
      const c = new Connection(cap, CLIENT, SERVER).handshake();
      c.send('c', PREFACE.subarray(0, 10));
      c.close();
      return write(dir, 'preface-only.pcapng', cap.bytes());
    })(),
  });
  return cases;
}

if (require.main === module) {
  const dir = process.argv[2];
  if (!dir) {
    process.stderr.write('usage: node --import tsx test/hostile/make-hostile.ts DIR\n');
    process.exit(2);
  }
  for (const c of makeHostile(dir)) process.stdout.write(`${path.basename(c.file)}\t${c.what}\n`);
}
