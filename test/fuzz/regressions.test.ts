/**
 * Every input a fuzz run ever failed on, kept under fuzz/cases/<target>/ (see fuzz/README.md), checked by
 * its target on every run, in the same watched worker (so a case that used to hang fails instead of
 * hanging the suite).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listCases } from './lib/cases';
import { describeFailures, runTarget } from './lib/runner';

const cases = listCases();

test('fuzz/cases holds at least one case per target that ever failed', () => {
  assert.ok(cases.size > 0, 'fuzz/cases is empty: the crash cases found so far should be there');
});

for (const [target, files] of cases) {
  test(`fuzz/cases/${target}: ${files.length} former crash(es) now pass`, { timeout: 300_000 }, async () => {
    const report = await runTarget(target, { seed: 0, files, save: false });
    assert.equal(report.runs, files.length, `only ${report.runs} of ${files.length} cases ran:\n${describeFailures(report)}`);
    assert.equal(report.failures.length, 0, `former crash cases fail again:\n${describeFailures(report)}`);
  });
}
