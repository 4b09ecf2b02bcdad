import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeRaw, isMessage } from '../../src/protobuf/raw';
import { WireReader } from '../../src/protobuf/wire';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
  return Buffer.from(out);
}

test('scalars are keyed by field number', () => {
  // 1: 150 (varint), 2: fixed64 1, 3: fixed32 7
  assert.deepEqual(decodeRaw(hex('08 9601  11 0100000000000000  1d 07000000')), {
    body: { 1: 150, 2: 1, 3: 7 },
    error: null,
  });
});

test('varints and fixed64 above 2^53 - 1 are decimal strings; -1 shows as its uint64', () => {
  assert.deepEqual(decodeRaw(hex('08 ffffffffffffffffff01  11 ffffffffffffffff  18 ffffffffffffff0f')).body, {
    1: '18446744073709551615',
    2: '18446744073709551615',
    3: 9007199254740991,
  });
});

test('length-delimited: nested message when it parses, else printable text, else base64', () => {
  // 1: {1: 1}, 2: "hello", 3: bytes 00 ff, 4: "" (empty)
  assert.deepEqual(decodeRaw(hex('0a 02 0801  12 05 68656c6c6f  1a 02 00ff  22 00')).body, {
    1: { 1: 1 },
    2: 'hello',
    3: 'AP8=',
    4: '',
  });
  // UTF-8 text with tab and newline is text; a control byte makes it bytes
  assert.deepEqual(decodeRaw(Buffer.concat([hex('0a 07'), Buffer.from('é\t✓\n')])).body, { 1: 'é\t✓\n' });
  assert.deepEqual(decodeRaw(hex('0a 03 610761')).body, { 1: 'YQdh' });
});

test('printable text that happens to parse as a message is text: numbers read out of letters lose', () => {
  const text = (s: string) => Buffer.concat([hex('0a'), varint(Buffer.byteLength(s)), Buffer.from(s)]);
  // "Marie" is also field 9, fixed32 1701409377; "Hi" field 9, varint 105; "item 1 of 5" fields 4 and 13.
  for (const s of ['Marie', 'Hi', 'item 1 of 5', 'error', '{|', 'Zoë', 'line one\nline two']) {
    assert.deepEqual(decodeRaw(text(s)).body, { 1: s }, s);
  }
});

test('a message of length-delimited fields stays a message even when its bytes are printable', () => {
  const name = 'a name of forty characters, all of them.';
  assert.equal(name.length, 40);
  // {1: name}: "\n(" then the name; {4: name, 15: name}: '"(' name 'z(' name.
  assert.deepEqual(decodeRaw(Buffer.concat([hex('0a 2a 0a 28'), Buffer.from(name)])).body, { 1: { 1: name } });
  const two = Buffer.concat([hex('22 28'), Buffer.from(name), hex('7a 28'), Buffer.from(name)]);
  assert.deepEqual(decodeRaw(Buffer.concat([hex('0a'), varint(two.length), two])).body, { 1: { 4: name, 15: name } });
});

test('the message probe accepts exactly what the wire reader reads without an error', () => {
  // The reference: the throwing reader, as the probe was before it returned a value.
  const reference = (b: Uint8Array): boolean => {
    const r = new WireReader(b);
    try {
      while (!r.eof()) {
        const tag = r.tag();
        if ((tag & 7) === 4) return false;
        r.skip(tag & 7, tag >>> 3);
      }
      return true;
    } catch {
      return false;
    }
  };
  // Fields built from plausible pieces (tags of every wire type, short and long varints, lengths that fit
  // or not), so that many inputs parse and the rest fail at every kind of fault.
  const piece = fc.oneof(
    fc.constantFrom(...[0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x00, 0x80, 0xff, 0x13, 0x14, 0x7a].map((x) => [x])),
    fc.integer({ min: 0, max: 40 }).map((n) => [n]),
    fc.uint8Array({ maxLength: 12 }).map((a) => [...a]),
    fc.constant([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]),
    fc.constant([0x88, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00]),
    fc.constant([0x80, 0x80, 0x80, 0x80, 0x10]),
  );
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 12 }), (pieces) => {
      const b = Uint8Array.from(pieces.flat());
      assert.equal(isMessage(b), reference(b), Buffer.from(b).toString('hex'));
    }),
    { numRuns: 20000 },
  );
});

test('repeated field numbers become arrays in wire order', () => {
  assert.deepEqual(decodeRaw(hex('08 01 08 02 12 01 78 08 03')).body, { 1: [1, 2, 3], 2: 'x' });
  assert.deepEqual(decodeRaw(hex('0a 02 0801 0a 02 0802')).body, { 1: [{ 1: 1 }, { 1: 2 }] });
});

test('groups are nested objects', () => {
  // 1: group { 2: 5, 3: group { 4: 6 } }, then 5: 1
  assert.deepEqual(decodeRaw(hex('0b 10 05 1b 20 06 1c 0c 28 01')).body, { 1: { 2: 5, 3: { 4: 6 } }, 5: 1 });
});

test('a payload with a group that does not close is not taken as a message', () => {
  assert.deepEqual(decodeRaw(hex('0a 02 0b 10')).body, { 1: 'CxA=' });
});

test('truncated input keeps the fields before the fault and says where it was', () => {
  assert.deepEqual(decodeRaw(hex('08 01 10 ff ff')), { body: { 1: 1 }, error: 'truncated varint at offset 3' });
  assert.deepEqual(decodeRaw(hex('08 01 12 05 61')), {
    body: { 1: 1 },
    error: 'length 5 at offset 3 runs past the end (2 bytes left)',
  });
  assert.deepEqual(decodeRaw(hex('08 ff ff ff ff ff ff ff ff ff ff 01')).error, 'varint longer than 10 bytes at offset 1');
  assert.deepEqual(decodeRaw(hex('0f')).error, 'invalid tag at offset 0'); // wire type 7
  assert.deepEqual(decodeRaw(hex('00')).error, 'invalid tag at offset 0'); // field 0
  assert.deepEqual(decodeRaw(hex('0c')).error, 'unexpected end group 1 at offset 1');
});

test('an empty message is {}', () => {
  assert.deepEqual(decodeRaw(new Uint8Array(0)), { body: {}, error: null });
});

test('a 3,000-deep message decodes fast: beyond the depth limit it is bytes', () => {
  let b: Buffer = hex('08 01');
  for (let i = 0; i < 3000; i++) b = Buffer.concat([hex('0a'), varint(b.length), b]);
  const t0 = Date.now();
  const { body, error } = decodeRaw(b);
  const ms = Date.now() - t0;
  assert.equal(error, null);
  let node: unknown = body;
  let depth = 0;
  while (typeof node === 'object' && node !== null) {
    node = (node as Record<string, unknown>)[1];
    depth++;
  }
  assert.equal(depth, 100);
  assert.equal(typeof node, 'string');
  assert.ok(ms < 2000, `took ${ms} ms`);
});

test('a 3,000-deep group nesting is bounded the same way', () => {
  const b = Buffer.concat([Buffer.alloc(3000, 0x0b), hex('10 01'), Buffer.alloc(3000, 0x0c)]);
  const { body, error } = decodeRaw(b, 10);
  assert.equal(error, null);
  let node: unknown = body;
  for (let i = 0; i < 9; i++) node = (node as Record<string, unknown>)[1];
  assert.equal(typeof (node as Record<string, unknown>)[1], 'string');
});

test('random bytes never throw', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      const r = decodeRaw(bytes);
      assert.equal(typeof r.body, 'object');
      JSON.stringify(r.body);
    }),
    { numRuns: 2000 },
  );
});

test('long payloads (checked natively) are text, bytes or messages exactly as short ones', () => {
  const field1 = (payload: Buffer) => Buffer.concat([hex('0a'), varint(payload.length), payload]);
  // The same rule on both sides of the length where the check changes: controls but tab, LF and CR, and DEL
  // make bytes; valid UTF-8 is text; invalid UTF-8 is bytes.
  for (const n of [1000, 1023, 1024, 1025, 4096]) {
    const text = Buffer.alloc(n, 'z'); // 'z' is field 15, wire type 2: not a message (lengths run out)
    assert.equal(decodeRaw(field1(text)).body[1], text.toString('latin1'), `ascii ${n}`);
    for (const c of [0x00, 0x01, 0x08, 0x0b, 0x0c, 0x0e, 0x1f, 0x7f]) {
      for (const at of [0, n >> 1, n - 1]) {
        const b = Buffer.from(text);
        b[at] = c;
        assert.equal(decodeRaw(field1(b)).body[1], b.toString('base64'), `control ${c} at ${at} of ${n}`);
      }
    }
    for (const c of [0x09, 0x0a, 0x0d]) {
      const b = Buffer.from(text);
      b[n >> 1] = c;
      assert.equal(decodeRaw(field1(b)).body[1], b.toString('latin1'), `${c} is text`);
    }
    const utf8 = Buffer.concat([Buffer.from('zoë ✓ '), Buffer.alloc(n, 'z')]);
    assert.equal(decodeRaw(field1(utf8)).body[1], utf8.toString('utf8'), `utf-8 ${n}`);
    const bad = Buffer.from(utf8);
    bad[2] = 0xc3;
    bad[3] = 0x28; // a lead octet without its continuation
    assert.equal(decodeRaw(field1(bad)).body[1], bad.toString('base64'), `invalid utf-8 ${n}`);
  }
});
