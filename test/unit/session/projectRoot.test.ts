import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { findProjectRoot, projectRoot, RUNNING_FROM_BUNDLE, workerEntry } from '../../../src/session/projectRoot';

const ROOT = resolve(__dirname, '..', '..', '..');

test('projectRoot: from the sources, the checkout holding package.json named dropout-lens', () => {
  assert.equal(RUNNING_FROM_BUNDLE, false);
  assert.equal(projectRoot(), ROOT);
  assert.equal(findProjectRoot(join(ROOT, 'src', 'session')), ROOT);
  // Another project's package.json on the way up is not ours.
  const outer = mkdtempSync(join(tmpdir(), 'dl-root-'));
  writeFileSync(join(outer, 'package.json'), JSON.stringify({ name: 'dropout-lens' }));
  const inner = join(outer, 'node_modules', 'other');
  mkdirSync(join(inner, 'dist'), { recursive: true });
  writeFileSync(join(inner, 'package.json'), JSON.stringify({ name: 'other' }));
  assert.equal(findProjectRoot(join(inner, 'dist')), outer);
  assert.throws(() => findProjectRoot(tmpdir()), /could not find its own folder/);
});

test('workerEntry: bundled code uses dist/ only, and says so when the bundle is missing', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dl-worker-'));
  assert.throws(() => workerEntry(dir, 'worker.js', 'src/engine/worker.ts', true), /worker\.js is missing/);
  mkdirSync(join(dir, 'dist'));
  writeFileSync(join(dir, 'dist', 'worker.js'), '');
  assert.deepEqual(workerEntry(dir, 'worker.js', 'src/engine/worker.ts', true), {
    file: join(dir, 'dist', 'worker.js'),
  });
  // From the sources under the unit-test runner (DROPOUT_LENS_FROM_SOURCE): the TypeScript entry through tsx.
  const fromSource = workerEntry(dir, 'worker.js', 'src/engine/worker.ts', false);
  assert.equal(fromSource.eval, true);
  assert.match(fromSource.file, /require\.resolve\('tsx\/cjs', \{ paths: \[/);
});
