// The README's screenshot of a real probe run: a fresh code-server with the extension under development, a copy
// of examples/ open, examples/pytorch/probe/<script> run from the command palette with `Run Python File with
// Probe` (dropoutLens.python: Debian's /usr/bin/python3 with torch), the run panel filled from the run's files and
// the Problems panel showing the run-time finding.
//
//   npm run build && node scripts/probe-screenshot.mjs [script.py] [out.png]
//   (default: missing_eval.py, docs/screenshots/probe-<script>.png; the README shows missing_eval.py and
//   ddp_same_seed.py)
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { launchChromium } from './lib/browser.mjs';
import { startCodeServer } from './lib/codeServer.mjs';

const root = resolve(import.meta.dirname, '..');
const script = process.argv[2] ?? 'missing_eval.py';
const out = resolve(
  process.argv[3] ?? join(root, 'docs', 'screenshots', `probe-${script.replace(/\.py$/, '').replace(/_/g, '-')}.png`),
);
const python = process.env.DROPOUT_LENS_PYTHON ?? '/usr/bin/python3';

/** Runs a command from the palette, once the palette shows it. */
async function palette(page, command) {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: 15_000 });
  await input.fill(`>${command}`);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: command }).first().click({ timeout: 15_000 });
  await input.waitFor({ state: 'hidden', timeout: 15_000 });
}

const workspace = mkdtempSync(join(tmpdir(), 'dropout-lens-probe-shot-'));
cpSync(join(root, 'examples'), workspace, { recursive: true });
const server = await startCodeServer({
  folder: workspace,
  settings: {
    'dropoutLens.python': python,
    'workbench.colorTheme': 'Default Dark Modern',
    'terminal.integrated.enablePersistentSessions': false,
  },
});
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(server.workbenchUrl(workspace, { extensionDevelopmentPath: root }));
  await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
  await page.locator('.activitybar .action-item a[aria-label^="Dropout Lens"]').waitFor({ timeout: 90_000 });
  // Open the script by name (Go to File), then run it with the probe from the palette.
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: 15_000 });
  await input.fill(`pytorch/probe/${script}`);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: script }).first().click({ timeout: 15_000 });
  await page.locator('.monaco-editor').first().waitFor({ timeout: 20_000 });
  await palette(page, 'Dropout Lens: Run Python File with Probe');
  const panel = page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
  await panel.locator('.heatmap').first().waitFor({ timeout: 60_000 });
  await panel.locator('#status', { hasText: 'completed' }).waitFor({ timeout: 120_000 });
  // The Problems panel, where the run-time finding is listed at its line (filtered to run-time findings: the copy of
  // examples/ has many static ones).
  await palette(page, 'View: Focus Problems (Errors, Warnings, Infos)');
  const filter = page.locator('.markers-panel-action-filter input, .viewpane-filter input').first();
  await filter.fill('observed at run time');
  await page.locator('.markers-panel .monaco-list-row', { hasText: 'observed at run time' }).first().waitFor({
    timeout: 20_000,
  });
  await page.waitForTimeout(2000);
  await page.screenshot({ path: out });
  console.log(`probe run of ${script} photographed: ${relative(root, out)}`);
} catch (error) {
  const pages = browser.contexts().flatMap((c) => c.pages());
  await pages[0]?.screenshot({ path: join(root, 'test-results', 'probe-screenshot-failure.png') }).catch(() => {});
  throw error;
} finally {
  await browser.close().catch(() => {});
  server.stop();
}
