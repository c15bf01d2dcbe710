#!/usr/bin/env node
'use strict';
// The CLI's launcher. It makes the one choice that must come before any of the CLI's code loads: the bundle
// dist/cli.js when it was built (what ships: plain JavaScript, no TypeScript or tsx needed), else the TypeScript
// sources through tsx (a development dependency), so a fresh checkout works right after `npm install`.
// DROPOUT_LENS_FROM_SOURCE=1 picks the sources even when built. Everything else about where the CLI runs from
// (the project root, where its workers are) is decided in src/session/projectRoot.ts.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const bundle = join(root, 'dist', 'cli.js');
const io = { stdout: (text) => process.stdout.write(text), stderr: (text) => process.stderr.write(text) };

function loadSources() {
  try {
    require('tsx/cjs');
  } catch {
    process.stderr.write(
      'dropout-lens: dist/cli.js is not built and tsx (a development dependency) is not installed to run the sources. Run `npm run build`, or `npm install` for the development tools.\n',
    );
    process.exit(1);
  }
  return require(join(root, 'src', 'cli', 'main.ts'));
}

const cli = existsSync(bundle) && !process.env.DROPOUT_LENS_FROM_SOURCE ? require(bundle) : loadSources();
cli.main(process.argv.slice(2), io).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`dropout-lens: ${error && error.stack ? error.stack : error}\n`);
    process.exitCode = 1;
  },
);
