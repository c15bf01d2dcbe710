// Called by VS Code's extension host with the real `vscode` API. Runs every *.test.js beside this file
// with mocha and writes a results file the launcher (test/vscode/run.mjs) checks.
import * as path from 'node:path';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import Mocha from 'mocha';

interface Results {
  vscodeVersion: string;
  passed: number;
  failed: number;
  failures: { title: string; error: string }[];
  tests: { title: string; durationMs: number | undefined; state: string | undefined }[];
}

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'tdd', timeout: 60_000, color: false, reporter: 'spec' });
  const dir = __dirname;
  const only = process.env.DROPOUT_LENS_TEST_GREP;
  if (only) mocha.grep(only);
  for (const file of fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.test.js'))
    .sort())
    mocha.addFile(path.join(dir, file));

  const results: Results = { vscodeVersion: vscode.version, passed: 0, failed: 0, failures: [], tests: [] };
  const write = () => {
    const target = process.env.DROPOUT_LENS_TEST_RESULTS;
    if (target) fs.writeFileSync(target, JSON.stringify(results, null, 2));
  };
  return new Promise((resolve, reject) => {
    const runner = mocha.run((failures) => {
      write();
      if (failures > 0) reject(new Error(`${failures} integration test(s) failed`));
      else if (results.passed === 0) reject(new Error('no integration test ran'));
      else resolve();
    });
    runner.on('pass', (test) => {
      results.passed++;
      results.tests.push({ title: test.fullTitle(), durationMs: test.duration, state: 'passed' });
      console.log(`✓ ${test.fullTitle()} (${test.duration ?? 0} ms)`);
    });
    runner.on('fail', (test, error: unknown) => {
      results.failed++;
      const text = error instanceof Error ? (error.stack ?? error.message) : JSON.stringify(error);
      results.failures.push({ title: test.fullTitle(), error: text });
      results.tests.push({ title: test.fullTitle(), durationMs: test.duration, state: 'failed' });
      console.error(`✗ ${test.fullTitle()}: ${error instanceof Error ? error.message : text}`);
    });
  });
}
