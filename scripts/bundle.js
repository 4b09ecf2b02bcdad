#!/usr/bin/env node
'use strict';
// The second half of `npm run build` (after tsc): joins src/ into dist/cli/grpctk.js, the file bin/grpctk.js
// runs (one file loads faster than a hundred modules: bench/PERFORMANCE.md). npm dependencies stay in
// node_modules and load only when a command needs them, but for protobufjs: it is bundled on its own into
// dist/cli/protobufjs.js (and its descriptor extension into protobufjs-descriptor.js, which requires that
// file), which the CLI loads when it needs a schema. As ~30
// small modules its loading took 75 to 90 ms of CPU (most of it finding the files), as one file ~22 ms.
// It is not joined into grpctk.js itself: runs without a schema (and `--version`) would then compile it too.
const path = require('path');
const fs = require('fs');
const esbuild = require('esbuild');

const ROOT = path.join(__dirname, '..');
const OUT = path.join(ROOT, 'dist', 'cli');
const common = { bundle: true, platform: 'node', target: 'node20', sourcemap: true, logLevel: 'warning', absWorkingDir: ROOT };

/** The imports of protobufjs in src/, and the file of dist/cli/ each is served by. */
const PROTOBUFJS = { protobufjs: './protobufjs.js', 'protobufjs/ext/descriptor': './protobufjs-descriptor.js' };

async function main() {
  fs.mkdirSync(OUT, { recursive: true });
  // protobufjs, and its descriptor extension apart (it builds descriptor.proto's types when loaded, ~18 ms,
  // needed only for descriptor sets and reflection): the extension requires this copy of protobufjs.
  await esbuild.build({
    ...common,
    stdin: { contents: "module.exports = require('protobufjs');\n", resolveDir: ROOT, sourcefile: 'protobufjs-entry.js' },
    outfile: path.join(OUT, 'protobufjs.js'),
  });
  await esbuild.build({
    ...common,
    stdin: { contents: "module.exports = require('protobufjs/ext/descriptor');\n", resolveDir: ROOT, sourcefile: 'descriptor-entry.js' },
    outfile: path.join(OUT, 'protobufjs-descriptor.js'),
    plugins: [
      {
        name: 'protobufjs-beside',
        setup(build) {
          // ext/descriptor/index.js: `require("../..")`, protobufjs itself.
          build.onResolve({ filter: /^\.\.\/\.\.$/ }, (args) =>
            /protobufjs[\\/]ext[\\/]descriptor/.test(args.importer) ? { path: './protobufjs.js', external: true } : undefined,
          );
        },
      },
    ],
  });
  await esbuild.build({
    ...common,
    entryPoints: [path.join(ROOT, 'src', 'cli', 'main.ts')],
    packages: 'external',
    outfile: path.join(OUT, 'grpctk.js'),
    plugins: [
      {
        name: 'protobufjs-beside',
        setup(build) {
          build.onResolve({ filter: /^protobufjs(\/ext\/descriptor)?$/ }, (args) => ({ path: PROTOBUFJS[args.path], external: true }));
        },
      },
    ],
  });
}

main().catch((err) => {
  process.stderr.write(`bundle: ${err.message}\n`);
  process.exit(1);
});
