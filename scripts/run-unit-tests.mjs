// Runs every test/unit/**/*.test.ts with Node's built-in test runner (TypeScript through tsx).
// Node 20's --test does not expand globs or pick up .ts files by itself, so we list them here.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function findTests(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return findTests(path);
    return name.endsWith('.test.ts') ? [path] : [];
  });
}

const only = process.argv.slice(2);
const files = only.length > 0 ? only : findTests('test/unit').sort();
if (files.length === 0) {
  console.error('No unit tests found under test/unit.');
  process.exit(1);
}
// The pure cores are tested from their sources (a worker bundle in dist/ may be older than they are), two files
// at a time: most of the wait is on worker threads and child processes, so both cores stay busy.
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-reporter=spec', ...files],
  { stdio: 'inherit', env: { ...process.env, DROPOUT_LENS_FROM_SOURCE: '1' } },
);
process.exit(result.status ?? 1);
