/**
 * Parsing of the sizes, durations and counts users type in flags (`--size 100MB`, `--interval 60s`,
 * `--max-message-size 4MiB`). One place, so every subcommand accepts the same spellings. Bad values are
 * usage errors (exit 2) that name the flag.
 */
import { UsageError } from './errors';

const SIZE_UNITS: Record<string, number> = {
  '': 1, b: 1,
  k: 1e3, kb: 1e3, m: 1e6, mb: 1e6, g: 1e9, gb: 1e9, t: 1e12, tb: 1e12,
  kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, tib: 1024 ** 4,
};

/** "100MB" (10^6), "64MiB" (2^20), "4096", "1.5G". */
export function parseSize(text: string, flag: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  const unit = m ? SIZE_UNITS[m[2].toLowerCase()] : undefined;
  if (!m || unit === undefined) throw new UsageError(`${flag}: ${JSON.stringify(text)} is not a size (examples: 4096, 100MB, 64MiB)`);
  const n = Math.round(parseFloat(m[1]) * unit);
  if (!Number.isSafeInteger(n)) throw new UsageError(`${flag}: ${JSON.stringify(text)} is too large`);
  return n;
}

// Seconds per unit, as a divisor for the units below a second so that 100us is exactly 0.0001 s.
const DURATION_DIVISORS: Record<string, number> = { ns: 1e9, us: 1e6, µs: 1e6, ms: 1e3 };
const DURATION_MULTIPLIERS: Record<string, number> = { s: 1, '': 1, m: 60, min: 60, h: 3600, d: 86400 };

/** Seconds from "60s", "1.5m", "250ms", "100us", "2h", "10" (seconds). */
export function parseDuration(text: string, flag: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zµ]*)\s*$/i.exec(text);
  const unit = m ? m[2].toLowerCase() : '';
  const divisor = DURATION_DIVISORS[unit];
  const multiplier = DURATION_MULTIPLIERS[unit];
  if (!m || (divisor === undefined && multiplier === undefined)) {
    throw new UsageError(`${flag}: ${JSON.stringify(text)} is not a duration (examples: 60s, 250ms, 1.5m, 2h)`);
  }
  const value = parseFloat(m[1]);
  const seconds = divisor !== undefined ? value / divisor : value * multiplier;
  if (!(seconds > 0) || !Number.isFinite(seconds)) throw new UsageError(`${flag}: ${JSON.stringify(text)} must be more than zero`);
  return seconds;
}

/** A whole number within [min, max]. */
export function parseCount(text: string, flag: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (!/^\s*\d+\s*$/.test(text)) throw new UsageError(`${flag}: ${JSON.stringify(text)} is not a whole number`);
  const n = Number(text);
  if (n < min || n > max) throw new UsageError(`${flag}: ${n} is out of range (${min} to ${max})`);
  return n;
}

/** For repeatable commander options: `.option('--x <v>', '…', collect, [])`. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return previous ? [...previous, value] : [value];
}

/**
 * `n` rounded to an integer, with commas between thousands: what `n.toLocaleString('en-US', {
 * maximumFractionDigits: 0 })` writes, without Intl. A process's first toLocaleString loads ICU's locale
 * data (tens of milliseconds, measured), which every `stats` table paid. Values Intl writes differently
 * (not finite, beyond 2^53) still go to it.
 */
export function formatInteger(n: number): string {
  if (!Number.isFinite(n) || Math.abs(n) >= Number.MAX_SAFE_INTEGER) return n.toLocaleString('en-US', { maximumFractionDigits: 0 });
  // Intl rounds half away from zero ("halfExpand") and keeps the sign of a negative value rounded to 0.
  const digits = String(Math.round(Math.abs(n)));
  let out = n < 0 || Object.is(n, -0) ? '-' : '';
  for (let i = 0; i < digits.length; i++) {
    if (i > 0 && (digits.length - i) % 3 === 0) out += ',';
    out += digits[i];
  }
  return out;
}
