/**
 * fixtures/messy.pcap (made by fixtures/make-messy.py): crafted traffic with what clean loopback captures never
 * show (4-tuple reuse, SYN-ACK first, joined mid-stream, RST, VLAN, IPv6 extension headers, IP fragments,
 * reordering, duplicates, non-TCP, lying lengths, ICMP errors), checked against tshark 4.0.17's tcp.stream of every frame.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readCapture } from '../../src/input/open';
import { PacketDecoder } from '../../src/net/decode';
import { Assembler } from '../../src/tcp/assembler';
import { Recorder } from './helpers';

const FIXTURES = join(__dirname, 'fixtures');

test('messy.pcap: tcp.stream of every frame matches tshark, and each conversation reassembles', async () => {
  const decoder = new PacketDecoder();
  const r = new Recorder();
  const assembler = new Assembler(r.factory);
  const got = new Map<number, number>();
  await readCapture(join(FIXTURES, 'messy.pcap'), {
    packet(p) {
      const seg = decoder.decode(p);
      const conn = seg && assembler.segment(seg);
      if (conn) got.set(p.number, conn.index);
    },
  });
  assembler.flush();

  const rows = readFileSync(join(FIXTURES, 'messy.streams.tsv'), 'utf8').split('\n').filter((l) => l !== '').slice(1);
  const want = new Map<number, number>();
  for (const row of rows) {
    const [frame, stream] = row.split('\t');
    if (stream !== undefined && stream !== '') want.set(Number(frame), Number(stream));
  }
  assert.deepEqual(Object.fromEntries(got), Object.fromEntries(want));

  assert.equal(r.stream(0, 0), 'hello');
  assert.equal(r.stream(0, 1), 'world!');
  assert.deepEqual(r.closes(0), ['fin']);
  assert.equal(r.stream(1, 0), 'again');
  assert.equal(r.stream(2, 0), '1234567890abc');
  assert.deepEqual(r.conns[3].endpoints.map((e) => e.port), [1003, 80], 'SYN-ACK first: its receiver is the client');
  assert.equal(r.conns[3].synSeen, true);
  assert.equal(r.stream(3, 0), 'req');
  assert.equal(r.stream(3, 1), 'resp');
  assert.deepEqual(r.closes(3), ['rst']);
  assert.equal(r.conns[4].synSeen, false);
  assert.equal(r.stream(4, 0), 'middle');
  assert.equal(r.stream(4, 1), 'ok');
  assert.equal(r.stream(5, 0), 'x');
  assert.deepEqual(r.closes(5), ['end'], 'superseded by the SYN of conversation 6');
  assert.equal(r.stream(7, 0), 'over v6');
  assert.equal(r.conns[7].endpoints[0].addr, '2001:db8::1');
  assert.equal(r.stream(10, 0), 'F'.repeat(40));
  assert.equal(decoder.counters.reassembledDatagrams, 1);
  assert.equal(r.stream(11, 0), 'lie');
  assert.equal(r.stream(2, 0), '1234567890abc', 'the bogus Data Offset added nothing');
  assert.equal(decoder.counters.malformed, 2);
  assert.equal(decoder.counters.nonTcp, 2);
  assert.equal(decoder.counters.nonIp, 1);
  assert.equal(assembler.counters.gaps, 0);
});
