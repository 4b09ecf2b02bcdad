// The HTTP/2 test of the detector (src/http2/detect.ts): connections joined midway are found by their frame
// run, and other protocols are never taken for HTTP/2: real PostgreSQL, Redis, TLS, HTTP/1.1 and random
// traffic recorded on loopback (samples/other-protocols.pcapng), joined at every offset, and random bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { readCapture } from '../../src/input/open';
import { PacketDecoder } from '../../src/net/decode';
import { Assembler } from '../../src/tcp/assembler';
import type { Direction, TcpConnection } from '../../src/tcp/types';
import { findFrameRun, probeHttp2 } from '../../src/http2/detect';
import type { DetectView } from '../../src/detect/types';
import { concat, frame, settings } from './helpers';

const SAMPLES = join(__dirname, '..', '..', 'samples');

function conn(synSeen: boolean, ports: [number, number] = [40000, 50051]): TcpConnection {
  return {
    index: 0,
    endpoints: [{ addr: '127.0.0.1', port: ports[0] }, { addr: '127.0.0.1', port: ports[1] }],
    synSeen,
    firstFrame: 1,
    firstTsSec: 0,
    firstTsNsec: 0,
  };
}

function view(c: TcpConnection, heads: [Uint8Array, Uint8Array], final: boolean, startLost: [boolean, boolean] = [!c.synSeen, !c.synSeen]): DetectView {
  return { conn: c, head: (d: Direction) => heads[d], startLost, final };
}

/** Both byte streams of every TCP connection of a capture, whole. */
async function streams(file: string): Promise<Array<{ ports: [number, number]; bytes: [Buffer, Buffer] }>> {
  const decoder = new PacketDecoder();
  const out: Array<{ ports: [number, number]; bytes: [Buffer[], Buffer[]] }> = [];
  const assembler = new Assembler((c) => {
    const entry = { ports: [c.endpoints[0].port, c.endpoints[1].port] as [number, number], bytes: [[], []] as [Buffer[], Buffer[]] };
    out.push(entry);
    return { data: (dir, b) => void entry.bytes[dir].push(Buffer.from(b)), gap() {}, close() {} };
  });
  await readCapture(file, {
    packet(p) {
      const seg = decoder.decode(p);
      if (seg) assembler.segment(seg);
    },
  });
  assembler.flush();
  return out.map((e) => ({ ports: e.ports, bytes: [Buffer.concat(e.bytes[0]), Buffer.concat(e.bytes[1])] }));
}

test('PostgreSQL, Redis, TLS, HTTP/1.1 and random traffic are never HTTP/2, whole or joined at any offset', async () => {
  const conns = await streams(join(SAMPLES, 'other-protocols.pcapng'));
  const ports = new Set(conns.map((c) => c.ports[1]));
  for (const p of [55432, 56379, 52110, 52111, 52112]) assert.ok(ports.has(p), `a connection to port ${p} in the sample`);
  let probes = 0;
  for (const c of conns) {
    const [a, b] = c.bytes;
    // Whole, with the handshake seen.
    for (const final of [false, true]) {
      assert.notEqual(probeHttp2(view(conn(true, c.ports), [a, b], final), new Set()).claim, 'yes', `port ${c.ports[1]} whole`);
    }
    // Joined at every offset up to 4 KiB (then every 97th), each direction, up to 32 KiB held.
    const step = (o: number) => (o < 4096 ? 1 : 97);
    for (let o = 0; o < Math.max(a.length, b.length); o += step(o)) {
      const heads: [Uint8Array, Uint8Array] = [a.subarray(Math.min(o, a.length), o + 32768), b.subarray(Math.min(o, b.length), o + 32768)];
      for (const final of [false, true]) {
        const claim = probeHttp2(view(conn(false, c.ports), heads, final), new Set()).claim;
        probes++;
        assert.notEqual(claim, 'yes', `port ${c.ports[1]} joined at offset ${o}`);
      }
    }
  }
  assert.ok(probes > 10_000, `${probes} probes`);
});

test('random bytes are never a frame run', () => {
  for (let i = 0; i < 3000; i++) {
    const b = randomBytes(64 + (i % 40) * 50);
    assert.equal(findFrameRun(b), null, b.toString('hex'));
    // Random bytes that begin with a zero octet (where every frame header begins) either.
    b[0] = 0;
    assert.equal(findFrameRun(b), null, b.toString('hex'));
  }
});

/** A joined gRPC connection: the tail of a DATA frame, then whole frames. */
function joinedBytes() {
  const msg = Uint8Array.from([0, 0, 0, 0, 7, 0x0a, 0x05, 0x77, 0x6f, 0x72, 0x6c, 0x64]);
  const client = concat(
    frame(0x0, 0, 1, new Uint8Array(300).fill(7)).subarray(120),
    frame(0x1, 0x4, 3, [0x83, 0x86, 0xbe, 0xbf]), // request block: :method POST first
    frame(0x0, 0x1, 3, msg),
    frame(0x8, 0, 0, [0, 0, 0x10, 0]),
  );
  const server = concat(
    frame(0x1, 0x4, 3, [0x88, 0xc0]), // response block: :status 200 first
    frame(0x0, 0, 3, msg),
    frame(0x1, 0x5, 3, [0xc1]),
  );
  return { client, server };
}

test('a connection joined midway is HTTP/2 by its frame runs, and its client is told by its header blocks', () => {
  const { client, server } = joinedBytes();
  // Endpoint 0 is the server here (its port is higher, so only the header blocks can tell).
  const c = conn(false, [50051, 60000]);
  const p = probeHttp2(view(c, [server, client], false), new Set());
  assert.equal(p.claim, 'yes');
  // The client's run begins after the tail of a frame cut by the join (300 + 9 - 120 octets in).
  assert.deepEqual(p.verdict, { kind: 'h2', clientIndex: 1, synced: [false, false], runOffsets: [0, 189] });
  // One direction only: wait for the other, unless nothing more comes.
  assert.equal(probeHttp2(view(c, [server, new Uint8Array(0)], false), new Set()).claim, 'more');
  assert.equal(probeHttp2(view(c, [server, new Uint8Array(0)], true), new Set()).claim, 'yes');
  // A DATA frame whose gRPC prefix announces more than its payload holds and is followed by another one.
  const lying = concat(frame(0x0, 0, 3, [0, 0, 0, 0, 2, 1, 2, 9, 9, 9]), frame(0x8, 0, 0, [0, 0, 0x10, 0]), frame(0x8, 0, 0, [0, 0, 0x10, 0]));
  assert.equal(findFrameRun(lying), null);
});

test('runs of DATA alone do not tell the client: the higher port is taken for it, and the verdict says it is a guess', () => {
  const msg = [0, 0, 0, 0, 3, 8, 1, 16];
  const data = (sid: number) => concat(frame(0x0, 0, sid, msg), frame(0x0, 0, sid + 2, msg), frame(0x8, 0, 0, [0, 0, 0x10, 0]));
  // Endpoint 1 is the client of a server on 52104, but its ephemeral port is lower.
  const p = probeHttp2(view(conn(false, [52104, 37550]), [data(3), data(3)], false), new Set());
  assert.equal(p.claim, 'yes');
  assert.deepEqual(p.verdict, { kind: 'h2', clientIndex: 0, synced: [false, false], sidesGuessed: true, runOffsets: [0, 0] });
});

test('a first packet of two frames, the first of 16 KiB, is not taken for another protocol: the run comes with the next', () => {
  // The tail of a large message (a full-size DATA frame and a short one), then small DATA frames.
  const tail = concat(frame(0x0, 0, 3, new Uint8Array(16384).fill(0x63)), frame(0x0, 0, 3, new Uint8Array(478).fill(0x63)));
  const c = conn(false, [37550, 52104]);
  const small = concat(frame(0x0, 0, 3, [0, 0, 0, 0, 3, 8, 1, 16]), frame(0x0, 0, 5, [0, 0, 0, 0, 3, 8, 2, 16]), frame(0x0, 0, 3, [0, 0, 0, 0, 3, 8, 3, 16]));
  assert.equal(probeHttp2(view(c, [tail, new Uint8Array(0)], false), new Set()).claim, 'more');
  const p = probeHttp2(view(c, [concat(tail, frame(0x0, 0, 3, [0, 0, 0, 0, 3, 8, 1, 16])), small], false), new Set());
  assert.equal(p.claim, 'yes');
  assert.equal(p.verdict?.kind === 'h2' && p.verdict.runOffsets?.[0], 0);
});

test('a captured start decides: the preface, a server preface waiting for it, an h2c upgrade, or nothing', () => {
  const preface = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
  const none = new Uint8Array(0);
  const c = conn(true);
  assert.equal(probeHttp2(view(c, [preface, none], false), new Set()).claim, 'yes');
  assert.equal(probeHttp2(view(c, [none, settings([])], false), new Set()).claim, 'more');
  const upgrade = Buffer.from('GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\n');
  assert.deepEqual(probeHttp2(view(c, [upgrade, none], false), new Set()), { claim: 'yes', verdict: { kind: 'upgrade', clientIndex: 0 } });
  assert.equal(probeHttp2(view(c, [upgrade.subarray(0, 30), none], false), new Set()).claim, 'more');
  assert.equal(probeHttp2(view(c, [Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), none], false), new Set()).claim, 'no');
  // A captured start that is frames but no preface is not HTTP/2 (it would have begun with the preface).
  assert.equal(probeHttp2(view(c, [joinedBytes().client, none], true), new Set()).claim, 'no');
  // --http2-port forces it when the start was not captured.
  const forced = probeHttp2(view(conn(false), [Buffer.from('zzzz'), Buffer.from('yyyy')], true), new Set([50051]));
  assert.deepEqual(forced, { claim: 'yes', verdict: { kind: 'h2', clientIndex: 0, synced: [false, false] } });
});
