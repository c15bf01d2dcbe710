/**
 * The UI benchmark (README.md here): the run panel under live masks in Chromium (panel.ts, target ≥ 30 updates/s
 * for 4 layers × 512 units) and the extension host's event loop while a W2-sized model trains (host.ts, target: no
 * stall of 20 ms or more). Text by default, one JSON object per line with --json.
 */
import { runHostBench, type HostRecord, type LoopDelay } from './host';
import { runPanelBench, type PanelRecord } from './panel';

export interface UiBenchOptions {
  json: boolean;
  write?: (text: string) => void;
}

const f = (n: number, digits = 1) => n.toFixed(digits);
const verdict = (pass: boolean) => (pass ? 'pass' : 'FAIL');
const loop = (l: LoopDelay) =>
  `longest stall ${f(l.maxStallMs)} ms (probe ${f(l.probeMaxMs)}), p99 ${f(l.p99Ms)}, mean ${f(l.meanMs, 2)}, busy at most ${f(l.busyMaxMs)} ms of one stall`;

export async function runUiBench(opts: UiBenchOptions): Promise<Array<PanelRecord | HostRecord>> {
  const write = opts.write ?? ((t: string) => void process.stdout.write(t));
  const records: Array<PanelRecord | HostRecord> = [];
  const emit = (r: PanelRecord | HostRecord, text: string): void => {
    records.push(r);
    write(opts.json ? JSON.stringify(r) + '\n' : text);
  };
  if (!opts.json)
    write(
      'UI benchmark: the run panel in Chromium, the extension host beside the engine worker. Timings are noisy when other processes share the cores.\n\n',
    );

  for (const r of await runPanelBench()) {
    emit(
      r,
      `Panel, ${r.layers} layers × ${r.units} units, fed ${r.feed}: drew ${f(r.drawnPerSecond)} updates/s (delivered ${f(r.deliveredPerSecond)}); ` +
        `${f(r.framesWithMaskPerSecond)} of ${f(r.framesPerSecond)} frames/s painted new masks; per update ${f(r.msPerUpdateMedian, 2)} ms median, ${f(r.msPerUpdateP95, 2)} ms p95; ` +
        `panel code at most ${f(r.longestPanelWorkMs)} ms at a stretch; frames p95 ${f(r.framesP95Ms)} ms, longest ${f(r.longestFrameMs)} ms; ` +
        `${r.longTasks} long tasks (longest ${f(r.longestTaskMs)} ms). Target ≥ ${r.targetPerSecond}/s: ${verdict(r.pass)}\n`,
    );
  }
  const h = await runHostBench();
  emit(
    h,
    `\nHost, ${h.workload} training for ${f(h.seconds)} s: ${h.steps} steps (${f(h.stepsPerSecond)}/s), ${h.events} events (${h.maskEvents} masks, ${h.epochs} epochs), ` +
      `${f(h.postedPerSecond)} webview messages/s, ${f(h.postedBytesPerSecond / 1e6, 2)} MB/s serialised.\n` +
      `  event loop: ${loop(h.loop)}\n  idle, before: ${loop(h.idle)}\n` +
      `  the listener took at most ${f(h.listenerMaxMs)} ms per event; posting start with the CSV bytes ${f(h.startPostMs)} ms. Target < ${h.targetMs} ms: ${verdict(h.pass)}\n`,
  );
  return records;
}
