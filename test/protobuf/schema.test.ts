import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { UsageError } from '../../src/errors';
import { loadSchema, loadSchemaSync, RAW_DECODER } from '../../src/protobuf/schema';

const FIXTURES = path.join(__dirname, 'fixtures');
/** protoc -I test/protobuf/fixtures --include_imports -o all.pb t/svc.proto t/legacy.proto */
const DESCRIPTOR_SET = path.join(FIXTURES, 'all.pb');

function tmpDir(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'grpctk-schema-'));
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

test('the sample demo.proto loads via -I and its messages decode as proto3 JSON', async () => {
  const decoder = await loadSchema({ protoPaths: [path.join(__dirname, '..', '..', 'samples', 'protos')] });
  assert.deepEqual(decoder.methodTypes('/grpctk.demo.Demo/Bidi'), {
    requestType: 'grpctk.demo.DemoRequest',
    responseType: 'grpctk.demo.DemoReply',
  });
  assert.deepEqual(decoder.methodTypes('/helloworld.Greeter/SayHello'), {
    requestType: 'helloworld.HelloRequest',
    responseType: 'helloworld.HelloReply',
  });
  assert.equal(decoder.methodTypes('/grpctk.demo.Demo/Nope'), undefined);

  const Req = decoder.root.lookupType('grpctk.demo.DemoRequest');
  const Point = decoder.root.lookupType('grpctk.demo.Point');
  const bytes = Req.encode(
    Req.fromObject({
      action: 'ok',
      big: '-9007199254740993',
      ubig: '18446744073709551615',
      blob: Buffer.from([0, 1, 2, 255]),
      color: 'COLOR_BLUE',
      point: { x: 1, y: -2, label: 'p' },
      numbers: [1, -1],
      counts: { k: '5' },
      when: { seconds: 1700000000, nanos: 1000 },
      wait: { seconds: 2 },
      extra: { fields: { a: { numberValue: 1.5 }, b: { listValue: { values: [{ stringValue: 'x' }, { nullValue: 0 }] } } } },
      note: { value: 'n' },
      attachment: { type_url: 'type.googleapis.com/grpctk.demo.Point', value: Point.encode({ x: 5 }).finish() },
      choice_point: { label: 'c' },
      ratio: 0.25,
      flag: true,
    }),
  ).finish();
  assert.deepEqual(decoder.decode('grpctk.demo.DemoRequest', bytes), {
    messageType: 'grpctk.demo.DemoRequest',
    body: {
      action: 'ok',
      big: '-9007199254740993',
      ubig: '18446744073709551615',
      blob: 'AAEC/w==',
      color: 'COLOR_BLUE',
      point: { x: 1, y: -2, label: 'p' },
      numbers: [1, -1],
      counts: { k: '5' },
      when: '2023-11-14T22:13:20.000001Z',
      wait: '2s',
      extra: { a: 1.5, b: ['x', null] },
      note: 'n',
      attachment: { '@type': 'type.googleapis.com/grpctk.demo.Point', x: 5 },
      choicePoint: { label: 'c' },
      ratio: 0.25,
      flag: true,
    },
    error: null,
  });
});

test('a descriptor set gives the same methods and JSON, json_name included', () => {
  const fromSet = loadSchemaSync({ descriptorSets: [DESCRIPTOR_SET] });
  const fromProto = loadSchemaSync({ protoPaths: [FIXTURES] });
  assert.deepEqual(fromSet.methodTypes('/t.svc.Tester/Check'), { requestType: 't.Scalars', responseType: 't.Wkt' });
  // renamed_field [json_name = "customName"] = "r"; opt_int32 = 0 (proto3 optional keeps presence)
  const bytes = Buffer.from('a2010172' + '9001' + '00', 'hex');
  assert.deepEqual(fromSet.decode('t.Scalars', bytes).body, { optInt32: 0, customName: 'r' });
  assert.deepEqual(fromSet.decode('t.Scalars', bytes), fromProto.decode('t.Scalars', bytes));
  // proto2 group and explicit presence survive the descriptor route too
  const legacy = Buffer.from('0807' + '1800' + '23' + '2801' + '24', 'hex');
  assert.deepEqual(fromSet.decode('t.Legacy', legacy).body, { a: 7, r: '0', grp: { g: 1 } });
});

test('a descriptor set and -I over the same files do not clash', () => {
  const d = loadSchemaSync({ descriptorSets: [DESCRIPTOR_SET, DESCRIPTOR_SET], protoPaths: [FIXTURES] });
  assert.ok(d.methodTypes('/t.svc.Tester/Stream'));
});

test('imports resolve against every -I directory, like protoc', () => {
  const a = tmpDir({ 'a/x.proto': 'syntax = "proto3"; package a; import "b/y.proto"; message X { b.Y y = 1; }' });
  const b = tmpDir({ 'b/y.proto': 'syntax = "proto3"; package b; message Y { int32 v = 1; }' });
  const d = loadSchemaSync({ protoPaths: [a, b] });
  assert.deepEqual(d.decode('a.X', Buffer.from('0a020801', 'hex')).body, { y: { v: 1 } });
  // --proto FILE resolves against -I and its own directory
  const single = loadSchemaSync({ protoFiles: [path.join(a, 'a/x.proto')], protoPaths: [b] });
  assert.ok(single.lookupType('a.X'));
});

test('well-known types, google.rpc.Status and descriptor.proto are always available', () => {
  const d = loadSchemaSync({});
  assert.ok(d.lookupType('google.protobuf.Timestamp'));
  assert.ok(d.lookupType('google.rpc.Status'));
  assert.deepEqual(d.decode('google.protobuf.Duration', Buffer.from('0801', 'hex')).body, '1s');
  const dir = tmpDir({
    'o.proto': 'syntax = "proto3"; import "google/protobuf/descriptor.proto"; extend google.protobuf.FieldOptions { string tag = 50000; } message O { int32 f = 1 [(tag) = "x"]; }',
  });
  assert.ok(loadSchemaSync({ protoPaths: [dir] }).lookupType('O'));
});

test('a .proto with a syntax error: named with --proto, a usage error naming the file and line', () => {
  const dir = tmpDir({ 'bad.proto': 'syntax = "proto3";\nmessage M {\n  int32 = 1;\n}\n' });
  assert.throws(
    () => loadSchemaSync({ protoFiles: [path.join(dir, 'bad.proto')] }),
    (e: unknown) =>
      e instanceof UsageError &&
      e.exitCode === 2 &&
      /^--proto .*bad\.proto: line 3: illegal .*$/.test(e.message) &&
      !e.message.includes('\n'),
  );
});

test('a .proto with a syntax error under -I is skipped with a warning naming it; the others still load', () => {
  const dir = tmpDir({
    'bad.proto': 'syntax = "proto3";\nmessage M {\n  int32 = 1;\n}\n',
    'good.proto': 'syntax = "proto3"; package g; message G { int32 v = 1; }',
    'uses.proto': 'syntax = "proto3"; package u; import "good.proto"; message U { g.G g = 1; }',
  });
  const warnings: string[] = [];
  const schema = loadSchemaSync({ protoPaths: [dir] }, { warn: (m) => warnings.push(m) });
  assert.ok(schema.lookupType('g.G'));
  assert.ok(schema.lookupType('u.U'));
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /^.*bad\.proto: line 3: illegal .*; skipped \(its types are not loaded: their messages are decoded raw\)$/);
});

test('missing files, directories, bad descriptor sets and unresolved types are usage errors', () => {
  assert.throws(() => loadSchemaSync({ protoPaths: ['/nonexistent/dir'] }), new UsageError('-I /nonexistent/dir: no such directory'));
  assert.throws(() => loadSchemaSync({ protoFiles: ['/nonexistent/x.proto'] }), new UsageError('--proto /nonexistent/x.proto: no such file'));
  assert.throws(
    () => loadSchemaSync({ descriptorSets: ['/nonexistent/set.pb'] }),
    new UsageError('--descriptor-set /nonexistent/set.pb: no such file'),
  );
  const junk = tmpDir({ 'junk.pb': 'this is not a descriptor set' });
  assert.throws(() => loadSchemaSync({ descriptorSets: [path.join(junk, 'junk.pb')] }), /--descriptor-set .*junk\.pb: not a FileDescriptorSet/);
  const dir = tmpDir({ 'u.proto': 'syntax = "proto3"; message U { Missing m = 1; }' });
  assert.throws(() => loadSchemaSync({ protoPaths: [dir] }), /^UsageError: cannot load the schema: no such Type or Enum 'Missing' in Type .U$/);
});

test('an import found nowhere is skipped with one warning line', () => {
  const dir = tmpDir({
    'w.proto': 'syntax = "proto3"; import "google/api/annotations.proto"; message W { int32 a = 1; }',
    'w2.proto': 'syntax = "proto3"; import "google/api/annotations.proto"; message W2 { int32 a = 1; }',
  });
  const warnings: string[] = [];
  const d = loadSchemaSync({ protoPaths: [dir] }, { warn: (m) => warnings.push(m) });
  assert.ok(d.lookupType('W'));
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /^import "google\/api\/annotations\.proto" \(from .*w\.proto\) not found in any -I directory; skipped$/);
});

test('unknown types and a missing type name decode raw', () => {
  const d = loadSchemaSync({ protoPaths: [FIXTURES] });
  assert.deepEqual(d.decode('no.Such', Buffer.from('0801', 'hex')), { messageType: null, body: { 1: 1 }, error: null });
  assert.deepEqual(d.decode(undefined, Buffer.from('0801', 'hex')), { messageType: null, body: { 1: 1 }, error: null });
  assert.deepEqual(RAW_DECODER.decode('t.Inner', Buffer.from('0801', 'hex')), { messageType: null, body: { 1: 1 }, error: null });
});

/** protoc --include_imports -I samples/protos -I /usr/include -o demo.pb grpctk/demo/demo.proto */
const DEMO_SET = path.join(FIXTURES, 'demo.pb');

test('maps and Struct from a descriptor set decode as JSON objects, exactly as from the .proto', () => {
  const fromSet = loadSchemaSync({ descriptorSets: [DEMO_SET] });
  const fromProto = loadSchemaSync({ protoPaths: ['samples/protos'] });
  const T = fromProto.lookupType('grpctk.demo.DemoRequest')!;
  const msg = T.fromObject({ counts: { apples: 3, pears: -5 }, extra: { fields: { a: { stringValue: 'x' }, n: { numberValue: 2 } } } });
  const bytes = T.encode(msg).finish();
  const got = fromSet.decode('grpctk.demo.DemoRequest', bytes);
  assert.equal(got.error, null);
  assert.deepEqual(got.body, { counts: { apples: '3', pears: '-5' }, extra: { a: 'x', n: 2 } });
  assert.deepEqual(got, fromProto.decode('grpctk.demo.DemoRequest', bytes));
});
