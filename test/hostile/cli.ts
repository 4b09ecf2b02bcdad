/**
 * Running the built CLI as a user would (node bin/grpctk.js …, through ./rss-wrapper.js), with what the
 * hostile suite judges: exit code, stdout, stderr, wall time and peak memory.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import assert from 'node:assert/strict';

export const ROOT = path.resolve(__dirname, '..', '..');
export const PROTOS = path.join(ROOT, 'samples', 'protos');
const WRAPPER = path.join(__dirname, 'rss-wrapper.js');

export interface CliRun {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  seconds: number;
  /** CPU time of the grpctk process (user + system), seconds: 0 when it died before its exit handler. */
  cpuSeconds: number;
  /** Peak resident set size of the grpctk process, MiB. */
  rssMb: number;
}

let runCount = 0;

export function grpctk(args: string[], options: { stdin?: string | Buffer; cwd?: string } = {}): Promise<CliRun> {
  const rssFile = path.join(os.tmpdir(), `grpctk-rss-${process.pid}-${runCount++}`);
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WRAPPER, ...args], {
      cwd: options.cwd ?? ROOT,
      env: { ...process.env, NO_COLOR: '1', GRPCTK_RSS_FILE: rssFile, GRPCTK_DEBUG: '' },
      stdio: [options.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (b: Buffer) => out.push(b));
    child.stderr!.on('data', (b: Buffer) => err.push(b));
    if (options.stdin !== undefined) child.stdin!.end(options.stdin);
    child.on('error', reject);
    child.on('close', (status, signal) => {
      let rssKb = 0;
      let cpuUs = 0;
      try {
        [rssKb, cpuUs] = fs.readFileSync(rssFile, 'utf8').split(' ').map(Number);
        fs.rmSync(rssFile);
      } catch {
        // No file: the process died before its exit handler (a signal); rssMb stays 0 and status says why.
      }
      resolve({
        status,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        seconds: (performance.now() - t0) / 1000,
        cpuSeconds: cpuUs / 1e6,
        rssMb: rssKb / 1024,
      });
    });
  });
}

/**
 * What every run must show on stderr: only `grpctk: ` lines (warnings and at most one reason), never a
 * stack trace, never an internal error. Returns the lines that are not warnings.
 */
export function assertCleanStderr(stderr: string, where: string): string[] {
  assert.doesNotMatch(stderr, /^\s+at /m, `${where}: stack trace on stderr:\n${stderr.slice(0, 2000)}`);
  assert.doesNotMatch(stderr, /internal error/, `${where}: internal error:\n${stderr.slice(0, 2000)}`);
  const lines = stderr.split('\n').filter((l) => l.length > 0);
  for (const line of lines) assert.ok(line.startsWith('grpctk: '), `${where}: stderr line not from grpctk: ${JSON.stringify(line.slice(0, 300))}`);
  const reasons = lines.filter((l) => !l.startsWith('grpctk: warning: '));
  assert.ok(reasons.length <= 1, `${where}: more than one error line:\n${stderr.slice(0, 2000)}`);
  return reasons;
}
