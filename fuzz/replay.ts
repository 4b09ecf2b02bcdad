/**
 * Replays one fuzz input in this process, with the whole stack trace of what goes wrong:
 *
 *     node --import tsx fuzz/replay.ts TARGET --seed N --iteration I    # input I of a run seeded N
 *     node --import tsx fuzz/replay.ts TARGET FILE                      # a saved case (fuzz/crashes, fuzz/cases)
 *
 * Add --save to write the input under fuzz/crashes/ (e.g. to turn a hang into a case file), --out FILE to
 * write the bytes where you like (a capture to open in Wireshark). Exit 0 when the check passes, 1 when it
 * fails (the error is printed), 2 on bad usage.
 */
import * as fs from 'node:fs';
import { readCase, saveCrash } from '../test/fuzz/lib/cases';
import { loadTarget, type FuzzInput } from '../test/fuzz/lib/target';

function usage(message: string): never {
  process.stderr.write(`replay: ${message}\nusage: node --import tsx fuzz/replay.ts TARGET (--seed N --iteration I | FILE) [--save] [--out FILE]\n`);
  process.exit(2);
}

const args = process.argv.slice(2);
const name = args.shift() ?? usage('no target');
let seed: number | undefined;
let iteration: number | undefined;
let file: string | undefined;
let save = false;
let out: string | undefined;
while (args.length > 0) {
  const a = args.shift()!;
  if (a === '--seed') seed = Number(args.shift());
  else if (a === '--iteration') iteration = Number(args.shift());
  else if (a === '--save') save = true;
  else if (a === '--out') out = args.shift();
  else if (!a.startsWith('-') && file === undefined) file = a;
  else usage(`unknown argument ${a}`);
}
const target = loadTarget(name);
let input: FuzzInput;
if (file !== undefined) input = readCase(file);
else if (seed !== undefined && iteration !== undefined && Number.isInteger(seed) && Number.isInteger(iteration)) input = target.generate(seed, iteration);
else usage('give --seed and --iteration, or a case file');

process.stdout.write(`${name}: ${input.label} (${input.bytes.length} bytes)\n`);
if (out) fs.writeFileSync(out, input.bytes);
const t0 = performance.now();
try {
  target.check(input);
  process.stdout.write(`passed in ${(performance.now() - t0).toFixed(0)} ms\n`);
} catch (err) {
  process.stdout.write(`FAILED after ${(performance.now() - t0).toFixed(0)} ms\n${(err as Error).stack ?? String(err)}\n`);
  if (save) {
    const saved = saveCrash(input, { target: name, seed, iteration: iteration ?? 0, what: input.label, error: String(err), stack: (err as Error).stack ?? '' });
    process.stdout.write(`saved ${saved}\n`);
  }
  process.exitCode = 1;
}
