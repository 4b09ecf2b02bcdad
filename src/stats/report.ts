/**
 * The three faces of a StatsResult: JSON (the contract: field names fixed, see ./tap.ts), CSV (one row per
 * group, then the total; with an interval, one row per group and interval) and tables for a terminal.
 */
import { escapeCell, escapeJson } from '../output/escape';
import { csvCell, formatCsvRows, type CsvOptions } from '../output/csv';
import { formatBytes, formatCount, formatDuration, formatPercent, renderTable, terminalSafe } from '../output/table';
import type { GroupBy, GroupKey, GroupStats, StatsResult } from './tap';

export type StatsFormat = 'table' | 'json' | 'csv';
export const STATS_FORMATS: readonly StatsFormat[] = ['table', 'json', 'csv'];

/** Key cell of the total row in CSV (first key column; the others empty) and in tables. */
export const TOTAL_LABEL = 'TOTAL';

export interface TableOptions {
  /** Total width of a table; Infinity: as wide as its rows (output that is not a terminal). */
  width?: number;
  /** Every row on one line (keys joined by ` / `, statuses by `, `): for grep, when not on a terminal. */
  oneLine?: boolean;
}

export function renderStats(result: StatsResult, format: StatsFormat, options: TableOptions & { csv?: CsvOptions } = {}): string {
  switch (format) {
    case 'json':
      return escapeJson(JSON.stringify(result, null, 2)) + '\n';
    case 'csv':
      return renderStatsCsv(result, options.csv);
    case 'table':
      return renderStatsTable(result, options);
  }
}

const LATENCY_COLUMNS = ['min', 'mean', 'p50', 'p90', 'p99', 'max'] as const;

/**
 * Summary columns: the grouping dimensions, calls, errors, error_rate, latency_count, min_ms … max_ms,
 * request/response messages and bytes, first, last, calls_per_second, then `status.NAME` per status seen.
 * With an interval: the dimensions, interval_start, calls, errors, p99_ms.
 */
export function renderStatsCsv(result: StatsResult, options: CsvOptions = {}): string {
  const sanitize = options.sanitize ?? true;
  const keyCells = (g: GroupStats | null): unknown[] =>
    g === null ? result.by.map((_, i) => (i === 0 ? TOTAL_LABEL : '')) : keyValues(result.by, g.key);
  const rows: unknown[][] = [];
  let header: string[];
  if (result.interval_ms !== undefined) {
    header = [...result.by, 'interval_start', 'calls', 'errors', 'p99_ms'];
    for (const [key, g] of [...result.groups.map((g) => [keyCells(g), g] as const), [keyCells(null), result.total] as const]) {
      for (const s of g.series ?? []) rows.push([...key, s.start, s.calls, s.errors, s.p99_ms]);
    }
  } else {
    const statuses = Object.keys(result.total.status);
    header = [
      ...result.by,
      'calls',
      'errors',
      'status_unknown',
      'error_rate',
      'latency_count',
      ...LATENCY_COLUMNS.map((c) => `${c}_ms`),
      'request_messages',
      'response_messages',
      'request_bytes',
      'response_bytes',
      'first',
      'last',
      'calls_per_second',
      ...statuses.map((s) => `status.${s}`),
    ];
    const row = (key: unknown[], g: GroupStats) => [
      ...key,
      g.calls,
      g.errors,
      g.status_unknown,
      g.error_rate,
      g.latency_ms.count,
      ...LATENCY_COLUMNS.map((c) => g.latency_ms[c]),
      g.request_messages,
      g.response_messages,
      g.request_bytes,
      g.response_bytes,
      g.first,
      g.last,
      g.calls_per_second,
      ...statuses.map((s) => g.status[s] ?? 0),
    ];
    for (const g of result.groups) rows.push(row(keyCells(g), g));
    rows.push(row(keyCells(null), result.total));
  }
  // Stats CSV with no grouping dimension would have no column to mark the total row: there the single
  // row is the total.
  const text = formatCsvRows([header.map((h) => csvCell(h, sanitize)), ...rows.map((r) => r.map((v) => csvCell(v, sanitize)))], sanitize);
  return (options.bom ? '\uFEFF' : '') + text;
}

function keyValues(by: GroupBy[], key: GroupKey | undefined): Array<string | null> {
  if (by.length === 0 || key === undefined) return [];
  if (by.length === 1) return [key as string | null];
  const obj = key as Record<string, string | null>;
  return by.map((b) => obj[b]);
}

const TITLES: Record<GroupBy, string> = {
  method: 'Method',
  status: 'Status',
  connection: 'Connection',
  server: 'Server',
  client: 'Client',
  authority: 'Authority',
  sni: 'SNI',
  tls: 'TLS',
  protocol: 'Protocol',
};

/**
 * Two tables readable at 80 columns: calls, errors and latency percentiles; then statuses, messages,
 * bytes and rate. With an interval, a table per group (and the total) of calls, errors and p99 per
 * interval. min and mean are in the JSON and CSV outputs.
 */
export function renderStatsTable(result: StatsResult, options: TableOptions = {}): string {
  const width = options.width;
  // On a terminal, cells may take several lines; elsewhere a row is one line, so grep finds it whole.
  const nl = (sep: string) => (options.oneLine ? sep : '\n');
  const groupHead = result.by.length > 0 ? result.by.map((b) => TITLES[b]).join(' / ') : 'Calls';
  const label = (g: GroupStats | null) => (g === null ? 'Total' : keyValues(result.by, g.key).map((v) => (v === null ? '(none)' : escapeCell(v))).join(nl(' / ')));
  const entries: Array<[string, GroupStats]> = [...result.groups.map((g) => [label(g), g] as [string, GroupStats]), [label(null), result.total]];

  let out = renderTable({
    head: [groupHead, 'Calls', 'Errors', 'Err%', 'p50', 'p90', 'p99', 'Max'],
    align: ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
    rows: entries.map(([k, g]) => [
      k,
      formatCount(g.calls),
      formatCount(g.errors),
      formatPercent(g.error_rate),
      formatDuration(g.latency_ms.p50),
      formatDuration(g.latency_ms.p90),
      formatDuration(g.latency_ms.p99),
      formatDuration(g.latency_ms.max),
    ]),
    width,
  });
  out += renderTable({
    head: [groupHead, 'Statuses', `Messages${nl(' ')}req / resp`, `Bytes${nl(' ')}req / resp`, 'Calls/s'],
    align: ['left', 'left', 'right', 'right', 'right'],
    rows: entries.map(([k, g]) => [
      k,
      Object.entries(g.status)
        .map(([name, n]) => `${escapeCell(name)} ${formatCount(n)}`)
        .join(nl(', ')) || '-',
      `${formatCount(g.request_messages)} / ${formatCount(g.response_messages)}`,
      `${formatBytes(g.request_bytes)} / ${formatBytes(g.response_bytes)}`,
      g.calls_per_second === null ? '-' : formatRate(g.calls_per_second),
    ]),
    width,
  });
  if (result.interval_ms !== undefined) {
    for (const [k, g] of entries) {
      out += `\n${terminalSafe(k.replace(/\n/g, ' / '))}, per ${formatDuration(result.interval_ms)}:\n`;
      out += renderTable({
        head: ['Interval start (UTC)', 'Calls', 'Errors', 'p99'],
        align: ['left', 'right', 'right', 'right'],
        rows: (g.series ?? []).map((s) => [s.start, formatCount(s.calls), formatCount(s.errors), formatDuration(s.p99_ms)]),
        width,
        compact: true,
      });
    }
  }
  return out;
}

function formatRate(r: number): string {
  if (r >= 100) return formatCount(Math.round(r));
  return String(Math.round(r * 100) / 100);
}
