/**
 * Call latencies of one group: count, min, mean and max always exact; percentiles exact up to a limit of
 * kept durations, then from an HDR histogram (http://hdrhistogram.org/, `hdr-histogram-js`), so memory is
 * bounded whatever the number of calls.
 *
 * Percentiles use the nearest-rank definition: p is the smallest recorded value with at least p% of the
 * values at or below it (sorted[ceil(p/100 * n) - 1]); hdr-histogram-js takes the same rank, so a group
 * that crosses the limit changes precision, not meaning.
 *
 * Past the limit, durations are recorded in whole microseconds into a histogram of 3 significant digits:
 * a reported percentile is within 0.1% (plus 1 µs of rounding) of the recorded value at that rank, and is
 * clamped to the exact min and max. The histogram is "packed" (sparse counts), a few KiB to a few tens of
 * KiB whatever the count.
 */
import type { Histogram } from 'hdr-histogram-js';

/**
 * hdr-histogram-js, loaded the first time a group passes its limit: loading it costs about 20-45 ms (it
 * bundles a WebAssembly build), a third of `grpctk stats` on a capture of 100,000 calls, which never
 * needs it.
 */
export function buildHistogram(): Histogram {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { build } = require('hdr-histogram-js') as typeof import('hdr-histogram-js');
  return build({ bitBucketSize: 'packed', numberOfSignificantValueDigits: HDR_SIGNIFICANT_DIGITS, autoResize: true });
}

/** Durations kept exactly per group before switching to the histogram: 100,000 (800 KB). */
export const EXACT_LATENCY_LIMIT = 100_000;

/** Significant digits of the HDR histogram past the limit: relative error at most 10^-3. */
export const HDR_SIGNIFICANT_DIGITS = 3;

export class LatencyDigest {
  count = 0;
  min = Infinity;
  max = -Infinity;
  private sum = 0;
  private values: Float64Array | null = new Float64Array(16);
  private sorted = true;
  private histogram: Histogram | null = null;

  constructor(private readonly exactLimit: number = EXACT_LATENCY_LIMIT) {}

  /** Percentiles are exact (every duration kept). */
  get exact(): boolean {
    return this.histogram === null;
  }

  add(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    this.sum += ms;
    if (ms < this.min) this.min = ms;
    if (ms > this.max) this.max = ms;
    if (this.values !== null) {
      if (this.count < this.exactLimit) {
        if (this.count === this.values.length) {
          const grown = new Float64Array(Math.min(this.values.length * 2, this.exactLimit));
          grown.set(this.values);
          this.values = grown;
        }
        this.values[this.count++] = ms;
        this.sorted = false;
        return;
      }
      // Over the limit: move what was kept into the histogram and drop the array.
      this.histogram = buildHistogram();
      for (let i = 0; i < this.count; i++) this.histogram.recordValue(toMicros(this.values[i]));
      this.values = null;
    }
    this.histogram!.recordValue(toMicros(ms));
    this.count++;
  }

  get mean(): number | null {
    return this.count === 0 ? null : this.sum / this.count;
  }

  /** Nearest-rank percentile in ms (p in 0..100), or null when no duration was recorded. */
  percentile(p: number): number | null {
    if (this.count === 0) return null;
    if (this.values !== null) {
      const n = this.count;
      const view = this.values.subarray(0, n);
      if (!this.sorted) {
        view.sort();
        this.sorted = true;
      }
      return view[Math.min(n - 1, Math.max(0, Math.ceil((p / 100) * n) - 1))];
    }
    return histogramPercentile(this.histogram!, p, this.min, this.max);
  }

  /** Sum of the durations in ms (what a merge needs to give the exact mean). */
  get sumMs(): number {
    return this.sum;
  }

  /**
   * Every recorded duration as an HDR histogram (whole microseconds, HDR_SIGNIFICANT_DIGITS), in
   * hdr-histogram-js's compressed base64 encoding (the HdrHistogram V2 format other implementations read);
   * null when nothing was recorded. This is what `stats --merge` adds up.
   */
  encodedHistogram(): string | null {
    if (this.count === 0) return null;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { encodeIntoCompressedBase64 } = require('hdr-histogram-js') as typeof import('hdr-histogram-js');
    if (this.histogram !== null) return encodeIntoCompressedBase64(this.histogram);
    const h = buildHistogram();
    for (let i = 0; i < this.count; i++) h.recordValue(toMicros(this.values![i]));
    return encodeIntoCompressedBase64(h);
  }

  summary(): LatencySummary {
    const none = this.count === 0;
    return {
      count: this.count,
      exact: this.exact,
      min: none ? null : this.min,
      mean: none ? null : round(this.mean!),
      p50: this.percentile(50),
      p90: this.percentile(90),
      p99: this.percentile(99),
      max: none ? null : this.max,
    };
  }
}

export interface LatencySummary {
  /** Complete calls with a duration. */
  count: number;
  /** Percentiles are exact (false: from the HDR histogram, within 0.1%). */
  exact: boolean;
  min: number | null;
  mean: number | null;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  max: number | null;
}

/**
 * The nearest-rank percentile (see the module comment) of a histogram of microseconds, in ms, clamped to
 * the exact min and max. hdr-histogram-js takes the rank as ceil(p/100 * n) (less one ulp of floating-point
 * noise), the nearest rank, and answers the highest value equivalent to the one recorded there.
 */
export function histogramPercentile(h: Histogram, p: number, min: number, max: number): number | null {
  if (h.totalCount === 0) return null;
  const v = h.getValueAtPercentile(p) / 1000;
  return Math.min(max, Math.max(min, v));
}

export function toMicros(ms: number): number {
  return Math.max(0, Math.round(ms * 1000));
}

/** Rounds away binary noise (sums of decimal milliseconds) at the nanosecond. */
export function round(x: number, digits = 6): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
