/**
 * export --format parquet as an analytics engine reads it: DuckDB loads the file, sees typed columns
 * (nanosecond timestamps as TIMESTAMP_NS, numbers, booleans, JSON text), the same rows as the NDJSON
 * export, and a GROUP BY over it answers exactly what `grpctk stats` answers; the NDJSON export through
 * DuckDB's read_json too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { grpctk, ndjson, PROTOS, SAMPLES } from '../cli/helpers';
import { ParquetRecordWriter } from '../../src/output/parquet';
import { parseIsoTimeNs } from '../../src/records/time';
import { DEFAULT_COLUMNS } from '../../src/records/fields';
import { makeCall } from '../records/make';
import { duck, lit, statsSql } from './duckdb';

function tmpdir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'grpctk-parquet-'));
}

function exportTo(file: string, sample: string, ...args: string[]): void {
  const r = grpctk(['export', '-q', '-I', PROTOS, ...args, '-o', file, path.join(SAMPLES, sample)]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
}

/** Stats' per-method JSON, in the shape of statsSql's rows. */
function statsRows(sample: string): Record<string, unknown>[] {
  const r = grpctk(['stats', '-q', '-F', 'json', '--sort', 'key', '-I', PROTOS, path.join(SAMPLES, sample)]);
  assert.equal(r.status, 0, r.stderr);
  const result = JSON.parse(r.stdout);
  return result.groups.map((g: any) => ({
    method: g.key,
    calls: String(g.calls),
    errors: String(g.errors),
    latency_count: String(g.latency_ms.count),
    min: g.latency_ms.min,
    p50: g.latency_ms.p50,
    p90: g.latency_ms.p90,
    p99: g.latency_ms.p99,
    max: g.latency_ms.max,
    mean: g.latency_ms.mean,
    request_messages: String(g.request_messages),
    response_messages: String(g.response_messages),
    request_bytes: String(g.request_bytes),
    response_bytes: String(g.response_bytes),
    first_ns: String(parseIsoTimeNs(g.first)),
    last_ns: String(parseIsoTimeNs(g.last)),
  }));
}

for (const sample of ['grpcjs-basic.pcapng', 'grpcio-basic.pcapng']) {
  test(`${sample}: DuckDB over the Parquet export and over the NDJSON export answers exactly as grpctk stats`, async () => {
    const dir = tmpdir();
    try {
      const pq = path.join(dir, 'calls.parquet');
      const nd = path.join(dir, 'calls.ndjson');
      exportTo(pq, sample, '-F', 'parquet');
      exportTo(nd, sample, '-F', 'ndjson');
      const expected = statsRows(sample);
      assert.ok(expected.length >= 3);
      const fromParquet = await duck(statsSql(`read_parquet(${lit(pq)})`, (c) => `epoch_ns(${c})`));
      assert.deepEqual(fromParquet, expected);
      const fromNdjson = await duck(statsSql(`read_json(${lit(nd)})`, (c) => `epoch_ns(${c}::TIMESTAMP_NS)`));
      assert.deepEqual(fromNdjson, expected);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('calls in Parquet: typed columns in the schema order, every row equal to the NDJSON record', async () => {
  const dir = tmpdir();
  try {
    const pq = path.join(dir, 'calls.parquet');
    exportTo(pq, 'grpcjs-basic.pcapng', '-F', 'parquet');
    const schema = await duck(`SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet(${lit(pq)}))`);
    const types = Object.fromEntries(schema.map((r) => [r.column_name, r.column_type]));
    assert.deepEqual(Object.keys(types), DEFAULT_COLUMNS.call);
    assert.equal(types.start, 'TIMESTAMP_NS');
    assert.equal(types.end, 'TIMESTAMP_NS');
    assert.equal(types.duration_ms, 'DOUBLE');
    assert.equal(types.status, 'INTEGER');
    assert.equal(types.stream, 'INTEGER');
    assert.equal(types.complete, 'BOOLEAN');
    assert.equal(types.request_bytes, 'BIGINT');
    assert.equal(types.request_messages, 'BIGINT');
    assert.equal(types.method, 'VARCHAR');

    const records = ndjson(grpctk(['export', '-q', '-F', 'ndjson', path.join(SAMPLES, 'grpcjs-basic.pcapng')]).stdout);
    const rows = await duck(
      `SELECT * EXCLUDE (start, "end"), epoch_ns(start)::VARCHAR AS start_ns, epoch_ns("end")::VARCHAR AS end_ns,
         request_headers->>'user-agent' AS ua
       FROM read_parquet(${lit(pq)})`,
    );
    assert.equal(rows.length, records.length);
    const json = ['request_headers', 'response_headers', 'trailers', 'status_details', 'errors'];
    const int64 = ['request_messages', 'response_messages', 'request_bytes', 'response_bytes', 'first_frame', 'last_frame'];
    rows.forEach((row, i) => {
      const rec = records[i];
      assert.equal(row.start_ns, String(parseIsoTimeNs(rec.start)), 'start to the nanosecond');
      assert.equal(row.end_ns, rec.end === null ? null : String(parseIsoTimeNs(rec.end)));
      assert.equal(row.ua, rec.request_headers['user-agent']);
      for (const [k, v] of Object.entries(row)) {
        if (k.endsWith('_ns') || k === 'ua') continue;
        const want = rec[k] === undefined ? null : rec[k];
        if (json.includes(k)) assert.deepEqual(v === null ? null : JSON.parse(v as string), want, k);
        else if (int64.includes(k)) assert.equal(v, String(want), k);
        else assert.deepEqual(v, want, k);
      }
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('messages in Parquet: one row per message, ts in nanoseconds, bodies as JSON DuckDB can reach into', async () => {
  const dir = tmpdir();
  try {
    const pq = path.join(dir, 'messages.parquet');
    exportTo(pq, 'grpcjs-basic.pcapng', '-F', 'parquet', '--records', 'messages');
    const records = ndjson(grpctk(['export', '-q', '-I', PROTOS, '-F', 'ndjson', '--records', 'messages', path.join(SAMPLES, 'grpcjs-basic.pcapng')]).stdout);
    const rows = await duck(`SELECT frame, epoch_ns(ts)::VARCHAR AS ts_ns, method, direction, "index", length, body, typeof(ts) AS t FROM read_parquet(${lit(pq)})`);
    assert.equal(rows.length, records.length);
    assert.ok(records.length > 20);
    rows.forEach((row, i) => {
      const rec = records[i];
      assert.equal(row.t, 'TIMESTAMP_NS');
      assert.equal(row.ts_ns, String(parseIsoTimeNs(rec.ts)));
      assert.deepEqual([row.frame, row.method, row.direction, row.index, row.length], [String(rec.frame), rec.method, rec.direction, String(rec.index), String(rec.length)]);
      assert.deepEqual(row.body === null ? null : JSON.parse(row.body as string), rec.body);
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('--columns in Parquet: chosen fields keep their types, a header path is text', async () => {
  const dir = tmpdir();
  try {
    const pq = path.join(dir, 'c.parquet');
    exportTo(pq, 'grpcjs-basic.pcapng', '-F', 'parquet', '--columns', 'method,start,status,request_headers.user-agent');
    const schema = await duck(`SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet(${lit(pq)}))`);
    assert.deepEqual(
      schema.map((r) => [r.column_name, r.column_type]),
      [['method', 'VARCHAR'], ['start', 'TIMESTAMP_NS'], ['status', 'INTEGER'], ['request_headers.user-agent', 'VARCHAR']],
    );
    const rows = await duck(`SELECT DISTINCT "request_headers.user-agent" AS ua FROM read_parquet(${lit(pq)})`);
    assert.deepEqual(rows, [{ ua: 'grpc-node-js/1.14.7' }]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('Parquet leaves in row groups as they fill: bytes go out before the end, and the file reads whole', async () => {
  const chunks: Uint8Array[] = [];
  const w = new ParquetRecordWriter((b) => chunks.push(b), 'call', DEFAULT_COLUMNS.call, { rowGroupRows: 4 });
  const calls = Array.from({ length: 10 }, (_, i) => makeCall({ stream: 2 * i + 1, duration_ms: i + 0.5 }));
  for (const c of calls.slice(0, 4)) w.add(c);
  assert.equal(chunks.length, 1, 'the first row group is out once it has filled');
  for (const c of calls.slice(4)) w.add(c);
  assert.equal(chunks.length, 2);
  w.end();
  const dir = tmpdir();
  try {
    const pq = path.join(dir, 'groups.parquet');
    fs.writeFileSync(pq, Buffer.concat(chunks));
    const groups = await duck(`SELECT row_group_id, row_group_num_rows FROM parquet_metadata(${lit(pq)}) GROUP BY ALL ORDER BY 1`);
    assert.deepEqual(groups, [
      { row_group_id: '0', row_group_num_rows: '4' },
      { row_group_id: '1', row_group_num_rows: '4' },
      { row_group_id: '2', row_group_num_rows: '2' },
    ]);
    const rows = await duck(`SELECT stream, duration_ms FROM read_parquet(${lit(pq)})`);
    assert.deepEqual(rows, calls.map((c) => ({ stream: c.stream, duration_ms: c.duration_ms })));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('Parquet from NDJSON input that breaks midway: exit 1, and the file holds the calls before the bad line', async () => {
  const dir = tmpdir();
  try {
    const good = grpctk(['export', '-q', '-F', 'ndjson', path.join(SAMPLES, 'grpcjs-basic.pcapng')]).stdout.split('\n').filter(Boolean);
    const input = [...good.slice(0, 3), '{"type":"call", this is not json', ...good.slice(3)].join('\n') + '\n';
    const pq = path.join(dir, 'part.parquet');
    const r = grpctk(['export', '-q', '-F', 'parquet', '-o', pq, '-'], { input });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^grpctk: .*line 4/);
    const rows = await duck(`SELECT count(*) AS n FROM read_parquet(${lit(pq)})`);
    assert.deepEqual(rows, [{ n: '3' }]);
    assert.deepEqual(fs.readdirSync(dir), ['part.parquet'], 'no temporary file left behind');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('Parquet with no calls at all: a valid file with every column and no rows', async () => {
  const dir = tmpdir();
  try {
    const pq = path.join(dir, 'none.parquet');
    const r = grpctk(['export', '-q', '-F', 'parquet', '-o', pq, '-'], { input: '' });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(await duck(`SELECT count(*) AS n FROM read_parquet(${lit(pq)})`), [{ n: '0' }]);
    const schema = await duck(`SELECT column_name FROM (DESCRIBE SELECT * FROM read_parquet(${lit(pq)}))`);
    assert.deepEqual(schema.map((x) => x.column_name), DEFAULT_COLUMNS.call);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
