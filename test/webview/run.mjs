// The run panel in a real browser (Debian's Chromium): served with the real CSP from renderPanelHtml,
// fed events produced by the real engine, driven like a user. Screenshots go to test-results/screenshots/.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { finish, test } from '../lib/checks.mjs';
import { launchChromium } from '../../scripts/lib/browser.mjs';
import { parseWebviewMessage } from '../../src/protocol/validate.ts';
import { EngineSession } from '../../src/engine/session.ts';
import { meanVarianceOf } from '../../src/experiments/predictionStats.ts';
import { loadDataset } from '../../src/engine/data/index.ts';
import { Replay } from '../../src/engine/replay.ts';
import {
  root,
  ensurePanelBuilt,
  engineRun,
  moons,
  snapshotOf,
  startPanelServer,
  openPanel as openPanelAt,
} from './harness.mjs';
import { convPanelTests } from './convPanel.mjs';

const shots = join(root, 'test-results', 'screenshots');
mkdirSync(shots, { recursive: true });
if (!ensurePanelBuilt()) process.exit(1);
const server = await startPanelServer();

const browser = await launchChromium();

const openPanel = () => openPanelAt(browser, server.base);

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

// Live, the masks arrive one by one; a panel opened (or restored) mid-run gets the recent ones in its snapshot.
const deliveries = {
  'as they stream': async (deliver) => {
    await deliver({ type: 'snapshot', snapshot });
    for (const e of maskEvents) await deliver({ type: 'engineBatch', events: [e] });
  },
  'from the snapshot of a panel opened mid-run': (deliver) =>
    deliver({ type: 'snapshot', snapshot: { ...snapshot, recent: maskEvents } }),
};
for (const [how, deliverMasks] of Object.entries(deliveries)) {
  await test(`mask heatmaps paint exactly the kept and dropped units of the latest mask, ${how}`, async () => {
    const { page, problems, deliver } = await openPanel();
    await deliverMasks(deliver);
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r()))); // the panel paints with the next frame
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
    assert.match(
      await page.locator('#layer-1 .realized').innerText(),
      new RegExp(`realized ${last.realizedDropFraction.toFixed(2)}`),
    );
    assert.deepEqual(problems, []);
    await page.close();
  });
}

await test("a layer's mode button posts a valid setMode, the modes event relabels it, and run controls follow the status", async () => {
  const { page, deliver } = await openPanel();
  await deliver({ type: 'snapshot', snapshot });
  await page.locator('#layer-1 button.mode').click();
  const posted = await page.evaluate(() => window.__posted.at(-1));
  assert.deepEqual(parseWebviewMessage(posted), { ok: true, value: { type: 'setMode', layer: 1, mode: 'eval' } });
  await deliver({ type: 'engineBatch', events: [{ type: 'modes', layers: [{ layer: 1, mode: 'eval' }] }] });
  assert.equal(await page.locator('#layer-1 button.mode').innerText(), 'EVAL');
  assert.equal(await page.locator('#layer-1 button.mode').getAttribute('aria-pressed'), 'false');
  // Paused: resume and step act, pause cannot; once the run completes only what reads the results is left.
  assert.deepEqual(
    await page.evaluate(() => ['pause', 'resume', 'step', 'stop'].map((id) => document.getElementById(id).disabled)),
    [true, false, false, false],
  );
  await page.locator('#resume').click();
  assert.deepEqual(await page.evaluate(() => window.__posted.at(-1)), { type: 'control', action: 'resume' });
  await deliver({ type: 'status', status: 'completed' });
  assert.deepEqual(
    await page.evaluate(() => ['pause', 'resume', 'step', 'stop'].map((id) => document.getElementById(id).disabled)),
    [true, true, true, true],
  );
  await page.close();
});

await test('a probe run is a recording: no run controls or curves, modes shown but not switches, masks of a layer now in eval still drawn', async () => {
  const { page, problems, deliver } = await openPanel();
  const mask = (layer) => ({ layer, units: 16, bits: [0b10110101, 0b01101110], rate: 0.3, realizedDropFraction: 0.31 });
  const dropout = (index, name, mode) => ({
    index,
    name,
    spec: { type: 'dropout', rate: 0.3, kind: 'bernoulli', scaling: 'inverted' },
    units: 16,
    mode,
    rate: 0.3,
  });
  await deliver({
    type: 'snapshot',
    snapshot: {
      runId: 'p1',
      name: 'train.py (probe run)',
      status: 'running',
      message: 'Recording 2 dropout layers over 48 steps',
      layers: [dropout(0, 'net.3', 'eval'), dropout(1, 'net.5', 'train')],
      task: 'classification',
      inputDim: 0,
      epochs: [],
      totalEpochs: 0,
      step: 48,
      stepsPerSecond: 120,
      recent: [{ type: 'masks', step: 0, layers: [mask(0), mask(1)] }],
      source: 'probe',
    },
  });
  await page.waitForSelector('#layer-1');
  assert.equal(await page.locator('.controls').count(), 0, 'no pause/resume/step/stop, no whole-model switches');
  assert.equal(await page.locator('.curves').count(), 0, 'no engine curves');
  assert.equal(await page.locator('#progress').innerText(), 'step 48 (optimizer steps) · 120 steps/s');
  const badge = page.locator('#layer-0 button.mode');
  assert.equal(await badge.innerText(), 'EVAL');
  assert.equal(await badge.isDisabled(), true);
  assert.match(await badge.getAttribute('aria-label'), /was last observed in eval mode/);
  await badge.click({ force: true });
  assert.equal(await page.evaluate(() => window.__posted.filter((m) => m.type === 'setMode').length), 0);
  // The layer ended in eval, but its recorded mask was drawn while it dropped: kept and dropped, not frozen.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r())));
  const column = await page.evaluate(() => {
    const c = document.querySelector('#layer-0 canvas.heatmap');
    const d = c.getContext('2d').getImageData(c.width - 1, 0, 1, c.height).data;
    return Array.from({ length: c.height }, (_, u) => [d[4 * u], d[4 * u + 1], d[4 * u + 2]].join());
  });
  assert.equal(column.length, 16);
  assert.deepEqual([...new Set(column)].sort(), ['30,30,30', '55,148,255']);
  assert.deepEqual(problems, []);
  await page.close();
});

await test('curves plot every epoch of training, validation and validation in train mode', async () => {
  const { page, deliver } = await openPanel();
  await deliver({ type: 'snapshot', snapshot });
  assert.ok(epochEvents.length >= 3, `engine produced ${epochEvents.length} epochs`);
  for (const e of epochEvents) await deliver({ type: 'engineBatch', events: [e] });
  await page.waitForFunction(
    (n) => document.getElementById('loss-chart').getAttribute('aria-label').includes(`${n} epochs plotted`),
    epochEvents.length,
  );
  const label = await page.locator('#loss-chart').getAttribute('aria-label');
  const last = epochEvents.at(-1);
  assert.ok(label.includes(`training ${last.train.loss.toFixed(4)}`), label);
  assert.ok(label.includes(`validation ${last.validation.loss.toFixed(4)}`), label);
  await page.close();
});

await test('a saved experiment over seeds: the validation curve is the mean, with its 95% interval as a band', async () => {
  const { page, problems, deliver } = await openPanel();
  const epochs = snapshot.epochs.length > 0 ? snapshot.epochs : epochEvents.map((e) => ({ ...e }));
  const banded = epochs.map((e) => ({
    epoch: e.epoch,
    lr: e.lr,
    train: e.train,
    validation: e.validation,
    validationTrainMode: e.validationTrainMode ?? e.validation,
    spread: {
      seeds: 5,
      loss: [e.validation.loss - 0.05, e.validation.loss + 0.05],
      accuracy: [(e.validation.accuracy ?? 0.5) - 0.02, (e.validation.accuracy ?? 0.5) + 0.02],
    },
  }));
  await deliver({ type: 'snapshot', snapshot: { ...snapshot, status: 'completed', epochs: banded } });
  const last = banded.at(-1);
  await page.waitForFunction(
    (n) => document.getElementById('loss-chart').getAttribute('aria-label').includes(`${n} epochs plotted`),
    banded.length,
  );
  const label = await page.locator('#loss-chart').getAttribute('aria-label');
  assert.ok(
    label.includes(`(95% interval over seeds ${last.spread.loss[0].toFixed(4)} to ${last.spread.loss[1].toFixed(4)})`),
    label,
  );
  assert.deepEqual(problems, []);
  await page.screenshot({ path: join(shots, 'panel-seed-band.png') });
  await page.close();
});

await test('a fatal error shows its message with the action to take, which posts runCommand', async () => {
  const { page, deliver } = await openPanel();
  await deliver({ type: 'snapshot', snapshot });
  await deliver({
    type: 'engineBatch',
    events: [{ type: 'error', code: 'diverged', message: 'Training diverged at step 12', step: 12, fatal: true }],
  });
  const banner = page.locator('#banner');
  assert.match(await banner.innerText(), /diverged at step 12/);
  await page.locator('#banner-action').click();
  const posted = await page.evaluate(() => window.__posted.at(-1));
  assert.equal(parseWebviewMessage(posted).ok, true);
  assert.equal(posted.type, 'runCommand');
  await page.close();
});

await test("the Monte Carlo button posts a valid predict, shows the engine's answer or its error, and is off for a failed run", async () => {
  // The answer the host gives, from a real engine session's predict (the run is paused, so its model is live).
  const answers = [];
  const session = new EngineSession({ post: (e) => answers.push(e), schedule: () => {} });
  session.handle({ type: 'start', version: 1, spec: moons(32), options: { paused: true, streamHz: 0 } });
  session.handle({ type: 'step', count: 40 });
  session.handle({ type: 'predict', requestId: 'mc', passes: 20, mode: 'mc' });
  session.handle({ type: 'predict', requestId: 'eval', passes: 1, mode: 'eval' });
  const [mc, evalPass] = ['mc', 'eval'].map((id) => answers.find((e) => e.type === 'prediction' && e.requestId === id));
  const result = {
    passes: 20,
    accuracy: mc.accuracy,
    evalAccuracy: evalPass.accuracy,
    meanVariance: meanVarianceOf(mc),
  };
  assert.ok(result.meanVariance > 0);

  const { page, problems, deliver } = await openPanel();
  await deliver({ type: 'snapshot', snapshot });
  assert.equal(await page.locator('#mc').isDisabled(), false, 'a paused run with dropout can be sampled');
  assert.equal(await page.locator('#mc-result').isHidden(), true);
  await page.locator('#mc').click();
  const posted = await page.evaluate(() => window.__posted.at(-1));
  assert.deepEqual(parseWebviewMessage(posted), { ok: true, value: { type: 'predict' } });
  assert.match(await page.locator('#mc-result').innerText(), /sampling the model/);
  await deliver({ type: 'monteCarlo', result });
  const text = await page.locator('#mc-result').innerText();
  assert.match(text, /Monte Carlo dropout, 20 passes over the validation split/);
  assert.ok(text.includes(`accuracy of the mean ${(100 * result.accuracy).toFixed(1)}%`), text);
  assert.ok(text.includes(`vs eval mode ${(100 * result.evalAccuracy).toFixed(1)}%`), text);
  assert.ok(text.includes(`mean variance ${result.meanVariance.toPrecision(3)}`), text);
  await deliver({ type: 'monteCarlo', error: 'This run was released: train again to predict.' });
  assert.match(await page.locator('#mc-result').innerText(), /released: train again/);
  assert.equal(await page.locator('#mc-result.mc-error').count(), 1);
  await deliver({ type: 'status', status: 'completed' });
  assert.equal(await page.locator('#mc').isDisabled(), false, 'a completed run keeps its model for inference');
  await deliver({ type: 'status', status: 'failed', message: 'diverged' });
  assert.equal(await page.locator('#mc').isDisabled(), true, 'a failed run has no model to sample');
  assert.deepEqual(problems, []);
  await page.close();
});

await test("a chart's export button posts the chart as a valid PNG of the canvas's size", async () => {
  const { page, problems, deliver } = await openPanel();
  await deliver({ type: 'snapshot', snapshot });
  for (const e of epochEvents) await deliver({ type: 'engineBatch', events: [e] });
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
    const size = await page.evaluate((id) => {
      const c = document.getElementById(id);
      return [c.width, c.height];
    }, `${chart}-chart`);
    assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], size, 'the PNG is the chart canvas');
  }
  assert.deepEqual(problems, []);
  await page.close();
});

await test('the decision boundary is drawn over the training points, each in its class colour', async () => {
  const { page, problems, deliver } = await openPanel();
  await deliver({ type: 'snapshot', snapshot });
  const boundary = events.find((e) => e.type === 'boundary');
  assert.ok(boundary && boundary.labels.length > 0, 'the engine sent a boundary with points');
  await deliver({ type: 'engineBatch', events: [boundary] });
  const [x0, x1, y0, y1] = boundary.extent;
  // A point's centre, in canvas pixels, must carry its class colour (dark theme: blue, orange).
  const colours = [
    [0x37, 0x94, 0xff],
    [0xd1, 0x86, 0x16],
  ];
  const centres = Array.from(boundary.labels.slice(0, 20), (label, i) => ({
    label,
    x: (boundary.points[2 * i] - x0) / (x1 - x0),
    y: 1 - (boundary.points[2 * i + 1] - y0) / (y1 - y0),
  }));
  const pixels = await page.evaluate((cs) => {
    const c = document.getElementById('boundary');
    const ctx = c.getContext('2d');
    return cs.map(({ x, y }) =>
      Array.from(
        ctx.getImageData(Math.round(x * c.width - 0.5), Math.round(y * c.height - 0.5), 1, 1).data.slice(0, 3),
      ),
    );
  }, centres);
  // Points can overlap a neighbour of the other class; nearly all must show their own colour.
  const own = centres.filter((c, i) => colours[c.label].every((v, k) => Math.abs(v - pixels[i][k]) <= 2)).length;
  assert.ok(own >= 16, `${own} of ${centres.length} points in their class colour`);
  assert.deepEqual(problems, []);
  await page.close();
});

await test('a finished run scrubs with the timeline slider: arrow keys, one debounced seek, the replayed step drawn', async () => {
  const { page, problems, deliver } = await openPanel();
  const spec = moons(32);
  const steps = 40;
  const replay = new Replay(spec, loadDataset(spec.data, spec.seed), { steps, interventions: [] });
  await deliver({ type: 'snapshot', snapshot: { ...snapshot, status: 'completed', step: steps } });
  assert.equal(await page.locator('#timeline').isHidden(), true, 'no timeline until the host offers one');
  const timeline = (t) => deliver({ type: 'timeline', timeline: { stepsPerEpoch: replay.stepsPerEpoch, steps, ...t } });
  await timeline({ status: 'checking' });
  assert.equal(await page.locator('#timeline-step').isDisabled(), true);
  assert.equal(await page.locator('#timeline-note').innerText(), 'checking the run…');
  await timeline({ status: 'ready', step: steps });
  const slider = page.locator('#timeline-step');
  assert.equal(await slider.isDisabled(), false);
  assert.equal(await slider.getAttribute('max'), String(steps));
  assert.equal(await slider.inputValue(), String(steps));
  // Three presses of the left arrow name the step at once, and send one seek once the slider rests.
  await slider.focus();
  for (let i = 0; i < 3; i++) await slider.press('ArrowLeft');
  assert.match(await page.locator('#timeline-label').innerText(), /^step 37 of 40 · epoch \d+$/);
  assert.equal(await page.evaluate(() => window.__posted.filter((m) => m.type === 'seek').length), 0, 'debounced');
  await page.waitForFunction(() => window.__posted.some((m) => m.type === 'seek'));
  await page.waitForTimeout(200);
  const seeks = await page.evaluate(() => window.__posted.filter((m) => m.type === 'seek'));
  assert.deepEqual(seeks, [{ type: 'seek', step: 37 }]);
  assert.deepEqual(parseWebviewMessage(seeks[0]), { ok: true, value: { type: 'seek', step: 37 } });
  // The first seek starts the replay: it says how far it retrained, and the slider still moves.
  await timeline({ status: 'preparing', step: 37, progress: { step: 12, target: 37 } });
  assert.equal(await slider.isDisabled(), false);
  assert.equal(
    await page.locator('#timeline-note').innerText(),
    'preparing the replay, retraining from the seed: step 12 of 37…',
  );
  assert.equal(await page.locator('#timeline').getAttribute('aria-busy'), 'true');
  await timeline({ status: 'replaying', step: 37 });
  assert.equal(await page.locator('#timeline-note').innerText(), 'replaying…');
  // The host's frame: the real replay's step 37, with the masks of the steps before it.
  const frame = replay.seek(37, 60);
  await deliver({ type: 'replayFrame', frame });
  await timeline({ status: 'ready', step: 37, progress: { step: 38, target: 40 } });
  assert.match(await page.locator('#timeline-note').innerText(), /^preparing the later steps.*: step 38 of 40$/);
  assert.equal(await page.locator('#timeline').getAttribute('aria-busy'), 'false');
  await timeline({ status: 'ready', step: 37, verified: true });
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r())));
  const column = await page.evaluate(() => {
    const c = document.querySelector('#layer-1 canvas.heatmap');
    const d = c.getContext('2d').getImageData(c.width - 1, 0, 1, c.height).data;
    return Array.from({ length: c.height }, (_, u) => d[4 * u] === 0x37);
  });
  const mask = frame.masks.at(-1).layers.find((m) => m.layer === 1);
  assert.equal(frame.masks.at(-1).step, 37);
  assert.deepEqual(
    column,
    Array.from({ length: mask.units }, (_, u) => ((mask.bits[u >> 3] >> (u & 7)) & 1) === 1),
  );
  const a = frame.activations.find((x) => x.layer === 1);
  assert.match(
    await page.locator('#layer-1 .expectation').innerText(),
    new RegExp(`mean before ${a.expectation.undroppedMean.toFixed(3)}`),
  );
  assert.match(await page.locator('#progress').innerText(), /step 37/);
  assert.match(await page.locator('#timeline-note').innerText(), /bit for bit/);
  await page.screenshot({ path: join(shots, 'panel-timeline.png'), fullPage: true });
  // Home jumps to the first step.
  await slider.press('Home');
  await page.waitForFunction(() => window.__posted.filter((m) => m.type === 'seek').length === 2);
  assert.deepEqual(await page.evaluate(() => window.__posted.at(-1)), { type: 'seek', step: 1 });
  // A run that cannot be replayed says why, and its slider does nothing.
  await timeline({ status: 'unavailable', step: 1, message: 'The data file data/x.csv changed since this run.' });
  assert.equal(await slider.isDisabled(), true);
  assert.equal(await page.locator('#timeline-note').innerText(), 'The data file data/x.csv changed since this run.');
  assert.equal(await page.locator('#timeline-note').getAttribute('role'), 'status');
  assert.deepEqual(problems, []);
  await page.close();
});

await test('screenshots in the dark and the light theme', async () => {
  const { page, deliver } = await openPanel();
  const big = engineRun(moons(64, 2), 60);
  await deliver({ type: 'snapshot', snapshot: snapshotOf(big, 'two moons, two dropout layers') });
  for (const e of big)
    if (e.type !== 'ready' && e.type !== 'paused') await deliver({ type: 'engineBatch', events: [e] });
  await page.waitForTimeout(200);
  await page.screenshot({ path: join(shots, 'panel-dark.png'), fullPage: true });
  await page.evaluate(() => (document.body.className = 'vscode-light'));
  await page.waitForTimeout(200);
  await page.screenshot({ path: join(shots, 'panel-light.png'), fullPage: true });
  await page.close();
});

await convPanelTests({ browser, base: server.base, shots });

await browser.close();
server.close();
finish();
