// The run panel of a conv model (issue 14): a dropout2d layer's channel masks and a sample's feature maps before
// and after dropout, in the real panel bundle under its CSP. Called by run.mjs with its browser and server.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from '../lib/checks.mjs';
import { openPanel } from './harness.mjs';
import { convEvents } from './convEvents.mjs';

const KEPT = [0x37, 0x94, 0xff];
const BACKGROUND = [0x1e, 0x1e, 0x1e];
const nextFrame = (page) => page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r())));

/** Each channel's bit of a bit-packed mask (LSB first, 1 = kept). */
const keptBits = (mask) => Array.from({ length: mask.units }, (_, c) => ((mask.bits[c >> 3] >> (c & 7)) & 1) === 1);

export async function convPanelTests({ browser, base, shots }) {
  const run = convEvents();
  const { snapshot, masks, maps, layer, channels } = run;

  await test('conv model: a dropout2d layer shows a channels × steps mask heatmap, one row per channel', async () => {
    const { page, problems, deliver } = await openPanel(browser, base);
    await deliver({ type: 'snapshot', snapshot });
    await page.waitForSelector(`#layer-${layer}`);
    assert.match(
      await page.locator(`#layer-${layer} .layer-head`).innerText(),
      new RegExp(`channel dropout \\(dropout2d\\) · ${channels} channels`),
    );
    for (const e of masks) await deliver({ type: 'engineBatch', events: [e] });
    await nextFrame(page);
    const column = await page.evaluate((id) => {
      const c = document.querySelector(`#layer-${id} canvas.heatmap`);
      const d = c.getContext('2d').getImageData(c.width - 1, 0, 1, c.height).data;
      return {
        height: c.height,
        rows: Array.from({ length: c.height }, (_, u) => [d[4 * u], d[4 * u + 1], d[4 * u + 2]]),
      };
    }, layer);
    assert.equal(column.height, channels);
    const last = masks.at(-1).layers.find((m) => m.layer === layer);
    keptBits(last).forEach((kept, c) => assert.deepEqual(column.rows[c], kept ? KEPT : BACKGROUND, `channel ${c}`));
    assert.deepEqual(problems, []);
    await page.close();
  });

  await test("conv model: the feature maps before and after dropout, the dropped channels (the mask's zeros) empty and marked", async () => {
    const { page, problems, deliver } = await openPanel(browser, base);
    await deliver({ type: 'snapshot', snapshot });
    const event = maps.at(-1);
    const mask = masks.find((m) => m.step === event.step).layers.find((m) => m.layer === layer);
    await deliver({ type: 'engineBatch', events: [event] });
    await nextFrame(page);
    const figures = page.locator(`#feature-maps-${layer} figure.channel`);
    assert.equal(await figures.count(), channels);
    const kept = keptBits(mask);
    const dropped = await page.evaluate(
      (id) =>
        [...document.querySelectorAll(`#feature-maps-${id} figure.channel`)].map((f) =>
          f.classList.contains('dropped'),
        ),
      layer,
    );
    assert.deepEqual(
      dropped,
      kept.map((k) => !k),
      'the channels marked dropped are the mask zeros',
    );
    assert.ok(dropped.some(Boolean) && !dropped.every(Boolean), 'some channels dropped, some kept');
    assert.match(
      await page.locator(`#feature-maps-${layer} .feature-maps-caption`).innerText(),
      new RegExp(
        `at step ${event.step}, ${channels} channels of ${event.shape[1]}×${event.shape[2]}.*${dropped.filter(Boolean).length} dropped`,
      ),
    );
    // Every pixel of a dropped channel's lower map is the background; a kept channel's largest value, on the scale
    // shared by the whole picture, is its brightest pixel, and is brighter after (scaled by 1/(1-p)) than before.
    const [, h, w] = event.shape;
    const pictures = await page.evaluate(
      (id) =>
        [...document.querySelectorAll(`#feature-maps-${id} figure.channel`)].map((f) =>
          ['.map-before', '.map-after'].map((s) => {
            const c = f.querySelector(s);
            return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data);
          }),
        ),
      layer,
    );
    const size = h * w;
    let max = 0;
    for (const v of [...event.before, ...event.after]) max = Math.max(max, Math.abs(v));
    for (let c = 0; c < channels; c++) {
      const [before, after] = pictures[c];
      assert.equal(after.length, 4 * size);
      if (!kept[c]) {
        for (let i = 0; i < size; i++)
          assert.deepEqual(after.slice(4 * i, 4 * i + 3), BACKGROUND, `channel ${c} pixel ${i}`);
        continue;
      }
      let at = 0;
      for (let i = 1; i < size; i++) if (event.after[c * size + i] > event.after[c * size + at]) at = i;
      const t = event.after[c * size + at] / max;
      const expected = BACKGROUND.map((z, k) => Math.round(z + t * (KEPT[k] - z)));
      assert.ok(
        after.slice(4 * at, 4 * at + 3).every((v, k) => Math.abs(v - expected[k]) <= 1),
        `channel ${c}: ${after.slice(4 * at, 4 * at + 3)} vs ${expected}`,
      );
      if (event.after[c * size + at] > 0)
        assert.ok(after[4 * at + 2] > before[4 * at + 2], `channel ${c} brighter after`);
    }
    assert.deepEqual(problems, []);
    await page.close();
  });

  await test('conv model: malformed feature maps are skipped and the last good picture stays; a snapshot replays the latest', async () => {
    const { page, problems, deliver } = await openPanel(browser, base);
    const good = maps.at(-1);
    await deliver({ type: 'snapshot', snapshot: { ...snapshot, recent: [...masks, good] } });
    await nextFrame(page);
    const caption = page.locator(`#feature-maps-${layer} .feature-maps-caption`);
    assert.match(await caption.innerText(), new RegExp(`at step ${good.step},`));
    const warnings = [];
    page.on('console', (m) => m.type() === 'warning' && warnings.push(m.text()));
    await deliver({
      type: 'engineBatch',
      events: [{ ...good, step: good.step + 1, after: Array.from(good.after).slice(1) }],
    });
    await nextFrame(page);
    assert.match(await caption.innerText(), new RegExp(`at step ${good.step},`));
    assert.ok(
      warnings.some((w) => /skipped feature maps: featureMaps: after holds/.test(w)),
      warnings.join('\n'),
    );
    assert.deepEqual(problems, []);
    await page.close();
  });

  await test("conv model: a replayed step's frame draws that step's feature maps, not the live run's last ones", async () => {
    const { page, problems, deliver } = await openPanel(browser, base);
    await deliver({
      type: 'snapshot',
      snapshot: { ...snapshot, status: 'completed', recent: [...masks, maps.at(-1)] },
    });
    await nextFrame(page);
    const caption = page.locator(`#feature-maps-${layer} .feature-maps-caption`);
    assert.match(await caption.innerText(), new RegExp(`at step ${maps.at(-1).step},`));
    const earlier = maps.find((m) => m.step === 12);
    const mask = masks.find((m) => m.step === 12);
    await deliver({
      type: 'replayFrame',
      frame: {
        step: 12,
        epoch: 1,
        masks: [{ step: 12, layers: mask.layers }],
        activations: [],
        featureMaps: [earlier],
      },
    });
    await nextFrame(page);
    assert.match(await caption.innerText(), /at step 12,/);
    const dropped = await page.evaluate(
      (id) =>
        [...document.querySelectorAll(`#feature-maps-${id} figure.channel`)].map((f) =>
          f.classList.contains('dropped'),
        ),
      layer,
    );
    assert.deepEqual(
      dropped,
      keptBits(mask.layers[0]).map((k) => !k),
      "the replayed step's dropped channels",
    );
    assert.deepEqual(problems, []);
    await page.close();
  });

  await test('conv model: screenshots of the channel masks and feature maps, dark and light', async () => {
    const { page, deliver } = await openPanel(browser, base);
    await deliver({ type: 'snapshot', snapshot });
    for (const e of run.events)
      if (e.type !== 'ready' && e.type !== 'paused') await deliver({ type: 'engineBatch', events: [e] });
    await page.waitForTimeout(200);
    await page.locator('section.masks').screenshot({ path: join(shots, 'panel-conv-dark.png') });
    await page.evaluate(() => (document.body.className = 'vscode-light'));
    await page.waitForTimeout(200);
    await page.locator('section.masks').screenshot({ path: join(shots, 'panel-conv-light.png') });
    await page.close();
  });
}
