/**
 * The worker side of the fuzz runner (./runner.ts): runs inputs one after another, telling the parent which
 * one it starts (so a hang or an out-of-memory death can be pinned on it) and how each one went. A check
 * that throws is reported with the input's bytes and carried on from; the parent decides when to stop.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadTarget, type FuzzInput } from './target';
import { readCase } from './cases';

export interface WorkerJob {
  target: string;
  /** Fuzz mode: inputs from..(from + iterations - 1), or until `deadline` (ms since the epoch). */
  seed?: number;
  from?: number;
  iterations?: number;
  deadline?: number;
  /** Case mode: saved inputs to check (fuzz/cases). */
  files?: string[];
}

export type WorkerMessage =
  | { t: 'begin'; i: number; label: string; size: number }
  | { t: 'end'; i: number; ms: number }
  | { t: 'fail'; i: number; label: string; message: string; stack: string; input: FuzzInput }
  | { t: 'done'; runs: number };

const port = parentPort!;
const job = workerData as WorkerJob;
const target = loadTarget(job.target);

function post(m: WorkerMessage): void {
  port.postMessage(m);
}

function runOne(i: number, input: FuzzInput): void {
  post({ t: 'begin', i, label: input.label, size: input.bytes.length });
  const t0 = performance.now();
  try {
    target.check(input);
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    post({ t: 'fail', i, label: input.label, message: e.message, stack: e.stack ?? e.message, input });
  }
  post({ t: 'end', i, ms: performance.now() - t0 });
}

let runs = 0;
if (job.files) {
  job.files.forEach((file, i) => {
    runOne(i, readCase(file));
    runs++;
  });
} else {
  const from = job.from ?? 0;
  const last = job.iterations === undefined ? Infinity : from + job.iterations;
  for (let i = from; i < last; i++) {
    if (job.deadline !== undefined && Date.now() >= job.deadline) break;
    runOne(i, target.generate(job.seed ?? 0, i));
    runs++;
  }
}
post({ t: 'done', runs });
