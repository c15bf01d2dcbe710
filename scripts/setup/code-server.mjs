// Installs code-server (VS Code's own server and workbench) once, into a cache outside the checkout,
// and prints the path of its launcher. This is the real VS Code the integration tests and the demo use
// offline: @vscode/test-electron would download a VS Code build, which these machines cannot.
import { existsSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// 4.100.3 bundles VS Code 1.100.3, the newest whose engines.node is 20 (this machine's Node).
export const CODE_SERVER_VERSION = '4.100.3';
const cacheRoot = process.env.DROPOUT_LENS_CACHE ?? join(homedir(), '.cache', 'dropout-lens');
const installDir = join(cacheRoot, `code-server-${CODE_SERVER_VERSION}`);
export const codeServerBin = join(installDir, 'node_modules', 'code-server', 'out', 'node', 'entry.js');

/** @vscode/ripgrep downloads a binary in its postinstall unless this cached archive exists: feed it Debian's rg. */
function seedRipgrepCache() {
  const cacheDir = join(tmpdir(), 'vscode-ripgrep-cache-1.15.11');
  const archive = join(cacheDir, 'ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz');
  if (existsSync(archive)) return;
  if (!existsSync('/usr/bin/rg')) throw new Error('ripgrep is missing: run scripts/setup/debian-packages.sh first');
  mkdirSync(cacheDir, { recursive: true });
  execFileSync('tar', ['-czf', archive, '-C', '/usr/bin', 'rg']);
}

export function ensureCodeServer() {
  if (existsSync(join(installDir, '.complete'))) return codeServerBin;
  console.log(`code-server ${CODE_SERVER_VERSION}: installing into ${installDir} (once, about 3 minutes)`);
  rmSync(installDir, { recursive: true, force: true });
  mkdirSync(installDir, { recursive: true });
  writeFileSync(join(installDir, 'package.json'), JSON.stringify({ name: 'code-server-cache', private: true }));
  seedRipgrepCache();
  const result = spawnSync(
    'npm',
    ['install', '--no-audit', '--no-fund', '--no-save', `code-server@${CODE_SERVER_VERSION}`],
    {
      cwd: installDir,
      stdio: 'inherit',
      // As root, code-server's postinstall refuses to run without unsafe-perm; a nested postinstall runs `npx node-gyp`.
      env: { ...process.env, npm_config_unsafe_perm: 'true', npm_config_yes: 'true' },
    },
  );
  if (result.status !== 0 || !existsSync(codeServerBin)) {
    throw new Error(`code-server install failed (npm exit ${result.status}); see the npm output above`);
  }
  writeFileSync(join(installDir, '.complete'), new Date().toISOString());
  return codeServerBin;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(ensureCodeServer());
}
