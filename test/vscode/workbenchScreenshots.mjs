// What a person sees in the real workbench: a fresh code-server with the extension under development (no test
// runner: the suite's extension host exits with its tests), a copy of examples/ open, the overfitting example trained
// from the command palette to the end. The sidebar must list the model's layers and the run panel must draw its masks;
// both are photographed in a dark and a light theme.
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium } from '../../scripts/lib/browser.mjs';
import { startCodeServer } from '../../scripts/lib/codeServer.mjs';

const THEMES = [
  ['dark', 'Dark Modern', 'vs-dark'],
  ['light', 'Light Modern', 'vs'],
];

/** Runs a command from the palette, once the palette shows it; `opensPicker` when the command asks for more. */
async function palette(page, command, opensPicker = false) {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: 15_000 });
  await input.fill(`>${command}`);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: command }).first().click({ timeout: 15_000 });
  if (!opensPicker) await input.waitFor({ state: 'hidden', timeout: 15_000 });
}

/** @param {{ root: string; dir: string; log?: (line: string) => void }} options */
export async function takeWorkbenchScreenshots({ root, dir, log }) {
  const workspace = mkdtempSync(join(tmpdir(), 'dropout-lens-walkthrough-'));
  cpSync(join(root, 'examples'), workspace, { recursive: true });
  // The example trains in about a second: masks at the highest rate the setting allows fill more of the heatmaps.
  const server = await startCodeServer({
    folder: workspace,
    settings: { 'dropoutLens.training.maskUpdatesPerSecond': 120 },
    ...(log ? { log } : {}),
  });
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(server.workbenchUrl(workspace, { extensionDevelopmentPath: root }));
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    // The activity-bar entry appears once the workbench has read the extension's contributions.
    await page.locator('.activitybar .action-item a[aria-label^="Dropout Lens"]').waitFor({ timeout: 90_000 });
    await page.getByRole('treeitem', { name: 'overfit.dropout.yaml' }).click();
    await page.locator('.monaco-editor').first().waitFor({ timeout: 20_000 });
    await palette(page, 'Dropout Lens: Train Model in Active Config');
    const panel = page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
    await panel.locator('.heatmap').first().waitFor({ timeout: 60_000 });
    await panel.locator('#status', { hasText: 'completed' }).waitFor({ timeout: 120_000 });
    await palette(page, 'Dropout Lens: Focus on Model View');
    await page.locator('.monaco-list-row', { hasText: 'dropout' }).first().waitFor({ timeout: 20_000 });
    await page.waitForTimeout(4000);
    const shots = [];
    for (const [name, theme, className] of THEMES) {
      await palette(page, 'Preferences: Color Theme', true);
      const input = page.locator('.quick-input-widget input');
      await input.fill(theme);
      await page.locator('.quick-input-list .monaco-list-row', { hasText: theme }).first().click({ timeout: 15_000 });
      await page.waitForFunction((c) => document.querySelector('.monaco-workbench')?.classList.contains(c), className, {
        timeout: 20_000,
      });
      await page.waitForTimeout(2000);
      const file = join(dir, `workbench-${name}.png`);
      await page.screenshot({ path: file });
      shots.push(file);
    }
    return shots;
  } catch (error) {
    const pages = browser.contexts().flatMap((c) => c.pages());
    await pages[0]?.screenshot({ path: join(dir, 'workbench-walkthrough-failure.png') }).catch(() => {});
    throw error;
  } finally {
    await browser.close().catch(() => {});
    server.stop();
  }
}

// `node test/vscode/workbenchScreenshots.mjs`: the walkthrough alone (after `npm run build`).
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = resolve(import.meta.dirname, '..', '..');
  const shots = await takeWorkbenchScreenshots({ root, dir: join(root, 'test-results', 'screenshots') });
  console.log(shots.join('\n'));
}
