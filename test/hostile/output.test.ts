/**
 * Output that fails (issue 8): the reader of stdout goes away (`grpctk … | head`): a quiet end, exit 0; the
 * disk fills up under `-o` or `split -o` (a 64 KiB tmpfs mounted here: root is needed, as in CI): one line
 * saying so, exit 1, and no half-written file left under the name asked for; `-o /dev/full` likewise.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { assertCleanStderr, grpctk, PROTOS, ROOT } from './cli';
import { Capture, CLIENT, Connection, goodCall, h2Start, SERVER } from './build';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'grpctk-output-'));
const full = path.join(work, 'full');
const BIN = path.join(ROOT, 'bin', 'grpctk.js');
const SAMPLE = path.join(ROOT, 'samples', 'grpcjs-basic.pcapng');

/** 2,000 calls on one connection: decode writes megabytes, far more than a pipe or the tmpfs holds. */
const big = path.join(work, 'big.pcapng');
{
  const cap = new Capture();
  const c = new Connection(cap, CLIENT, SERVER).handshake();
  h2Start(c);
  for (let k = 0; k < 2000; k++) goodCall(c, 1 + 2 * k, `call ${k} ${'x'.repeat(200)}`);
  c.close();
  fs.writeFileSync(big, cap.bytes());
}

let mounted = false;
before(() => {
  fs.mkdirSync(full);
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', full], { encoding: 'utf8' });
  // Not a skip: a disk-full test that did not run proves nothing, so say why loudly.
  assert.equal(r.status, 0, `cannot mount a 64 KiB tmpfs on ${full} (the full-disk tests need root): ${r.stderr || r.error}`);
  mounted = true;
});
after(() => {
  if (mounted) spawnSync('umount', [full]);
  fs.rmSync(work, { recursive: true, force: true });
});

/** Runs grpctk with stdout a pipe that is closed after `keep` bytes (0: before anything is read). */
function closedPipe(args: string[], keep: number): Promise<{ status: number | null; stderr: string; got: number }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let got = 0;
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    if (keep === 0) child.stdout.destroy();
    else {
      child.stdout.on('data', (b: Buffer) => {
        got += b.length;
        if (got >= keep) child.stdout.destroy();
      });
    }
    child.on('close', (status) => resolve({ status, stderr, got }));
  });
}

for (const [cmd, keep] of [
  [['decode', '-F', 'ndjson'], 1],
  [['decode'], 1],
  [['decode', '-F', 'json'], 1],
  [['export', '-F', 'csv'], 1],
  [['export', '-F', 'ndjson', '--records', 'messages'], 1],
  [['stats'], 0],
  // split prints an index of its parts on stdout.
  [['split', '--by', 'count', '-c', '2000', '-o', path.join(work, 'split-pipe')], 0],
] as Array<[string[], number]>) {
  test(`${cmd[0] === 'split' ? 'split --by count' : cmd.join(' ')} | head: a closed pipe ends quietly with exit 0`, async () => {
    const args = cmd[0] === 'split' ? cmd : [...cmd, '-I', PROTOS];
    const r = await closedPipe([...args, big], keep);
    assert.equal(r.status, 0, `exit ${r.status}, stderr: ${r.stderr}`);
    assert.equal(r.stderr, '', 'nothing on stderr');
  });
}

test('the real thing: grpctk decode … | head -n 1 in a shell, exit 0 and nothing on stderr', () => {
  const r = spawnSync('bash', ['-c', `"${process.execPath}" "${BIN}" decode -F ndjson "${big}" | head -n 1 >/dev/null; exit "\${PIPESTATUS[0]}"`], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
});

/** Empties the tmpfs, then fills all but `freeKb` KiB of it, so even a small output does not fit. */
function fillDisk(freeKb: number): void {
  for (const f of fs.readdirSync(full)) fs.rmSync(path.join(full, f), { recursive: true, force: true });
  const df = execFileSync('df', ['-k', '--output=avail', full], { encoding: 'utf8' }).trim().split('\n').pop()!;
  const avail = Number(df);
  if (avail > freeKb) fs.writeFileSync(path.join(full, 'filler'), Buffer.alloc((avail - freeKb) * 1024));
}

for (const [name, cmd, input, freeKb] of [
  ['decode -F ndjson -o', ['decode', '-F', 'ndjson', '-I', PROTOS], big, 60],
  ['decode (text) -o', ['decode', '-I', PROTOS], big, 60],
  ['export -F csv -o', ['export', '-F', 'csv'], big, 8],
  ['stats -o', ['stats'], SAMPLE, 0],
] as Array<[string, string[], string, number]>) {
  test(`${name} on a full disk: one line, exit 1, no half-written file under the name asked for`, async () => {
    fillDisk(freeKb);
    const target = path.join(full, 'out.txt');
    const r = await grpctk([...cmd, '-o', target, input]);
    assert.equal(r.status, 1, `exit ${r.status}, stderr: ${r.stderr}`);
    const reasons = assertCleanStderr(r.stderr, name);
    assert.equal(reasons.length, 1);
    assert.match(reasons[0], /^grpctk: cannot write .*out\.txt: no space left on device$/);
    assert.ok(!fs.existsSync(target), `${target} exists after a failed write`);
    assert.deepEqual(fs.readdirSync(full).filter((f) => f !== 'filler'), [], 'temporary files left behind');
  });
}

test('split -o DIR on a full disk: one line, exit 1, no part left that was cut short', async () => {
  fillDisk(40);
  const parts = path.join(full, 'parts');
  const r = await grpctk(['split', '--by', 'connection', '-o', parts, SAMPLE]);
  assert.equal(r.status, 1, `exit ${r.status}, stderr: ${r.stderr}`);
  const reasons = assertCleanStderr(r.stderr, 'split');
  assert.equal(reasons.length, 1);
  assert.match(reasons[0], /^grpctk: cannot write .*: no space left on device$/);
  // Any part still there must be a whole capture: tshark-free check with our own reader through decode.
  for (const f of fs.existsSync(parts) ? fs.readdirSync(parts) : []) {
    const check = await grpctk(['decode', '-F', 'ndjson', path.join(parts, f)]);
    assert.equal(check.status, 0, `part ${f} left behind is not a whole capture: ${check.stderr}`);
  }
});

test('-o /dev/full: one line, exit 1', async () => {
  const r = await grpctk(['decode', '-F', 'ndjson', '-o', '/dev/full', big]);
  assert.equal(r.status, 1, r.stderr);
  const reasons = assertCleanStderr(r.stderr, '/dev/full');
  assert.deepEqual(reasons, ['grpctk: cannot write /dev/full: no space left on device']);
});
