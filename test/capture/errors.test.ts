// What `grpctk capture` says when it cannot capture: one line naming the problem and what to do, a
// documented exit code, never a stack trace.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exitOf, ROOT, runGrpctk, runLauncher } from './helpers';
import { readableCopy } from './readable-copy';

/** Runs to the end; returns the exit code and stderr, checking that stderr is a single line. */
async function fails(args: string[], env: NodeJS.ProcessEnv = {}, uid?: number): Promise<{ code: number | null; line: string }> {
  if (uid === undefined) return judge(runGrpctk(args, { env: { ...process.env, ...env } }));
  // Another user may not be able to enter the checkout (a clone in `mktemp -d` is mode 0700): that user
  // runs a copy of the built CLI that anyone can read, from its own directory.
  const copy = readableCopy(ROOT);
  try {
    return await judge(
      runLauncher([join(copy.root, 'bin', 'grpctk.js')], args, { cwd: copy.root, env: { ...process.env, ...env }, uid, gid: uid }),
    );
  } finally {
    copy.remove();
  }
}

async function judge(child: ReturnType<typeof runGrpctk>): Promise<{ code: number | null; line: string }> {
  const code = await exitOf(child);
  const lines = child.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got: ${child.stderr}`);
  assert.match(lines[0], /^grpctk: /);
  return { code, line: lines[0] };
}

test('-D lists the interfaces as tcpdump does, loopback included', async () => {
  const child = runGrpctk(['capture', '-D']);
  assert.equal(await exitOf(child), 0, child.stderr);
  const out = Buffer.concat(child.stdout).toString();
  assert.match(out, /^1\. \S+/);
  assert.match(out, /^\d+\. lo \[Up, Running, Loopback\]$/m);
});

test('an unknown interface is bad usage (exit 2) and the line lists the available ones', async () => {
  const { code, line } = await fails(['capture', '-i', 'nosuch0', '-w', join(tmpdir(), 'never.pcapng')]);
  assert.equal(code, 2);
  assert.match(line, /no interface 'nosuch0' \(available: .*\blo\b.*\)/);
});

test('-i with a number beyond the -D list is bad usage', async () => {
  const { code, line } = await fails(['capture', '-i', '999', '-w', join(tmpdir(), 'never.pcapng')]);
  assert.equal(code, 2);
  assert.match(line, /no interface number 999/);
});

test("a bad filter is bad usage (exit 2) in libpcap's words, and no file is created", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'grpctk-capture-err-'));
  try {
    const file = join(dir, 'x.pcapng');
    const { code, line } = await fails(['capture', '-i', 'lo', '-f', 'tcp port', '-w', file]);
    assert.equal(code, 2);
    assert.match(line, /bad capture filter 'tcp port': .*syntax error/);
    assert.throws(() => statSync(file), /ENOENT/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('without permission to capture: exit 1 and the setcap command that grants it', async () => {
  // uid 65534 (nobody) has neither root nor CAP_NET_RAW.
  const { code, line } = await fails(['capture', '-i', 'lo', '-w', join(tmpdir(), 'never-nobody.pcapng')], { HOME: '/tmp' }, 65534);
  assert.equal(code, 1);
  assert.match(line, /no permission to capture on 'lo'/);
  assert.match(line, /setcap cap_net_raw,cap_net_admin=eip \//);
});

test('an unwritable output is a write failure (exit 1) naming the file', async () => {
  const { code, line } = await fails(['capture', '-i', 'lo', '-w', '/nonexistent-dir/x.pcapng', '-c', '1']);
  assert.equal(code, 1);
  assert.match(line, /cannot write '\/nonexistent-dir\/x\.pcapng': ENOENT/);
});

test('without the libpcap binding, capture says how to enable it (exit 1)', async () => {
  const { code, line } = await fails(['capture', '-i', 'lo', '-w', '-'], { GRPCTK_PCAP_BINDING: '/nonexistent/grpctk_pcap.node' });
  assert.equal(code, 1);
  assert.match(line, /capture is disabled: the libpcap binding was not built; to enable it: apt-get install libpcap-dev && npm/);
});

test('bad flag values and combinations are bad usage (exit 2)', async () => {
  for (const args of [
    ['-i', 'lo', '-w', '-', '-c', 'ten'],
    ['-i', 'lo', '-w', '-', '--duration', '0'],
    ['-i', 'lo', '-w', '-', '--ring-size', '1'],
    ['-i', 'lo', '-w', 'x.pcapng', '--ring-files', '3'],
    ['-i', 'lo'],
  ]) {
    const { code } = await fails(['capture', ...args]);
    assert.equal(code, 2, args.join(' '));
  }
});
