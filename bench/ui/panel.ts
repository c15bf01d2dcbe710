/**
 * The run panel under live masks, in Debian's Chromium: the real page (test/webview/harness.mjs) on a snapshot
 * of 4 dropout layers × 512 units, then the engine's masks and activations events for that model (a step's two in
 * one engineBatch message, as RunPanel sends them), delivered
 * from inside the page (inPage.js) at 60 updates/s and as fast as the page takes them. Target: ≥ 30 updates/s.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { launchChromium } from '../../scripts/lib/browser.mjs';
import {
  engineRun,
  ensurePanelBuilt,
  moons,
  openPanel,
  snapshotOf,
  startPanelServer,
} from '../../test/webview/harness.mjs';
import { median, percentile } from '../engine/measure';

export const PANEL_TARGET_PER_SECOND = 30;
const FEEDS = [
  { feed: '60/s', rate: 60 },
  { feed: 'flood', rate: 0 },
];

export interface PanelRecord {
  benchmark: 'panel';
  feed: string;
  layers: number;
  units: number;
  /** Updates (a masks and an activations event) delivered per second. */
  deliveredPerSecond: number;
  /** Updates per second that the first layer's heatmap painted (each checked to stand there as a column). */
  drawnPerSecond: number;
  /** Animation frames per second, and those that painted at least one new column. */
  framesPerSecond: number;
  framesWithMaskPerSecond: number;
  /** Main-thread time per update: its message handler plus its share of the panel's animation-frame work. */
  msPerUpdateMedian: number;
  msPerUpdateP95: number;
  /** The longest the panel's own code ran at a stretch: one message handler or one animation-frame callback. */
  longestPanelWorkMs: number;
  longestFrameMs: number;
  framesP95Ms: number;
  /** Tasks of 50 ms or more (PerformanceObserver 'longtask'): how many, the longest. */
  longTasks: number;
  longestTaskMs: number;
  targetPerSecond: number;
  pass: boolean;
}

interface InPageResult {
  delivered: number;
  seconds: number;
  costs: number[];
  longestWork: number;
  drawn: number;
  columnsMatch: boolean;
  framesWithMask: number;
  intervals: number[];
  longTasks: number[];
}

export async function runPanelBench(seconds = 3): Promise<PanelRecord[]> {
  if (!ensurePanelBuilt()) throw new Error('could not build dist/webview/panel.js');
  // The engine's own events for a 2-512-512-512-512-2 model with dropout 0.5 after each hidden layer.
  const events = engineRun(moons(512, 4), 40);
  const snapshot = snapshotOf(events, 'bench: 4 × 512 units');
  // One update: a step's masks and activations, in one engineBatch message as RunPanel sends them.
  const updates = events.flatMap((m) => {
    const stats = m.type === 'masks' && events.find((a) => a.type === 'activations' && a.step === m.step);
    return stats ? [{ type: 'engineBatch', events: [m, stats] }] : [];
  });
  const dropoutLayers = snapshot.layers.filter((l) => l.rate !== undefined);
  // Typed arrays travel as typed arrays: VS Code's postMessage transfers their buffers.
  const json = JSON.stringify(updates, (_k, v) =>
    ArrayBuffer.isView(v) ? { $typed: v.constructor.name, values: Array.from(v as Uint8Array) } : v,
  );
  const inPage = readFileSync(join(import.meta.dirname, 'inPage.js'), 'utf8')
    .trim()
    .replace(/;$/, '');

  const server = await startPanelServer();
  const browser = await launchChromium();
  const records: PanelRecord[] = [];
  try {
    for (const { feed, rate } of FEEDS) {
      const { page, problems, deliver } = await openPanel(browser, server.base);
      await deliver({ type: 'snapshot', snapshot });
      await page.evaluate(`(${inPage})(${JSON.stringify({ json, rate, seconds: 0.5 })})`); // warm-up
      const r = await page.evaluate<InPageResult>(`(${inPage})(${JSON.stringify({ json, rate, seconds })})`);
      if (problems.length > 0) throw new Error(`the panel reported: ${problems.join('; ')}`);
      if (!r.columnsMatch) throw new Error(`fed ${feed}, the heatmap does not show the last masks delivered`);
      await page.close();
      const drawnPerSecond = r.drawn / r.seconds;
      records.push({
        benchmark: 'panel',
        feed,
        layers: dropoutLayers.length,
        units: dropoutLayers[0]?.units ?? 0,
        deliveredPerSecond: r.delivered / r.seconds,
        drawnPerSecond,
        framesPerSecond: r.intervals.length / r.seconds,
        framesWithMaskPerSecond: r.framesWithMask / r.seconds,
        msPerUpdateMedian: median(r.costs),
        msPerUpdateP95: percentile(r.costs, 95),
        longestPanelWorkMs: r.longestWork,
        longestFrameMs: Math.max(...r.intervals),
        framesP95Ms: percentile(r.intervals, 95),
        longTasks: r.longTasks.length,
        longestTaskMs: Math.max(0, ...r.longTasks),
        targetPerSecond: PANEL_TARGET_PER_SECOND,
        pass: drawnPerSecond >= PANEL_TARGET_PER_SECOND,
      });
    }
  } finally {
    await browser.close();
    server.close();
  }
  return records;
}
