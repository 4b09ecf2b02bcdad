/**
 * Target "protobuf": message bytes into the MessageDecoder (demo schema, and the schema-less raw decode),
 * as every type a gRPC message of the demo service can be decoded as. Inputs:
 *  - noise;
 *  - wire-shaped bytes: random tags (field 0, 2^29, every wire type), varints of 10+ octets, lengths that
 *    lie, groups that never close or close the wrong group, nested at random;
 *  - nesting 3,000 deep (the case): a field inside a field …; a google.protobuf.Struct of Structs
 *    and ListValues; an Any holding a DemoRequest whose attachment is an Any …;
 *  - valid DemoRequests written by protobufjs from random values, which must decode without error.
 * For all: decode() never throws, the body is JSON (no BigInt, no cycle), `error` is null or one line, and
 * the time is bounded (by the runner).
 */
import fc from 'fast-check';
import { RAW_DECODER } from '../../../../src/protobuf/schema';
import { pbBytes, pbVarint, varint } from '../../../hostile/build';
import type { ValueOf } from '../arbs';
import { demoSchema, FuzzFailure } from '../core';
import { mix, Rng } from '../rng';
import type { FuzzInput, Target } from '../target';

/**
 * The largest --max-depth the CLI accepts (src/cli/options.ts). Deeper limits let a 3,000-deep message
 * build a body too deep for JSON.stringify (a stack overflow: this target found it).
 */
const MAX_DEPTH_FLAG = 1000;

const TYPES = [
  undefined,
  'grpctk.demo.DemoRequest',
  'grpctk.demo.DemoReply',
  'grpctk.demo.Point',
  'google.protobuf.Struct',
  'google.protobuf.Value',
  'google.protobuf.ListValue',
  'google.protobuf.Any',
  'google.protobuf.Timestamp',
  'google.protobuf.Duration',
  'google.protobuf.StringValue',
  'helloworld.HelloRequest',
  'no.such.Type',
];

const fieldNumber = fc.oneof(fc.integer({ min: 1, max: 21 }), fc.constantFrom(0, 15, 16, 2047, 0x1fffffff, 0x20000000, 0xffffffff));

/** A tag with any wire type, as a varint (field numbers past 2^29 included). */
function tag(field: number, wire: number): Buffer {
  return varint(BigInt(field) * 8n + BigInt(wire));
}

interface WireTree {
  fields: Array<{ f: number; w: number; v: Buffer | WireTree }>;
}

const wireTree: fc.Arbitrary<Buffer> = fc.letrec<{ msg: Buffer; field: Buffer }>((tie) => ({
  msg: fc.array(tie('field'), { maxLength: 6 }).map((fs) => Buffer.concat(fs)),
  field: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.tuple(fieldNumber, fc.bigInt({ min: 0n, max: (1n << 64n) - 1n })).map(([f, v]) => Buffer.concat([tag(f, 0), varint(v)])),
    // Varints of 11 octets and more (overlong), or cut short.
    fc.tuple(fieldNumber, fc.integer({ min: 10, max: 20 })).map(([f, n]) => Buffer.concat([tag(f, 0), Buffer.alloc(n, 0xff), Buffer.from([0x01])])),
    fc.tuple(fieldNumber, fc.uint8Array({ minLength: 4, maxLength: 4 })).map(([f, b]) => Buffer.concat([tag(f, 5), b])),
    fc.tuple(fieldNumber, fc.uint8Array({ minLength: 8, maxLength: 8 })).map(([f, b]) => Buffer.concat([tag(f, 1), b])),
    fc.tuple(fieldNumber, tie('msg')).map(([f, m]) => Buffer.concat([tag(f, 2), varint(m.length), m])),
    fc.tuple(fieldNumber, fc.string({ maxLength: 30 })).map(([f, s]) => pbBytes(f & 0x1fffffff || 1, s)),
    // A length that lies: longer than what follows, or 2^32 and more.
    fc.tuple(fieldNumber, fc.constantFrom(1, 100, 0x7fffffff, 0xffffffff, 2 ** 40), fc.uint8Array({ maxLength: 8 })).map(([f, n, b]) =>
      Buffer.concat([tag(f, 2), varint(n), b])),
    // Groups: closed properly, closed by the wrong number, or never closed.
    fc.tuple(fieldNumber, tie('msg'), fc.constantFrom('ok', 'wrong', 'open')).map(([f, m, how]) =>
      Buffer.concat([tag(f, 3), m, how === 'ok' ? tag(f, 4) : how === 'wrong' ? tag(f + 1, 4) : Buffer.alloc(0)])),
    fc.tuple(fieldNumber, fc.constantFrom(4, 6, 7)).map(([f, w]) => tag(f, w)),
  ),
})).msg;

/** `depth` levels of `wrap`, built from the inside out without recursion. */
function nest(depth: number, inner: Buffer, wrap: (b: Buffer, level: number) => Buffer): Buffer {
  let b = inner;
  for (let level = depth - 1; level >= 0; level--) b = wrap(b, level);
  return b;
}

/** google.protobuf.Value { struct_value (5): Struct { fields (1): { key (1), value (2): Value } } } or list_value (6). */
function deepStruct(depth: number): Buffer {
  return nest(depth, pbBytes(3, 'leaf'), (inner, level) =>
    level % 2 === 0
      ? pbBytes(5, pbBytes(1, Buffer.concat([pbBytes(1, `k${level}`), pbBytes(2, inner)])))
      : pbBytes(6, pbBytes(1, inner)));
}

/** DemoRequest { attachment (15): Any { type_url (1), value (2): DemoRequest { … } } }. */
function deepAny(depth: number): Buffer {
  return nest(depth, pbBytes(2, 'innermost'), (inner) =>
    pbBytes(15, Buffer.concat([pbBytes(1, 'type.googleapis.com/grpctk.demo.DemoRequest'), pbBytes(2, inner)])));
}

const deepArb = fc.tuple(fc.constantFrom(99, 100, 101, 150, 1000, 3000), fc.constantFrom('field', 'struct', 'any', 'group')).map(([depth, how]) => {
  switch (how) {
    case 'field':
      return { depth, how, bytes: nest(depth, pbVarint(1, 1), (b) => pbBytes(7, b)) };
    case 'struct':
      return { depth, how, bytes: pbBytes(13, pbBytes(1, Buffer.concat([pbBytes(1, 'root'), pbBytes(2, deepStruct(depth))]))) };
    case 'any':
      return { depth, how, bytes: deepAny(depth) };
    default:
      return { depth, how, bytes: nest(depth, pbVarint(1, 1), (b) => Buffer.concat([tag(7, 3), b, tag(7, 4)])) };
  }
});

const demoValues = fc.record({
  action: fc.string({ maxLength: 10 }),
  text: fc.string({ unit: 'grapheme', maxLength: 30 }),
  big: fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }),
  ubig: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  blob: fc.uint8Array({ maxLength: 20 }),
  color: fc.integer({ min: 0, max: 3 }),
  numbers: fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { maxLength: 5 }),
  tags: fc.array(fc.string({ maxLength: 8 }), { maxLength: 4 }),
  ratio: fc.double(),
  flag: fc.boolean(),
  count: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
});

/** A DemoRequest written field by field (proto3 encoding as protobuf's own encoders write it). */
function demoBytes(v: ValueOf<typeof demoValues>): Buffer {
  const parts: Buffer[] = [pbBytes(1, v.action), pbBytes(2, v.text), pbVarint(3, v.big), pbVarint(4, v.ubig), pbBytes(5, v.blob), pbVarint(6, v.color)];
  if (v.numbers.length > 0) parts.push(pbBytes(8, Buffer.concat(v.numbers.map((n) => varint(n)))));
  for (const t of v.tags) parts.push(pbBytes(9, t));
  parts.push(pbVarint(19, v.count));
  const d = Buffer.alloc(8);
  d.writeDoubleLE(v.ratio);
  parts.push(Buffer.concat([tag(20, 1), d]));
  parts.push(pbVarint(21, v.flag ? 1 : 0));
  return Buffer.concat(parts);
}

export const target: Target = {
  name: 'protobuf',
  longIterations: 2000,
  quickIterations: 200,
  generate(seed: number, i: number): FuzzInput {
    const rng = Rng.for(seed, i);
    const fcSeed = mix(seed ^ 0x5042, i) | 0;
    const kind = rng.pick(['noise', 'wire', 'wire', 'deep', 'valid']);
    let bytes: Buffer;
    let label: string;
    let expect: unknown;
    switch (kind) {
      case 'noise':
        bytes = Buffer.from(rng.bytes(rng.int(300)));
        label = 'random bytes';
        break;
      case 'wire':
        bytes = fc.sample(wireTree, { seed: fcSeed, numRuns: 1 })[0];
        label = 'wire-shaped bytes (random tags, lying lengths, groups)';
        break;
      case 'deep': {
        const d = fc.sample(deepArb, { seed: fcSeed, numRuns: 1 })[0];
        bytes = d.bytes;
        label = `nested ${d.depth} deep (${d.how})`;
        break;
      }
      default: {
        const v = fc.sample(demoValues, { seed: fcSeed, numRuns: 1 })[0];
        bytes = demoBytes(v);
        label = 'a valid DemoRequest';
        expect = { type: 'grpctk.demo.DemoRequest', text: v.text };
      }
    }
    return { label, kind: 'pb', bytes, options: { limits: { maxDepth: rng.pick([1, 2, 10, 100, 100, 100, MAX_DEPTH_FLAG]) } }, expect };
  },
  check(input: FuzzInput): void {
    const maxDepth = input.options?.limits?.maxDepth ?? 100;
    const schema = demoSchema();
    for (const decoder of [schema, RAW_DECODER]) {
      for (const type of TYPES) {
        const where = `as ${type ?? '(no type)'}${decoder === RAW_DECODER ? ' without schema' : ''}, max depth ${maxDepth}`;
        let r;
        try {
          r = decoder.decode(type, input.bytes, { maxDepth, protoNames: false });
        } catch (e) {
          throw new FuzzFailure(`decode ${where} threw ${(e as Error).stack ?? String(e)}`, e);
        }
        let json: string;
        try {
          json = JSON.stringify(r.body);
        } catch (e) {
          throw new FuzzFailure(`decode ${where}: the body is not JSON: ${(e as Error).message}`, e);
        }
        if (json === undefined && r.body !== undefined) throw new FuzzFailure(`decode ${where}: the body is not JSON (${typeof r.body})`);
        if (r.error !== null && (typeof r.error !== 'string' || /[\r\n]/.test(r.error) || r.error.length > 500)) {
          throw new FuzzFailure(`decode ${where}: error is not one short line: ${JSON.stringify(r.error).slice(0, 200)}`);
        }
      }
    }
    const want = input.expect as { type: string; text: string } | undefined;
    if (want && maxDepth >= 2) {
      const r = schema.decode(want.type, input.bytes, { maxDepth });
      if (r.error !== null) throw new FuzzFailure(`a valid ${want.type} reported an error: ${r.error}`);
      const text = (r.body as { text?: string }).text ?? '';
      if (text !== want.text) throw new FuzzFailure(`a valid ${want.type}: text ${JSON.stringify(text)}, expected ${JSON.stringify(want.text)}`);
    }
  },
};
