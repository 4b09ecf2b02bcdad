import { test } from 'node:test';
import assert from 'node:assert/strict';
import hpackjs from 'hpack.js';
import { HpackDecoder, HUFFMAN_CODE_LENGTHS, STATIC_TABLE, huffmanCodes } from '../../src/http2/hpack';
import { encodeBlocks, hex } from './helpers';

// RFC 7541 Appendix C. Each series shares one decoder; `table` is the dynamic table after the block,
// newest first, as [name, value, size].
type Example = { id: string; input: string; output: Array<[string, string]>; table: Array<[string, string, number]> };

const C2: Example[] = [
  {
    id: 'C.2.1 literal with indexing',
    input: '400a637573746f6d2d6b65790d637573746f6d2d686561646572',
    output: [['custom-key', 'custom-header']],
    table: [['custom-key', 'custom-header', 55]],
  },
  { id: 'C.2.2 literal without indexing', input: '040c2f73616d706c652f70617468', output: [[':path', '/sample/path']], table: [] },
  { id: 'C.2.3 never indexed', input: '100870617373776f726406736563726574', output: [['password', 'secret']], table: [] },
  { id: 'C.2.4 indexed', input: '82', output: [[':method', 'GET']], table: [] },
];

const REQ_OUT_1: Array<[string, string]> = [[':method', 'GET'], [':scheme', 'http'], [':path', '/'], [':authority', 'www.example.com']];
const REQ_OUT_2: Array<[string, string]> = [...REQ_OUT_1, ['cache-control', 'no-cache']];
const REQ_OUT_3: Array<[string, string]> = [[':method', 'GET'], [':scheme', 'https'], [':path', '/index.html'], [':authority', 'www.example.com'], ['custom-key', 'custom-value']];
const REQ_T1: Array<[string, string, number]> = [[':authority', 'www.example.com', 57]];
const REQ_T2: Array<[string, string, number]> = [['cache-control', 'no-cache', 53], ...REQ_T1];
const REQ_T3: Array<[string, string, number]> = [['custom-key', 'custom-value', 54], ...REQ_T2];

const C3: Example[] = [
  { id: 'C.3.1', input: '828684410f7777772e6578616d706c652e636f6d', output: REQ_OUT_1, table: REQ_T1 },
  { id: 'C.3.2', input: '828684be58086e6f2d6361636865', output: REQ_OUT_2, table: REQ_T2 },
  { id: 'C.3.3', input: '828785bf400a637573746f6d2d6b65790c637573746f6d2d76616c7565', output: REQ_OUT_3, table: REQ_T3 },
];
const C4: Example[] = [
  { id: 'C.4.1', input: '828684418cf1e3c2e5f23a6ba0ab90f4ff', output: REQ_OUT_1, table: REQ_T1 },
  { id: 'C.4.2', input: '828684be5886a8eb10649cbf', output: REQ_OUT_2, table: REQ_T2 },
  { id: 'C.4.3', input: '828785bf408825a849e95ba97d7f8925a849e95bb8e8b4bf', output: REQ_OUT_3, table: REQ_T3 },
];

const DATE1 = 'Mon, 21 Oct 2013 20:13:21 GMT';
const DATE2 = 'Mon, 21 Oct 2013 20:13:22 GMT';
const LOC = 'https://www.example.com';
const COOKIE = 'foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1';
const RESP_OUT_1: Array<[string, string]> = [[':status', '302'], ['cache-control', 'private'], ['date', DATE1], ['location', LOC]];
const RESP_OUT_2: Array<[string, string]> = [[':status', '307'], ['cache-control', 'private'], ['date', DATE1], ['location', LOC]];
const RESP_OUT_3: Array<[string, string]> = [[':status', '200'], ['cache-control', 'private'], ['date', DATE2], ['location', LOC], ['content-encoding', 'gzip'], ['set-cookie', COOKIE]];
const RESP_T1: Array<[string, string, number]> = [['location', LOC, 63], ['date', DATE1, 65], ['cache-control', 'private', 52], [':status', '302', 42]];
const RESP_T2: Array<[string, string, number]> = [[':status', '307', 42], ['location', LOC, 63], ['date', DATE1, 65], ['cache-control', 'private', 52]];
const RESP_T3: Array<[string, string, number]> = [['set-cookie', COOKIE, 98], ['content-encoding', 'gzip', 52], ['date', DATE2, 65]];

// C.5 and C.6 run with a 256-octet table, so entries are evicted.
const C5: Example[] = [
  {
    id: 'C.5.1',
    input:
      '4803333032580770726976617465611d4d6f6e2c203231204f637420323031332032303a31333a323120474d546e1768747470733a2f2f7777772e6578616d706c652e636f6d',
    output: RESP_OUT_1,
    table: RESP_T1,
  },
  { id: 'C.5.2', input: '4803333037c1c0bf', output: RESP_OUT_2, table: RESP_T2 },
  {
    id: 'C.5.3',
    input:
      '88c1611d4d6f6e2c203231204f637420323031332032303a31333a323220474d54c05a04677a69707738666f6f3d4153444a4b48514b425a584f5157454f50495541585157454f49553b206d61782d6167653d333630303b2076657273696f6e3d31',
    output: RESP_OUT_3,
    table: RESP_T3,
  },
];
const C6: Example[] = [
  {
    id: 'C.6.1',
    input: '488264025885aec3771a4b6196d07abe941054d444a8200595040b8166e082a62d1bff6e919d29ad171863c78f0b97c8e9ae82ae43d3',
    output: RESP_OUT_1,
    table: RESP_T1,
  },
  { id: 'C.6.2', input: '4883640effc1c0bf', output: RESP_OUT_2, table: RESP_T2 },
  {
    id: 'C.6.3',
    input:
      '88c16196d07abe941054d444a8200595040b8166e084a62d1bffc05a839bd9ab77ad94e7821dd7f2e6c7b335dfdfcd5b3960d5af27087f3672c1ab270fb5291f9587316065c003ed4ee5b1063d5007',
    output: RESP_OUT_3,
    table: RESP_T3,
  },
];

function runSeries(name: string, examples: Example[], tableSize: number, shared: boolean): void {
  test(`RFC 7541 Appendix ${name}`, () => {
    let dec = new HpackDecoder({ initialTableSize: tableSize });
    for (const ex of examples) {
      if (!shared) dec = new HpackDecoder({ initialTableSize: tableSize });
      const r = dec.decode(hex(ex.input));
      assert.equal(r.error, undefined, ex.id);
      assert.deepEqual(r.headers, ex.output, ex.id);
      assert.deepEqual(dec.entries(), ex.table, ex.id);
      assert.equal(dec.tableSize, ex.table.reduce((s, e) => s + e[2], 0), ex.id);
    }
  });
}
runSeries('C.2 (field representations)', C2, 4096, false);
runSeries('C.3 (requests, no Huffman)', C3, 4096, true);
runSeries('C.4 (requests, Huffman)', C4, 4096, true);
runSeries('C.5 (responses, no Huffman, 256-octet table)', C5, 256, true);
runSeries('C.6 (responses, Huffman, 256-octet table)', C6, 256, true);

test('Huffman codes derived from the code lengths match every code of hpack.js (RFC 7541 Appendix B)', () => {
  const ours = huffmanCodes();
  assert.equal(HUFFMAN_CODE_LENGTHS.length, 257);
  assert.deepEqual(
    ours.map(([code, len]) => [len, code]),
    hpackjs.huffman.encode.map(([len, code]) => [len, code]),
  );
});

test('static table matches RFC 7541 Appendix A as hpack.js has it', () => {
  assert.deepEqual(
    STATIC_TABLE,
    hpackjs['static-table'].table.map((e) => [e.name, e.value]),
  );
});

test('blocks encoded by hpack.js (Huffman and raw, indexed and not) decode to the same fields', () => {
  const lists: Array<Array<[string, string]>> = [
    [[':method', 'POST'], [':scheme', 'http'], [':path', '/helloworld.Greeter/SayHello'], [':authority', 'localhost:50051'], ['content-type', 'application/grpc'], ['te', 'trailers'], ['grpc-timeout', '1S']],
    [[':method', 'POST'], [':scheme', 'http'], [':path', '/helloworld.Greeter/SayHello'], [':authority', 'localhost:50051'], ['content-type', 'application/grpc'], ['te', 'trailers'], ['x-trace-bin', 'AAECAw==']],
    [[':status', '200'], ['content-type', 'application/grpc'], ['grpc-status', '0'], ['grpc-message', '']],
    [['x-long', 'v'.repeat(5000)], ['x-latin1', 'héllo wörld']],
  ];
  for (const huffman of [true, false]) {
    const blocks = encodeBlocks(lists, { huffman });
    const dec = new HpackDecoder();
    blocks.forEach((b, i) => {
      const r = dec.decode(b);
      assert.equal(r.error, undefined);
      assert.deepEqual(r.headers, lists[i]);
    });
  }
});

test('a reference to a dynamic entry from before the capture keeps the fields decoded before it', () => {
  const dec = new HpackDecoder();
  // :method GET, then index 62 (the first dynamic entry; the table is empty), then :path /.
  const r = dec.decode(Uint8Array.from([0x82, 0x80 | 62, 0x84]));
  assert.deepEqual(r.headers.slice(0, 1), [[':method', 'GET']]);
  assert.match(r.error ?? '', /dynamic table index 62 is not known/);
  // The block stays in sync after the unknown reference: the field after it is decoded too.
  assert.deepEqual(r.headers, [[':method', 'GET'], [':path', '/']]);
});

test('later blocks still decode after an HPACK error, and entries inserted after it are found', () => {
  const lists: Array<Array<[string, string]>> = [
    [[':path', '/a'], ['x-first', 'one']],
    [[':path', '/b'], ['x-second', 'two']],
    [['x-second', 'two'], ['x-first', 'one']],
  ];
  const [b0, b1, b2] = encodeBlocks(lists);
  const dec = new HpackDecoder();
  // The capture missed block 0: block 1 decodes (all literals), block 2 finds x-second, not x-first.
  const r1 = dec.decode(b1);
  assert.equal(r1.error, undefined);
  assert.deepEqual(r1.headers, lists[1]);
  const r2 = dec.decode(b2);
  assert.deepEqual(r2.headers, [['x-second', 'two']]);
  assert.match(r2.error ?? '', /not known/);
  void b0;
});

test('a literal whose indexed name is unknown still takes its table slot, so later indices do not shift', () => {
  const dec = new HpackDecoder();
  // Literal with incremental indexing, name = dynamic index 62 (unknown), value "v1"; then index 62 again
  // (now that placeholder) and index 1 (:authority, static).
  const block = Uint8Array.from([0x40 | 62, 0x02, 0x76, 0x31, 0x80 | 62, 0x81]);
  const r = dec.decode(block);
  assert.deepEqual(r.headers, [[':authority', '']]);
  assert.match(r.error ?? '', /\(\+1 more\)/);
  assert.equal(dec.entryCount, 1);
  // A new entry lands at 62; the placeholder moves to 63 and is still reported, not mistaken.
  const r2 = dec.decode(Uint8Array.from([0x40 | 1, 0x01, 0x78, 0x80 | 62, 0x80 | 63]));
  assert.deepEqual(r2.headers, [[':authority', 'x'], [':authority', 'x']]);
  assert.match(r2.error ?? '', /index 63 is not known/);
});

test('an invalid Huffman string is reported; the block goes on after it', () => {
  const dec = new HpackDecoder();
  // Literal without indexing, name "a" raw, value Huffman of length 1 = 0x00 (padding not all ones).
  const r = dec.decode(Uint8Array.from([0x00, 0x01, 0x61, 0x81, 0x00, 0x82]));
  assert.deepEqual(r.headers, [[':method', 'GET']]);
  assert.match(r.error ?? '', /invalid Huffman code/);
});

test('Huffman padding longer than 7 bits or containing EOS is rejected', () => {
  const dec = new HpackDecoder();
  // "a" is 00011 (5 bits); 0x1f = 00011111 is "a" + 3 bits of padding: fine. Add a full 0xff octet: 11 bits.
  assert.deepEqual(dec.decode(Uint8Array.from([0x00, 0x01, 0x61, 0x81, 0x1f])).headers, [['a', 'a']]);
  assert.match(dec.decode(Uint8Array.from([0x00, 0x01, 0x61, 0x82, 0x1f, 0xff])).error ?? '', /Huffman/);
  // EOS (30 ones) inside a string.
  assert.match(dec.decode(Uint8Array.from([0x00, 0x01, 0x61, 0x84, 0xff, 0xff, 0xff, 0xff])).error ?? '', /Huffman/);
});

test('a block cut inside a string reports it and forgets the table, later blocks decode', () => {
  const dec = new HpackDecoder();
  dec.decode(encodeBlocks([[['x-a', '1']]])[0]);
  assert.equal(dec.entryCount, 1);
  const r = dec.decode(Uint8Array.from([0x82, 0x00, 0x05, 0x61]));
  assert.deepEqual(r.headers, [[':method', 'GET']]);
  assert.match(r.error ?? '', /string literal of 5 octets/);
  assert.equal(dec.entryCount, 0);
  assert.deepEqual(dec.decode(Uint8Array.from([0x84])).headers, [[':path', '/']]);
});

test('a dynamic table size update to 4 GB is clamped to maxTableSize and reported, without allocating', () => {
  const dec = new HpackDecoder({ maxTableSize: 65536 });
  // 0x3f then 4294967295 - 31 as a 5-octet continuation: 001 11111 | ...
  const n = 4294967295 - 31;
  const cont: number[] = [];
  let v = n;
  while (v >= 128) {
    cont.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  cont.push(v);
  const before = process.memoryUsage().arrayBuffers;
  const r = dec.decode(Uint8Array.from([0x3f, ...cont, 0x82]));
  assert.deepEqual(r.headers, [[':method', 'GET']]);
  assert.match(r.error ?? '', /size update to 4294967295 exceeds the limit of 65536/);
  assert.equal(dec.tableCapacity, 65536);
  assert.ok(process.memoryUsage().arrayBuffers - before < 1024 * 1024);
});

test('a size update to 0 empties the table (RFC 7541 §4.3)', () => {
  const dec = new HpackDecoder();
  dec.decode(encodeBlocks([[['x-a', '1'], ['x-b', '2']]])[0]);
  assert.equal(dec.entryCount, 2);
  const r = dec.decode(Uint8Array.from([0x20, 0x3f, 0xe1, 0x1f, 0x82]));
  assert.equal(r.error, undefined);
  assert.equal(dec.entryCount, 0);
  assert.equal(dec.tableCapacity, 4096);
});

test('SETTINGS_HEADER_TABLE_SIZE raises what the decoder keeps, up to maxTableSize', () => {
  const dec = new HpackDecoder({ maxTableSize: 8192 });
  dec.applySettingsTableSize(1 << 20);
  assert.equal(dec.tableCapacity, 8192);
  dec.applySettingsTableSize(100);
  assert.equal(dec.tableCapacity, 8192, 'a smaller setting waits for the encoder to signal it');
});

test('the dynamic table never holds more than its size: many insertions stay bounded', () => {
  const dec = new HpackDecoder();
  const lists = Array.from({ length: 2000 }, (_, i) => [[`x-k${i}`, `value-${i}`]] as Array<[string, string]>);
  for (const b of encodeBlocks(lists)) dec.decode(b);
  assert.ok(dec.tableSize <= 4096);
  assert.ok(dec.entryCount <= 4096 / 32);
});

test('non-ASCII values: valid UTF-8 is decoded as UTF-8, other octets as latin1', () => {
  const dec = new HpackDecoder();
  // Literal without indexing, name "a", raw values: UTF-8 "é" (c3 a9) and a lone 0xe9.
  const r = dec.decode(Uint8Array.from([0x00, 0x01, 0x61, 0x02, 0xc3, 0xa9, 0x00, 0x01, 0x62, 0x01, 0xe9]));
  assert.deepEqual(r.headers, [['a', 'é'], ['b', 'é']]);
});
