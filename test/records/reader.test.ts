import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../../src/errors';
import { parseRecord, RecordReader, readNdjsonStream } from '../../src/records/reader';
import { collector, makeCall, makeMessage } from './make';

const call = JSON.stringify(makeCall());
const msg = JSON.stringify(makeMessage());

test('reads records split across chunks at any byte, including inside a multi-byte character', () => {
  const text = `${msg}\n${JSON.stringify(makeCall({ grpc_message: 'héllo ✓ 世界' }))}\n`;
  const bytes = Buffer.from(text, 'utf8');
  for (const size of [1, 2, 3, 7, 64, bytes.length]) {
    const sink = collector();
    const r = new RecordReader(sink);
    for (let i = 0; i < bytes.length; i += size) r.push(bytes.subarray(i, i + size));
    r.end();
    assert.deepEqual(sink.got.map((g) => g.kind), ['message', 'call']);
    assert.equal((sink.got[1].rec as { grpc_message: string }).grpc_message, 'héllo ✓ 世界');
    assert.equal(r.records, 2);
  }
});

test('accepts CRLF, blank lines, a BOM and a last line without newline', () => {
  const sink = collector();
  const r = new RecordReader(sink);
  r.push(`\uFEFF${msg}\r\n\r\n   \n${call}`);
  r.end();
  assert.deepEqual(sink.got.map((g) => g.kind), ['message', 'call']);
});

test('a broken line stops with its line number after delivering the lines before it', () => {
  const sink = collector();
  const r = new RecordReader(sink);
  assert.throws(
    () => r.push(`${msg}\n${call}\n{"type":"call", oops\n${msg}\n`),
    (e: unknown) => e instanceof InputError && e.message === 'line 3: not valid JSON (at column 17)',
  );
  assert.equal(sink.got.length, 2);
});

test('a record of another type names the type and the line', () => {
  const r = new RecordReader(collector());
  assert.throws(() => {
    r.push(`${msg}\n{"type":"packet","x":1}\n`);
  }, /^InputError: line 2: unknown record type "packet" \(expected message, call or frame\)$/);
});

test('missing and mistyped fields are named', () => {
  const { method: _m, ...noMethod } = makeCall();
  assert.equal(parseRecord(JSON.stringify(noMethod)), 'call record: missing field "method"');
  assert.equal(parseRecord(JSON.stringify(makeMessage({ length: '7' as unknown as number }))), 'message record: field "length" is not an integer');
  assert.equal(parseRecord(JSON.stringify(makeMessage({ direction: 'up' as 'request' }))), 'message record: field "direction" is not "request" or "response"');
  assert.equal(parseRecord('[1,2]'), 'expected a JSON object (a grpctk record), got an array');
  assert.equal(parseRecord('{"a":1}'), 'no "type" field (expected a grpctk record: message, call or frame)');
});

test("skip mode counts bad lines, keeps the first error and processes the rest", () => {
  const sink = collector();
  const seen: string[] = [];
  const r = new RecordReader(sink, { onError: 'skip', onBadLine: (e) => seen.push(e.message) });
  r.push(`garbage\n${msg}\n{"type":"x"}\n${call}`);
  r.end();
  assert.equal(sink.got.length, 2);
  assert.equal(r.badLines, 2);
  assert.equal(r.firstError?.message, 'line 1: not valid JSON');
  assert.deepEqual(seen, ['line 1: not valid JSON', 'line 3: unknown record type "x" (expected message, call or frame)']);
});

test('a line over the limit is a bad line and its text is not kept', () => {
  const sink = collector();
  const r = new RecordReader(sink, { onError: 'skip', maxLineChars: 1000 });
  r.push('{"pad":"' + 'x'.repeat(600));
  r.push('x'.repeat(600));
  r.push('x'.repeat(600) + '"}\n' + msg + '\n');
  r.end();
  assert.equal(r.badLines, 1);
  assert.equal(r.firstError?.message, 'line 1: line longer than 1000 characters (MAX_LINE_CHARS)');
  assert.equal(sink.got.length, 1);

  const strict = new RecordReader(collector(), { maxLineChars: 100 });
  assert.throws(() => strict.push('x'.repeat(101)), /line 1: line longer than 100 characters/);
});

test('readNdjsonStream reads an async iterable of chunks', async () => {
  const sink = collector();
  async function* chunks() {
    yield Buffer.from(msg + '\n');
    yield call;
  }
  const r = await readNdjsonStream(chunks(), sink);
  assert.equal(r.records, 2);
  await assert.rejects(readNdjsonStream([Buffer.from('{\n')], collector()), /line 1: not valid JSON/);
});
