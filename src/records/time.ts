/**
 * Record timestamps (`ts`, `start`, `end`: ISO-8601 UTC with up to nanoseconds) as numbers. Epoch
 * nanoseconds need a bigint (they pass 2^53), and are exact: time filters and interval boundaries use them.
 * Epoch milliseconds as a float keep about a quarter of a microsecond for present dates: enough for rates.
 * Durations come from `duration_ms`, not from here.
 */

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9})\d*)?)?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;

/**
 * Epoch nanoseconds of an ISO-8601 date or date-time, exactly, or null when the text is not one. A time
 * without an offset is taken as UTC (records are all UTC, and a filter should mean the same on every
 * machine). Used where nanoseconds matter: time filters at a boundary.
 */
export function parseIsoTimeNs(s: string): bigint | null {
  const parts = isoParts(s);
  if (parts === null) return null;
  return BigInt(parts.seconds) * 1_000_000_000n + BigInt(parts.nanos);
}

/** Epoch milliseconds (a float, see above) of an ISO-8601 date or date-time, or NaN. */
export function parseIsoTime(s: string): number {
  const parts = isoParts(s);
  return parts === null ? NaN : parts.seconds * 1000 + parts.nanos / 1e6;
}

function isoParts(s: string): { seconds: number; nanos: number } | null {
  const m = ISO.exec(s);
  if (!m) return null;
  const [y, mo, d, h, mi, sec] = [m[1], m[2], m[3], m[4], m[5], m[6]].map((v) => (v === undefined ? 0 : Number(v)));
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return null;
  let seconds = Date.UTC(y, mo - 1, d, h, mi, sec) / 1000;
  const nanos = m[7] ? Number(m[7].padEnd(9, '0')) : 0;
  const off = m[8];
  if (off && off !== 'Z' && off !== 'z') {
    const sign = off[0] === '-' ? -1 : 1;
    const digits = off.slice(1).replace(':', '');
    const minutes = Number(digits.slice(0, 2)) * 60 + (digits.length > 2 ? Number(digits.slice(2)) : 0);
    seconds -= sign * minutes * 60;
  }
  return { seconds, nanos };
}

/**
 * ISO-8601 UTC text of epoch nanoseconds, with the fraction in groups of three digits as needed
 * (…:12Z, …:12.500Z, …:12.000001Z, …:12.123456789Z).
 */
export function formatIsoTimeNs(ns: bigint): string {
  let seconds = ns / 1_000_000_000n;
  let nanos = ns % 1_000_000_000n;
  if (nanos < 0n) {
    nanos += 1_000_000_000n;
    seconds -= 1n;
  }
  const base = new Date(Number(seconds) * 1000).toISOString().slice(0, 19);
  if (nanos === 0n) return base + 'Z';
  let frac = nanos.toString().padStart(9, '0');
  while (frac.endsWith('000')) frac = frac.slice(0, -3);
  return `${base}.${frac}Z`;
}
