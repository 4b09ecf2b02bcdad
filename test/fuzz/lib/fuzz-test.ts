/** One node:test test per fuzz target: run it in a watched worker, fail with every failure described. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeFailures, runTarget } from './runner';
import { runOptions, testTimeoutMs } from './budget';
import { loadTarget, type TargetName } from './target';

export function fuzzTest(name: TargetName, title: string): void {
  const target = loadTarget(name);
  test(title, { timeout: testTimeoutMs(60) }, async (t) => {
    const options = runOptions(target);
    const report = await runTarget(name, options);
    t.diagnostic(
      `${name}: ${report.runs} inputs, seed ${report.seed}, slowest ${report.slowestMs.toFixed(0)} ms (${report.slowestLabel.slice(0, 120)})`,
    );
    assert.equal(
      report.failures.length,
      0,
      `${report.failures.length} distinct failure(s) in fuzz target "${name}" (seed ${report.seed}):\n${describeFailures(report)}`,
    );
    // A run that did nothing proves nothing: the generator and the worker must have run.
    assert.ok(report.runs >= Math.min(options.iterations ?? 1, 1), `fuzz target "${name}" ran no input`);
  });
}
