/**
 * What a fuzz target is: a deterministic generator of inputs (input `i` of a run seeded `seed` is always the
 * same bytes, so a failure is replayed from two numbers) and a check that throws FuzzFailure when grpctk
 * misbehaves on an input. Targets are loaded by name, in the worker that runs them and in the parent that
 * saves what the worker was doing when it hung or ran out of memory.
 */
import * as path from 'node:path';
import type { CoreOptions } from './core';

/** Kinds of input, and the file extension a saved case gets. */
export type InputKind = 'pcapng' | 'pcap' | 'hpack' | 'pb' | 'ndjson' | 'tcp';

export interface FuzzInput {
  /** One line saying what the input is (sample and mutations, or the generator's shape). */
  label: string;
  kind: InputKind;
  bytes: Uint8Array;
  /** Options for the capture core (limits, chunking); saved next to a crash case as JSON. */
  options?: CoreOptions;
  /** What the target's check expects the input to decode to, when the generator knows (saved too). */
  expect?: unknown;
}

export interface Target {
  name: string;
  /** Inputs per run in `npm test` (fixed seed): a few seconds per target on two cores. */
  quickIterations: number;
  /** Inputs per run in `npm run test:long` (fixed seed): about a minute for the whole of test/fuzz. */
  longIterations: number;
  generate(seed: number, i: number): FuzzInput;
  /** Throws FuzzFailure (or anything: the runner reports it) when grpctk misbehaves. */
  check(input: FuzzInput): void;
}

export const TARGET_NAMES = ['captures', 'h2', 'hpack', 'protobuf', 'pcapng', 'ndjson', 'tcp'] as const;
export type TargetName = (typeof TARGET_NAMES)[number];

export function loadTarget(name: string): Target {
  if (!(TARGET_NAMES as readonly string[]).includes(name)) {
    throw new Error(`unknown fuzz target ${JSON.stringify(name)} (expected ${TARGET_NAMES.join(', ')})`);
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(path.join(__dirname, 'targets', `${name}.ts`)) as { target: Target };
  return mod.target;
}

/** The target that reads a saved case of this kind (fuzz/cases/<target>/<name>.<kind>). */
export function kindOf(file: string): InputKind | undefined {
  const ext = path.extname(file).slice(1);
  return (['pcapng', 'pcap', 'hpack', 'pb', 'ndjson', 'tcp'] as const).find((k) => k === ext);
}
