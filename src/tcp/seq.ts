/**
 * Sequence-number arithmetic modulo 2^32 (RFC 9293 section 3.4, "Sequence Numbers": "all arithmetic
 * dealing with sequence numbers must be performed modulo 2**32"). Two numbers compare by their signed
 * 32-bit distance, which is right as long as they are less than 2^31 apart: far more than any window.
 */

/** `a - b` as a signed distance: > 0 when `a` is after `b`. */
export function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}

/** `a + n` wrapped to an unsigned 32-bit sequence number. */
export function seqAdd(a: number, n: number): number {
  return (a + n) >>> 0;
}
