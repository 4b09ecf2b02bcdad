/**
 * The split command as a user runs it: the NDJSON index on stdout, standard input, damaged input, and
 * the ways it refuses or fails (usage, a full disk, a read-only directory), each with one line on stderr.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { Command } from 'commander';
import { readCapture } from '../../src/input/open';
import { UsageError } from '../../src/errors';
import { register } from '../../src/cli/split';
import { SAMPLES, assertOneLine, grpctk, ndjson, packetKey, readAll, tmpDir, type ReadPacket } from './helpers';

const BASIC = path.join(SAMPLES, 'grpcjs-basic.pcapng');

/** Runs `grpctk split ARGS` in this process; the error it ends with, if any. */
async function splitError(args: string[]): Promise<Error | undefined> {
  const program = new Command('grpctk').exitOverride();
  register(program);
  try {
    await program.parseAsync(['node', 'grpctk', 'split', ...args]);
  } catch (err) {
    return err as Error;
  }
  return undefined;
}

function mount(dir: string, options: string): void {
  fs.mkdirSync(dir, { recursive: true });
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { encoding: 'utf8' });
  assert.equal(r.status, 0, `mount needs root: ${r.stderr}`);
}

function umount(dir: string): void {
  spawnSync('umount', [dir]);
}

test('the index on stdout has one NDJSON object per part: path, key, packets, bytes, first, last', () => {
  const dir = tmpDir();
  const out = path.join(dir, 'new', 'parts');
  const run = grpctk(['split', '--by', 'server', '-o', out, BASIC]);
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stderr, '');
  const index = ndjson(run.stdout);
  assert.equal(index.length, 1);
  assert.deepEqual(Object.keys(index[0]), ['path', 'key', 'packets', 'bytes', 'first', 'last']);
  assert.deepEqual([index[0].path, index[0].key], [path.join(out, '0000-127.0.0.1_50051.pcapng'), '127.0.0.1:50051']);
  assert.equal(index[0].bytes, fs.statSync(index[0].path).size);
  fs.rmSync(dir, { recursive: true });
});

test('standard input (gzip or not) is split like the file, by a two-pass split too', async () => {
  const dir = tmpDir();
  const fromFile = grpctk(['split', '--by', 'connection', '--name', '{stream}.pcapng', '-o', path.join(dir, 'a'), BASIC]);
  const fromStdin = grpctk(['split', '--by', 'connection', '--name', '{stream}.pcapng', '-o', path.join(dir, 'b'), '-'], {
    input: fs.readFileSync(path.join(SAMPLES, 'grpcjs-basic.pcapng.gz')),
  });
  assert.equal(fromFile.status, 0, fromFile.stderr);
  assert.equal(fromStdin.status, 0, fromStdin.stderr);
  const a = ndjson(fromFile.stdout);
  const b = ndjson(fromStdin.stdout);
  assert.deepEqual(b.map((r) => [path.basename(r.path), r.key, r.packets, r.bytes]), a.map((r) => [path.basename(r.path), r.key, r.packets, r.bytes]));
  for (let i = 0; i < a.length; i++) assert.deepEqual(fs.readFileSync(b[i].path), fs.readFileSync(a[i].path));
  fs.rmSync(dir, { recursive: true });
});

test('a capture cut short: the parts hold every packet before the cut, then exit 1 with one line', async () => {
  const dir = tmpDir();
  const cut = path.join(dir, 'cut.pcapng');
  fs.writeFileSync(cut, fs.readFileSync(BASIC).subarray(0, 150_000));
  const before: ReadPacket[] = [];
  await assert.rejects(
    readCapture(cut, { packet: (p) => before.push({ tsSec: p.tsSec, tsNsec: p.tsNsec, data: Buffer.from(p.data), originalLength: p.originalLength, comments: p.comments ?? [], interfaceId: p.interfaceId }) }),
  );
  assert.ok(before.length > 20);
  for (const by of ['method', 'count']) {
    const out = path.join(dir, by);
    const run = grpctk(['split', '--by', by, ...(by === 'count' ? ['--count', '1000'] : []), '-o', out, cut]);
    assert.equal(run.status, 1);
    assertOneLine(run.stderr);
    assert.match(run.stderr, /cut short|truncated|ends|short/i);
    const seen = new Set<string>();
    for (const r of ndjson(run.stdout)) for (const p of (await readAll(r.path)).packets) seen.add(packetKey(p));
    assert.deepEqual([...seen].sort(), [...new Set(before.map(packetKey))].sort());
  }
  fs.rmSync(dir, { recursive: true });
});

test('a full disk stops the split with one line and exit 1', () => {
  const dir = tmpDir();
  const mnt = path.join(dir, 'small');
  mount(mnt, 'size=64k');
  try {
    const run = grpctk(['split', '--by', 'connection', '-o', path.join(mnt, 'parts'), BASIC]);
    assert.equal(run.status, 1);
    assertOneLine(run.stderr);
    assert.match(run.stderr, /^grpctk: cannot write .*small\/parts\/.*: no space left on device\n$/);
  } finally {
    umount(mnt);
  }
  fs.rmSync(dir, { recursive: true });
});

test('a read-only directory stops the split with one line and exit 1', () => {
  const dir = tmpDir();
  const mnt = path.join(dir, 'ro');
  mount(mnt, 'ro,size=64k');
  try {
    const run = grpctk(['split', '--by', 'count', '--count', '10', '-o', mnt, BASIC]);
    assert.equal(run.status, 1);
    assertOneLine(run.stderr);
    assert.match(run.stderr, /^grpctk: cannot write .*ro\/0000-.*\.pcapng: read-only file system\n$/);
    const sub = grpctk(['split', '--by', 'count', '--count', '10', '-o', path.join(mnt, 'sub'), BASIC]);
    assert.equal(sub.status, 1);
    assert.match(sub.stderr, /^grpctk: cannot write .*ro\/sub: read-only file system\n$/);
  } finally {
    umount(mnt);
  }
  fs.rmSync(dir, { recursive: true });
});

test('usage errors exit 2 with one line: flags that do not fit the mode, a directory in use, bad names', async () => {
  const dir = tmpDir();
  fs.writeFileSync(path.join(dir, 'old.pcapng'), 'x');
  const cases: [string[], RegExp][] = [
    [['--by', 'connection', '-o', dir, BASIC], /is not empty \(give --force/],
    [['--by', 'connection', '--count', '5', '-o', path.join(dir, 'x'), BASIC], /--count goes with --by count/],
    [['--by', 'count', '-o', path.join(dir, 'x'), BASIC], /--by count needs --count/],
    [['--by', 'size', '--size', 'lots', '-o', path.join(dir, 'x'), BASIC], /--size: "lots" is not a size/],
    [['--by', 'time', '--interval', '0s', '-o', path.join(dir, 'x'), BASIC], /--interval/],
    [['--by', 'method', '--name', '../{key}', '-o', path.join(dir, 'x'), BASIC], /--name: .* must be a file name/],
    [['--by', 'method', '--name', '{nope}.pcapng', '-o', path.join(dir, 'x'), BASIC], /--name: unknown field \{nope\}/],
    [['--by', 'method', '--status', 'OK', '-o', path.join(dir, 'x'), BASIC], /--status filters calls/],
    [['--by', 'count', '--count', '5', '--method', '/a/b', '-o', path.join(dir, 'x'), BASIC], /--method goes with/],
    [['--by', 'connection', '-o', path.join(dir, 'x'), path.join(dir, 'missing.pcapng')], /cannot open .*missing\.pcapng: no such file/],
  ];
  // The first through the command itself (one line on stderr, exit 2), the rest in this process.
  const run = grpctk(['split', ...cases[0][0]]);
  assert.equal(run.status, 2, run.stderr);
  assertOneLine(run.stderr);
  assert.match(run.stderr, cases[0][1]);
  for (const [args, message] of cases.slice(1)) {
    const err = await splitError(args);
    assert.ok(err instanceof UsageError, `${args.join(' ')}: ${String(err)}`);
    assert.equal(err.exitCode, 2);
    assert.doesNotMatch(err.message, /\n/);
    assert.match(err.message, message);
  }
  assert.equal(fs.existsSync(path.join(dir, 'x')), false, 'nothing was written');
  // --force writes into it, replacing parts of the same name and leaving other files alone.
  fs.writeFileSync(path.join(dir, '0000-127.0.0.1_50051.pcapng'), 'stale');
  const forced = grpctk(['split', '--by', 'server', '--force', '-o', dir, BASIC]);
  assert.equal(forced.status, 0, forced.stderr);
  assert.deepEqual(fs.readdirSync(dir).sort(), ['0000-127.0.0.1_50051.pcapng', 'old.pcapng']);
  assert.equal(ndjson(forced.stdout)[0].bytes, fs.statSync(path.join(dir, '0000-127.0.0.1_50051.pcapng')).size);
  fs.rmSync(dir, { recursive: true });
});
