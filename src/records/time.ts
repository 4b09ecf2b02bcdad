/**
 * Record timestamps (`ts`, `start`, `end`: ISO-8601 UTC with nanoseconds), parsed and formatted.
 * Parsing accepts up to nanoseconds. Epoch
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
  if (!parseIsoTimeInto(s, scratch)) return null;
  return BigInt(scratch.seconds) * 1_000_000_000n + BigInt(scratch.nanos);
}

/** Epoch milliseconds (a float, see above) of an ISO-8601 date or date-time, or NaN. */
export function parseIsoTime(s: string): number {
  if (!parseIsoTimeInto(s, scratch)) return NaN;
  return scratch.seconds * 1000 + scratch.nanos / 1e6;
}

/** An instant as whole seconds since the epoch (an integer, exact) and nanoseconds (0..999,999,999). */
export interface IsoInstant {
  seconds: number;
  nanos: number;
}

const scratch: IsoInstant = { seconds: 0, nanos: 0 };

/**
 * The date-time part (`YYYY-MM-DDTHH:MM:SS`) of the last text in the records' own form
 * (`YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ`, what decode writes) that went through the full parse, and its seconds.
 * Records come in time order, so most share it: they are parsed with a prefix compare and nine digits
 * instead of a regular expression and Date.UTC (the stats tap parses two per call).
 */
let lastPrefix = '';
let lastSeconds = 0;
const RECORD_FORM_LENGTH = 30;
const PREFIX_LENGTH = 19;

function recordForm(s: string): boolean {
  return s.length === RECORD_FORM_LENGTH && s.charCodeAt(PREFIX_LENGTH) === 0x2e && s.charCodeAt(RECORD_FORM_LENGTH - 1) === 0x5a;
}

/**
 * Like parseIsoTimeNs, into `out` without allocating: false (and `out` untouched) when the text is not a
 * date or date-time. The same results for every text, faster for the records' own form.
 */
export function parseIsoTimeInto(s: string, out: IsoInstant): boolean {
  if (lastPrefix.length === PREFIX_LENGTH && recordForm(s) && s.startsWith(lastPrefix)) {
    let nanos = 0;
    let i = PREFIX_LENGTH + 1;
    for (; i < RECORD_FORM_LENGTH - 1; i++) {
      const d = s.charCodeAt(i) - 0x30;
      if (d < 0 || d > 9) break;
      nanos = nanos * 10 + d;
    }
    if (i === RECORD_FORM_LENGTH - 1) {
      out.seconds = lastSeconds;
      out.nanos = nanos;
      return true;
    }
  }
  const parts = isoParts(s);
  if (parts === null) return false;
  if (recordForm(s) && parts.nanos === Number(s.slice(PREFIX_LENGTH + 1, RECORD_FORM_LENGTH - 1))) {
    lastPrefix = s.slice(0, PREFIX_LENGTH);
    lastSeconds = parts.seconds;
  }
  out.seconds = parts.seconds;
  out.nanos = parts.nanos;
  return true;
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

// Formatting: the one form every record timestamp has, `2026-11-21T03:39:12.123456789Z` (9 digits).
// Packets of a capture mostly share their second with the packet before, so the `YYYY-MM-DDTHH:MM:SS`
// prefix of the last second formatted is cached: most calls cost one integer compare and a padStart.
// The whole string of the last instant is kept too: the messages of one packet (a dozen in a dense capture)
// share its time, and handing out the same string spares building and flattening it again.

let cachedSec = Number.NaN;
let cachedPrefix = '';
let lastSec = Number.NaN;
let lastNsec = Number.NaN;
let lastText = '';

/** `sec` seconds since the Unix epoch and `nsec` nanoseconds (0..999999999) as ISO-8601 UTC with 9 digits. */
export function formatTimestamp(sec: number, nsec: number): string {
  if (nsec === lastNsec && sec === lastSec) return lastText;
  if (sec !== cachedSec) {
    const d = new Date(sec * 1000);
    // Outside Date's range (±8.64e15 ms: before year -271821 or after 275760, which microsecond ticks
    // reach) the date is computed from the day count, in the same ISO-8601 expanded form toISOString uses
    // past year 9999 (+YYYYYY-MM-DD).
    cachedPrefix = Number.isNaN(d.getTime()) ? expandedPrefix(sec) : d.toISOString().slice(0, -5); // drop ".000Z"
    cachedSec = sec;
  }
  lastText = `${cachedPrefix}.${String(nsec).padStart(9, '0')}Z`;
  lastSec = sec;
  lastNsec = nsec;
  return lastText;
}

/** `YYYY-MM-DDTHH:MM:SS` of any whole number of seconds, years signed and six digits (ISO 8601 expanded). */
function expandedPrefix(sec: number): string {
  const days = Math.floor(sec / 86_400);
  const rest = sec - days * 86_400;
  // Days to a proleptic Gregorian date (H. Hinnant's civil_from_days): eras of 400 years, 146,097 days.
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const two = (n: number) => String(n).padStart(2, '0');
  const y = (year < 0 ? '-' : '+') + String(Math.abs(year)).padStart(6, '0');
  return `${y}-${two(month)}-${two(day)}T${two(Math.floor(rest / 3600))}:${two(Math.floor(rest / 60) % 60)}:${two(rest % 60)}`;
}

/**
 * Milliseconds from (s0, n0) to (s1, n1), with sub-millisecond precision. Computed from the integers so
 * that no precision is lost to a floating-point epoch time (a double holds only ~0.2 µs at today's epoch).
 */
export function durationMs(s0: number, n0: number, s1: number, n1: number): number {
  // One rounding only: the nanosecond difference is an exact integer below 2^53 (104 days).
  return ((s1 - s0) * 1e9 + (n1 - n0)) / 1e6;
}

/** Epoch nanoseconds as a record timestamp (see formatTimestamp). */
export function formatIsoTimeNs(ns: bigint): string {
  let seconds = ns / 1_000_000_000n;
  let nanos = ns % 1_000_000_000n;
  if (nanos < 0n) {
    nanos += 1_000_000_000n;
    seconds -= 1n;
  }
  return formatTimestamp(Number(seconds), Number(nanos));
}

/**
 * The origin of relative times, as tshark's `frame.time_relative`: the capture's first packet. Reading
 * NDJSON, the packets are not there: the first record's time (a message's `ts`, a call's `start`) stands in
 * for it. Set once, by the pipeline, before the first record is handed on; views read it as records come.
 */
export class TimeOrigin {
  private seconds = Number.NaN;
  private nanos = 0;
  private readonly scratch: IsoInstant = { seconds: 0, nanos: 0 };

  get known(): boolean {
    return !Number.isNaN(this.seconds);
  }

  /** The first packet's time (a later call is ignored). */
  set(seconds: number, nanos: number): void {
    if (this.known) return;
    this.seconds = seconds;
    this.nanos = nanos;
  }

  /** The first record's time, from its text (a later call, or a text that is not a time, is ignored). */
  setIso(text: string): void {
    if (this.known || !parseIsoTimeInto(text, this.scratch)) return;
    this.set(this.scratch.seconds, this.scratch.nanos);
  }

  /** Seconds from the origin to the time `text`, or null when either is unknown. */
  secondsTo(text: string | null): number | null {
    if (!this.known || text === null || !parseIsoTimeInto(text, this.scratch)) return null;
    return ((this.scratch.seconds - this.seconds) * 1e9 + (this.scratch.nanos - this.nanos)) / 1e9;
  }
}

/** Milliseconds from the time `from` to the time `to` (record texts), or null when either is not a time. */
export function msBetween(from: string, to: string): number | null {
  const a: IsoInstant = { seconds: 0, nanos: 0 };
  const b: IsoInstant = { seconds: 0, nanos: 0 };
  if (!parseIsoTimeInto(from, a) || !parseIsoTimeInto(to, b)) return null;
  return durationMs(a.seconds, a.nanos, b.seconds, b.nanos);
}
