// Renders media/icon.svg to the 128×128 media/icon.png the marketplace and the extensions view show.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { launchChromium } from './lib/browser.mjs';

const root = resolve(import.meta.dirname, '..');
const svg = readFileSync(join(root, 'media', 'icon.svg'), 'utf8');
const browser = await launchChromium();
const page = await browser.newPage({ viewport: { width: 128, height: 128 } });
await page.setContent(`<html><body style="margin:0;background:transparent">${svg}</body></html>`);
await page.locator('svg').screenshot({ path: join(root, 'media', 'icon.png'), omitBackground: true });
await browser.close();
