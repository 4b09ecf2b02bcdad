import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { PacketDecoder } from '../../src/net/decode';
import type { TcpSegment } from '../../src/net/types';
import { ah, bsdNull, concat, ether, ext8, fragHeader, ipv4, ipv6, packet, sll, sll2, tcp, v6 } from './frames';

const ETH = 1;
const text = (b: Uint8Array) => new TextDecoder().decode(b);

function decode1(linkType: number, data: Uint8Array, extra = {}): { seg: TcpSegment | undefined; d: PacketDecoder } {
  const d = new PacketDecoder();
  return { seg: d.decode(packet(linkType, data, extra)), d };
}

test('Ethernet IPv4 TCP: addresses, ports, numbers, flags, window, payload', () => {
  const frame = ether(0x0800, ipv4(tcp({ sp: 40000, dp: 50051, seq: 0xfffffff0, ack: 7, flags: 0x11, window: 999, payload: 'PRI * HTTP/2.0' })));
  const { seg, d } = decode1(ETH, frame);
  assert.ok(seg);
  assert.equal(seg.ipVersion, 4);
  assert.equal(seg.src, '192.0.2.1');
  assert.equal(seg.dst, '192.0.2.2');
  assert.equal(seg.srcPort, 40000);
  assert.equal(seg.dstPort, 50051);
  assert.equal(seg.seq, 0xfffffff0);
  assert.equal(seg.ack, 7);
  assert.equal(seg.flags, 0x11);
  assert.equal(seg.window, 999);
  assert.equal(text(seg.payload), 'PRI * HTTP/2.0');
  assert.equal(seg.truncated, false);
  assert.equal(seg.payload.buffer, frame.buffer, 'the payload is a view into the packet');
  assert.deepEqual(
    { packets: d.counters.packets, tcp: d.counters.tcp },
    { packets: 1, tcp: 1 },
  );
});

test('the AE (ex-NS) flag bit is kept above the 8 classic flags', () => {
  const { seg } = decode1(ETH, ether(0x0800, ipv4(tcp({ flags: 0x152 }))));
  assert.equal(seg?.flags, 0x152);
});

test('Ethernet padding after the IP datagram is not payload', () => {
  const frame = concat(ether(0x0800, ipv4(tcp({ payload: 'ab' }))), [0, 0, 0, 0, 0, 0]);
  const { seg } = decode1(ETH, frame);
  assert.equal(text(seg!.payload), 'ab');
});

test('802.1Q and 802.1ad (QinQ) tags are skipped', () => {
  const inner = ipv4(tcp({ payload: 'x' }));
  const one = decode1(ETH, ether(0x0800, inner, [{ tpid: 0x8100, vid: 10 }])).seg;
  const two = decode1(ETH, ether(0x0800, inner, [{ tpid: 0x88a8, vid: 100 }, { tpid: 0x8100, vid: 10 }])).seg;
  const old = decode1(ETH, ether(0x86dd, ipv6(tcp({ payload: 'y' })), [{ tpid: 0x9100, vid: 5 }])).seg;
  assert.equal(text(one!.payload), 'x');
  assert.equal(text(two!.payload), 'x');
  assert.equal(text(old!.payload), 'y');
});

test('IPv4 options (IHL > 5) and TCP options (data offset > 5) are skipped', () => {
  const frame = ether(
    0x0800,
    ipv4(tcp({ options: [2, 4, 0x05, 0xb4, 1, 3, 3, 7, 4, 2], payload: 'data' }), { options: [0x94, 4, 0, 0, 1, 1, 1, 0] }),
  );
  const { seg } = decode1(ETH, frame);
  assert.equal(text(seg!.payload), 'data');
});

test('IPv6 with hop-by-hop, routing, destination options and AH headers reaches TCP', () => {
  const chain = concat(ext8(43, [5, 2, 0, 0]), ext8(60, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]), ext8(51, [1, 4, 0, 0, 0, 0]), ah(6), tcp({ payload: 'v6 data' }));
  const frame = ether(0x86dd, ipv6(chain, { next: 0, src: v6(0xfe80, 0, 0, 0, 0x1, 0, 0, 0x2), dst: v6(0, 0, 0, 0, 0, 0, 0, 1) }));
  const { seg } = decode1(ETH, frame);
  assert.ok(seg);
  assert.equal(seg.ipVersion, 6);
  assert.equal(seg.src, 'fe80::1:0:0:2');
  assert.equal(seg.dst, '::1');
  assert.equal(text(seg.payload), 'v6 data');
});

test('IPv6 with 200 destination options headers still reaches TCP (no count limit: each header moves 8 octets on)', () => {
  const headers = Array.from({ length: 200 }, (_, i) => ext8(i === 199 ? 6 : 60, [1, 2, 3, 4]));
  const chain = concat(...headers, tcp({ payload: 'deep' }));
  const d = new PacketDecoder();
  const seg = d.decode(packet(ETH, ether(0x86dd, ipv6(chain, { next: 60 }))));
  assert.ok(seg, 'decoded as TCP');
  assert.equal(text(seg.payload), 'deep');
  assert.equal(d.counters.malformed, 0);
});

test('ESP, No Next Header, UDP and other protocols are counted as non-TCP', () => {
  const d = new PacketDecoder();
  assert.equal(d.decode(packet(ETH, ether(0x86dd, ipv6(new Uint8Array(16), { next: 50 })))), undefined);
  assert.equal(d.decode(packet(ETH, ether(0x86dd, ipv6(new Uint8Array(0), { next: 59 })))), undefined);
  assert.equal(d.decode(packet(ETH, ether(0x0800, ipv4(new Uint8Array(8), { proto: 17 })))), undefined);
  assert.equal(d.counters.nonTcp, 3);
  assert.equal(d.counters.malformed, 0);
});

test('ARP and other EtherTypes are counted as non-IP; unknown link types as unsupported', () => {
  const d = new PacketDecoder();
  assert.equal(d.decode(packet(ETH, ether(0x0806, new Uint8Array(28)))), undefined);
  assert.equal(d.decode(packet(147, new Uint8Array(40))), undefined);
  assert.equal(d.decode(packet(105, new Uint8Array(40))), undefined);
  assert.equal(d.counters.nonIp, 1);
  assert.equal(d.counters.unsupportedLinkType, 2);
  assert.equal(d.counters.packets, 3);
});

test('Linux cooked captures v1 (113) and v2 (276)', () => {
  const s1 = decode1(113, sll(0x0800, ipv4(tcp({ payload: 'sll' })))).seg;
  const s2 = decode1(276, sll2(0x86dd, ipv6(tcp({ payload: 'sll2' })))).seg;
  const tagged = decode1(113, sll(0x8100, concat([0, 7, 0x08, 0x00], ipv4(tcp({ payload: 'vlan' }))))).seg;
  assert.equal(text(s1!.payload), 'sll');
  assert.equal(text(s2!.payload), 'sll2');
  assert.equal(text(tagged!.payload), 'vlan');
});

test('BSD NULL loopback reads the address family in either byte order; IPv6 as 24, 28 or 30', () => {
  const v4 = ipv4(tcp({ payload: '4' }));
  const six = ipv6(tcp({ payload: '6' }));
  for (const le of [true, false]) {
    assert.equal(text(decode1(0, bsdNull(2, v4, le)).seg!.payload), '4');
    for (const af of [24, 28, 30]) assert.equal(text(decode1(0, bsdNull(af, six, le)).seg!.payload), '6');
  }
  const { seg, d } = decode1(0, bsdNull(7, v4, true));
  assert.equal(seg, undefined);
  assert.equal(d.counters.nonIp, 1);
});

test('OpenBSD LOOP (108) has the family in network byte order', () => {
  assert.equal(text(decode1(108, bsdNull(2, ipv4(tcp({ payload: 'lo' })), false)).seg!.payload), 'lo');
  assert.equal(text(decode1(108, bsdNull(24, ipv6(tcp({ payload: 'lo6' })), false)).seg!.payload), 'lo6');
});

test('raw IP: 101 by version nibble, 228 IPv4, 229 IPv6', () => {
  assert.equal(decode1(101, ipv4(tcp())).seg?.ipVersion, 4);
  assert.equal(decode1(101, ipv6(tcp())).seg?.ipVersion, 6);
  assert.equal(decode1(228, ipv4(tcp())).seg?.ipVersion, 4);
  assert.equal(decode1(229, ipv6(tcp())).seg?.ipVersion, 6);
  const { seg, d } = decode1(228, ipv6(tcp()));
  assert.equal(seg, undefined, 'an IPv6 header where IPv4 was promised');
  assert.equal(d.counters.malformed, 1);
});

test('a packet cut by the snap length: payload is what was captured, truncated is set', () => {
  const full = ether(0x0800, ipv4(tcp({ payload: 'x'.repeat(100) })));
  const cut = full.subarray(0, 14 + 20 + 20 + 30);
  const { seg } = decode1(ETH, cut, { capturedLength: cut.length, originalLength: full.length });
  assert.equal(seg!.payload.length, 30);
  assert.equal(seg!.truncated, true);
  // Cut inside the TCP options: numbers and flags are still known, no payload.
  const withOpts = ether(0x0800, ipv4(tcp({ options: new Array(20).fill(1), payload: 'abc', flags: 0x02 })));
  const cut2 = withOpts.subarray(0, 14 + 20 + 24);
  const r2 = decode1(ETH, cut2, { capturedLength: cut2.length, originalLength: withOpts.length }).seg;
  assert.equal(r2!.flags, 0x02);
  assert.equal(r2!.payload.length, 0);
  assert.equal(r2!.truncated, true);
});

test('a zero IPv4 total length (segmentation offload) takes the frame\'s length', () => {
  const { seg } = decode1(ETH, ether(0x0800, ipv4(tcp({ payload: 'tso' }), { totalLength: 0 })));
  assert.equal(text(seg!.payload), 'tso');
});

test('lengths that lie are counted as malformed, never thrown', () => {
  const cases: [string, Uint8Array][] = [
    ['IHL below 5', ether(0x0800, ipv4(tcp(), { ihl: 4 }))],
    ['IHL past the frame', ether(0x0800, ipv4(tcp(), { ihl: 15 }).subarray(0, 40))],
    ['total length below the header', ether(0x0800, ipv4(tcp(), { totalLength: 19 }))],
    ['total length cutting the TCP header', ether(0x0800, ipv4(tcp(), { totalLength: 30 }))],
    ['TCP header shorter than 20 bytes', ether(0x0800, ipv4(new Uint8Array(12)))],
    ['IPv6 extension header past the payload', ether(0x86dd, ipv6(Uint8Array.from([6, 200, 0, 0, 0, 0, 0, 0]), { next: 0 }))],
    ['Ethernet shorter than its header', new Uint8Array(10)],
    ['VLAN tag cut', concat([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2], [0x81, 0x00, 0])],
  ];
  for (const [why, frame] of cases) {
    const d = new PacketDecoder();
    assert.equal(d.decode(packet(ETH, frame)), undefined, why);
    assert.equal(d.counters.malformed, 1, why);
  }
});

test('lies Wireshark still numbers are counted as malformed but handed up, like tshark', () => {
  // tshark 4.0.17 gives each of these a tcp.stream; the tcp.len of the first two is the 3 captured bytes.
  const cases: [string, Uint8Array, string][] = [
    ['IPv4 total length past an uncut frame', ether(0x0800, ipv4(tcp({ payload: 'abc' }), { totalLength: 400 })), 'abc'],
    ['IPv6 payload length past an uncut frame', ether(0x86dd, ipv6(tcp({ payload: 'abc' }), { payloadLength: 999 })), 'abc'],
    ['TCP data offset below 5', ether(0x0800, ipv4(tcp({ dataOffset: 4, payload: 'abc', seq: 77 }))), ''],
    ['TCP data offset past the segment', ether(0x0800, ipv4(tcp({ dataOffset: 15, payload: 'abc', seq: 77 }))), ''],
  ];
  for (const [why, frame, payload] of cases) {
    const d = new PacketDecoder();
    const seg = d.decode(packet(ETH, frame));
    assert.ok(seg, why);
    assert.equal(text(seg.payload), payload, why);
    assert.equal(seg.truncated, false, why);
    assert.equal(d.counters.malformed, 1, why);
    assert.equal(d.counters.tcp, 1, why);
  }
});

test('random bytes on every link type never throw', () => {
  const d = new PacketDecoder();
  fc.assert(
    fc.property(fc.constantFrom(0, 1, 101, 108, 113, 228, 229, 276), fc.uint8Array({ maxLength: 120 }), (lt, bytes) => {
      d.decode(packet(lt, bytes));
    }),
    { numRuns: 2000 },
  );
  // And headers that are valid up to a random tail.
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 0, maxLength: 80 }), fc.boolean(), (tail, six) => {
      const hdr = six ? ether(0x86dd, ipv6(tail, { next: tail[0] ?? 0 })) : ether(0x0800, ipv4(tail, { mf: tail.length % 2 === 1 }));
      d.decode(packet(ETH, hdr));
    }),
    { numRuns: 2000 },
  );
  assert.equal(d.counters.packets, 4000);
});

test('IPv4 fragments, in any order, become one segment carrying the last fragment\'s packet', () => {
  const seg = tcp({ payload: 'A'.repeat(30) + 'B'.repeat(30) });
  // 80 bytes of TCP: fragments of 24, 24, 32 bytes.
  const parts = [seg.subarray(0, 24), seg.subarray(24, 48), seg.subarray(48)];
  const frames = parts.map((p, i) =>
    ether(0x0800, ipv4(p, { id: 77, mf: i < 2, fragOffset: i * 24 })),
  );
  const d = new PacketDecoder();
  const p2 = packet(ETH, frames[2]);
  const p0 = packet(ETH, frames[0]);
  const p1 = packet(ETH, frames[1]);
  assert.equal(d.decode(p2), undefined);
  assert.equal(d.decode(p0), undefined);
  const out = d.decode(p1);
  assert.ok(out);
  assert.equal(out.packet, p1);
  assert.equal(text(out.payload), 'A'.repeat(30) + 'B'.repeat(30));
  assert.equal(out.srcPort, 40000);
  assert.equal(d.counters.ipFragments, 3);
  assert.equal(d.counters.reassembledDatagrams, 1);
  assert.equal(d.counters.tcp, 1);
  assert.equal(d.pendingFragmentedDatagrams, 0);
});

test('IPv6 fragments with a destination options header in the fragmentable part', () => {
  const body = concat(ext8(6, [1, 2, 0, 0]), tcp({ payload: 'fragmented v6 payload!' }));
  const first = body.subarray(0, 16);
  const rest = body.subarray(16);
  const d = new PacketDecoder();
  const f1 = ether(0x86dd, ipv6(concat(fragHeader(60, 0, true, 0xabcdef01), first), { next: 44 }));
  const f2 = ether(0x86dd, ipv6(concat(fragHeader(60, 16, false, 0xabcdef01), rest), { next: 44 }));
  assert.equal(d.decode(packet(ETH, f1)), undefined);
  const out = d.decode(packet(ETH, f2));
  assert.equal(text(out!.payload), 'fragmented v6 payload!');
  assert.equal(out!.ipVersion, 6);
  assert.equal(d.counters.ipFragments, 2);
});

test('an IPv6 atomic fragment (offset 0, no more fragments) is an ordinary datagram', () => {
  const d = new PacketDecoder();
  const out = d.decode(packet(ETH, ether(0x86dd, ipv6(concat(fragHeader(6, 0, false, 5), tcp({ payload: 'atomic' })), { next: 44 }))));
  assert.equal(text(out!.payload), 'atomic');
  assert.equal(d.counters.ipFragments, 0);
});

test('fragment limits: at maxFragmentBuffers the oldest datagram is dropped and counted', () => {
  const d = new PacketDecoder({ maxFragmentBuffers: 1 });
  const frag = (id: number, off: number, mf: boolean) => ether(0x0800, ipv4(new Uint8Array(16), { id, mf, fragOffset: off }));
  d.decode(packet(ETH, frag(1, 0, true)));
  d.decode(packet(ETH, frag(2, 0, true))); // datagram 1 dropped to make room
  assert.equal(d.counters.droppedFragments, 1);
  assert.equal(d.decode(packet(ETH, frag(1, 16, false))), undefined, 'its first half is gone');
  assert.equal(d.counters.droppedFragments, 2, 'and datagram 2 made room for it');
  assert.equal(d.pendingFragmentedDatagrams, 1);
});

test('fragment limits: a datagram waiting past fragmentTimeoutSec (capture time) is dropped', () => {
  const d = new PacketDecoder({ fragmentTimeoutSec: 5 });
  const body = tcp({ payload: 'x'.repeat(12) });
  const f1 = ether(0x0800, ipv4(body.subarray(0, 16), { id: 9, mf: true }));
  const f2 = ether(0x0800, ipv4(body.subarray(16), { id: 9, fragOffset: 16 }));
  d.decode(packet(ETH, f1, { tsSec: 100 }));
  assert.equal(d.decode(packet(ETH, f2, { tsSec: 106 })), undefined);
  assert.equal(d.counters.droppedFragments, 1);
  // Within the timeout it completes.
  const e = new PacketDecoder({ fragmentTimeoutSec: 5 });
  e.decode(packet(ETH, f1, { tsSec: 100 }));
  assert.ok(e.decode(packet(ETH, f2, { tsSec: 104 })));
});

test('fragment limits: maxFragmentBytes bounds what is held', () => {
  const d = new PacketDecoder({ maxFragmentBytes: 40 });
  for (let id = 0; id < 5; id++) d.decode(packet(ETH, ether(0x0800, ipv4(new Uint8Array(16), { id, mf: true }))));
  assert.equal(d.pendingFragmentedDatagrams, 2);
  assert.equal(d.counters.droppedFragments, 3);
});

test('fragments of non-TCP datagrams are counted, not held', () => {
  const d = new PacketDecoder();
  d.decode(packet(ETH, ether(0x0800, ipv4(new Uint8Array(16), { proto: 17, mf: true }))));
  assert.equal(d.counters.ipFragments, 1);
  assert.equal(d.counters.nonTcp, 1);
  assert.equal(d.pendingFragmentedDatagrams, 0);
});
