/**
 * Columns a spreadsheet reads as numbers: a date-time (LibreOffice and Excel keep the records' nine-digit
 * ISO text as text) and seconds since the capture's start (tshark's frame.time_relative).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { grpctk, GOLDEN, ndjson, SAMPLES } from '../cli/helpers';
import { parseCsvStrict } from './csv-strict';

const BASIC = path.join(SAMPLES, 'grpcjs-basic.pcapng');

test('export CSV: start_datetime and start_relative_s, read by Python as a datetime and a float, agree with tshark', () => {
  const run = grpctk(['export', '-q', BASIC]);
  assert.equal(run.status, 0, run.stderr);
  const rows = parseCsvStrict(run.stdout);
  const col = (name: string) => rows[0].indexOf(name);
  for (const name of ['start_datetime', 'start_relative_s', 'end_datetime', 'end_relative_s']) assert.ok(col(name) >= 0, name);
  // tshark's first packet of the capture: the origin of relative times.
  const first = fs.readFileSync(path.join(GOLDEN, 'grpcjs-basic.pcapng.packets.tsv'), 'utf8').split('\n')[1].split('\t')[1];
  const [s0, n0] = first.split('.').map(Number);
  for (const r of rows.slice(1)) {
    const start = r[col('start')];
    assert.equal(r[col('start_datetime')], `${start.slice(0, 10)} ${start.slice(11, 23)}`);
    const rel = Date.parse(start.slice(0, 19) + 'Z') / 1000 - s0 + (Number(start.slice(20, 29)) - n0) / 1e9;
    assert.ok(Math.abs(Number(r[col('start_relative_s')]) - rel) < 1e-9, `${r[col('start_relative_s')]} vs ${rel}`);
    assert.match(r[col('start_relative_s')], /^\d+\.\d{1,9}$/, 'a plain number, no quotes, no exponent');
  }
  // What a spreadsheet's import does with ISO date-times and numbers, in Python's words.
  const script = [
    'import csv, io, sys, datetime',
    "rows = list(csv.DictReader(io.StringIO(sys.stdin.read(), newline='')))",
    "print(all(datetime.datetime.strptime(r['start_datetime'], '%Y-%m-%d %H:%M:%S.%f') and float(r['start_relative_s']) >= 0 for r in rows))",
  ].join('\n');
  assert.equal(execFileSync('/usr/bin/python3', ['-c', script], { input: run.stdout }).toString().trim(), 'True');
});

test('export: the spreadsheet columns can be asked for by name, for messages too, and from NDJSON', () => {
  const nd = grpctk(['decode', '-F', 'ndjson', BASIC]).stdout;
  const firstTs = ndjson(nd)[0].ts as string;
  const run = grpctk(['export', '-q', '--records', 'messages', '--columns', 'ts,ts_datetime,ts_relative_s', '-'], { input: nd });
  assert.equal(run.status, 0, run.stderr);
  const rows = parseCsvStrict(run.stdout);
  assert.deepEqual(rows[0], ['ts', 'ts_datetime', 'ts_relative_s']);
  // From NDJSON the packets are not there: the first record's time is the origin.
  assert.equal(rows[1][0], firstTs);
  assert.equal(rows[1][2], '0');
  assert.ok(rows.slice(1).every((r) => Number(r[2]) >= 0));
  const bad = grpctk(['export', '--columns', 'start_datetim', BASIC]);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /unknown call field "start_datetim" \(expected one of .*start_datetime/);
});
