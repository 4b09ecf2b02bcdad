/**
 * Timestamps of records: ISO-8601 UTC with nanoseconds, e.g. `2026-11-21T03:39:12.123456789Z`
 * (the `ts`, `start` and `end` fields of src/records/types.ts).
 *
 * Packets of a capture mostly share their second with the packet before, so the `YYYY-MM-DDTHH:MM:SS`
 * prefix of the last second formatted is cached: most calls cost one integer compare and a padStart.
 */

let cachedSec = Number.NaN;
let cachedPrefix = '';

/** `sec` seconds since the Unix epoch and `nsec` nanoseconds (0..999999999) as ISO-8601 UTC with 9 digits. */
export function formatTimestamp(sec: number, nsec: number): string {
  if (sec !== cachedSec) {
    const d = new Date(sec * 1000);
    // Outside Date's range (±8.64e15 ms) there is nothing sensible to print; keep the record valid JSON.
    if (Number.isNaN(d.getTime())) return `${sec}.${String(nsec).padStart(9, '0')}`;
    cachedPrefix = d.toISOString().slice(0, -5); // drop ".000Z"
    cachedSec = sec;
  }
  return `${cachedPrefix}.${String(nsec).padStart(9, '0')}Z`;
}

/**
 * Milliseconds from (s0, n0) to (s1, n1), with sub-millisecond precision. Computed from the integers so
 * that no precision is lost to a floating-point epoch time (a double holds only ~0.2 µs at today's epoch).
 */
export function durationMs(s0: number, n0: number, s1: number, n1: number): number {
  // One rounding only: the nanosecond difference is an exact integer below 2^53 (104 days).
  return ((s1 - s0) * 1e9 + (n1 - n0)) / 1e6;
}
