#!/usr/bin/env node
'use strict';
// The second half of `npm run build` (after tsc): joins src/ into dist/cli/grpctk.js, the file bin/grpctk.js
// runs (one file loads faster than a hundred modules: bench/PERFORMANCE.md). npm dependencies stay in
// node_modules and load only when a command needs them, but for protobufjs: it is bundled on its own into
// dist/cli/protobufjs.js (with its descriptor extension), which the CLI loads when it needs a schema. As ~30
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
  // protobufjs with the descriptor extension loaded (it adds Root.fromDescriptor and friends to this copy).
  await esbuild.build({
    ...common,
    stdin: {
      contents: "const protobuf = require('protobufjs');\nrequire('protobufjs/ext/descriptor');\nmodule.exports = protobuf;\n",
      resolveDir: ROOT,
      sourcefile: 'protobufjs-entry.js',
    },
    outfile: path.join(OUT, 'protobufjs.js'),
  });
  fs.writeFileSync(
    path.join(OUT, 'protobufjs-descriptor.js'),
    "'use strict';\n// protobufjs/ext/descriptor, from the copy of protobufjs bundled beside (scripts/bundle.js).\nmodule.exports = require('./protobufjs.js').descriptor;\n",
  );
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
