// The run panel in a real browser (Debian's Chromium): served with the real CSP from renderPanelHtml,
// fed events produced by the real engine, driven like a user. Screenshots go to test-results/screenshots/.
import { createServer } from 'node:http';
import { readFileSync, mkdirSync, existsSync } from 'node:fs';
import { join, resolve, extname } from 'node:path';
import { spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { launchChromium } from '../../scripts/lib/browser.mjs';
import { renderPanelHtml } from '../../src/vscode/panelHtml.ts';
import { parseWebviewMessage } from '../../src/protocol/validate.ts';
import { EngineSession } from '../../src/engine/session.ts';

const root = resolve(import.meta.dirname, '..', '..');
const shots = join(root, 'test-results', 'screenshots');
mkdirSync(shots, { recursive: true });
if (!existsSync(join(root, 'dist', 'webview', 'panel.js')) || process.env.DROPOUT_LENS_REBUILD) {
  const built = spawnSync(process.execPath, [join(root, 'node_modules', 'webpack', 'bin', 'webpack.js'), '--mode', 'development', '--config-name', 'webview'], { cwd: root, stdio: 'inherit' });
  if (built.status !== 0) process.exit(1);
}

// Real engine events: a paused session on two moons, stepped by hand.
function engineRun(spec, steps) {
  const events = [];
  const session = new EngineSession({ post: (e) => events.push(e), schedule: () => {} });
  session.handle({ type: 'start', version: 1, spec, options: { paused: true, streamHz: 1000, boundaryResolution: 32 } });
  session.handle({ type: 'step', count: steps });
  return events;
}
const moons = (units, dropoutLayers = 1) => ({
  name: 'two moons', seed: 7,
  data: { source: 'generator', generator: 'moons', samples: 96, noise: 0.2, validation: 0.25 },
  model: { input: 2, layers: [...Array.from({ length: dropoutLayers }, () => [{ type: 'dense', units, activation: 'relu' }, { type: 'dropout', rate: 0.5, kind: 'bernoulli', scaling: 'inverted' }]).flat(), { type: 'dense', units: 2, activation: 'linear' }] },
  training: { epochs: 50, batchSize: 8, optimizer: { kind: 'sgd', lr: 0.05, momentum: 0.9, dampening: 0, nesterov: false, weightDecay: 0 }, schedule: { kind: 'constant' }, loss: 'cross-entropy', init: 'he' },
  evaluation: { mode: 'eval' },
});
function snapshotOf(events, name) {
  const ready = events.find((e) => e.type === 'ready');
  return { runId: 'test', name, status: 'paused', layers: ready.layers, task: ready.task, inputDim: ready.inputDim, epochs: [], totalEpochs: 50, step: 0, stepsPerSecond: 0 };
}
// Structured clone to the page turns typed arrays into plain arrays; the panel accepts both.
const plain = (value) => JSON.parse(JSON.stringify(value, (_k, v) => (ArrayBuffer.isView(v) ? Array.from(v) : v)));

const THEMES = {
  dark: '--vscode-foreground:#cccccc;--vscode-editor-background:#1e1e1e;--vscode-descriptionForeground:#9d9d9d;--vscode-charts-blue:#3794ff;--vscode-charts-orange:#d18616;--vscode-charts-red:#f14c4c;--vscode-charts-green:#89d185;--vscode-button-background:#0e639c;--vscode-button-foreground:#ffffff;--vscode-button-secondaryBackground:#3a3d41;--vscode-button-secondaryForeground:#cccccc;--vscode-badge-background:#4d4d4d;--vscode-badge-foreground:#ffffff;--vscode-disabledForeground:#6b6b6b;--vscode-font-family:sans-serif;--vscode-font-size:13px;',
  light: '--vscode-foreground:#3b3b3b;--vscode-editor-background:#ffffff;--vscode-descriptionForeground:#717171;--vscode-charts-blue:#1a85ff;--vscode-charts-orange:#d18616;--vscode-charts-red:#e51400;--vscode-charts-green:#388a34;--vscode-button-background:#005fb8;--vscode-button-foreground:#ffffff;--vscode-button-secondaryBackground:#e5e5e5;--vscode-button-secondaryForeground:#3b3b3b;--vscode-badge-background:#cccccc;--vscode-badge-foreground:#3b3b3b;--vscode-disabledForeground:#b0b0b0;--vscode-font-family:sans-serif;--vscode-font-size:13px;',
};
const themeCss = `body.vscode-dark{${THEMES.dark}} body.vscode-light{${THEMES.light}}`;

const server = createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  if (url.pathname === '/') {
    const origin = `http://127.0.0.1:${server.address().port}`;
    const nonce = 'dGVzdC1ub25jZS0xMjM0';
    let html = renderPanelHtml({ cspSource: origin, nonce, scriptUri: `${origin}/dist/webview/panel.js`, styleUri: `${origin}/media/panel.css`, codiconsUri: `${origin}/dist/codicons/codicon.css`, title: 'Dropout Lens' });
    // What VS Code provides: acquireVsCodeApi, a theme class on body, theme variables. Here by nonce, like any script.
    const stub = `<script nonce="${nonce}">window.__posted=[];window.__state=undefined;window.acquireVsCodeApi=()=>({postMessage:(m)=>window.__posted.push(JSON.parse(JSON.stringify(m))),getState:()=>window.__state,setState:(s)=>{window.__state=s;}});window.__deliver=(m)=>window.dispatchEvent(new MessageEvent('message',{data:m}));</script>`;
    html = html.replace('<script nonce', `${stub}<script nonce`).replace('<body>', '<body class="vscode-dark">').replace('</head>', `<link rel="stylesheet" href="${origin}/theme.css"></head>`);
    res.writeHead(200, { 'content-type': 'text/html' }).end(html);
    return;
  }
  if (url.pathname === '/favicon.ico') return res.writeHead(204).end();
  if (url.pathname === '/theme.css') return res.writeHead(200, { 'content-type': 'text/css' }).end(themeCss);
  const file = join(root, url.pathname);
  if (!file.startsWith(root) || !existsSync(file)) return res.writeHead(404).end();
  const types = { '.js': 'text/javascript', '.css': 'text/css', '.ttf': 'font/ttf' };
  res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${server.address().port}/`;

const browser = await launchChromium();
const results = [];
const test = async (name, fn) => {
  try {
    await fn();
    results.push({ name, ok: true });
    console.log(`✓ ${name}`);
  } catch (error) {
    results.push({ name, ok: false });
    console.log(`✗ ${name}\n  ${String(error?.stack ?? error).split('\n').slice(0, 6).join('\n  ')}`);
  }
};

async function openPanel() {
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  const problems = [];
  page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  await page.exposeFunction('__cspViolation', (d) => problems.push(`CSP: ${d}`));
  await page.addInitScript(() => document.addEventListener('securitypolicyviolation', (e) => window.__cspViolation(`${e.violatedDirective} ${e.blockedURI}`)));
  await page.goto(base);
  await page.waitForFunction(() => window.__posted?.some((m) => m.type === 'ready'));
  return { page, problems, deliver: (m) => page.evaluate((msg) => window.__deliver(msg), plain(m)) };
}

const events = engineRun(moons(32), 40);
const snapshot = snapshotOf(events, 'two moons');
const maskEvents = events.filter((e) => e.type === 'masks');
const epochEvents = events.filter((e) => e.type === 'epoch');

await test('the panel says ready under the strict CSP, then draws the snapshot', async () => {
  const { page, problems, deliver } = await openPanel();
  await deliver({ type: 'snapshot', snapshot });
  await page.waitForSelector('#layer-1');
  assert.equal(await page.locator('.layer').count(), 1);
  assert.deepEqual(problems, []);
  await page.close();
});

await test('mask heatmaps paint exactly the kept and dropped units of the latest mask', async () => {
  const { page, problems, deliver } = await openPanel();
  await deliver({ type: 'snapshot', snapshot });
  for (const e of maskEvents) await deliver({ type: 'engine', event: e });
  const last = maskEvents.at(-1).layers.find((m) => m.layer === 1);
  const column = await page.evaluate(() => {
    const c = document.querySelector('#layer-1 canvas.heatmap');
    const d = c.getContext('2d').getImageData(c.width - 1, 0, 1, c.height).data;
    return Array.from({ length: c.height }, (_, u) => [d[4 * u], d[4 * u + 1], d[4 * u + 2]]);
  });
  const kept = [0x37, 0x94, 0xff];
  const dropped = [0x1e, 0x1e, 0x1e];
  for (let u = 0; u < last.units; u++) {
    const isKept = ((last.bits[u >> 3] >> (u & 7)) & 1) === 1;
    assert.deepEqual(column[u], isKept ? kept : dropped, `unit ${u}`);
  }
  assert.match(await page.locator('#layer-1 .realized').innerText(), new RegExp(`realized ${last.realizedDropFraction.toFixed(2)}`));
  assert.deepEqual(problems, []);
  await page.close();
});

await test('a layer\'s mode button posts a valid setMode, and the modes event relabels it', async () => {
  const { page, deliver } = await openPanel();
  await deliver({ type: 'snapshot', snapshot });
  await page.locator('#layer-1 button.mode').click();
  const posted = await page.evaluate(() => window.__posted.at(-1));
  assert.deepEqual(parseWebviewMessage(posted), { ok: true, value: { type: 'setMode', layer: 1, mode: 'eval' } });
  await deliver({ type: 'engine', event: { type: 'modes', layers: [{ layer: 1, mode: 'eval' }] } });
  assert.equal(await page.locator('#layer-1 button.mode').innerText(), 'EVAL');
  assert.equal(await page.locator('#layer-1 button.mode').getAttribute('aria-pressed'), 'false');
  await page.locator('#pause').click();
  assert.deepEqual(await page.evaluate(() => window.__posted.at(-1)), { type: 'control', action: 'pause' });
  await page.close();
});

await test('curves plot every epoch of training, validation and validation in train mode', async () => {
  const { page, deliver } = await openPanel();
  await deliver({ type: 'snapshot', snapshot });
  assert.ok(epochEvents.length >= 3, `engine produced ${epochEvents.length} epochs`);
  for (const e of epochEvents) await deliver({ type: 'engine', event: e });
  await page.waitForFunction((n) => document.getElementById('loss-chart').getAttribute('aria-label').includes(`${n} epochs plotted`), epochEvents.length);
  const label = await page.locator('#loss-chart').getAttribute('aria-label');
  const last = epochEvents.at(-1);
  assert.ok(label.includes(`training ${last.train.loss.toFixed(4)}`), label);
  assert.ok(label.includes(`validation ${last.validation.loss.toFixed(4)}`), label);
  await page.close();
});

await test('a fatal error shows its message with the action to take, which posts runCommand', async () => {
  const { page, deliver } = await openPanel();
  await deliver({ type: 'snapshot', snapshot });
  await deliver({ type: 'engine', event: { type: 'error', code: 'diverged', message: 'Training diverged at step 12', step: 12, fatal: true } });
  const banner = page.locator('#banner');
  assert.match(await banner.innerText(), /diverged at step 12/);
  await page.locator('#banner-action').click();
  const posted = await page.evaluate(() => window.__posted.at(-1));
  assert.equal(parseWebviewMessage(posted).ok, true);
  assert.equal(posted.type, 'runCommand');
  await page.close();
});

await test('a chart\'s export button posts the chart as a valid PNG of the canvas\'s size', async () => {
  const { page, problems, deliver } = await openPanel();
  await deliver({ type: 'snapshot', snapshot });
  for (const e of epochEvents) await deliver({ type: 'engine', event: e });
  for (const chart of ['loss', 'accuracy']) {
    const button = page.locator(`#export-${chart}`);
    assert.equal(await button.getAttribute('aria-label'), `Export the ${chart} chart as PNG`);
    assert.equal(await button.locator('.codicon').count(), 1);
    await button.click();
    const posted = await page.evaluate(() => window.__posted.at(-1));
    const parsed = parseWebviewMessage(posted);
    assert.equal(parsed.ok, true, parsed.error);
    assert.equal(parsed.value.type, 'exportChart');
    assert.equal(parsed.value.chart, chart);
    const png = Buffer.from(parsed.value.dataUrl.slice('data:image/png;base64,'.length), 'base64');
    assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'PNG signature');
    assert.equal(png.toString('latin1', 12, 16), 'IHDR');
    const size = await page.evaluate((id) => { const c = document.getElementById(id); return [c.width, c.height]; }, `${chart}-chart`);
    assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], size, 'the PNG is the chart canvas');
  }
  assert.deepEqual(problems, []);
  await page.close();
});

await test('screenshots in the dark and the light theme', async () => {
  const { page, deliver } = await openPanel();
  const big = engineRun(moons(64, 2), 60);
  await deliver({ type: 'snapshot', snapshot: snapshotOf(big, 'two moons, two dropout layers') });
  for (const e of big) if (e.type !== 'ready' && e.type !== 'paused') await deliver({ type: 'engine', event: e });
  await page.waitForTimeout(200);
  await page.screenshot({ path: join(shots, 'panel-dark.png'), fullPage: true });
  await page.evaluate(() => (document.body.className = 'vscode-light'));
  await page.waitForTimeout(200);
  await page.screenshot({ path: join(shots, 'panel-light.png'), fullPage: true });
  await page.close();
});

// Benchmark (printed, not asserted): 4 layers × 512 units, mask events as fast as the page takes them.
{
  const { page, deliver } = await openPanel();
  const layers = Array.from({ length: 4 }, (_, i) => ({ index: 2 * i + 1, spec: { type: 'dropout', rate: 0.5, kind: 'bernoulli', scaling: 'inverted' }, units: 512, mode: 'train', rate: 0.5 }));
  await deliver({ type: 'snapshot', snapshot: { ...snapshot, layers } });
  const perSecond = await page.evaluate(() => {
    const bits = new Uint8Array(64);
    for (let i = 0; i < 64; i++) bits[i] = (Math.random() * 256) | 0;
    const event = { type: 'engine', event: { type: 'masks', step: 1, layers: [1, 3, 5, 7].map((layer) => ({ layer, units: 512, bits, rate: 0.5, realizedDropFraction: 0.5 })) } };
    const start = performance.now();
    let n = 0;
    while (performance.now() - start < 1000) {
      window.__deliver(event);
      n++;
    }
    return n / ((performance.now() - start) / 1000);
  });
  console.log(`benchmark: the panel applies ${perSecond.toFixed(0)} mask updates/s for 4 layers × 512 units (target ≥ 30)`);
  await page.close();
}

await browser.close();
server.close();
const passed = results.filter((r) => r.ok).length;
const failed = results.length - passed;
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
