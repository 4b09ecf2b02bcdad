/**
 * A call with many messages is written in pieces (text and json), with the very bytes the one-piece
 * writers gave: `{...call, messages}` through JSON.stringify for json.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JsonArrayWriter } from '../../src/output/json';
import { TextWriter } from '../../src/output/text';
import { escapeJson } from '../../src/output/escape';
import type { Output } from '../../src/output/sink';
import { makeCall, makeMessage } from '../records/make';

function capture(): { out: Output; text: () => string; writes: () => number } {
  const parts: string[] = [];
  const out = { write: (s: string) => void parts.push(s) } as unknown as Output;
  return { out, text: () => parts.join(''), writes: () => parts.length };
}

test('json: a call with its messages is the element JSON.stringify gives, written one message at a time', () => {
  const call = makeCall({ grpc_message: 'bidi \u202e and C1 \u009b' });
  const messages = Array.from({ length: 1000 }, (_, i) => makeMessage({ index: i, body: { text: `m${i}\u2028`, n: [i, { deep: true }] } }));
  const c = capture();
  const w = new JsonArrayWriter(c.out);
  w.group(makeCall({ stream: 1 }), []);
  w.group(call, messages);
  w.close();
  const one = escapeJson(JSON.stringify({ ...call, messages }, null, 2)).replace(/^/gm, '  ');
  const empty = escapeJson(JSON.stringify({ ...makeCall({ stream: 1 }), messages: [] }, null, 2)).replace(/^/gm, '  ');
  assert.equal(c.text(), `[\n${empty},\n${one}\n]\n`);
  assert.ok(c.writes() > 1000);
  assert.deepEqual(JSON.parse(c.text())[1].messages.length, 1000);
});

test('text: a call with many messages is written in pieces, ending with one blank line', () => {
  const c = capture();
  const w = new TextWriter(c.out, { color: false, verbose: true });
  w.group(makeCall(), Array.from({ length: 2000 }, (_, i) => makeMessage({ index: i })));
  const text = c.text();
  assert.ok(c.writes() > 2);
  assert.equal((text.match(/→ request #/g) ?? []).length, 2000);
  assert.ok(text.endsWith('\n\n') && !text.endsWith('\n\n\n'));
});
