import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isIPv6 } from 'node:net';
import { formatIpv4, formatIpv6, ipv6Text } from '../../src/net/address';
import { v6 } from './frames';

const fmt6 = (...groups: number[]) => formatIpv6(Uint8Array.from(v6(...groups)), 0);

test('IPv4 addresses are dotted quads, read at any offset', () => {
  assert.equal(formatIpv4(Uint8Array.from([9, 127, 0, 0, 1]), 1), '127.0.0.1');
  assert.equal(formatIpv4(Uint8Array.from([255, 255, 255, 255]), 0), '255.255.255.255');
  assert.equal(formatIpv4(Uint8Array.from([10, 0, 0, 1]), 0), '10.0.0.1', 'cached value is the same');
});

test('IPv6 text follows RFC 5952', () => {
  assert.equal(fmt6(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1), '2001:db8::1', '4.2.1 longest run shortened');
  assert.equal(fmt6(0, 0, 0, 0, 0, 0, 0, 1), '::1');
  assert.equal(fmt6(0, 0, 0, 0, 0, 0, 0, 0), '::');
  assert.equal(fmt6(0x2001, 0xdb8, 0, 1, 1, 1, 1, 1), '2001:db8:0:1:1:1:1:1', '4.2.2 a single 0 is not shortened');
  assert.equal(fmt6(0x2001, 0, 0, 1, 0, 0, 0, 1), '2001:0:0:1::1', '4.2.3 the longest run');
  assert.equal(fmt6(0x2001, 0xdb8, 0, 0, 1, 0, 0, 1), '2001:db8::1:0:0:1', '4.2.3 the first of equal runs');
  assert.equal(fmt6(0x2001, 0x0db8, 0xaaaa, 0xbbbb, 0xcccc, 0xdddd, 0xeeee, 0x0aaa), '2001:db8:aaaa:bbbb:cccc:dddd:eeee:aaa', '4.1 and 4.3');
  assert.equal(fmt6(0xfe80, 0, 0, 0, 0, 0, 0, 0), 'fe80::');
  assert.equal(fmt6(0, 0, 0, 0, 0, 0xffff, 0xc000, 0x0201), '::ffff:192.0.2.1', '5: IPv4-mapped');
  assert.equal(fmt6(1, 0, 0, 0, 0, 0, 0, 0), '1::');
});

test('IPv6 text round-trips through a standard parser, for any address', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (b) => {
      const s = ipv6Text(b, 0);
      assert.ok(isIPv6(s), s);
      assert.equal(s, s.toLowerCase());
      assert.ok(!/(^|:)0[0-9a-f]/.test(s), `no leading zeros: ${s}`);
      assert.equal(formatIpv6(b, 0), s, 'the cached path agrees');
    }),
    { numRuns: 500 },
  );
});
