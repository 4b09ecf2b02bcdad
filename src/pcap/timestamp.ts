/**
 * Exact conversion between pcapng timestamp ticks and (seconds, nanoseconds), in both directions.
 *
 * A pcapng timestamp is a 64-bit count of ticks since the epoch, stored as two 32-bit halves; the tick is
 * 10^-n or 2^-n seconds (if_tsresol, draft-ietf-opsawg-pcapng section 4.2). A nanosecond count since 1970 is
 * about 1.7e18, beyond 2^53, so it cannot go through a JavaScript number whole. For resolutions up to 2^32
 * ticks per second (10^-9 and coarser, 2^-32 and coarser: every capture seen in practice) the division is done
 * on 16-bit digits so every intermediate stays below 2^53 and is exact; finer resolutions use BigInt.
 *
 * Sub-nanosecond fractions are truncated, as Wireshark does (wiretap/pcapng.c: `(ts % units) * 1e9 / units`),
 * so `frame.time_epoch` agrees to the last digit.
 */
import { InputError } from '../errors';

/** How ticks of one interface become seconds and nanoseconds. Computed once per IDB. */
export interface TickScale {
  base: 10 | 2;
  exp: number;
  /** Ticks per second, when it is at most 2^32 (the exact number path); 0 when BigInt must be used. */
  units: number;
  /** nsec = floor(rem * nsNum / nsDen): chosen so that the product stays below 2^53. */
  nsNum: number;
  nsDen: number;
  unitsBig: bigint;
}

const TWO32 = 4294967296;
const TWO21 = 2097152;

/** The scale of if_tsresol's one octet (MSB 0: 10^-n, MSB 1: 2^-n). Throws on a resolution no one can write. */
export function scaleFromTsresol(octet: number): TickScale {
  const base: 10 | 2 = octet & 0x80 ? 2 : 10;
  return makeScale(base, octet & 0x7f);
}

export function makeScale(base: 10 | 2, exp: number): TickScale {
  // 10^19 and 2^63 ticks per second are already far past any clock; Wireshark refuses the same range.
  if ((base === 10 && exp > 19) || (base === 2 && exp > 63)) {
    throw new InputError(`if_tsresol of ${base}^-${exp} seconds is finer than any supported resolution`);
  }
  const unitsBig = BigInt(base) ** BigInt(exp);
  const fast = base === 10 ? exp <= 9 : exp <= 32;
  let nsNum = 0;
  let nsDen = 1;
  if (fast) {
    if (base === 10) {
      nsNum = 10 ** (9 - exp);
    } else if (exp <= 9) {
      nsNum = 1e9;
      nsDen = 2 ** exp;
    } else {
      // 1e9 = 2^9 * 1953125: dividing both sides by 2^9 keeps rem * nsNum < 2^32 * 2^21 = 2^53.
      nsNum = 1953125;
      nsDen = 2 ** (exp - 9);
    }
  }
  return { base, exp, units: fast ? Number(unitsBig) : 0, nsNum, nsDen, unitsBig };
}

/** The default when an IDB has no if_tsresol: microseconds. */
export const MICROSECONDS: TickScale = makeScale(10, 6);
export const NANOSECONDS: TickScale = makeScale(10, 9);

/**
 * Converts ticks (hi, lo: unsigned 32-bit halves) to seconds and nanoseconds, written into `out` so the hot
 * path allocates nothing.
 */
export function ticksToTime(hi: number, lo: number, scale: TickScale, out: { sec: number; nsec: number }): void {
  const units = scale.units;
  if (units === 0) {
    const ticks = (BigInt(hi) << 32n) | BigInt(lo);
    const rem = ticks % scale.unitsBig;
    out.sec = Number(ticks / scale.unitsBig);
    out.nsec = Number((rem * 1000000000n) / scale.unitsBig);
    return;
  }
  let sec: number;
  let rem: number;
  if (hi < TWO21) {
    // ticks < 2^53: one exact division (the float quotient can be one off; the remainder tells).
    const ticks = hi * TWO32 + lo;
    sec = Math.floor(ticks / units);
    rem = ticks - sec * units;
    if (rem < 0) {
      sec -= 1;
      rem += units;
    } else if (rem >= units) {
      sec += 1;
      rem -= units;
    }
  } else {
    // Long division on the top 48 bits, then the low 16: each step stays below 2^48 * 2^16 / 2^16.
    const top = hi * 65536 + (lo >>> 16);
    let q1 = Math.floor(top / units);
    let r1 = top - q1 * units;
    if (r1 < 0) {
      q1 -= 1;
      r1 += units;
    } else if (r1 >= units) {
      q1 += 1;
      r1 -= units;
    }
    const cur = r1 * 65536 + (lo & 0xffff);
    let q2 = Math.floor(cur / units);
    let r2 = cur - q2 * units;
    if (r2 < 0) {
      q2 -= 1;
      r2 += units;
    } else if (r2 >= units) {
      q2 += 1;
      r2 -= units;
    }
    sec = q1 * 65536 + q2;
    rem = r2;
  }
  out.sec = sec;
  out.nsec = Math.floor((rem * scale.nsNum) / scale.nsDen);
}

/**
 * Converts seconds and nanoseconds to ticks, written into `out` as unsigned 32-bit halves. The inverse of
 * ticksToTime: for every resolution of a nanosecond or coarser, ticksToTime(timeToTicks(t)) gives back t when
 * t was itself read at that resolution. Base 10 truncates (ns → µs as everyone does); base 2 rounds up, which
 * is what makes the round trip exact under ticksToTime's truncation.
 * Throws a RangeError when the time does not fit in 64 unsigned bits of ticks (before 1970, or absurdly late).
 */
export function timeToTicks(sec: number, nsec: number, scale: TickScale, out: { hi: number; lo: number }): void {
  if (sec < 0 || !Number.isInteger(sec) || !Number.isInteger(nsec) || nsec < 0 || nsec >= 1e9) {
    throw new RangeError(`timestamp ${sec}.${nsec} cannot be written as pcapng ticks`);
  }
  if (scale.base === 10 && scale.exp <= 9 && sec < TWO32 * 16) {
    const units = scale.units;
    const frac = Math.floor(nsec / scale.nsNum);
    // ticks = sec * units + frac, assembled from 16-bit pieces so every product stays exact.
    const sl = sec % 65536;
    const sh = (sec - sl) / 65536;
    const a = sl * units + frac; // < 2^16 * 2^30 + 2^30
    const b = sh * units; // < 2^20 * 2^30
    const bl = b % 65536;
    const bh = (b - bl) / 65536;
    const low = bl * 65536 + a; // < 2^32 + 2^47
    const carry = Math.floor(low / TWO32);
    out.hi = bh + carry;
    out.lo = low - carry * TWO32;
    if (out.hi >= TWO32) throw new RangeError(`timestamp ${sec}.${nsec} overflows 64-bit pcapng ticks`);
    return;
  }
  const ns = BigInt(nsec);
  let frac: bigint;
  if (scale.base === 10) {
    frac = scale.exp <= 9 ? ns / 10n ** BigInt(9 - scale.exp) : ns * 10n ** BigInt(scale.exp - 9);
  } else {
    frac = (ns * scale.unitsBig + 999999999n) / 1000000000n;
  }
  const ticks = BigInt(sec) * scale.unitsBig + frac;
  if (ticks >= 1n << 64n) throw new RangeError(`timestamp ${sec}.${nsec} overflows 64-bit pcapng ticks`);
  out.hi = Number(ticks >> 32n);
  out.lo = Number(ticks & 0xffffffffn);
}
