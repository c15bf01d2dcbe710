// The run panel's page harness, shared by the browser tests (run.mjs) and the panel benchmark (bench/ui):
// the real panel (renderPanelHtml with its CSP, dist/webview/panel.js) served on 127.0.0.1 with what VS Code
// adds around it (acquireVsCodeApi, a theme class, theme variables), and real engine events to feed it.
import { createServer } from 'node:http';
import { readFileSync, existsSync } from 'node:fs';
import { join, resolve, extname } from 'node:path';
import { spawnSync } from 'node:child_process';
import { renderPanelHtml } from '../../src/vscode/panelHtml.ts';
import { EngineSession } from '../../src/engine/session.ts';

export const root = resolve(import.meta.dirname, '..', '..');

/** Builds dist/webview/panel.js if missing (or with DROPOUT_LENS_REBUILD set); false if the build failed. */
export function ensurePanelBuilt() {
  if (existsSync(join(root, 'dist', 'webview', 'panel.js')) && !process.env.DROPOUT_LENS_REBUILD) return true;
  const built = spawnSync(
    process.execPath,
    [join(root, 'node_modules', 'webpack', 'bin', 'webpack.js'), '--mode', 'development', '--config-name', 'webview'],
    { cwd: root, stdio: 'inherit' },
  );
  return built.status === 0;
}

// Real engine events: a paused session, stepped by hand.
export function engineRun(spec, steps) {
  const events = [];
  const session = new EngineSession({ post: (e) => events.push(e), schedule: () => {} });
  session.handle({
    type: 'start',
    version: 1,
    spec,
    options: { paused: true, streamHz: 1000, boundaryResolution: 32 },
  });
  session.handle({ type: 'step', count: steps });
  return events;
}
/** Two moons through `dropoutLayers` × (dense `units` ReLU, Bernoulli dropout 0.5). */
export const moons = (units, dropoutLayers = 1) => ({
  name: 'two moons',
  seed: 7,
  data: { source: 'generator', generator: 'moons', samples: 96, noise: 0.2, validation: 0.25 },
  model: {
    input: 2,
    layers: [
      ...Array.from({ length: dropoutLayers }, () => [
        { type: 'dense', units, activation: 'relu' },
        { type: 'dropout', rate: 0.5, kind: 'bernoulli', scaling: 'inverted' },
      ]).flat(),
      { type: 'dense', units: 2, activation: 'linear' },
    ],
  },
  training: {
    epochs: 50,
    batchSize: 8,
    optimizer: { kind: 'sgd', lr: 0.05, momentum: 0.9, dampening: 0, nesterov: false, weightDecay: 0 },
    schedule: { kind: 'constant' },
    loss: 'cross-entropy',
    init: 'he',
  },
  evaluation: { mode: 'eval' },
});
export function snapshotOf(events, name) {
  const ready = events.find((e) => e.type === 'ready');
  return {
    runId: 'test',
    name,
    status: 'paused',
    layers: ready.layers,
    task: ready.task,
    inputDim: ready.inputDim,
    epochs: [],
    totalEpochs: 50,
    step: 0,
    stepsPerSecond: 0,
  };
}
// Structured clone to the page turns typed arrays into plain arrays; the panel accepts both.
export const plain = (value) =>
  JSON.parse(JSON.stringify(value, (_k, v) => (ArrayBuffer.isView(v) ? Array.from(v) : v)));

const THEMES = {
  dark: '--vscode-foreground:#cccccc;--vscode-editor-background:#1e1e1e;--vscode-descriptionForeground:#9d9d9d;--vscode-charts-blue:#3794ff;--vscode-charts-orange:#d18616;--vscode-charts-red:#f14c4c;--vscode-charts-green:#89d185;--vscode-button-background:#0e639c;--vscode-button-foreground:#ffffff;--vscode-button-secondaryBackground:#3a3d41;--vscode-button-secondaryForeground:#cccccc;--vscode-badge-background:#4d4d4d;--vscode-badge-foreground:#ffffff;--vscode-disabledForeground:#6b6b6b;--vscode-font-family:sans-serif;--vscode-font-size:13px;',
  light:
    '--vscode-foreground:#3b3b3b;--vscode-editor-background:#ffffff;--vscode-descriptionForeground:#717171;--vscode-charts-blue:#1a85ff;--vscode-charts-orange:#d18616;--vscode-charts-red:#e51400;--vscode-charts-green:#388a34;--vscode-button-background:#005fb8;--vscode-button-foreground:#ffffff;--vscode-button-secondaryBackground:#e5e5e5;--vscode-button-secondaryForeground:#3b3b3b;--vscode-badge-background:#cccccc;--vscode-badge-foreground:#3b3b3b;--vscode-disabledForeground:#b0b0b0;--vscode-font-family:sans-serif;--vscode-font-size:13px;',
};
const themeCss = `body.vscode-dark{${THEMES.dark}} body.vscode-light{${THEMES.light}}`;

/** Serves the panel page at `base`; `close()` stops the server. */
export async function startPanelServer() {
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    if (url.pathname === '/') {
      const origin = `http://127.0.0.1:${server.address().port}`;
      const nonce = 'dGVzdC1ub25jZS0xMjM0';
      let html = renderPanelHtml({
        cspSource: origin,
        nonce,
        scriptUri: `${origin}/dist/webview/panel.js`,
        styleUri: `${origin}/media/panel.css`,
        codiconsUri: `${origin}/dist/codicons/codicon.css`,
        title: 'Dropout Lens',
      });
      // What VS Code provides: acquireVsCodeApi, a theme class on body, theme variables. Here by nonce, like any script.
      const stub = `<script nonce="${nonce}">window.__posted=[];window.__state=undefined;window.acquireVsCodeApi=()=>({postMessage:(m)=>window.__posted.push(JSON.parse(JSON.stringify(m))),getState:()=>window.__state,setState:(s)=>{window.__state=s;}});window.__deliver=(m)=>window.dispatchEvent(new MessageEvent('message',{data:m}));</script>`;
      html = html
        .replace('<script nonce', `${stub}<script nonce`)
        .replace('<body>', '<body class="vscode-dark">')
        .replace('</head>', `<link rel="stylesheet" href="${origin}/theme.css"></head>`);
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
  return { base: `http://127.0.0.1:${server.address().port}/`, close: () => server.close() };
}

/** A new page on the panel, once it said `ready`; `problems` collects console errors, page errors and CSP violations. */
export async function openPanel(browser, base) {
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  const problems = [];
  page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  await page.exposeFunction('__cspViolation', (d) => problems.push(`CSP: ${d}`));
  await page.addInitScript(() =>
    document.addEventListener('securitypolicyviolation', (e) =>
      window.__cspViolation(`${e.violatedDirective} ${e.blockedURI}`),
    ),
  );
  await page.goto(base);
  await page.waitForFunction(() => window.__posted?.some((m) => m.type === 'ready'));
  return { page, problems, deliver: (m) => page.evaluate((msg) => window.__deliver(msg), plain(m)) };
}
