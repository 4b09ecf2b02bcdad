#!/usr/bin/env node
// Runs the test files with Node's test runner, two at a time (two cores), the longest first: with the
// longest last, the run would end on one file alone while the other core idles. Used by `npm test`
// (everything), `npm run test:quick` (--quick: without fuzzing, the hostile suite and live capture) and
// `npm run test:long` (GRPCTK_TEST_LONG=1). Other arguments go to `node --test` (e.g. --test-reporter=dot).
// The test files are TypeScript, loaded through tsx's CommonJS hook: it starts faster than `--import tsx`,
// whose ES module loader runs on a thread of its own in every test process.
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const ROOT = path.resolve(__dirname, '..');

/** The files that take longest (measured), in that order; every other file follows in name order. */
const LONGEST_FIRST = [
  'test/hostile/hostile.test.ts',
  'test/report/report.test.ts',
  'test/hostile/round-two.test.ts',
  'test/hostile/output.test.ts',
  'test/cli/decode.test.ts',
  'test/output/parquet.test.ts',
  'test/hostile/truncation.test.ts',
  'test/cli/decode-golden.test.ts',
  'test/cli/tls.test.ts',
  'test/split/split.test.ts',
];

/** Not in the quick run: the slow suites (fuzzing, hostile input, live capture). */
const QUICK_EXCLUDES = ['test/fuzz/', 'test/hostile/', 'test/capture/'];

function testFiles(dir) {
  const out = [];
  for (const entry of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const rel = `${dir}/${entry.name}`;
    if (entry.isDirectory()) out.push(...testFiles(rel));
    else if (entry.name.endsWith('.test.ts')) out.push(rel);
  }
  return out;
}

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const passOn = args.filter((a) => a !== '--quick');

const all = testFiles('test').sort();
const ordered = [...LONGEST_FIRST.filter((f) => all.includes(f)), ...all.filter((f) => !LONGEST_FIRST.includes(f))];
const files = quick ? ordered.filter((f) => !QUICK_EXCLUDES.some((x) => f.startsWith(x))) : ordered;

const r = spawnSync(process.execPath, ['--require', 'tsx/cjs', '--test', '--test-concurrency=2', ...passOn, ...files], {
  cwd: ROOT,
  stdio: 'inherit',
});
process.exitCode = r.status ?? 1;
