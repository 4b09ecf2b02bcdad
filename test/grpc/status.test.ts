import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import * as protobuf from 'protobufjs';
import {
  decodeBinHeader,
  decodeGrpcMessage,
  decodeStatusDetailsBin,
  parseGrpcStatus,
  parseGrpcTimeout,
  STATUS_NAMES,
  statusCode,
  statusName,
} from '../../src/grpc/status';
import { loadSchemaSync, RAW_DECODER } from '../../src/protobuf/schema';

test('status codes 0..16 have their canonical names, both ways', () => {
  assert.equal(STATUS_NAMES.length, 17);
  assert.equal(statusName(0), 'OK');
  assert.equal(statusName(4), 'DEADLINE_EXCEEDED');
  assert.equal(statusName(16), 'UNAUTHENTICATED');
  assert.equal(statusName(17), null);
  assert.equal(statusName(-1), null);
  assert.equal(statusCode('NOT_FOUND'), 5);
  assert.equal(statusCode('unavailable'), 14);
  assert.equal(statusCode('NOPE'), undefined);
  for (let i = 0; i < 17; i++) assert.equal(statusCode(statusName(i)!), i);
});

test('grpc-status must be digits', () => {
  assert.equal(parseGrpcStatus('0'), 0);
  assert.equal(parseGrpcStatus('13'), 13);
  assert.equal(parseGrpcStatus('abc'), undefined);
  assert.equal(parseGrpcStatus('-1'), undefined);
  assert.equal(parseGrpcStatus(''), undefined);
});

test('grpc-message is percent-decoded as UTF-8', () => {
  assert.equal(decodeGrpcMessage('plain text'), 'plain text');
  assert.equal(
    decodeGrpcMessage('bad value: 100%25 wrong %E2%80%93 caf%C3%A9 %E2%9C%97 %E6%97%A5%E6%9C%AC'),
    'bad value: 100% wrong – café ✗ 日本',
  );
  assert.equal(decodeGrpcMessage('%0A%0d'), '\n\r');
});

test('invalid percent sequences are kept as is, invalid UTF-8 becomes U+FFFD', () => {
  assert.equal(decodeGrpcMessage('100%'), '100%');
  assert.equal(decodeGrpcMessage('%zz and %4'), '%zz and %4');
  assert.equal(decodeGrpcMessage('%C3'), '\ufffd');
  assert.equal(decodeGrpcMessage('a%FFb'), 'a\ufffdb');
});

test('grpc-timeout units H M S m u n convert to milliseconds', () => {
  assert.equal(parseGrpcTimeout('1H'), 3_600_000);
  assert.equal(parseGrpcTimeout('2M'), 120_000);
  assert.equal(parseGrpcTimeout('3S'), 3000);
  assert.equal(parseGrpcTimeout('200m'), 200);
  assert.equal(parseGrpcTimeout('1500u'), 1.5);
  assert.equal(parseGrpcTimeout('99999999n'), 99.999999);
  assert.equal(parseGrpcTimeout('123456789m'), undefined, 'at most 8 digits');
  assert.equal(parseGrpcTimeout('10x'), undefined);
  assert.equal(parseGrpcTimeout('m'), undefined);
  assert.equal(parseGrpcTimeout('1.5S'), undefined);
});

test('-bin values decode with or without padding', () => {
  assert.equal(decodeBinHeader('AAECf4D/')!.toString('hex'), '0001027f80ff');
  assert.equal(decodeBinHeader('3q2+7w')!.toString('hex'), 'deadbeef');
  assert.equal(decodeBinHeader('3q2+7w==')!.toString('hex'), 'deadbeef');
  assert.equal(decodeBinHeader('not base64!'), null);
});

// google.rpc.Status { code, message, details: Any[] } encoded with protobufjs.
const statusRoot = protobuf.Root.fromJSON({
  nested: {
    google: {
      nested: {
        rpc: {
          nested: {
            Status: {
              fields: {
                code: { type: 'int32', id: 1 },
                message: { type: 'string', id: 2 },
                details: { rule: 'repeated', type: 'Any', id: 3 },
              },
            },
            Any: { fields: { type_url: { type: 'string', id: 1 }, value: { type: 'bytes', id: 2 } } },
          },
        },
      },
    },
  },
});
const Status = statusRoot.lookupType('google.rpc.Status');

function statusBin(details: Array<{ type_url: string; value: Uint8Array }>, unpadded = false): string {
  const b64 = Buffer.from(Status.encode({ code: 3, message: 'bad ✗', details }).finish()).toString('base64');
  return unpadded ? b64.replace(/=+$/, '') : b64;
}

test('grpc-status-details-bin decodes as google.rpc.Status; unknown Any types keep their bytes', () => {
  const d = decodeStatusDetailsBin(statusBin([{ type_url: 'type.googleapis.com/x.Unknown', value: new Uint8Array([1, 2]) }], true), RAW_DECODER);
  assert.deepEqual(d, {
    status: { code: 3, message: 'bad ✗', details: [{ '@type': 'type.googleapis.com/x.Unknown', value: 'AQI=' }] },
    error: null,
  });
});

test('grpc-status-details-bin details of a loaded type are unpacked as proto3 JSON', () => {
  const decoder = loadSchemaSync({ protoPaths: [path.join(__dirname, '..', '..', 'samples', 'protos')] });
  const Point = decoder.root.lookupType('grpctk.demo.Point');
  const Duration = decoder.root.lookupType('google.protobuf.Duration');
  const bin = statusBin([
    { type_url: 'type.googleapis.com/grpctk.demo.Point', value: Point.encode({ x: 4, label: 'here' }).finish() },
    { type_url: 'type.googleapis.com/google.protobuf.Duration', value: Duration.encode({ seconds: 2 }).finish() },
  ]);
  assert.deepEqual(decodeStatusDetailsBin(bin, decoder).status, {
    code: 3,
    message: 'bad ✗',
    details: [
      { '@type': 'type.googleapis.com/grpctk.demo.Point', x: 4, label: 'here' },
      { '@type': 'type.googleapis.com/google.protobuf.Duration', value: '2s' },
    ],
  });
});

test('grpc-status-details-bin that is not base64 or not a Status gives an error, not an exception', () => {
  assert.deepEqual(decodeStatusDetailsBin('%%%'), { status: null, error: 'grpc-status-details-bin is not base64' });
  const d = decodeStatusDetailsBin(Buffer.from([0x0a, 0x05, 0x41]).toString('base64'));
  assert.equal(d.status, null);
  assert.match(d.error!, /not a google\.rpc\.Status: length 5 at offset 1 runs past the end/);
});
