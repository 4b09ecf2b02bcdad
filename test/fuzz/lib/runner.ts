/**
 * The fuzz runner: runs a target's inputs in a worker thread and watches it from here, so that the three
 * ways an input can defeat grpctk are all caught and pinned on the input that did it:
 *  - a crash (the check throws: a non-InputError escaped, a record the reader refuses …): reported by the
 *    worker with the input, which carries on with the next one;
 *  - a hang or a time out of proportion with the input (an infinite loop cannot be interrupted from the
 *    inside): the worker announces each input before running it; when one takes more than
 *    `timeLimitMs(size)` the worker is terminated, the input regenerated here from (seed, iteration), and a
 *    new worker carries on after it;
 *  - unbounded memory: the worker's V8 heap is capped (WORKER_HEAP_MB); a worker that dies of it is
 *    reported like a hang.
 * Every failure is saved under fuzz/crashes/ (see ./cases.ts) with the command that replays it.
 */
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { readCase, saveCrash } from './cases';
import { loadTarget, type FuzzInput } from './target';
import type { WorkerJob, WorkerMessage } from './worker-main';

/** V8 heap of the worker, MiB. grpctk's own limits (64 MiB messages, 64 MiB buffers) fit well inside. */
export const WORKER_HEAP_MB = 1024;

/**
 * Time one input may take: 10 s plus 1 ms per KB. The inputs decode in well under 50 ms each on an idle
 * machine (the 2 MB sample in about 15 ms; the slowest, protobuf nested 1,000 deep through Any, in about a
 * second of CPU), so only a loop or a cost out of proportion with the input (a quadratic rescan, an inflation
 * past the limit) gets near it, even on a two-core machine shared with other work (measured: that slowest
 * input took 6 s of wall time at a load average of 40).
 */
export function timeLimitMs(size: number): number {
  return 10_000 + size / 1000;
}

/** Distinct failures after which a run stops (the rest are usually the same bug again). */
export const MAX_FAILURES = 10;

export interface RunOptions {
  seed: number;
  /** Fuzz mode: this many inputs (from iteration 0) … */
  iterations?: number;
  /** … or as many as fit in this many seconds. */
  seconds?: number;
  /** Case mode: these saved inputs instead. */
  files?: string[];
  /** Save failing inputs under fuzz/crashes (default true). */
  save?: boolean;
}

export interface Failure {
  kind: 'crash' | 'hang' | 'memory';
  iteration: number;
  label: string;
  message: string;
  /** The saved input (fuzz/crashes/…), when saved. */
  saved?: string;
  /** Further inputs that failed the same way. */
  repeats: number;
}

export interface RunReport {
  target: string;
  seed: number;
  runs: number;
  failures: Failure[];
  slowestMs: number;
  slowestLabel: string;
}

/** Failures that differ only in numbers (offsets, lengths, frame numbers) are the same bug. */
function signature(kind: string, message: string): string {
  return `${kind}:${message.replace(/\d+/g, '#').slice(0, 160)}`;
}

export async function runTarget(target: string, options: RunOptions): Promise<RunReport> {
  const report: RunReport = { target, seed: options.seed, runs: 0, failures: [], slowestMs: 0, slowestLabel: '' };
  const bySignature = new Map<string, Failure>();
  const deadline = options.seconds !== undefined ? Date.now() + options.seconds * 1000 : undefined;
  const total = options.files ? options.files.length : options.iterations;
  let next = 0;

  const record = (kind: Failure['kind'], iteration: number, label: string, message: string, stack: string, input: FuzzInput | undefined): void => {
    const sig = signature(kind, message);
    const seen = bySignature.get(sig);
    if (seen) {
      seen.repeats++;
      return;
    }
    const f: Failure = { kind, iteration, label, message, repeats: 0 };
    if (input && options.save !== false) {
      f.saved = saveCrash(input, {
        target,
        seed: options.files ? undefined : options.seed,
        iteration,
        what: label,
        error: `${kind}: ${message}`,
        stack,
      });
    }
    bySignature.set(sig, f);
    report.failures.push(f);
  };

  /** The input of iteration i, rebuilt here (the worker that had it is gone). */
  const regenerate = (i: number): FuzzInput | undefined => {
    try {
      return options.files ? readCase(options.files[i]) : loadTarget(target).generate(options.seed, i);
    } catch {
      return undefined;
    }
  };

  while (report.failures.length < MAX_FAILURES) {
    if (total !== undefined && next >= total) break;
    if (deadline !== undefined && Date.now() >= deadline) break;
    const job: WorkerJob = options.files
      ? { target, files: options.files.slice(next) }
      : { target, seed: options.seed, from: next, iterations: total === undefined ? undefined : total - next, deadline };
    const offset = options.files ? next : 0;
    const outcome = await new Promise<{ resumeAt: number | null }>((resolve, reject) => {
      const worker = new Worker(path.join(__dirname, 'worker.js'), {
        workerData: job,
        resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB },
        stdout: false,
        stderr: false,
      });
      let current: { i: number; label: string; size: number } | null = null;
      let timer: NodeJS.Timeout | undefined;
      let settled = false;
      const settle = (resumeAt: number | null): void => {
        if (settled) return;
        settled = true;
        if (timer) clearTimeout(timer);
        void worker.terminate();
        resolve({ resumeAt });
      };
      worker.on('message', (m: WorkerMessage) => {
        switch (m.t) {
          case 'begin': {
            current = { i: m.i + offset, label: m.label, size: m.size };
            const limit = timeLimitMs(m.size);
            const i = current.i;
            const label = m.label;
            timer = setTimeout(() => {
              record('hang', i, label, `did not finish within ${Math.round(limit)} ms (${m.size} bytes)`, '(terminated by the runner)', regenerate(i));
              settle(i + 1);
            }, limit);
            break;
          }
          case 'end':
            if (timer) clearTimeout(timer);
            timer = undefined;
            report.runs++;
            if (m.ms > report.slowestMs && current) {
              report.slowestMs = m.ms;
              report.slowestLabel = current.label;
            }
            current = null;
            break;
          case 'fail':
            record('crash', m.i + offset, m.label, m.message, m.stack, { ...m.input, bytes: Buffer.from(m.input.bytes) });
            if (report.failures.length >= MAX_FAILURES) settle(null);
            break;
          case 'done':
            settle(null);
            break;
        }
      });
      worker.on('error', (err: Error & { code?: string }) => {
        if (settled) return;
        if (!current) {
          settled = true;
          reject(new Error(`fuzz worker for ${target} failed outside any input: ${err.stack ?? err.message}`));
          return;
        }
        const kind = err.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'memory' : 'crash';
        const what = kind === 'memory' ? `ran out of memory (heap limit ${WORKER_HEAP_MB} MiB)` : `worker died: ${err.message}`;
        const c = current;
        record(kind, c.i, c.label, what, err.stack ?? err.message, regenerate(c.i));
        settle(c.i + 1);
      });
      worker.on('exit', () => {
        if (settled) return;
        if (current) {
          const c = current;
          record('crash', c.i, c.label, 'worker exited in the middle of an input', '', regenerate(c.i));
          settle(c.i + 1);
        } else settle(null);
      });
    });
    if (outcome.resumeAt === null) break;
    next = outcome.resumeAt;
  }
  return report;
}

/** One paragraph per failure, for an assertion message a reader can act on. */
export function describeFailures(report: RunReport): string {
  return report.failures
    .map((f) => {
      const more = f.repeats > 0 ? ` (and ${f.repeats} more input(s) like it)` : '';
      const saved = f.saved ? `\n    saved: ${path.relative(process.cwd(), f.saved)} (see the .txt beside it)` : '';
      return `  ${f.kind} at iteration ${f.iteration}${more}: ${f.message}\n    input: ${f.label.slice(0, 300)}${saved}`;
    })
    .join('\n');
}
