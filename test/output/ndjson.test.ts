import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readRecords, type PipelineOptions } from '../../src/pipeline';
import { DEFAULT_LIMITS } from '../../src/limits';
import { NdjsonEncoder, NdjsonWriter, recordLine } from '../../src/output/ndjson';
import { escapeJson } from '../../src/output/escape';
import type { Output } from '../../src/output/sink';
import { canonicalRecord } from '../../src/records/canonical';
import { makeCall, makeMessage } from '../records/make';
import type { CallRecord, FrameRecord, MessageRecord } from '../../src/records/types';

const ROOT = path.resolve(__dirname, '..', '..');
const SAMPLES = path.join(ROOT, 'samples');
const PROTOS = path.join(SAMPLES, 'protos');

/** What decode has always written for a record (the definition the fast writer must match). */
function reference(r: object): string {
  return escapeJson(JSON.stringify(r)) + '\n';
}

function options(extra: Partial<PipelineOptions> = {}): PipelineOptions {
  return {
    schema: { protoPaths: [PROTOS], protoFiles: [], descriptorSets: [] },
    http2Ports: [],
    protoNames: false,
    frames: false,
    limits: { ...DEFAULT_LIMITS },
    quiet: true,
    ...extra,
  };
}

function samples(): string[] {
  return fs
    .readdirSync(SAMPLES)
    .filter((f) => /\.(pcap|pcapng|gz)$/.test(f))
    .map((f) => path.join(SAMPLES, f));
}

type Rec = MessageRecord | CallRecord | FrameRecord;

/** Records shaped like the dense benchmark's (IPv6 server, a typed body; a call with timeout_ms). */
function message(over: Partial<MessageRecord> = {}): MessageRecord {
  return makeMessage({
    frame: 12,
    ts: '2026-11-21T03:47:10.159005843Z',
    tcp_stream: 2,
    client: '127.0.0.1:59396',
    server: '[::1]:50100',
    method: '/grpctk.demo.Demo/Unary',
    length: 34,
    message_type: 'grpctk.demo.DemoRequest',
    body: { text: 'dense bench call 2', tags: ['bench', 'small'] },
    ...over,
  });
}

function call(over: Partial<CallRecord> = {}): CallRecord {
  return makeCall({ stream: 3, timeout_ms: null, ...over });
}

/** Strings escapeJson or JSON.stringify rewrite, and some they keep. */
const NASTY = [
  '',
  'plain',
  'quote " and backslash \\',
  'new\nline\ttab\r\u0000\u001f',
  'DEL \u007f',
  'C1 \u0080 \u009b[31m \u009f',
  'separators \u2028 \u2029',
  'bidi \u202a\u202e \u2066\u2069',
  'latin1 é ÿ',
  'emoji 😀',
  'lone \ud800 surrogate \udfff',
  'x'.repeat(3000),
  'é'.repeat(700) + '\u202e',
];

test('the fast writer gives the same bytes as escapeJson(JSON.stringify()) for every record of every sample', async () => {
  for (const file of samples()) {
    for (const extra of [{}, { frames: true }, { schema: { protoPaths: [], protoFiles: [], descriptorSets: [] } }]) {
      let n = 0;
      const check = (r: Rec) => {
        // Written the moment the gRPC layer emits it: the record is `canonicalRecord.current` (fast path).
        assert.equal(recordLine(r), reference(r), `${path.basename(file)}: ${r.type} record ${n}`);
        n++;
      };
      await readRecords(file, { message: check, call: check, frame: check }, options(extra)).catch((e) => {
        if (!/InputError|TruncatedInputError/.test(e?.constructor?.name)) throw e;
      });
    }
  }
});

test('records with unusual strings and numbers are written as JSON.stringify writes them, on both paths', () => {
  const records: Rec[] = [];
  for (const s of NASTY) {
    records.push(
      message({ ts: s, client: s, server: s, method: s, encoding: s, compressed: true, message_type: s, body: { [s]: s, list: [s, 1.5, -0, null] }, error: s }),
      message({ direction: s as MessageRecord['direction'], body: s, message_type: null }),
      call({ method: s, authority: s, start: s, end: s, status_name: s, grpc_message: s, reset: s, request_headers: { [s]: s, '__proto__x': s }, errors: [s, s] }),
    );
  }
  records.push(
    message({ frame: 2 ** 31, stream: 2 ** 32 + 1, index: -1, length: 1e21, tcp_stream: 0.5 }),
    message({ frame: Number.NaN, length: Number.POSITIVE_INFINITY, body: { n: Number.NaN, big: 2 ** 53 + 2, neg: -0 } }),
    call({ duration_ms: -0, http_status: null, status: null, status_name: null, end: null }),
    call({ timeout_ms: undefined, status_details: { code: 3, message: 'bad \u202e', details: [] } }),
    call({ timeout_ms: 1500.25, status_details: undefined, errors: [] }),
  );
  for (const r of records) {
    // Generic path: a record the gRPC layer did not just emit.
    canonicalRecord.current = null;
    assert.equal(recordLine(r), reference(r));
    // Fast path: taken for the object the gRPC layer names as its own (same result required).
    canonicalRecord.current = r;
    assert.equal(recordLine(r), reference(r));
  }
  canonicalRecord.current = null;
});

test('long messages: bodies with long strings, odd values and non-plain objects come out as JSON.stringify writes them', () => {
  class Point {
    constructor(readonly x: number) {}
  }
  const long = (c: string) => c.repeat(2000);
  const bodies: unknown[] = [
    { text: 'large 3', blob: Buffer.alloc(3000, 7).toString('base64') },
    { blob: long('a') + '"' + long('b'), ctl: long('c') + '\n', del: long('d') + '\u007f', bidi: long('e') + '\u202e', accents: long('é') },
    { nested: { list: [long('x'), undefined, () => 1, Symbol('s'), null, 1.5, -0, Number.NaN, true, { deep: long('y') }] } },
    { skipped: undefined, fn: () => 1, sym: Symbol('s'), kept: 1, '10': 'integer keys first', 'quote"key': long('q'), 'bidi\u202ekey': 2 },
    { date: new Date(0), point: new Point(3), nullProto: Object.assign(Object.create(null), { a: long('z') }), toJSON: undefined },
    [long('top-level array'), { a: [] }],
    long('a bare string'),
    42,
    { withToJSON: { toJSON: () => ({ replaced: long('r') }) } },
  ];
  let deep: Record<string, unknown> = { leaf: long('l') };
  for (let i = 0; i < 150; i++) deep = { d: deep };
  bodies.push(deep);
  for (const body of bodies) {
    const r = message({ length: 100_000, body });
    canonicalRecord.current = r;
    assert.equal(recordLine(r), reference(r));
  }
  const cyclic: Record<string, unknown> = { blob: long('c') };
  let node = cyclic;
  for (let i = 0; i < 100; i++) node = (node.next = {}) as Record<string, unknown>;
  node.back = cyclic;
  const r = message({ length: 100_000, body: cyclic });
  canonicalRecord.current = r;
  assert.throws(() => recordLine(r), TypeError);
  assert.throws(() => reference(r), TypeError);
  canonicalRecord.current = null;
});

test('a record in another key order or with extra fields keeps them when not emitted by the gRPC layer', () => {
  const r = { error: null, type: 'message', extra: { a: 1 }, frame: 1 } as unknown as MessageRecord;
  assert.equal(recordLine(r), '{"error":null,"type":"message","extra":{"a":1},"frame":1}\n');
});

test('call records carrying TLS summaries: each line as JSON.stringify writes it, whatever the record before', () => {
  const base = { version: 'TLS 1.3', cipher_suite: 'TLS_AES_128_GCM_SHA256', resumed: 'no' as const };
  const tlss: object[] = [
    base,
    { ...base },
    { ...base, sni: 'grpctk.test' },
    { ...base, sni: 'grpctk.test' },
    { ...base, sni: 'grpctk.test', alpn: 'h2' },
    { version: base.version, sni: 'grpctk.test', cipher_suite: base.cipher_suite, resumed: 'no', alpn: 'h2' }, // other key order
    { ...base, resumed: 'yes' },
    { ...base, sni: undefined },
    { ...base },
    { ...base, sni: 'evil \u202e "quoted"' },
    { ...base, sni: 'evil \u202e "quoted"' },
    { ...base, alpn: { nested: 1 } },
    { ...base, alpn: { nested: 2 } },
    { ...base, sni: 'h2', alpn: 'h2' },
    { ...base, alpn: 'h2', sni: 'h2' }, // the same values in the same places, under other keys
    { ...base, inherited: 'x' },
    Object.assign(Object.create({ inherited: 'x' }), base), // JSON.stringify leaves inherited keys out
    { ...base },
    base, // one connection's calls share its summary object: the same object twice, and again after others
    base,
  ];
  const records = tlss.map((tls, i) => call({ stream: i, tls: tls as CallRecord['tls'] }));
  const chunks: Buffer[] = [];
  const enc = new NdjsonEncoder((c) => chunks.push(Buffer.from(c)));
  for (const r of records) {
    canonicalRecord.current = r;
    enc.record(r);
  }
  enc.flush();
  canonicalRecord.current = null;
  assert.equal(Buffer.concat(chunks).toString('utf8'), records.map(reference).join(''));
});

test('the writer hands over whole chunks in order; lines longer than a chunk come out whole', () => {
  const records: Rec[] = [];
  for (let i = 0; i < 300; i++) {
    records.push(message({ frame: i, body: { text: 'x'.repeat(i * 7) } }), call({ stream: i, request_headers: { n: String(i) } }));
  }
  records.push(message({ body: { blob: 'b'.repeat(5000) } }));
  const expected = records.map(reference).join('');
  for (const size of [64, 1000, 1 << 16]) {
    const chunks: Buffer[] = [];
    const enc = new NdjsonEncoder((c) => chunks.push(Buffer.from(c)), size);
    for (const r of records) {
      canonicalRecord.current = r;
      enc.record(r);
    }
    enc.flush();
    assert.equal(Buffer.concat(chunks).toString('utf8'), expected, `chunk size ${size}`);
    assert.ok(chunks.length > 1);
  }
  canonicalRecord.current = null;
});

test('NdjsonWriter writes bytes through the output edge, and text to an output without writeBytes', () => {
  const r = message();
  const bytes: Uint8Array[] = [];
  let drainHook: (() => void) | undefined;
  const withBytes = {
    write: () => assert.fail('text'),
    writeBytes: (b: Uint8Array) => bytes.push(b),
    attach: (f: () => void) => (drainHook = f),
  } as unknown as Output;
  const w = new NdjsonWriter(withBytes);
  w.message(r);
  assert.equal(bytes.length, 0, 'gathered until the output drains');
  // What the output edge does between input chunks: records reach a live pipe without waiting for a full chunk.
  drainHook!();
  assert.equal(Buffer.concat(bytes).toString('utf8'), reference(r));
  w.call(call());
  w.flush();
  assert.equal(Buffer.concat(bytes).toString('utf8'), reference(r) + reference(call()));

  const text: string[] = [];
  const textOnly = { write: (t: string) => text.push(t) } as unknown as Output;
  const w2 = new NdjsonWriter(textOnly);
  w2.call(call());
  w2.flush();
  assert.equal(text.join(''), reference(call()));
});
