#!/usr/bin/env node
'use strict';
// Thin launcher: the CLI is one bundled file, dist/cli/grpctk.js (src/ compiled and joined by esbuild in
// `npm run build`, which `npm install` runs through the `prepare` script). One file instead of a hundred
// modules saves start-up time on every run (bench/PERFORMANCE.md); npm dependencies stay in node_modules.
const path = require('path');
const fs = require('fs');

const entry = path.join(__dirname, '..', 'dist', 'cli', 'grpctk.js');
if (!fs.existsSync(entry)) {
  process.stderr.write('grpctk: not built yet: run `npm install` (or `npm run build`) in ' + path.join(__dirname, '..') + '\n');
  process.exit(2);
}
require(entry).main(process.argv);
