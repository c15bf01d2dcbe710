// The same integration suite in a desktop VS Code, for contributors with a display and a network:
// @vscode/test-electron downloads VS Code 1.100.0 (the oldest we support) and runs the suite in it.
// CI and offline machines use test/vscode/run.mjs (code-server) instead.
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execFileSync } from 'node:child_process';
import { runTests } from '@vscode/test-electron';

const root = resolve(import.meta.dirname, '..', '..');
execFileSync(
  process.execPath,
  [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'test', 'vscode', 'tsconfig.json')],
  { stdio: 'inherit' },
);
const workspace = mkdtempSync(join(tmpdir(), 'dropout-lens-ws-'));
cpSync(join(root, 'examples'), workspace, { recursive: true });
await runTests({
  version: process.env.VSCODE_VERSION ?? '1.100.0',
  extensionDevelopmentPath: root,
  extensionTestsPath: join(root, 'out', 'test', 'vscode', 'suite', 'index.js'),
  launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust'],
  extensionTestsEnv: { DROPOUT_LENS_TEST_RESULTS: join(root, 'test-results', 'vscode', 'results.json') },
});
