/**
 * Part names: captured values become safe file names, templates cannot leave -o DIR, collisions get suffixes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from '../../src/errors';
import { MAX_FIELD_CHARS, MAX_NAME_CHARS, NameRegistry, NameTemplate, sanitizeField } from '../../src/split/names';

test('captured values are reduced to [A-Za-z0-9._-], never hidden, never an option, never . or ..', () => {
  assert.equal(sanitizeField('/../../etc/passwd'), '_.._.._etc_passwd');
  assert.equal(sanitizeField('a/b'), 'a_b');
  assert.equal(sanitizeField('[::1]:50051'), '___1__50051');
  assert.equal(sanitizeField('/helloworld.Greeter/SayHello'), '_helloworld.Greeter_SayHello');
  assert.equal(sanitizeField('.hidden'), '_hidden');
  assert.equal(sanitizeField('-rf'), '_rf');
  assert.equal(sanitizeField('..'), '_.');
  assert.equal(sanitizeField('.'), '_');
  assert.equal(sanitizeField(''), '_');
  assert.equal(sanitizeField('caf\u00e9\u0000\n'), 'caf___');
});

test('long values are cut, and two long values with the same start still differ', () => {
  const a = sanitizeField('/' + 'x'.repeat(5000));
  const b = sanitizeField('/' + 'x'.repeat(4999) + 'y');
  assert.equal(a.length, MAX_FIELD_CHARS);
  assert.equal(b.length, MAX_FIELD_CHARS);
  assert.notEqual(a, b);
  assert.match(a, /^_x+~[0-9a-f]{8}$/);
});

test('templates fill {index} zero-padded and sanitized fields; they cannot name a directory', () => {
  const t = new NameTemplate('{index}-{key}.pcapng', ['key', 'server']);
  assert.equal(t.render(7, { key: '10.0.0.1:50051' }), '0007-10.0.0.1_50051.pcapng');
  assert.equal(t.render(12345, { key: 'k' }), '12345-k.pcapng');
  assert.equal(new NameTemplate('{server}', ['key', 'server']).render(0, { server: '..' }), '_.');
  assert.ok(new NameTemplate('{key}', ['key']).render(0, { key: 'y'.repeat(1000) }).length <= MAX_NAME_CHARS);
  for (const bad of ['../{key}', 'sub/{key}', 'a\\{key}', '{key', 'plain.pcapng', '{method}.pcapng']) {
    assert.throws(() => new NameTemplate(bad, ['key', 'server']), UsageError, bad);
  }
});

test('names taken twice get -1, -2 before the extension, whatever their case', () => {
  const r = new NameRegistry();
  assert.equal(r.claim('_a_b.pcapng'), '_a_b.pcapng');
  assert.equal(r.claim('_a_b.pcapng'), '_a_b-1.pcapng');
  assert.equal(r.claim('_A_B.pcapng'), '_A_B-2.pcapng');
  assert.equal(r.claim('noext'), 'noext');
  assert.equal(r.claim('noext'), 'noext-1');
});
