/**
 * A copy of the built CLI that any user can read, for the tests that run grpctk as another user (nobody).
 *
 * The checkout may sit where only its owner can enter (a clone under /root, or in `mktemp -d`, which is
 * mode 0700): another user cannot even load bin/grpctk.js there. The copy holds what an installed grpctk
 * holds (bin/, dist/, package.json, the capture binding and the production dependencies), in a fresh
 * directory of mode 0755 under the system's temporary directory, so the test checks grpctk's own answer to
 * a user without capture rights wherever the checkout is.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface ReadableCopy {
  /** The copy's root: run `node <root>/bin/grpctk.js` with it as the working directory. */
  root: string;
  remove(): void;
}

export function readableCopy(root: string): ReadableCopy {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'grpctk-readable-'));
  fs.chmodSync(dir, 0o755);
  const copy = (rel: string): void => {
    const from = path.join(root, rel);
    if (fs.existsSync(from)) fs.cpSync(from, path.join(dir, rel), { recursive: true, dereference: true });
  };
  for (const rel of ['bin', 'dist', 'package.json', path.join('native', 'build', 'Release', 'grpctk_pcap.node')]) copy(rel);
  for (const pkg of productionPackages(root)) copy(path.relative(root, pkg));
  // Files keep their modes (0644/0755 from git and npm); directories made by cpSync follow the umask.
  makeReadable(dir);
  return { root: dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** The directories of package.json's dependencies and theirs, found as Node finds them (node_modules upwards). */
function productionPackages(root: string): Set<string> {
  const found = new Set<string>();
  const visit = (fromDir: string, deps: Record<string, string> | undefined): void => {
    for (const name of Object.keys(deps ?? {})) {
      const dir = locate(fromDir, name, root);
      if (dir === undefined || found.has(dir)) continue;
      found.add(dir);
      const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
      visit(dir, manifest.dependencies);
    }
  };
  visit(root, (JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> }).dependencies);
  return found;
}

function locate(fromDir: string, name: string, root: string): string | undefined {
  for (let d = fromDir; d.startsWith(root); d = path.dirname(d)) {
    const candidate = path.join(d, 'node_modules', name);
    if (fs.existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (d === root) break;
  }
  return undefined;
}

function makeReadable(dir: string): void {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      fs.chmodSync(p, 0o755);
      makeReadable(p);
    } else {
      fs.chmodSync(p, fs.statSync(p).mode | 0o444);
    }
  }
}
