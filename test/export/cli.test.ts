/** grpctk export end to end on the hostile sample: the CSV a spreadsheet opens is valid, inert and complete. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { neutralizeCell } from '../../src/output/csv';
import { parseCsvStrict } from './csv-strict';

const ROOT = path.resolve(__dirname, '../..');
/** The CLI as a user runs it (the bundle `npm test` builds first). */
const CLI = path.join(ROOT, 'bin', 'grpctk.js');
const HOSTILE_PCAP = path.join(ROOT, 'samples/hostile.pcapng');
const READY = fs.existsSync(path.join(ROOT, 'samples/READY')) && fs.readFileSync(path.join(ROOT, 'samples/READY'), 'utf8').includes('hostile.pcapng');
const hostile = JSON.parse(fs.readFileSync(path.join(ROOT, 'samples/src/hostile.json'), 'utf8'));

function grpctk(args: string[], input?: string) {
  return spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, input, encoding: 'utf8' });
}

function noFormula(rows: string[][]): void {
  for (const row of rows) for (const cell of row) assert.ok(!/^[=+\-@\t\r]/.test(cell), `cell would run as a formula: ${JSON.stringify(cell)}`);
}

test('hostile.pcapng calls: valid CSV (strict parser and Python), no formula, every string intact', { skip: !READY && 'samples not recorded' }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'grpctk-export-'));
  try {
    const out = path.join(dir, 'calls.csv');
    const cols = ['stream', 'status', 'status_name', 'grpc_message', ...Object.keys(hostile.metadata).map((k) => `request_headers.${k}`)];
    const r = grpctk(['export', '-q', '-I', 'samples/protos', '--bom', '--columns', cols.join(','), '-o', out, HOSTILE_PCAP]);
    assert.equal(r.status, 0, r.stderr);
    const bytes = fs.readFileSync(out);
    assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
    const text = bytes.toString('utf8').slice(1);
    const rows = parseCsvStrict(text);
    assert.deepEqual(rows[0], cols);
    assert.deepEqual(rows.map((row) => row.slice(0, 3)), [['stream', 'status', 'status_name'], ['1', '0', 'OK'], ['3', '10', 'ABORTED']]);
    noFormula(rows);
    assert.equal(rows[2][3], neutralizeCell(hostile.statusMessage));
    for (const row of rows.slice(1)) {
      Object.values(hostile.metadata).forEach((v, i) => assert.equal(row[4 + i], neutralizeCell(v as string)));
    }
    const py = execFileSync('/usr/bin/python3', ['-c', "import csv,io,json,sys; print(json.dumps(list(csv.reader(io.StringIO(sys.stdin.buffer.read().decode('utf-8-sig'), newline=''), strict=True))))"], { input: bytes });
    assert.deepEqual(JSON.parse(py.toString('utf8')), rows);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('hostile.pcapng messages: body strings neutralized, arrays and maps as JSON text in one cell', { skip: !READY && 'samples not recorded' }, () => {
  const r = grpctk(['export', '-q', '-I', 'samples/protos', '--records', 'messages', '--columns', 'stream,direction,length,body.text,body.tags,body.labels,body.note', HOSTILE_PCAP]);
  assert.equal(r.status, 0, r.stderr);
  const rows = parseCsvStrict(r.stdout);
  noFormula(rows);
  const request = rows.find((row) => row[0] === '1' && row[1] === 'request')!;
  const reply = rows.find((row) => row[0] === '1' && row[1] === 'response')!;
  assert.match(request[2], /^\d+$/);
  assert.equal(request[3], neutralizeCell(hostile.text));
  assert.deepEqual(JSON.parse(request[4]), hostile.requestTags);
  assert.deepEqual(JSON.parse(reply[5]), hostile.labels);
  assert.equal(reply[6], neutralizeCell(hostile.note));
});

test('bad NDJSON on stdin: one line naming the line, exit 1, records before it exported', () => {
  const good = fs.readFileSync(path.join(ROOT, 'test/export/fixtures/two-calls.ndjson'), 'utf8');
  const r = grpctk(['export', '-F', 'ndjson', '--columns', 'stream', '-'], good + '{"type":"frame"}\n');
  assert.equal(r.status, 1);
  assert.equal(r.stderr, 'grpctk: line 5: frame record: missing field "frame"\n');
  assert.equal(r.stdout, '{"stream":1}\n{"stream":3}\n');
});
