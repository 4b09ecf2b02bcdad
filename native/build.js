#!/usr/bin/env node
'use strict';
/**
 * npm's install script: builds the libpcap binding behind `grpctk capture` (native/grpctk_pcap.cc) with
 * node-gyp. Capture is optional: when libpcap's headers are missing or the build fails, this prints one notice
 * and exits 0 so `npm install` still succeeds; `grpctk capture` then says how to enable it.
 *
 * Environment:
 *   GRPCTK_SKIP_NATIVE=1   do not build (capture stays disabled)
 *   GRPCTK_NATIVE_VERBOSE=1  show node-gyp's output even when the build succeeds
 */
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const here = __dirname;
// `npm rebuild` reruns the install script of an installed package, not that of a source checkout.
const installed = path.resolve(here, '..').split(path.sep).includes('node_modules');
const NOTICE =
  'grpctk capture disabled: install libpcap-dev (apt-get install libpcap-dev) and run ' +
  (installed ? 'npm rebuild grpctk' : 'npm run install');

function main() {
  if (process.env.GRPCTK_SKIP_NATIVE) {
    notice('GRPCTK_SKIP_NATIVE is set');
    return;
  }
  if (!havePcapHeaders()) {
    notice('pcap.h not found');
    return;
  }
  const gyp = findNodeGyp();
  if (!gyp) {
    notice('node-gyp not found');
    return;
  }
  const args = [gyp, 'rebuild'];
  // Offline machines: build against the running Node's installed headers instead of downloading them.
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  if (fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h'))) args.push('--nodedir=' + prefix);
  const verbose = !!process.env.GRPCTK_NATIVE_VERBOSE;
  const r = spawnSync(process.execPath, args, {
    cwd: here,
    stdio: verbose ? 'inherit' : ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
  });
  if (r.status !== 0) {
    // The tail of the compiler's output says what went wrong; the notice says what to do.
    const out = ((r.stdout || '') + (r.stderr || '')).trim().split('\n').slice(-15).join('\n');
    if (out) process.stderr.write(out + '\n');
    notice(r.error ? r.error.message : 'node-gyp exited with ' + (r.status === null ? r.signal : r.status));
    return;
  }
  process.stderr.write('grpctk: capture enabled (' + path.join('native', 'build', 'Release', 'grpctk_pcap.node') + ')\n');
}

function notice(reason) {
  process.stderr.write(NOTICE + ' (' + reason + ')\n');
}

/** libpcap's headers where Debian, Homebrew or a source install put them, or wherever pcap-config says. */
function havePcapHeaders() {
  if (process.platform === 'darwin') return true; // the SDK ships pcap.h
  const dirs = ['/usr/include', '/usr/local/include', '/opt/homebrew/include', '/opt/local/include'];
  for (const flag of (process.env.CPATH || '').split(':').concat((process.env.C_INCLUDE_PATH || '').split(':'))) {
    if (flag) dirs.push(flag);
  }
  const cfg = spawnSync('pcap-config', ['--cflags'], { encoding: 'utf8' });
  if (cfg.status === 0) {
    for (const tok of cfg.stdout.split(/\s+/)) if (tok.startsWith('-I')) dirs.push(tok.slice(2));
  }
  return dirs.some((d) => fs.existsSync(path.join(d, 'pcap', 'pcap.h')) || fs.existsSync(path.join(d, 'pcap.h')));
}

/** npm tells its lifecycle scripts where its own node-gyp is; else the dev dependency; else npm's copy. */
function findNodeGyp() {
  const candidates = [];
  if (process.env.npm_config_node_gyp) candidates.push(process.env.npm_config_node_gyp);
  try {
    candidates.push(require.resolve('node-gyp/bin/node-gyp.js', { paths: [path.join(here, '..')] }));
  } catch (_) {
    // not installed as a dependency: fine
  }
  const npmDir = path.resolve(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm');
  candidates.push(path.join(npmDir, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  return candidates.find((c) => fs.existsSync(c));
}

main();
