// Worker entry: workers do not inherit tsx's `--import` hooks, so register tsx's CommonJS loader here and
// hand over to the TypeScript worker.
'use strict';
require('tsx/cjs');
require('./worker-main.ts');
