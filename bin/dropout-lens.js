#!/usr/bin/env node
'use strict';
// The CLI runs from the webpack bundle when it was built, else straight from the TypeScript sources
// through tsx, so `npx dropout-lens` works in a fresh checkout right after `npm install`.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const bundle = join(root, 'dist', 'cli.js');
const io = { stdout: (text) => process.stdout.write(text), stderr: (text) => process.stderr.write(text) };
let cli;
if (existsSync(bundle) && !process.env.DROPOUT_LENS_FROM_SOURCE) {
  cli = require(bundle);
} else {
  require('tsx/cjs');
  cli = require(join(root, 'src', 'cli', 'main.ts'));
}
cli.main(process.argv.slice(2), io).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`dropout-lens: ${error && error.stack ? error.stack : error}\n`);
    process.exitCode = 1;
  },
);
