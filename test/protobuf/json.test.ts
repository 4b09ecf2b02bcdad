import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { durationJson, floatJson, jsonName, timestampJson } from '../../src/protobuf/json';
import { loadSchemaSync } from '../../src/protobuf/schema';

/**
 * Message bytes (built with protobufjs from fixtures/t/*.proto) and the JSON that protoc's JsonFormat gives
 * for them: the expected values were produced once with Python's google.protobuf.json_format.MessageToJson
 * (default options, and preserving_proto_field_name=True for protoNamesJson) and are committed here.
 */
const CASES: Array<{ name: string; type: string; hex: string; json: unknown; protoNamesJson?: unknown }> = [
  {
    name: "scalars_all",
    type: "t.Scalars",
    hex: "09000000000000044015cdcccc3d18fbffffffffffffffff0120ffffffffffffffefff0128ffffffff0f30ffffffffffffffffff01380540ffffffffffffffffff014d00286bee5101000000000020005df9ffffff61feffffffffffffff6801720a68c3a96c6c6f20e29c937a03fbff008001028a01080801120208021200a2010172aa010d01ffffffffffffffffff019601b00103b00104ba01020102c2011850efe2d6e41a4b4448afbc9af2d77a3e000000000000e0bfca01080805120466697665ca011008ffffffffffffffffff0112036e6567d20106080112020801da01050a01781002da01050a01791000ea010170",
    json: {"fDouble":2.5,"fFloat":0.1,"fInt32":-5,"fInt64":"-9007199254740993","fUint32":4294967295,"fUint64":"18446744073709551615","fSint32":-3,"fSint64":"-9223372036854775808","fFixed32":4000000000,"fFixed64":"9007199254740993","fSfixed32":-7,"fSfixed64":"-2","fBool":true,"fString":"héllo ✓","fBytes":"+/8A","fKind":"KIND_B","fInner":{"a":1,"children":[{"a":2},{}]},"customName":"r","packedInts":[1,-1,150],"unpackedInts":[3,4],"kinds":["KIND_A","KIND_B"],"doubles":[1e+21,1e-7,-0.5],"byInt":{"5":"five","-1":"neg"},"byBool":{"true":{"a":1}},"byName":{"y":"KIND_UNSPECIFIED","x":"KIND_B"},"pickString":"p"},
    protoNamesJson: {"f_double":2.5,"f_float":0.1,"f_int32":-5,"f_int64":"-9007199254740993","f_uint32":4294967295,"f_uint64":"18446744073709551615","f_sint32":-3,"f_sint64":"-9223372036854775808","f_fixed32":4000000000,"f_fixed64":"9007199254740993","f_sfixed32":-7,"f_sfixed64":"-2","f_bool":true,"f_string":"héllo ✓","f_bytes":"+/8A","f_kind":"KIND_B","f_inner":{"a":1,"children":[{"a":2},{}]},"renamed_field":"r","packed_ints":[1,-1,150],"unpacked_ints":[3,4],"kinds":["KIND_A","KIND_B"],"doubles":[1e+21,1e-7,-0.5],"by_int":{"5":"five","-1":"neg"},"by_bool":{"true":{"a":1}},"by_name":{"y":"KIND_UNSPECIFIED","x":"KIND_B"},"pick_string":"p"},
  },
  {
    name: "scalars_zero",
    type: "t.Scalars",
    hex: "09000000000000000015000000001800200028003000380040004d000000005100000000000000005d00000000610000000000000000680072007a008001008a01009001009a0100e00100",
    json: {"fInner":{},"optInt32":0,"optString":"","pickInt":0},
    protoNamesJson: {"f_inner":{},"opt_int32":0,"opt_string":"","pick_int":0},
  },
  {
    name: "floats",
    type: "t.Scalars",
    hex: "09000000000000f87f150000807f18ffffffff07c20118000000000000f0ff9a9999999999b93fffffffffffffef7f",
    json: {"fDouble":"NaN","fFloat":"Infinity","fInt32":2147483647,"doubles":["-Infinity",0.1,1.7976931348623157e+308]},
    protoNamesJson: {"f_double":"NaN","f_float":"Infinity","f_int32":2147483647,"doubles":["-Infinity",0.1,1.7976931348623157e+308]},
  },
  {
    name: "floats2",
    type: "t.Scalars",
    hex: "09010000000000000015ffff7f7f",
    json: {"fDouble":5e-324,"fFloat":3.4028235e+38},
    protoNamesJson: {"f_double":5e-324,"f_float":3.4028235e+38},
  },
  {
    name: "floats3",
    type: "t.Scalars",
    hex: "15cdcc8c3fc201089a9999999999f13f",
    json: {"fFloat":1.1,"doubles":[1.1]},
    protoNamesJson: {"f_float":1.1,"doubles":[1.1]},
  },
  {
    name: "unknown_enum",
    type: "t.Scalars",
    hex: "800163ba0103016300",
    json: {"fKind":99,"kinds":["KIND_A",99,"KIND_UNSPECIFIED"]},
    protoNamesJson: {"f_kind":99,"kinds":["KIND_A",99,"KIND_UNSPECIFIED"]},
  },
  {
    name: "oneof_inner",
    type: "t.Scalars",
    hex: "e00105f20100",
    json: {"pickInner":{}},
    protoNamesJson: {"pick_inner":{}},
  },
  {
    name: "wkt",
    type: "t.Wkt",
    hex: "0a080880e2cfaa061000121608ffffffffffffffffff011080b6ca91feffffffff011a00220b08fbffffffffffffffff012a0b08ffffffffffffffffff01320208003a040a02737642040a0268694a0909000000000000f83f52050dcdcccc3d5a020807624d0a0e0a0161120911000000000000f03f0a070a016e120208000a080a017312031a01780a100a016f120b2a090a070a0162120220010a160a016c1211320f0a091100000000000000400a0232006a02080072100a031a01610a0911000000000000e0bf7a130a07666f6f5f6261720a05612e625f630a01788201008a01210a1b747970652e676f6f676c65617069732e636f6d2f742e496e6e6572120208039201320a2c747970652e676f6f676c65617069732e636f6d2f676f6f676c652e70726f746f6275662e4475726174696f6e1202080292012d0a29747970652e676f6f676c65617069732e636f6d2f676f6f676c652e70726f746f6275662e456d70747912009201380a2a747970652e676f6f676c65617069732e636f6d2f676f6f676c652e70726f746f6275662e537472756374120a0a080a016b12031a017692014c0a27747970652e676f6f676c65617069732e636f6d2f676f6f676c652e70726f746f6275662e416e7912210a1b747970652e676f6f676c65617069732e636f6d2f742e496e6e6572120208049a0107080010c0a9d33a9a0110088092b8c398feffffff01108094ef3a9a010c08ff82d1ffaf0710959aef3aa2010408001000a2010408031001a2010d080010e0e3feffffffffffff01a201070880bcaece9709a80100",
    json: {"ts":"2023-11-14T22:13:20Z","dur":"-1.500s","i32":0,"i64":"-5","u64":"18446744073709551615","b":false,"s":"sv","by":"aGk=","d":1.5,"f":0.1,"u32":7,"st":{"o":{"b":true},"l":[2,[]],"a":1,"n":null,"s":"x"},"v":null,"lv":["a",-0.5],"fm":"fooBar,a.bC,x","empty":{},"any":{"@type":"type.googleapis.com/t.Inner","a":3},"anys":[{"@type":"type.googleapis.com/google.protobuf.Duration","value":"2s"},{"@type":"type.googleapis.com/google.protobuf.Empty"},{"@type":"type.googleapis.com/google.protobuf.Struct","value":{"k":"v"}},{"@type":"type.googleapis.com/google.protobuf.Any","value":{"@type":"type.googleapis.com/t.Inner","a":4}}],"tss":["1970-01-01T00:00:00.123Z","0001-01-01T00:00:00.123456Z","9999-12-31T23:59:59.123456789Z"],"durs":["0s","3.000000001s","-0.000020s","315576000000s"]},
  },
  {
    name: "wkt_value_kinds",
    type: "t.Wkt",
    hex: "62006a122a100a0e0a017a12091100000000000008407200",
    json: {"st":{},"v":{"z":3},"lv":[]},
  },
  {
    name: "legacy",
    type: "t.Legacy",
    hex: "080718002328012430013002",
    json: {"a":7,"r":"0","grp":{"g":1},"nums":[1,2]},
  },
  {
    name: "legacy_unset",
    type: "t.Legacy",
    hex: "1805",
    json: {"r":"5"},
  },
];

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
  return Buffer.from(out);
}

const decoder = loadSchemaSync({ protoPaths: [path.join(__dirname, 'fixtures')] });

for (const c of CASES) {
  test(`proto3 JSON mapping: ${c.name} (${c.type}) matches JsonFormat`, () => {
    const bytes = Buffer.from(c.hex, 'hex');
    const got = decoder.decode(c.type, bytes);
    assert.equal(got.error, null);
    assert.equal(got.messageType, c.type);
    assert.deepEqual(got.body, c.json);
    assert.deepEqual(decoder.decode(c.type, bytes, { protoNames: true }).body, c.protoNamesJson ?? c.json);
  });
}

test('int64 strings keep every digit beyond 2^53', () => {
  const body = decoder.decode('t.Scalars', Buffer.from(CASES[0].hex, 'hex')).body as Record<string, unknown>;
  assert.equal(body.fInt64, '-9007199254740993');
  assert.equal(body.fFixed64, '9007199254740993');
  assert.equal(body.fSint64, '-9223372036854775808');
});

test('an Any of a type the schema does not have keeps its bytes as base64', () => {
  // Wkt.any = Any{type_url: "type.googleapis.com/x.Nope", value: 08 01}
  const url = Buffer.from('type.googleapis.com/x.Nope');
  const any = Buffer.concat([Buffer.from([0x0a, url.length]), url, Buffer.from([0x12, 0x02, 0x08, 0x01])]);
  const bytes = Buffer.concat([Buffer.from([0x8a, 0x01, any.length]), any]);
  assert.deepEqual(decoder.decode('t.Wkt', bytes).body, { any: { '@type': 'type.googleapis.com/x.Nope', value: 'CAE=' } });
});

test('a Value with no kind set is null', () => {
  assert.deepEqual(decoder.decode('t.Wkt', Buffer.from([0x6a, 0x00])).body, { v: null });
});

test('a top-level well-known type decodes to its JSON form', () => {
  // Timestamp{seconds: 1, nanos: 5000}
  assert.deepEqual(decoder.decode('google.protobuf.Timestamp', Buffer.from([0x08, 0x01, 0x10, 0x88, 0x27])), {
    messageType: 'google.protobuf.Timestamp',
    body: '1970-01-01T00:00:01.000005Z',
    error: null,
  });
  assert.deepEqual(decoder.decode('google.protobuf.Empty', new Uint8Array(0)).body, {});
});

test('a message field seen twice is merged, as protobuf parsers merge it', () => {
  // f_inner {a: 1} then f_inner {children: [{a: 2}]}
  const bytes = Buffer.from('8a01020801' + '8a0104120208' + '02', 'hex');
  assert.deepEqual(decoder.decode('t.Scalars', bytes).body, { fInner: { a: 1, children: [{ a: 2 }] } });
});

test('the last member of a oneof on the wire wins', () => {
  // pick_string "x" then pick_int 3
  assert.deepEqual(decoder.decode('t.Scalars', Buffer.from('ea010178e00103', 'hex')).body, { pickInt: 3 });
});

test('unknown field numbers are skipped', () => {
  // field 99 (varint 1), then f_int32 = 4
  assert.deepEqual(decoder.decode('t.Scalars', Buffer.from('98060118' + '04', 'hex')).body, { fInt32: 4 });
});

test('bytes that do not fit the schema fall back to the raw decode with the reason', () => {
  // f_string (14) sent as a varint
  assert.deepEqual(decoder.decode('t.Scalars', Buffer.from('7005', 'hex')), {
    messageType: 't.Scalars',
    body: { 14: 5 },
    error: 'field 14 (f_string) has wire type 0, the schema says 2',
  });
  // truncated: f_string announces 5 bytes, 2 follow
  const t = decoder.decode('t.Scalars', Buffer.from('72056162', 'hex'));
  assert.equal(t.messageType, 't.Scalars');
  assert.equal(t.error, 'length 5 at offset 1 runs past the end (3 bytes left)');
  assert.deepEqual(t.body, {});
});

test('a Timestamp out of range is an error, not a wrong date', () => {
  // Wkt.ts = {seconds: 253402300800}
  const ts = Buffer.concat([Buffer.from([0x08]), varint(253402300800)]);
  const got = decoder.decode('t.Wkt', Buffer.concat([Buffer.from([0x0a, ts.length]), ts]));
  assert.equal(got.error, 'Timestamp out of range: seconds 253402300800, nanos 0');
  assert.deepEqual(got.body, { 1: { 1: 253402300800 } });
});

test('nesting beyond maxDepth is an error and falls back to raw', () => {
  // Inner.children nested 5 deep
  let b: Buffer = Buffer.from([0x08, 0x01]);
  for (let i = 0; i < 5; i++) b = Buffer.concat([Buffer.from([0x12, b.length]), b]);
  assert.equal(decoder.decode('t.Inner', b, { maxDepth: 10 }).error, null);
  const deep = decoder.decode('t.Inner', b, { maxDepth: 3 });
  assert.match(deep.error!, /^nesting deeper than 3/);
});

test('a 3,000-deep message decodes in bounded time without a stack overflow', () => {
  let b: Buffer = Buffer.from([0x08, 0x01]);
  for (let i = 0; i < 3000; i++) b = Buffer.concat([Buffer.from([0x12]), varint(b.length), b]);
  const t0 = Date.now();
  const got = decoder.decode('t.Inner', b);
  assert.match(got.error!, /^nesting deeper than 100/);
  assert.ok(Date.now() - t0 < 2000);
});

test('json names follow protoc: underscores dropped, next letter upper-cased', () => {
  assert.equal(jsonName('foo_bar_baz'), 'fooBarBaz');
  assert.equal(jsonName('foo__bar'), 'fooBar');
  assert.equal(jsonName('_foo'), 'Foo');
  assert.equal(jsonName('foo_1'), 'foo1');
  assert.equal(jsonName('FooBar'), 'FooBar');
});

test('floats print as the shortest decimal of the float32', () => {
  assert.equal(floatJson(Math.fround(0.1)), 0.1);
  assert.equal(floatJson(Math.fround(1 / 3)), 0.33333334);
  assert.equal(floatJson(Math.fround(16777217)), 16777216);
  assert.equal(floatJson(NaN), 'NaN');
  assert.equal(floatJson(-Infinity), '-Infinity');
});

test('Timestamp and Duration use 0, 3, 6 or 9 fractional digits', () => {
  assert.equal(timestampJson(0, 0), '1970-01-01T00:00:00Z');
  assert.equal(timestampJson(0, 10_000_000), '1970-01-01T00:00:00.010Z');
  assert.equal(timestampJson(0, 1000), '1970-01-01T00:00:00.000001Z');
  assert.equal(timestampJson(-1, 999_999_999), '1969-12-31T23:59:59.999999999Z');
  assert.equal(durationJson(1, 500_000_000), '1.500s');
  assert.equal(durationJson(0, -1), '-0.000000001s');
  assert.throws(() => durationJson(1, -1), /Duration out of range/);
  assert.throws(() => timestampJson(0, 1_000_000_000), /Timestamp out of range/);
});
