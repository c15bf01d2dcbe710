// Starts and stops code-server (a real VS Code: its server, workbench and Node extension host) on 127.0.0.1,
// for the integration tests and the demo. See ../setup/code-server.mjs for the offline install.
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CODE_SERVER_VERSION, ensureCodeServer, ensureLatestCodeServer } from '../setup/code-server.mjs';

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
      server.close(() => resolve(port));
    });
  });
}

async function waitForHttp(url, timeoutMs, child) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`code-server exited early with code ${child.exitCode}`);
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`code-server did not answer at ${url} within ${timeoutMs / 1000} s`);
}

/**
 * `latest`: the newest code-server on the npm registry, on the Node it asks for, instead of 4.100.3.
 * @param {{ folder: string; port?: number; settings?: Record<string, unknown>; env?: Record<string, string>; log?: (line: string) => void; extensionsDir?: string; latest?: boolean }} options
 */
export async function startCodeServer(options) {
  const { bin, node, version } = options.latest
    ? ensureLatestCodeServer()
    : { bin: ensureCodeServer(), node: process.execPath, version: CODE_SERVER_VERSION };
  const port = options.port ?? (await freePort());
  const scratch = mkdtempSync(join(tmpdir(), 'dropout-lens-code-server-'));
  const userDataDir = join(scratch, 'user-data');
  const extensionsDir = options.extensionsDir ?? join(scratch, 'extensions');
  mkdirSync(join(userDataDir, 'User'), { recursive: true });
  mkdirSync(extensionsDir, { recursive: true });
  writeFileSync(
    join(userDataDir, 'User', 'settings.json'),
    JSON.stringify({
      'workbench.startupEditor': 'none',
      'workbench.tips.enabled': false,
      'security.workspace.trust.enabled': false,
      'telemetry.telemetryLevel': 'off',
      'extensions.autoCheckUpdates': false,
      'extensions.autoUpdate': false,
      'update.mode': 'none',
      ...options.settings,
    }),
  );
  const args = [
    bin,
    '--auth',
    'none',
    '--bind-addr',
    `127.0.0.1:${port}`,
    '--user-data-dir',
    userDataDir,
    '--extensions-dir',
    extensionsDir,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    // Newer VS Code (seen in 1.11x, code-server 4.139) honours the URL payload's extensionDevelopmentPath and
    // extensionTestsPath only in a built workbench with the smoke-test driver on: without it the workbench
    // comes up and the extension under test never loads. 4.100.3 knows neither this flag nor --vscode-option.
    ...(options.latest ? ['--vscode-option', 'enable-smoke-test-driver'] : []),
    options.folder,
  ];
  // Its own process group, so stopping it also ends the file watcher and the extension host it forks.
  const child = spawn(node, args, {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, VSCODE_IPC_HOOK_CLI: '', ...options.env },
  });
  const log = options.log ?? (() => {});
  child.stdout.on('data', (chunk) => log(String(chunk)));
  child.stderr.on('data', (chunk) => log(String(chunk)));
  const url = `http://127.0.0.1:${port}`;
  const stop = () => {
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  };
  try {
    await waitForHttp(`${url}/healthz`, 60_000, child);
  } catch (error) {
    stop();
    throw error;
  }
  /** The workbench's address on `folder`; `launch` names local paths: extensionDevelopmentPath, extensionTestsPath. */
  const workbenchUrl = (folder, launch) => {
    const payload = Object.entries(launch).map(([key, path]) => [key, `vscode-remote://127.0.0.1:${port}${path}`]);
    return `${url}/?folder=${encodeURIComponent(folder)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
  };
  return { url, port, child, scratch, stop, workbenchUrl, version };
}
