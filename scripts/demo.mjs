// `npm run demo`: from a fresh clone, sets up and builds everything, installs the packaged extension into
// a real VS Code (code-server, offline) and serves it on 127.0.0.1 with examples/ open. Prints the URL;
// Ctrl-C stops it. DEMO_PORT picks the port (default 8080).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const run = (command, args) => {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
};

if (process.platform === 'linux') run('bash', [join(root, 'scripts', 'setup', 'debian-packages.sh')]);
const installed = join(root, 'node_modules', '.package-lock.json');
if (!existsSync(installed) || statSync(installed).mtimeMs < statSync(join(root, 'package-lock.json')).mtimeMs)
  run('npm', ['ci', '--no-audit', '--no-fund']);
run(process.execPath, [join(root, 'scripts', 'package.mjs')]);

const { startCodeServer } = await import('./lib/codeServer.mjs');
const { ensureCodeServer } = await import('./setup/code-server.mjs');
const { name, version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const extensionsDir = join(
  process.env.DROPOUT_LENS_CACHE ?? join(homedir(), '.cache', 'dropout-lens'),
  'demo-extensions',
);
mkdirSync(extensionsDir, { recursive: true });
run(process.execPath, [
  ensureCodeServer(),
  '--extensions-dir',
  extensionsDir,
  '--install-extension',
  join(root, `${name}-${version}.vsix`),
  '--force',
]);

const server = await startCodeServer({
  folder: join(root, 'examples'),
  port: Number(process.env.DEMO_PORT ?? 8080),
  extensionsDir,
  settings: { 'workbench.colorTheme': 'Default Dark Modern' },
});
console.log(
  `\nDropout Lens is running in VS Code ${'(code-server)'} on examples/:\n\n  ${server.url}/?folder=${encodeURIComponent(join(root, 'examples'))}\n\nOpen it in a browser on this machine. Ctrl-C stops the server.`,
);
const stop = () => {
  server.stop();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
await new Promise(() => {});
