import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Assembler, WAITING_SEGMENT_OVERHEAD } from '../../src/tcp/assembler';
import { ACK, FIN, PSH, RST, SYN, Recorder, rev, seg } from './helpers';

/** Client ISN 1000, server ISN 5000: the handshake, frames 1-3. */
function handshake(asm: Assembler, opts: { cisn?: number; sisn?: number; t?: number } = {}): void {
  const c = opts.cisn ?? 1000;
  const s = opts.sisn ?? 5000;
  const t = opts.t ?? 0;
  asm.segment(seg({ seq: c, flags: SYN, t }));
  asm.segment(rev({ seq: s, ack: c + 1, flags: SYN | ACK, t }));
  asm.segment(seg({ seq: c + 1, ack: s + 1, flags: ACK, t }));
}

test('in-order bytes are delivered as the packet\'s own view, with its frame', () => {
  const r = new Recorder();
  const asm = new Assembler(r.factory);
  handshake(asm);
  const s1 = seg({ seq: 1001, data: 'hello ', frame: 10 });
  asm.segment(s1);
  asm.segment(rev({ seq: 5001, data: 'hi', frame: 11 }));
  asm.segment(seg({ seq: 1007, data: 'world', frame: 12 }));
  assert.equal(r.stream(0, 0), 'hello world');
  assert.equal(r.stream(0, 1), 'hi');
  assert.equal(r.views[0], s1.payload, 'zero-copy: the payload view itself');
  assert.deepEqual(
    r.events.filter((e) => e.ev === 'data').map((e) => e.frame),
    [10, 11, 12],
  );
  assert.equal(r.conns.length, 1);
  assert.deepEqual(r.conns[0].endpoints, [
    { addr: '10.0.0.1', port: 1111 },
    { addr: '10.0.0.2', port: 80 },
  ]);
  assert.equal(r.conns[0].synSeen, true);
});

test('out-of-order segments wait and are delivered, in order, with the frame that filled the hole', () => {
  const r = new Recorder();
  const asm = new Assembler(r.factory);
  handshake(asm);
  asm.segment(seg({ seq: 1007, data: 'BBB', frame: 20 }));
  asm.segment(seg({ seq: 1010, data: 'CCC', frame: 21 }));
  assert.equal(r.stream(0, 0), '', 'nothing before the hole is filled');
  assert.equal(asm.bufferedBytes, 6);
  asm.segment(seg({ seq: 1001, data: 'AAAAAA', frame: 22 }));
  assert.equal(r.stream(0, 0), 'AAAAAABBBCCC');
  assert.deepEqual(
    r.events.filter((e) => e.ev === 'data').map((e) => e.frame),
    [22, 22, 22],
  );
  assert.equal(asm.counters.outOfOrderSegments, 2);
  assert.equal(asm.bufferedBytes, 0);
  assert.equal(asm.counters.gaps, 0);
});

test('retransmissions are delivered once and counted', () => {
  const r = new Recorder();
  const asm = new Assembler(r.factory);
  handshake(asm);
  asm.segment(seg({ seq: 1001, data: 'abcd' }));
  asm.segment(seg({ seq: 1001, data: 'abcd' }));
  asm.segment(seg({ seq: 1003, data: 'cdef' }));
  assert.equal(r.stream(0, 0), 'abcdef');
  assert.equal(asm.counters.retransmittedBytes, 6);
});

test('overlapping bytes: the first received win, in order and out of order', () => {
  const r = new Recorder();
  const asm = new Assembler(r.factory);
  handshake(asm);
  asm.segment(seg({ seq: 1001, data: 'aaaa' }));
  // Overlaps delivered bytes with different content: only the new tail is delivered.
  asm.segment(seg({ seq: 1003, data: 'XXbb' }));
  // Two waiting segments that overlap each other.
  asm.segment(seg({ seq: 1010, data: 'dddd' }));
  asm.segment(seg({ seq: 1008, data: 'YYYYYYee' }));
  // Fills the hole, overlapping the waiting bytes with different content.
  asm.segment(seg({ seq: 1007, data: 'cZZZ' }));
  assert.equal(r.stream(0, 0), 'aaaabbcYYddddee');
});

test('a FIN after a hole gives the hole up with the exact number of bytes lost', () => {
  const r = new Recorder();
  const asm = new Assembler(r.factory);
  handshake(asm);
  asm.segment(seg({ seq: 1001, data: 'abc', frame: 10 }));
  // 1004..1009 lost (6 bytes); "xyz" waits; then a hole 1013..1014 (2 bytes) before the FIN at 1015.
  asm.segment(seg({ seq: 1010, data: 'xyz', frame: 11 }));
  asm.segment(seg({ seq: 1015, flags: FIN | ACK, frame: 12 }));
  assert.equal(r.stream(0, 0), 'abc[gap 6]xyz[gap 2]');
  const gaps = r.events.filter((e) => e.ev === 'gap');
  assert.deepEqual(
    gaps.map((g) => g.ev === 'gap' && [g.lost, g.frame]),
    [
      [6, 11],
      [2, 12],
    ],
  );
  assert.equal(asm.counters.gaps, 2);
  assert.equal(asm.counters.bytesLost, 8);
  assert.deepEqual(r.closes(0), [], 'still open: only one direction finished');
  asm.segment(rev({ seq: 5001, flags: FIN | ACK, frame: 13 }));
  assert.deepEqual(r.closes(0), ['fin']);
});

test('FIN both ways closes with "fin" once; later ACKs and retransmissions belong to the closed conversation', () => {
  const r = new Recorder();
  const asm = new Assembler(r.factory);
  handshake(asm);
  asm.segment(seg({ seq: 1001, data: 'req' }));
  asm.segment(rev({ seq: 5001, data: 'resp' }));
  asm.segment(seg({ seq: 1004, flags: FIN | ACK }));
  asm.segment(rev({ seq: 5005, flags: FIN | ACK }));
  assert.deepEqual(r.closes(0), ['fin']);
  assert.equal(asm.openConnections, 0);
  const late = asm.segment(seg({ seq: 1005, ack: 5006, flags: ACK }));
  const retrans = asm.segment(rev({ seq: 5001, data: 'resp' }));
  assert.equal(late?.index, 0);
  assert.equal(retrans?.index, 0);
  assert.equal(r.stream(0, 1), 'resp');
  assert.deepEqual(r.closes(0), ['fin']);
  assert.equal(asm.counters.connections, 1);
});

test('a hole is given up when its waiting segment is older than gapTimeoutSec (capture time)', () => {
  const r = new Recorder();
  const asm = new Assembler(r.factory, { gapTimeoutSec: 10 });
  handshake(asm, { t: 100 });
  asm.segment(seg({ seq: 1001, data: 'ab', t: 100 }));
  asm.segment(seg({ seq: 1010, data: 'late', t: 101, frame: 50 }));
  // Traffic on another connection moves capture time on.
  asm.segment(seg({ sp: 2222, seq: 1, data: 'other', t: 110 }));
  assert.equal(r.stream(0, 0), 'ab', 'not yet: 9 s waited');
  asm.segment(seg({ sp: 2222, seq: 6, data: 'more', t: 111.5, frame: 60 }));
  assert.equal(r.stream(0, 0), 'ab[gap 7]late');
  const gap = r.events.find((e) => e.ev === 'gap');
  assert.equal(gap?.frame, 50, 'the gap carries the frame delivery resumes with');
  const late = r.events.find((e) => e.ev === 'data' && e.text === 'late');
  assert.equal(late?.frame, 50, 'given-up bytes carry their own frame');
  assert.equal(asm.bufferedBytes, 0);
});

test('the per-direction buffer limit gives holes up, oldest first, with exact counts', () => {
  const r = new Recorder();
  // 10 bytes in at most 2 waiting segments.
  const asm = new Assembler(r.factory, { maxBufferedBytesPerDirection: 10 + 2 * WAITING_SEGMENT_OVERHEAD });
  handshake(asm);
  asm.segment(seg({ seq: 1001, data: 'a' }));
  asm.segment(seg({ seq: 1005, data: '12345' })); // hole of 3 (1002..1004)
  asm.segment(seg({ seq: 1020, data: '6789' })); // hole of 10 (1010..1019); 9 bytes wait
  assert.equal(r.stream(0, 0), 'a');
  asm.segment(seg({ seq: 1030, data: 'XY' })); // 11 bytes: over the limit
  assert.equal(r.stream(0, 0), 'a[gap 3]12345', 'the first hole is given up; 6 bytes still wait');
  assert.equal(asm.bufferedBytes, 6);
  asm.segment(seg({ seq: 1024, data: 'QRSTUV' })); // fills 1024..1029: the rest is contiguous
  assert.equal(r.stream(0, 0), 'a[gap 3]12345[gap 10]6789QRSTUVXY');
  assert.equal(asm.counters.bytesLost, 13);
  assert.equal(asm.bufferedBytes, 0);
});

test('the total buffer limit gives up the holes of the direction that has waited longest', () => {
  const r = new Recorder();
  // 8 bytes in at most 2 waiting segments.
  const asm = new Assembler(r.factory, { maxBufferedBytesTotal: 8 + 2 * WAITING_SEGMENT_OVERHEAD });
  asm.segment(seg({ sp: 1, seq: 100, data: 'a', t: 1 }));
  asm.segment(seg({ sp: 2, seq: 200, data: 'b', t: 1 }));
  asm.segment(seg({ sp: 1, seq: 105, data: 'xxxx', t: 2 })); // conn 0 waits 4 bytes behind a 4-byte hole
  asm.segment(seg({ sp: 2, seq: 210, data: 'yyyy', t: 3 })); // conn 1 waits 4 (total 8)
  assert.equal(asm.bufferedBytes, 8);
  asm.segment(seg({ sp: 2, seq: 220, data: 'z', t: 4 })); // total 9: conn 0 waited longest
  assert.equal(r.stream(0, 0), 'a[gap 4]xxxx');
  assert.equal(r.stream(1, 0), 'b');
  assert.equal(asm.bufferedBytes, 5);
});

test('sequence numbers wrap around 2^32', () => {
  const r = new Recorder();
  const asm = new Assembler(r.factory);
  const isn = 0xfffffffa;
  handshake(asm, { cisn: isn });
  asm.segment(seg({ seq: isn + 1, data: 'abcd' })); // 0xfffffffb..0xfffffffe
  asm.segment(seg({ seq: 3, data: 'ghi' })); // out of order, after the wrap
  asm.segment(seg({ seq: 0xffffffff, data: 'efXX' })); // 0xffffffff, then 0, 1, 2: crosses 2^32
  assert.equal(r.stream(0, 0), 'abcdefXXghi');
  asm.segment(seg({ seq: 6, flags: FIN | ACK }));
  asm.segment(rev({ seq: 5001, flags: FIN | ACK }));
  assert.deepEqual(r.closes(0), ['fin']);
  assert.equal(asm.counters.gaps, 0);
});

test('a connection joined mid-stream starts at the first data, with no gap, synSeen false', () => {
  const r = new Recorder();
  const asm = new Assembler(r.factory);
  // A keep-alive-like pure ACK one below the data must not start the stream.
  asm.segment(rev({ seq: 9999, flags: ACK, frame: 1 }));
  asm.segment(rev({ seq: 10000, data: 'middle of ', frame: 2 }));
  asm.segment(seg({ seq: 77, data: 'ok' }));
  asm.segment(rev({ seq: 10010, data: 'it', frame: 3 }));
  asm.segment(rev({ seq: 9995, data: 'older' })); // before the start: a retransmission
  assert.equal(r.conns[0].synSeen, false);
  assert.deepEqual(r.conns[0].endpoints[0], { addr: '10.0.0.2', port: 80 }, 'the first packet\'s sender');
  assert.equal(r.stream(0, 0), 'middle of it');
  assert.equal(r.stream(0, 1), 'ok');
  assert.equal(asm.counters.gaps, 0);
});

test('a SYN-ACK seen without its SYN still makes its receiver endpoints[0]', () => {
  const r = new Recorder();
  const asm = new Assembler(r.factory);
  asm.segment(rev({ seq: 5000, ack: 1001, flags: SYN | ACK }));
  asm.segment(seg({ seq: 1001, data: 'req' }));
  asm.segment(rev({ seq: 5001, data: 'resp' }));
  assert.equal(r.conns[0].synSeen, true);
  assert.deepEqual(r.conns[0].endpoints, [
    { addr: '10.0.0.1', port: 1111 },
    { addr: '10.0.0.2', port: 80 },
  ]);
  assert.equal(r.stream(0, 0), 'req');
  assert.equal(r.stream(0, 1), 'resp');
});

test('tcp.stream numbering: order of first packet, 4-tuple reuse with a new SYN, retransmitted SYN', () => {
  const r = new Recorder();
  const asm = new Assembler(r.factory);
  const idx = (s: ReturnType<typeof seg>) => asm.segment(s)?.index;
  assert.equal(idx(seg({ sp: 1, seq: 100, flags: SYN })), 0);
  assert.equal(idx(seg({ sp: 2, seq: 100, flags: SYN })), 1);
  assert.equal(idx(rev({ dp: 1, seq: 900, ack: 101, flags: SYN | ACK })), 0);
  assert.equal(idx(seg({ sp: 1, seq: 100, flags: SYN })), 0, 'same ISN: a retransmitted SYN');
  assert.equal(idx(seg({ sp: 1, seq: 101, flags: FIN | ACK })), 0);
  assert.equal(idx(rev({ dp: 1, seq: 901, flags: FIN | ACK })), 0);
  assert.equal(idx(seg({ sp: 1, seq: 102, flags: ACK })), 0, 'the last ACK');
  assert.deepEqual(r.closes(0), ['fin']);
  assert.equal(idx(seg({ sp: 1, seq: 100, flags: SYN })), 0, 'same ISN after close: still a retransmission');
  assert.equal(idx(seg({ sp: 1, seq: 7000, flags: SYN })), 2, 'new ISN: a new conversation');
  assert.equal(idx(rev({ dp: 1, seq: 3000, ack: 7001, flags: SYN | ACK })), 2);
  assert.equal(idx(seg({ sp: 1, seq: 7001, data: 'x' })), 2);
  assert.equal(r.stream(2, 0), 'x');
  assert.equal(idx(seg({ sp: 3, seq: 1, flags: ACK })), 3);
  assert.equal(asm.counters.connections, 4);
});

test('a new SYN on a conversation that never closed starts a new one and ends the old', () => {
  const r = new Recorder();
  const asm = new Assembler(r.factory);
  handshake(asm);
  asm.segment(seg({ seq: 1001, data: 'old' }));
  asm.segment(seg({ seq: 1010, data: 'waiting' }));
  const c = asm.segment(seg({ seq: 424242, flags: SYN }));
  assert.equal(c?.index, 1);
  assert.equal(r.stream(0, 0), 'old[gap 6]waiting');
  assert.deepEqual(r.closes(0), ['end']);
  assert.equal(asm.openConnections, 1);
});

test('tshark\'s base_seq: a SYN one below the first data packet is the same conversation', () => {
  const r = new Recorder();
  const asm = new Assembler(r.factory);
  // tshark 4.0.17 gives this exact sequence streams 0, 0, 0, 1.
  assert.equal(asm.segment(seg({ seq: 100, ack: 5001, flags: ACK }))?.index, 0);
  assert.equal(asm.segment(seg({ seq: 99, flags: SYN }))?.index, 0);
  // The peer's base comes from the first ACK number: ack 5001 → a SYN from the peer with 5000 is no reuse.
  assert.equal(asm.segment(rev({ seq: 5000, flags: SYN }))?.index, 0);
  assert.equal(asm.segment(rev({ seq: 6000, flags: SYN }))?.index, 1);
});

test('RST closes at once: waiting bytes are delivered after their gap, then close("rst")', () => {
  const r = new Recorder();
  const asm = new Assembler(r.factory);
  handshake(asm);
  asm.segment(seg({ seq: 1001, data: 'ab' }));
  asm.segment(seg({ seq: 1005, data: 'ef' }));
  asm.segment(rev({ seq: 5001, flags: RST }));
  assert.equal(r.stream(0, 0), 'ab[gap 2]ef');
  assert.deepEqual(r.closes(0), ['rst']);
  assert.equal(asm.segment(seg({ seq: 1007, data: 'after' }))?.index, 0, 'attributed to the reset conversation');
  assert.equal(r.stream(0, 0), 'ab[gap 2]ef', 'but not delivered');
  assert.equal(asm.bufferedBytes, 0);
});

test('past maxConnections the least recently active connection is evicted', () => {
  const r = new Recorder();
  const asm = new Assembler(r.factory, { maxConnections: 2 });
  asm.segment(seg({ sp: 1, seq: 1, data: 'a' }));
  asm.segment(seg({ sp: 2, seq: 1, data: 'b' }));
  asm.segment(seg({ sp: 1, seq: 2, data: 'a' })); // conn 0 is now the most recent
  asm.segment(seg({ sp: 3, seq: 1, data: 'c' }));
  assert.deepEqual(r.closes(1), ['evicted']);
  assert.deepEqual(r.closes(0), []);
  assert.equal(asm.counters.evictedConnections, 1);
  assert.equal(asm.openConnections, 2);
  // Traffic of the evicted connection starts a new one.
  assert.equal(asm.segment(seg({ sp: 2, seq: 2, data: 'b' }))?.index, 3);
  assert.deepEqual(r.closes(0), ['evicted']);
});

test('idleTimeoutSec closes silent connections with "idle"', () => {
  const r = new Recorder();
  const asm = new Assembler(r.factory, { idleTimeoutSec: 30 });
  asm.segment(seg({ sp: 1, seq: 1, data: 'a', t: 0 }));
  asm.segment(seg({ sp: 2, seq: 1, data: 'b', t: 20 }));
  asm.segment(seg({ sp: 2, seq: 2, data: 'b', t: 31 }));
  assert.deepEqual(r.closes(0), ['idle']);
  assert.deepEqual(r.closes(1), []);
});

test('flush gives up every hole, delivers what waits and closes all with "end", in index order', () => {
  const r = new Recorder();
  const asm = new Assembler(r.factory);
  asm.segment(seg({ sp: 1, seq: 1, data: 'a' }));
  asm.segment(seg({ sp: 2, seq: 1, data: 'b' }));
  asm.segment(seg({ sp: 1, seq: 5, data: 'e' }));
  asm.segment(seg({ sp: 2, seq: 1, data: 'b' }));
  asm.flush();
  assert.equal(r.stream(0, 0), 'a[gap 3]e');
  assert.deepEqual(
    r.events.filter((e) => e.ev === 'close').map((e) => e.conn),
    [0, 1],
  );
  assert.equal(asm.openConnections, 0);
  assert.equal(asm.bufferedBytes, 0);
});

test('a segment cut by the snap length: the hole after it is given up as soon as the next one arrives', () => {
  const r = new Recorder();
  const asm = new Assembler(r.factory);
  handshake(asm);
  // 100 bytes on the wire, 10 captured.
  asm.segment(seg({ seq: 1001, data: '0123456789', truncated: true }));
  asm.segment(seg({ seq: 1101, data: 'next' }));
  assert.equal(r.stream(0, 0), '0123456789[gap 90]next');
  assert.equal(asm.bufferedBytes, 0);
});

test('SYN data (TCP Fast Open) follows the SYN\'s sequence number', () => {
  const r = new Recorder();
  const asm = new Assembler(r.factory);
  asm.segment(seg({ seq: 1000, flags: SYN, data: 'early' }));
  asm.segment(rev({ seq: 5000, ack: 1006, flags: SYN | ACK }));
  asm.segment(seg({ seq: 1006, data: '-more' }));
  assert.equal(r.stream(0, 0), 'early-more');
});

test('property: any segmentation, order and duplication of a stream reassembles to the stream', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 1, maxLength: 300 }),
      fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 40 }),
      fc.integer({ min: 0, max: 0xffffffff }),
      fc.array(fc.nat(), { maxLength: 60 }),
      fc.array(fc.nat(), { maxLength: 10 }),
      (stream, sizes, isn, swaps, dups) => {
        // Cut the stream into segments of the given sizes (cycled).
        const segs: { off: number; len: number }[] = [];
        for (let off = 0, i = 0; off < stream.length; i++) {
          const len = Math.min(sizes[i % sizes.length], stream.length - off);
          segs.push({ off, len });
          off += len;
        }
        for (const d of dups) segs.push({ ...segs[d % segs.length] });
        for (let i = 0; i < swaps.length - 1; i += 2) {
          const a = swaps[i] % segs.length;
          const b = swaps[i + 1] % segs.length;
          [segs[a], segs[b]] = [segs[b], segs[a]];
        }
        const r = new Recorder();
        const asm = new Assembler(r.factory);
        asm.segment(seg({ seq: isn, flags: SYN }));
        for (const s of segs) {
          asm.segment(seg({ seq: isn + 1 + s.off, data: stream.slice(s.off, s.off + s.len) }));
        }
        asm.segment(seg({ seq: isn + 1 + stream.length, flags: FIN | ACK }));
        const bytes = Buffer.concat(r.views.map((v) => Buffer.from(v)));
        assert.deepEqual(bytes, Buffer.from(stream));
        assert.equal(asm.counters.gaps, 0);
        assert.equal(asm.bufferedBytes, 0);
      },
    ),
    { numRuns: 300 },
  );
});

test('PSH and other flags do not matter to delivery', () => {
  const r = new Recorder();
  const asm = new Assembler(r.factory);
  handshake(asm);
  asm.segment(seg({ seq: 1001, data: 'a', flags: ACK }));
  asm.segment(seg({ seq: 1002, data: 'b', flags: ACK | PSH | 0x80 | 0x40 }));
  assert.equal(r.stream(0, 0), 'ab');
});

test('tiny waiting segments are charged their bookkeeping: 1-byte segments cannot pile up without bound', () => {
  const r = new Recorder();
  const asm = new Assembler(r.factory, { maxBufferedBytesPerDirection: 100 * (1 + WAITING_SEGMENT_OVERHEAD) });
  handshake(asm);
  // Every other byte, each behind a 1-byte hole: 1000 segments would wait.
  for (let i = 0; i < 1000; i++) asm.segment(seg({ seq: 1002 + 2 * i, data: 'x' }));
  assert.ok(asm.bufferedBytes <= 100, `${asm.bufferedBytes} bytes wait`);
  assert.equal(asm.counters.bytesLost, asm.counters.gaps, 'each given-up hole is exactly 1 byte');
  assert.equal(r.stream(0, 0).replace(/\[gap 1\]/g, '').length + asm.bufferedBytes, 1000);
});

test('conversations on the same ports but other addresses, and port pairs whose keys collide, stay apart', () => {
  const r = new Recorder();
  const asm = new Assembler(r.factory);
  const a = asm.segment(seg({ src: '10.0.0.1', sp: 5000, dp: 80, seq: 1, data: 'a' }));
  const b = asm.segment(seg({ src: '10.0.0.9', sp: 5000, dp: 80, seq: 1, data: 'b' }));
  const c = asm.segment(seg({ src: '10.0.0.1', sp: 5000, dp: 80 + 16384, seq: 1, data: 'c' }));
  const d = asm.segment(seg({ src: '10.0.0.1', sp: 5000 + 16384, dp: 80, seq: 1, data: 'd' }));
  assert.deepEqual([a, b, c, d].map((x) => x?.index), [0, 1, 2, 3]);
  assert.equal(asm.segment(rev({ dst: '10.0.0.9', sp: 80, dp: 5000, seq: 9, data: 'B' }))?.index, 1);
  assert.equal(asm.segment(seg({ src: '10.0.0.1', sp: 5000, dp: 80 + 16384, seq: 2, data: 'C' }))?.index, 2);
  assert.equal(r.stream(1, 1), 'B');
  assert.equal(r.stream(2, 0), 'cC');
  // Closing one in a shared bucket leaves the others findable.
  asm.segment(seg({ src: '10.0.0.9', sp: 5000, dp: 80, seq: 2, flags: RST }));
  assert.equal(asm.segment(seg({ src: '10.0.0.1', sp: 5000, dp: 80, seq: 2, data: 'A' }))?.index, 0);
  assert.equal(r.stream(0, 0), 'aA');
});

test('a missed SYN-ACK: the client\'s ACK says where the server\'s bytes start, so reordering is not lost', () => {
  const r = new Recorder();
  const asm = new Assembler(r.factory);
  asm.segment(seg({ seq: 1000, flags: SYN }));
  asm.segment(seg({ seq: 1001, ack: 5001, flags: ACK })); // the SYN-ACK (ISN 5000) was not captured
  asm.segment(rev({ seq: 5006, data: 'world' }));
  asm.segment(rev({ seq: 5001, data: 'hello' }));
  assert.equal(r.stream(0, 1), 'helloworld');
  assert.equal(asm.counters.gaps, 0);
});
