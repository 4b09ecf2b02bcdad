/**
 * How long and with which seed a fuzz test runs, from the environment:
 *   GRPCTK_FUZZ_SECONDS=N  run each target for N seconds (as many inputs as fit) instead of its fixed
 *                          count (quick in `npm test`, long in `npm run test:long`; fuzz/run.sh sets it);
 *   GRPCTK_FUZZ_SEED=N     seed the inputs with N (default DEFAULT_SEED, so `npm test` is reproducible);
 *   GRPCTK_FUZZ_SEED=random  a new seed each run (printed, so a failure can be replayed).
 */
import type { RunOptions } from './runner';
import type { Target } from './target';
import { LONG } from '../../long';

/** The seed of `npm test`: fixed, so CI sees the same inputs every time. */
export const DEFAULT_SEED = 20261121;

export function fuzzSeed(): number {
  const s = process.env.GRPCTK_FUZZ_SEED;
  if (s === undefined || s === '') return DEFAULT_SEED;
  if (s === 'random') return (Math.random() * 0x1_0000_0000) >>> 0;
  const n = Number(s);
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new Error(`GRPCTK_FUZZ_SEED: expected an integer 0..4294967295 or "random", got ${JSON.stringify(s)}`);
  return n;
}

export function fuzzSeconds(): number | undefined {
  const s = process.env.GRPCTK_FUZZ_SECONDS;
  if (s === undefined || s === '') return undefined;
  const n = Number(s);
  if (!(n > 0)) throw new Error(`GRPCTK_FUZZ_SECONDS: expected a positive number of seconds, got ${JSON.stringify(s)}`);
  return n;
}

/** The run options of a target: its quick (or long) count with the fixed seed, or the time and seed asked for. */
export function runOptions(target: Target): RunOptions {
  const seconds = fuzzSeconds();
  if (seconds !== undefined) return { seed: fuzzSeed(), seconds };
  return { seed: fuzzSeed(), iterations: LONG ? target.longIterations : target.quickIterations };
}

/** The node:test timeout of a fuzz test: its time budget plus room for the slowest input. */
export function testTimeoutMs(ciSeconds: number): number {
  const seconds = fuzzSeconds() ?? ciSeconds;
  return (seconds + 120) * 1000;
}
