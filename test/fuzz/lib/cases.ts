/**
 * Crash cases on disk. A failure found by a run is saved under fuzz/crashes/ (ignored by git) as the input
 * itself (`<target>-<hash>.<kind>`, a file Wireshark or a hex editor can open), its core options and
 * expectations when it had any (`.json`: `{options, expect}`), and a note (`.txt`: target, seed,
 * iteration, what the input is, the error and its stack, the command that replays it). Moving the input (and its .json) to fuzz/cases/<target>/ makes it a regression test: test/fuzz/
 * regressions.test.ts checks every file there with its target's check on every run.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT } from './core';
import { kindOf, TARGET_NAMES, type FuzzInput } from './target';

export const CRASH_DIR = process.env.GRPCTK_FUZZ_CRASH_DIR ?? path.join(ROOT, 'fuzz', 'crashes');
export const CASES_DIR = path.join(ROOT, 'fuzz', 'cases');

/** A saved case as an input: bytes, kind from the extension, options from a `.json` beside it. */
export function readCase(file: string): FuzzInput {
  const kind = kindOf(file);
  if (!kind) throw new Error(`${file}: not a case file (extension .pcapng, .pcap, .hpack, .pb or .ndjson)`);
  const sidecar = file.slice(0, -path.extname(file).length) + '.json';
  const extra = fs.existsSync(sidecar) ? (JSON.parse(fs.readFileSync(sidecar, 'utf8')) as Pick<FuzzInput, 'options' | 'expect'>) : {};
  return { label: path.relative(ROOT, file), kind, bytes: fs.readFileSync(file), options: extra.options, expect: extra.expect };
}

/** Every case under fuzz/cases/<target>/, by target. */
export function listCases(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const target of TARGET_NAMES) {
    const dir = path.join(CASES_DIR, target);
    if (!fs.existsSync(dir)) continue;
    const files = fs.readdirSync(dir).filter((f) => kindOf(f)).sort().map((f) => path.join(dir, f));
    if (files.length > 0) out.set(target, files);
  }
  return out;
}

export interface CrashNote {
  target: string;
  seed: number | undefined;
  iteration: number;
  what: string;
  error: string;
  stack: string;
}

/** Save a failing input; returns the path of the input file. */
export function saveCrash(input: FuzzInput, note: CrashNote): string {
  fs.mkdirSync(CRASH_DIR, { recursive: true });
  const hash = crypto.createHash('sha1').update(input.bytes).digest('hex').slice(0, 12);
  const base = path.join(CRASH_DIR, `${note.target}-${hash}`);
  const file = `${base}.${input.kind}`;
  fs.writeFileSync(file, input.bytes);
  if (input.options !== undefined || input.expect !== undefined) {
    fs.writeFileSync(`${base}.json`, JSON.stringify({ options: input.options, expect: input.expect }, null, 2) + '\n');
  }
  const replay = note.seed === undefined
    ? `node --import tsx fuzz/replay.ts ${note.target} ${path.relative(ROOT, file)}`
    : `node --import tsx fuzz/replay.ts ${note.target} --seed ${note.seed} --iteration ${note.iteration}`;
  fs.writeFileSync(`${base}.txt`, [
    `target:    ${note.target}`,
    `seed:      ${note.seed ?? '(saved case)'}`,
    `iteration: ${note.iteration}`,
    `input:     ${note.what}`,
    `replay:    ${replay}`,
    `error:     ${note.error}`,
    '',
    note.stack,
    '',
  ].join('\n'));
  return file;
}
