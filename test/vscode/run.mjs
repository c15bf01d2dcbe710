// Runs the integration suite inside a real VS Code extension host (code-server, offline) and fails loudly
// when the host never reports, reports late, reports failures, or ran no test.
//
//   node test/vscode/run.mjs            (after `npm run build`; compiles the suite itself)
//   node test/vscode/run.mjs --latest   the same suite on the newest code-server on the npm registry
//                                       (npm run test:vscode:latest); no workbench walkthrough
//
// The workbench calls codeAutomationExit(code) when the suite's run() settles (VS Code's own browser
// integration tests report this way); the suite also writes a results file, which we read to count tests.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { execFileSync } from 'node:child_process';
import { format } from 'node:util';
import { startCodeServer } from '../../scripts/lib/codeServer.mjs';
import { launchChromium } from '../../scripts/lib/browser.mjs';
import { takeWorkbenchScreenshots } from './workbenchScreenshots.mjs';

const root = resolve(import.meta.dirname, '..', '..');
const latest = process.argv.includes('--latest');
const TIMEOUT_MS = Number(process.env.DROPOUT_LENS_VSCODE_TIMEOUT_MS ?? 8 * 60_000);
const artefacts = join(root, 'test-results', latest ? 'vscode-latest' : 'vscode');
mkdirSync(artefacts, { recursive: true });
mkdirSync(join(root, 'test-results', 'screenshots'), { recursive: true });

if (!existsSync(join(root, 'dist', 'extension.js'))) {
  console.error('dist/extension.js is missing: run `npm run build` first (npm test does).');
  process.exit(1);
}
execFileSync(
  process.execPath,
  [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'test', 'vscode', 'tsconfig.json')],
  { stdio: 'inherit' },
);

// Tests edit files (quick fixes, new configs): they get a throwaway copy of the examples.
const workspace = mkdtempSync(join(tmpdir(), 'dropout-lens-ws-'));
cpSync(join(root, 'examples'), workspace, { recursive: true });
const resultsFile = join(artefacts, 'results.json');
writeFileSync(resultsFile, '');

const serverLog = [];
const server = await startCodeServer({
  folder: workspace,
  env: { DROPOUT_LENS_TEST_RESULTS: resultsFile, DROPOUT_LENS_TEST_WORKSPACE: workspace },
  log: (line) => serverLog.push(line),
  latest,
});
console.log(`code-server ${server.version}${latest ? ' (the newest on the npm registry)' : ''}`);
const browser = await launchChromium();
let exitCode;
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const reported = new Promise((resolveExit) => {
    page.exposeFunction('codeAutomationLog', (type, args) => {
      // The host's console.log arguments, format string first (mocha's reporter prints with %s and %d).
      const text = format(...(Array.isArray(args) ? args : [args]));
      if (type !== 'trace') console.log(`  [host ${type}] ${text}`);
    });
    page.exposeFunction('codeAutomationExit', (code) => resolveExit(code));
  });
  const url = server.workbenchUrl(workspace, {
    extensionDevelopmentPath: root,
    extensionTestsPath: join(root, 'out', 'test', 'vscode', 'suite', 'index.js'),
  });
  await page.goto(url);
  let timer;
  const timeout = new Promise((resolveExit) => (timer = setTimeout(() => resolveExit('timeout'), TIMEOUT_MS)));
  exitCode = await Promise.race([reported, timeout]);
  clearTimeout(timer);
  await page.screenshot({ path: join(artefacts, 'workbench-after-suite.png') }).catch(() => {});
} finally {
  await browser.close().catch(() => {});
  server.stop();
  writeFileSync(join(artefacts, 'code-server.log'), serverLog.join(''));
}

const text = readFileSync(resultsFile, 'utf8');
const results = text ? JSON.parse(text) : undefined;
if (exitCode === 'timeout') {
  console.error(
    `FAIL: the extension host did not report within ${TIMEOUT_MS / 1000} s on code-server ${server.version} (log: ${relative(root, artefacts)}/code-server.log, screenshot: ${relative(root, artefacts)}/workbench-after-suite.png)`,
  );
  process.exit(1);
}
if (!results) {
  console.error(`FAIL: the suite exited with ${exitCode} but wrote no results (did run() start at all?)`);
  process.exit(1);
}
for (const failure of results.failures) console.error(`  ✗ ${failure.title}\n    ${failure.error}`);
console.log(`real VS Code ${results.vscodeVersion}: ${results.passed} passed, ${results.failed} failed`);
if (exitCode !== 0 || results.failed > 0) process.exit(1);
if (results.passed === 0) {
  console.error('FAIL: the suite ran no test');
  process.exit(1);
}
if (latest) process.exit(0); // The walkthrough and its screenshots are the minimum version's job.
if (process.env.DROPOUT_LENS_TEST_GREP) {
  console.log('workbench walkthrough skipped: DROPOUT_LENS_TEST_GREP selects some suites (the full run takes it)');
  process.exit(0);
}
try {
  const shots = await takeWorkbenchScreenshots({ root, dir: join(root, 'test-results', 'screenshots') });
  console.log(
    `workbench walkthrough: trained from the command palette; ${shots.map((f) => relative(root, f)).join(', ')}`,
  );
} catch (error) {
  console.error(
    `FAIL: the workbench walkthrough (train from the palette; sidebar and panel screenshots) failed: ${error instanceof Error ? error.message : String(error)} (test-results/screenshots/workbench-walkthrough-failure.png)`,
  );
  process.exit(1);
}
