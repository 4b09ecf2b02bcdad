import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { schemaDecoder } from '../../src/protobuf/decoder';
import { loadSchemaSync } from '../../src/protobuf/schema';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const PROTOS = path.join(__dirname, '..', '..', 'samples', 'protos');

test('without schema sources the decoder answers as the loaded (empty) schema would', async () => {
  const lazy = await schemaDecoder({});
  const loaded = loadSchemaSync({});
  assert.equal(lazy.methodTypes('/grpctk.demo.Demo/Unary'), undefined);
  // Raw bodies, and well-known types by name (the details of grpc-status-details-bin are Any values).
  const duration = hex('08 01 10 80 ca b5 ee 01'); // seconds 1, nanos 500,000,000
  for (const [type, bytes] of [
    [undefined, hex('0a 05 4d61726965 10 02')],
    ['google.protobuf.Duration', duration],
    ['no.such.Type', duration],
    ['google.protobuf.Duration', hex('08')],
  ] as const) {
    assert.deepEqual(lazy.decode(type, bytes), loaded.decode(type, bytes), String(type));
  }
  assert.deepEqual(lazy.decode('google.protobuf.Duration', duration).body, '1.500s');
});

test('with schema sources the schema is loaded at once, and its errors are thrown there', async () => {
  const d = await schemaDecoder({ protoPaths: [PROTOS] });
  assert.equal(d.methodTypes('/grpctk.demo.Demo/Unary')?.requestType, 'grpctk.demo.DemoRequest');
  await assert.rejects(schemaDecoder({ protoPaths: [path.join(PROTOS, 'no-such-dir')] }), /no-such-dir/);
});
