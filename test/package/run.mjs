// `npm run package` must yield a .vsix that a real VS Code installs: package it, install it into code-server
// with a throwaway extensions folder, and check what landed (the bundles and media, no sources or tests).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import assert from 'node:assert/strict';
import { finish, test } from '../lib/checks.mjs';
import { ensureCodeServer } from '../../scripts/setup/code-server.mjs';

const root = resolve(import.meta.dirname, '..', '..');
const { name, version, publisher } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const vsix = join(root, `${name}-${version}.vsix`);

const packaged = spawnSync(process.execPath, [join(root, 'scripts', 'package.mjs')], { cwd: root, encoding: 'utf8' });
process.stdout.write(
  packaged.stdout
    .split('\n')
    .filter((l) => /vsix|KiB|ERROR|WARNING/.test(l))
    .join('\n') + '\n',
);
await test('npm run package writes the .vsix', () => {
  assert.equal(packaged.status, 0, packaged.stderr || packaged.stdout);
  assert.ok(existsSync(vsix));
});

const extensionsDir = mkdtempSync(join(tmpdir(), 'dropout-lens-vsix-'));
const installed = spawnSync(
  process.execPath,
  [ensureCodeServer(), '--extensions-dir', extensionsDir, '--install-extension', vsix],
  { encoding: 'utf8', env: { ...process.env, VSCODE_IPC_HOOK_CLI: '' } },
);
const folder = join(extensionsDir, `${publisher}.${name}-${version}`);
await test('a real VS Code (code-server) installs it', () => {
  assert.equal(installed.status, 0, installed.stderr || installed.stdout);
  assert.match(installed.stdout, /successfully installed/i);
  assert.ok(existsSync(join(folder, 'package.json')), `no ${folder}/package.json`);
});

const files = (dir, prefix = '') =>
  readdirSync(dir).flatMap((f) =>
    statSync(join(dir, f)).isDirectory() ? files(join(dir, f), `${prefix}${f}/`) : [`${prefix}${f}`],
  );
await test('it holds the bundles (extension, both workers, panel), media, schemas and the README, and no sources, tests, benchmarks, source maps or CLI', () => {
  const shipped = existsSync(folder) ? files(folder) : [];
  for (const needed of [
    'dist/extension.js',
    'dist/worker.js',
    'dist/analysisWorker.js',
    'dist/webview/panel.js',
    'media/panel.css',
    'schemas/model-config.schema.json',
  ])
    assert.ok(shipped.includes(needed), `missing ${needed}`);
  assert.ok(
    shipped.some((f) => f.toLowerCase() === 'readme.md'),
    'missing the README',
  );
  const stray = shipped.filter(
    (f) =>
      /^(src|test|bench|examples|scripts|webview|node_modules)\//.test(f) ||
      f.endsWith('.map') ||
      f.endsWith('.ts') ||
      f === 'dist/cli.js',
  );
  assert.deepEqual(stray, []);
});

finish();
