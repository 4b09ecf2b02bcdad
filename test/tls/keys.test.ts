import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hkdfExpandLabel, pHash, tls13Keys } from '../../src/tls/keys';
import { cipherSuite } from '../../src/tls/suites';

const h = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

test('TLS 1.3 traffic keys: RFC 8448 §3 (simple 1-RTT), server handshake key and IV', () => {
  const secret = h('b6 7b 7d 69 0c c1 6c 4e 75 e5 42 13 cb 2d 37 b4 e9 c9 12 bc de d9 10 5d 42 be fd 59 d3 91 ad 38');
  const keys = tls13Keys(cipherSuite(0x1301)!, secret);
  assert.equal(keys.key.toString('hex'), '3fce516009c21727d0f2e4e86ee403bc');
  assert.equal(keys.iv.toString('hex'), '5d313eb2671276ee13000b30');
  assert.equal(hkdfExpandLabel('sha256', secret, 'iv', new Uint8Array(0), 12).toString('hex'), '5d313eb2671276ee13000b30');
});

test('TLS 1.2 PRF: the published P_SHA256 test vector', () => {
  const secret = h('9b be 43 6b a9 40 f0 17 b1 76 52 84 9a 71 db 35');
  const seed = Buffer.concat([Buffer.from('test label'), h('a0 ba 9f 93 6c da 31 18 27 a6 f7 96 ff d5 19 8c')]);
  assert.equal(
    pHash('sha256', secret, seed, 100).subarray(0, 32).toString('hex'),
    'e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a',
  );
});
