// `npm run package`: a production build, then a .vsix with @vscode/vsce; prints its size.
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const { name, version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const vsix = join(root, `${name}-${version}.vsix`);
const step = (args) => {
  const result = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
};
step([join(root, 'node_modules', 'webpack', 'bin', 'webpack.js'), '--mode', 'production']);
// --no-dependencies: everything the extension runs is in dist/ already.
step([
  join(root, 'node_modules', '@vscode', 'vsce', 'vsce'),
  'package',
  '--no-dependencies',
  '--allow-missing-repository',
  '--no-rewrite-relative-links',
  '--out',
  vsix,
]);
console.log(`${vsix}: ${(statSync(vsix).size / 1024).toFixed(0)} KiB`);
