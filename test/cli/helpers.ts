/** Run the built CLI as a user would: `node bin/grpctk.js …` (npm test builds dist/ first). */
import { spawnSync, SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');
export const SAMPLES = path.join(ROOT, 'samples');
export const GOLDEN = path.join(ROOT, 'test', 'golden');
export const PROTOS = path.join(SAMPLES, 'protos');

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function grpctk(args: string[], options: { input?: string | Buffer; env?: NodeJS.ProcessEnv; cwd?: string } = {}): Run {
  const r: SpawnSyncReturns<string> = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'grpctk.js'), ...args], {
    input: options.input,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', ...options.env },
    cwd: options.cwd ?? ROOT,
    maxBuffer: 256 * 1024 * 1024,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function ndjson(text: string): any[] {
  return text.split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l));
}

export function readySamples(): string[] {
  return fs.readFileSync(path.join(SAMPLES, 'READY'), 'utf8').split('\n').map((s) => s.trim()).filter(Boolean);
}

export interface GoldenGrpc {
  messages: { frame: number; tcp_stream: number; stream: number; direction: string; length: number; compressed: number; message_type: string | null }[];
  calls: { tcp_stream: number; stream: number; method: string; status: number | null }[];
}

export function golden(sample: string): GoldenGrpc {
  return JSON.parse(fs.readFileSync(path.join(GOLDEN, `${sample}.grpc.json`), 'utf8'));
}

/** A "no stack trace" check: stderr is at most a few `grpctk:` lines, never `at …` frames. */
export function assertCleanStderr(stderr: string): void {
  if (/^\s+at /m.test(stderr) || /Error:.*\n\s+at /.test(stderr)) {
    throw new Error(`stack trace on stderr:\n${stderr}`);
  }
  for (const line of stderr.split('\n').filter(Boolean)) {
    if (!line.startsWith('grpctk: ')) throw new Error(`unexpected stderr line: ${JSON.stringify(line)}`);
  }
}
