/** The stats tap and its reports (see ./tap.ts for the definitions of every number). */
export { StatsTap, parseDuration, isErrorCall, GROUP_BY, SORT_KEYS, MAX_INTERVALS_PER_GROUP } from './tap';
export type { GroupBy, GroupKey, GroupStats, IntervalStats, SortKey, StatsOptions, StatsResult } from './tap';
export { LatencyDigest, EXACT_LATENCY_LIMIT, HDR_SIGNIFICANT_DIGITS, type LatencySummary } from './latency';
export { renderStats, renderStatsCsv, renderStatsTable, STATS_FORMATS, TOTAL_LABEL, type StatsFormat } from './report';
