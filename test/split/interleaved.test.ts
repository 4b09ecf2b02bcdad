/**
 * `split --by method` on one connection whose streams of two methods interleave their DATA frames, with
 * header blocks that use the HPACK dynamic table (as real stacks do): each method part leaves out the
 * packets inside the other method's DATA frames, and still decodes to exactly that method's calls of the
 * whole capture (errors included), because the HTTP/2 layer keeps framing and HPACK across those holes and
 * notes the loss on the other method's calls only.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { Encoder } from '../http2/helpers';
import { SynthConnection, bytesOf, frame, grpcMessage, writeCapture } from './synth';
import { comparable, decodeRecords, grpctk, readAll, runSplit, tmpDir } from './helpers';

const BIG = '/pkg.Svc/Big';
const SMALL = '/pkg.Svc/Small';
const HEADERS = 0x1;
const DATA = 0x0;
const END_STREAM = 0x1;
const END_HEADERS = 0x4;
/** Default SETTINGS_MAX_FRAME_SIZE: frames span several 1448-byte segments. */
const FRAME = 16384;

function reqBlock(enc: Encoder, method: string): Uint8Array {
  return enc.encode([
    [':method', 'POST'],
    [':scheme', 'http'],
    [':path', method],
    [':authority', '10.1.0.2:50051'],
    ['content-type', 'application/grpc'],
    ['te', 'trailers'],
  ]);
}

/** `body` as one gRPC message cut into DATA frames of at most FRAME octets. */
function frames(sid: number, body: Uint8Array, endStream: boolean): Uint8Array[] {
  const msg = grpcMessage(body);
  const out: Uint8Array[] = [];
  for (let off = 0; off < msg.length; off += FRAME) {
    const last = off + FRAME >= msg.length;
    out.push(frame(DATA, last && endStream ? END_STREAM : 0, sid, msg.subarray(off, Math.min(msg.length, off + FRAME))));
  }
  return out;
}

/** Frames of two streams, alternating one by one. */
function interleave(a: Uint8Array[], b: Uint8Array[]): Buffer {
  const out: Uint8Array[] = [];
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (i < a.length) out.push(a[i]);
    if (i < b.length) out.push(b[i]);
  }
  return Buffer.concat(out);
}

/**
 * Stream 1 (Big: 60 kB each way) and stream 3 (Small: 6 kB each way, then a second small message) run at
 * the same time; stream 5 (Small) comes after. Every header block is HPACK-indexed: stream 5's, and every
 * trailer block, decode only if the dynamic table survived the holes of a part.
 */
function interleavedCapture(file: string): void {
  const clock = { sec: 1_700_000_000, nsec: 0 };
  const c = new SynthConnection('10.1.0.1', 41000, '10.1.0.2', 50051, clock).handshake().prefaces();
  const ce = new Encoder();
  const se = new Encoder();
  const resp = (): Uint8Array => se.encode([[':status', '200'], ['content-type', 'application/grpc'], ['grpc-encoding', 'identity']]);
  const trailers = (): Uint8Array => se.encode([['grpc-status', '0'], ['grpc-message', '']]);
  c.send(true, Buffer.concat([frame(HEADERS, END_HEADERS, 1, reqBlock(ce, BIG)), frame(HEADERS, END_HEADERS, 3, reqBlock(ce, SMALL))]));
  c.send(true, interleave(frames(1, bytesOf(60_000, 1), true), [...frames(3, bytesOf(6000, 2), false), ...frames(3, bytesOf(300, 3), true)]));
  c.send(false, Buffer.concat([frame(HEADERS, END_HEADERS, 3, resp()), frame(HEADERS, END_HEADERS, 1, resp())]));
  c.send(false, interleave(frames(3, bytesOf(6000, 4), false), frames(1, bytesOf(60_000, 5), false)));
  c.send(false, Buffer.concat([frame(HEADERS, END_HEADERS | END_STREAM, 3, trailers()), frame(HEADERS, END_HEADERS | END_STREAM, 1, trailers())]));
  c.send(true, Buffer.concat([frame(HEADERS, END_HEADERS, 5, reqBlock(ce, SMALL)), ...frames(5, bytesOf(200, 6), true)]));
  c.send(false, Buffer.concat([frame(HEADERS, END_HEADERS, 5, resp()), ...frames(5, bytesOf(200, 7), false), frame(HEADERS, END_HEADERS | END_STREAM, 5, trailers())]));
  c.close();
  writeCapture(file, c.packets);
}

test('method parts of interleaved streams leave out the other method\'s frames and decode exactly like the whole', async () => {
  const dir = tmpDir();
  const file = path.join(dir, 'interleaved.pcapng');
  interleavedCapture(file);
  const whole = await decodeRecords(file);
  assert.deepEqual(whole.filter((r) => 'status' in r).map((r) => [r.method, r.stream, r.status, r.errors]).sort(), [
    [BIG, 1, 0, undefined],
    [SMALL, 3, 0, undefined],
    [SMALL, 5, 0, undefined],
  ]);
  const { index } = await runSplit({ by: 'method', input: file, outDir: path.join(dir, 'parts') });
  const part = (key: string) => index.find((r) => r.key === key)!;
  for (const key of [BIG, SMALL]) {
    const mine = (await decodeRecords(part(key).path)).filter((x) => x.method === key);
    const want = whole.filter((x) => x.method === key);
    assert.ok(want.length >= 3, key); // the call and its messages
    assert.deepEqual(comparable(mine), comparable(want), key);
  }
  // The other method's calls show up in a part cut short, the loss noted on them alone.
  const bigInSmall = (await decodeRecords(part(SMALL).path)).filter((x) => x.method === BIG && 'status' in x);
  assert.equal(bigInSmall.length, 1);
  assert.match((bigInSmall[0].errors as string[])[0], /bytes lost in the (request|response) direction/);

  // Sizes: Small's part holds little of Big's 120 kB, Big's part leaves out the inside of Small's frames.
  const inputBytes = fs.statSync(file).size;
  const inputPackets = (await readAll(file)).packets.length;
  assert.ok(part(SMALL).bytes < inputBytes - 100_000, `Small: ${part(SMALL).bytes} of ${inputBytes} bytes`);
  assert.ok(part(BIG).packets < inputPackets - 4, `Big: ${part(BIG).packets} of ${inputPackets} packets`);

  // The user's command: `grpctk decode -F ndjson --method M` of the part and of the whole capture.
  const decode = (f: string): string[] => {
    const r = grpctk(['decode', '-F', 'ndjson', '--method', SMALL, f]);
    assert.equal(r.status, 0, r.stderr);
    return comparable(r.stdout.split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l) as Record<string, unknown>));
  };
  const fromPart = decode(part(SMALL).path);
  assert.equal(fromPart.length, whole.filter((x) => x.method === SMALL).length);
  assert.deepEqual(fromPart, decode(file));
  fs.rmSync(dir, { recursive: true });
});
