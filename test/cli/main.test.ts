/**
 * The program itself, as a user runs it: the version, help listing every subcommand.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { grpctk, ROOT } from './helpers';

const VERSION = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

test('grpctk --version prints the package version and exits 0', () => {
  const run = grpctk(['--version']);
  assert.equal(run.status, 0);
  assert.equal(run.stdout, `${VERSION}\n`);
  assert.equal(run.stderr, '');
});

test('grpctk --help lists every subcommand, though each is loaded only when named', () => {
  const run = grpctk(['--help']);
  assert.equal(run.status, 0);
  for (const name of ['decode', 'stats', 'export', 'split', 'capture']) assert.match(run.stdout, new RegExp(`^  ${name} `, 'm'));
});
