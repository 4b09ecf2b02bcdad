/**
 * DuckDB as an engine that reads grpctk's Parquet and NDJSON (`@duckdb/node-api`, whose binary ships in
 * the npm package): one in-memory database per call, rows as JSON-friendly objects (BIGINT as text).
 */
import { DuckDBInstance } from '@duckdb/node-api';

export async function duck(sql: string): Promise<Record<string, unknown>[]> {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  try {
    const r = await c.runAndReadAll(sql);
    return r.getRowObjectsJson() as Record<string, unknown>[];
  } finally {
    c.closeSync();
    db.closeSync();
  }
}

/** SQL text literal. */
export function lit(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/**
 * The per-method answers of `grpctk stats` as SQL over a table expression of call records (`source`),
 * with grpctk's definitions (README, "grpctk stats"): errors are calls with a non-OK status or, complete,
 * none; latency is over complete calls; percentiles are nearest-rank, which is DuckDB's quantile_disc;
 * `startNs` turns the `start`/`end` column into epoch nanoseconds.
 */
export function statsSql(source: string, startNs: (col: string) => string): string {
  const done = 'FILTER (WHERE complete AND duration_ms IS NOT NULL)';
  return `SELECT method,
    count(*) AS calls,
    count(*) FILTER (WHERE status <> 0 OR (status IS NULL AND complete)) AS errors,
    count(duration_ms) ${done} AS latency_count,
    min(duration_ms) ${done} AS min,
    quantile_disc(duration_ms, 0.5) ${done} AS p50,
    quantile_disc(duration_ms, 0.9) ${done} AS p90,
    quantile_disc(duration_ms, 0.99) ${done} AS p99,
    max(duration_ms) ${done} AS max,
    round(avg(duration_ms) ${done}, 6) AS mean,
    sum(request_messages)::BIGINT AS request_messages, sum(response_messages)::BIGINT AS response_messages,
    sum(request_bytes)::BIGINT AS request_bytes, sum(response_bytes)::BIGINT AS response_bytes,
    min(${startNs('start')}) AS first_ns,
    max(coalesce(${startNs('"end"')}, ${startNs('start')})) AS last_ns
  FROM ${source} GROUP BY method ORDER BY method`;
}
