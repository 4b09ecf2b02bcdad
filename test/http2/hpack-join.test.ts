// HPACK that joins late: a decoder that starts after the peer filled its table names every entry from
// before the join by a placeholder that stays the same however many entries are inserted after it, and
// decodes every entry inserted after the join exactly. Blocks are written by hand (RFC 7541 §6) so that
// which entry each index means is plain.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HpackDecoder } from '../../src/http2/hpack';

/** §6.1 Indexed Header Field (index < 127). */
const idx = (i: number): number[] => [0x80 | i];
/** §6.2.1 Literal with Incremental Indexing, new name, raw strings. */
const lit = (name: string, value: string): number[] => [0x40, name.length, ...Buffer.from(name), value.length, ...Buffer.from(value)];
/** §6.2.1 with an indexed name (index < 63). */
const litName = (i: number, value: string): number[] => [0x40 | i, value.length, ...Buffer.from(value)];
const block = (...fields: number[][]): Uint8Array => Uint8Array.from(fields.flat());
const POST = [0x83]; // static 3, :method POST
const refs = (r: ReturnType<HpackDecoder['decode']>) => r.unknown?.map((u) => u.ref);

test('a reference to an entry from before the join is a placeholder, not an error; known fields stay', () => {
  const r = new HpackDecoder({ joined: true }).decode(block(POST, idx(62), idx(63)));
  assert.equal(r.error, undefined);
  assert.deepEqual(r.headers, [[':method', 'POST']]);
  assert.deepEqual(r.unknown, [{ ref: '1.1', at: 1 }, { ref: '1.2', at: 1 }]);
});

test('the same pre-join entry keeps its placeholder while insertions push it down; new entries decode exactly', () => {
  const d = new HpackDecoder({ joined: true });
  const before = d.decode(block(idx(62), idx(64)));
  d.decode(block(lit(':path', '/pkg.S/B'), lit('x-new', '1'))); // two insertions: old index 62 is now 64
  const after = d.decode(block(idx(64), idx(66), idx(62), idx(63)));
  assert.deepEqual(refs(before), ['1.1', '1.3']);
  assert.deepEqual(refs(after), ['1.1', '1.3']);
  assert.deepEqual(after.headers, [['x-new', '1'], [':path', '/pkg.S/B']]);
});

test('different pre-join entries have different placeholders', () => {
  const d = new HpackDecoder({ joined: true });
  assert.deepEqual(refs(d.decode(block(idx(62), idx(63), idx(62)))), ['1.1', '1.2', '1.1']);
});

test('a literal whose name is a pre-join entry keeps its value, and the entry it inserts is named after it', () => {
  const d = new HpackDecoder({ joined: true });
  const two = d.decode(block(litName(62, '2'))); // name: the newest entry before the join
  assert.deepEqual(two.headers, []);
  assert.deepEqual(two.unknown, [{ ref: '1.1', at: 0, value: '2' }]);
  // The entry it inserted is now index 62 (known value, unknown name); the pre-join one moved to 63.
  const again = d.decode(block(idx(62), idx(63)));
  assert.deepEqual(again.unknown, [{ ref: '1.1', at: 0, value: '2' }, { ref: '1.1', at: 0 }]);
});

test('without a join an unknown index is an error; after a lost block, placeholders of a new epoch', () => {
  const fresh = new HpackDecoder().decode(block(idx(62)));
  assert.match(fresh.error ?? '', /dynamic table index 62 is not known/);
  assert.equal(fresh.unknown, undefined);
  const d = new HpackDecoder({ joined: true });
  assert.deepEqual(refs(d.decode(block(idx(62)))), ['1.1']);
  d.forget();
  assert.deepEqual(refs(d.decode(block(idx(62)))), ['2.1']);
});

test('once the peer empties its table (size update to 0), nothing from before the join is referenced', () => {
  const d = new HpackDecoder({ joined: true });
  const r = d.decode(block([0x20], [0x3f, 0xe1, 0x1f], lit('a', 'b'), idx(62), idx(63))); // 0, then 4096
  assert.deepEqual(r.headers, [['a', 'b'], ['a', 'b']]);
  assert.equal(r.unknown, undefined);
  assert.match(r.error ?? '', /dynamic table index 63 is not known/);
});
