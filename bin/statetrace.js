#!/usr/bin/env node
'use strict';
// Entry point of the `statetrace` CLI. It runs the compiled TypeScript in dist/, which
// `npm run setup` and `npm start` build (`npm run build` on its own).
const fs = require('node:fs');
const path = require('node:path');

const main = path.join(__dirname, '..', 'dist', 'cli', 'main.js');
if (!fs.existsSync(main)) {
  console.error('statetrace: not built yet; run `npm run setup` (or `npm run build`) first');
  process.exit(1);
}
require(main);
