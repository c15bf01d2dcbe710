// What a person sees in the real workbench, after the suite: the examples' model config open, a training run
// started from the command palette, the Dropout Lens sidebar and the run panel, in a dark and a light theme.
// The sidebar must list the model's layers with their TRAIN/EVAL badges; the run panel must show its masks.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const THEMES = [
  ['dark', 'Default Dark Modern'],
  ['light', 'Default Light Modern'],
];

async function palette(page, text) {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: 10_000 });
  await input.fill(text);
  await page.waitForTimeout(400);
  await page.keyboard.press('Enter');
}

/** @param {import('playwright-core').Page} page @param {{ settingsFile: string; dir: string }} options */
export async function takeWorkbenchScreenshots(page, { settingsFile, dir }) {
  await palette(page, '>Notifications: Clear All Notifications');
  await palette(page, '>View: Close All Editors');
  await palette(page, 'moons.dropout.yaml');
  await page.locator('.monaco-editor').first().waitFor({ timeout: 15_000 });
  await palette(page, '>Dropout Lens: Train Model in Active Config');
  const panel = page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
  await panel.locator('.heatmap').first().waitFor({ timeout: 30_000 });
  await palette(page, '>Dropout Lens: Focus on Model View');
  const layerRow = page.locator('.monaco-list-row', { hasText: 'dropout' }).first();
  await layerRow.waitFor({ timeout: 15_000 });
  await page.waitForTimeout(3000);
  const shots = [];
  for (const [name, theme] of THEMES) {
    const settings = JSON.parse(readFileSync(settingsFile, 'utf8'));
    writeFileSync(settingsFile, JSON.stringify({ ...settings, 'workbench.colorTheme': theme }));
    await page.waitForFunction((light) => document.querySelector('.monaco-workbench')?.classList.contains(light ? 'vs' : 'vs-dark'), name === 'light', { timeout: 15_000 });
    await page.waitForTimeout(1500);
    const file = join(dir, `workbench-${name}.png`);
    await page.screenshot({ path: file });
    shots.push(file);
  }
  return shots;
}
