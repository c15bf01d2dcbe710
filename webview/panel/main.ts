/**
 * The run panel. It asks for a snapshot (`ready`), draws it, then applies the engine's events as they
 * stream. Drawing is coalesced into animation frames: however many masks and statistics arrive in between, a
 * frame paints each heatmap's new columns at once and each layer's latest histogram and figures.
 */
import type { EngineEvent, LayerInfo, ReplayFrame } from '../../src/protocol/engine';
import type {
  HostToPanelMessage,
  MonteCarloSummary,
  PanelChart,
  PanelSnapshot,
  RunStatus,
} from '../../src/protocol/webview';
import { parseFeatureMaps } from '../../src/protocol/validate';
import { toBytes, toFloats } from './bits';
import { Curves } from './curves';
import { FeatureMapsView } from './featureMaps';
import { MaskHeatmap } from './heatmap';
import { maskRows } from './layerKinds';
import { drawBoundary, drawHistogram } from './plots';
import { createPanelStore, type LayerView } from './state';
import { readTheme, watchTheme } from './theme';
import { Timeline } from './timeline';
import { post, vscode } from './vscodeApi';

const app = document.getElementById('app')!;
const store = createPanelStore(readTheme());
/** The pending animation frame (0: none): drawing's own bookkeeping, not panel state. */
let frame = 0;
/** The finished run's timeline; a new one with every snapshot. */
let timeline: Timeline | undefined;

const el = <K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<HTMLElementTagNameMap[K]> & { className?: string } = {},
  ...children: (Node | string)[]
) => {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
};

const icon = (name: string) => el('span', { className: `codicon codicon-${name}`, ariaHidden: 'true' });

function button(label: string, codicon: string, onClick: () => void, id?: string): HTMLButtonElement {
  const b = el(
    'button',
    { type: 'button', title: label, ...(id ? { id } : {}) },
    icon(codicon),
    el('span', { className: 'label' }, label),
  );
  b.setAttribute('aria-label', label);
  b.addEventListener('click', onClick);
  return b;
}

function scheduleDraw(): void {
  if (frame) return;
  frame = requestAnimationFrame(() => {
    frame = 0;
    const { layers, dirtyCurves, loss, accuracy, epochs } = store.state;
    for (const view of layers.values()) drawLayer(view);
    if (dirtyCurves) {
      loss?.setEpochs(epochs);
      accuracy?.setEpochs(epochs);
      loss?.render();
      accuracy?.render();
      store.update({ dirtyCurves: false });
    }
  });
}

function render(s: PanelSnapshot): void {
  vscode.setState({ runId: s.runId, view: vscode.getState()?.view ?? 'live' });
  store.state.loss?.chart.destroy();
  store.state.accuracy?.chart.destroy();
  app.replaceChildren();
  const header = el(
    'header',
    { className: 'header' },
    el('h1', {}, s.name),
    el('span', { id: 'status', className: `status status-${s.status}` }, s.status),
    el('span', { id: 'progress', className: 'progress' }),
  );
  // A probe run is a recording of the user's own script: nothing here can pause it or switch its modes.
  const probe = s.source === 'probe';
  const controls = el(
    'div',
    { className: 'controls', role: 'toolbar', ariaLabel: 'Run controls' },
    button('Pause', 'debug-pause', () => post({ type: 'control', action: 'pause' }), 'pause'),
    button('Resume', 'debug-continue', () => post({ type: 'control', action: 'resume' }), 'resume'),
    button('Step', 'debug-step-over', () => post({ type: 'control', action: 'step' }), 'step'),
    button('Stop', 'debug-stop', () => post({ type: 'control', action: 'stop' }), 'stop'),
    button(
      'Whole model: eval',
      'circle-outline',
      () => post({ type: 'setMode', layer: null, mode: 'eval' }),
      'all-eval',
    ),
    button(
      'Whole model: train',
      'circle-filled',
      () => post({ type: 'setMode', layer: null, mode: 'train' }),
      'all-train',
    ),
    button('Monte Carlo dropout', 'pulse', askMonteCarlo, 'mc'),
  );
  const monteCarlo = el('p', { id: 'mc-result', className: 'mc-result', role: 'status', hidden: true });
  const banner = el('div', { id: 'banner', className: 'banner', role: 'alert', hidden: true });
  const masks = el(
    'section',
    { className: 'masks' },
    el(
      'h2',
      {},
      `Dropout masks (${s.layers.some((l) => l.spec.type === 'dropout2d') ? 'units or channels' : 'units'} × ${probe ? 'sampled' : 'recent'} steps; bright = kept)`,
    ),
  );
  const layers = new Map<number, LayerView>();
  for (const info of s.layers.filter((l) => l.rate !== undefined)) {
    const view = layerView(info, probe);
    layers.set(info.index, view);
    masks.append(view.row);
  }
  if (layers.size === 0) masks.append(el('p', { className: 'empty' }, 'This model has no dropout layer.'));
  const lossCanvas = el('canvas', { id: 'loss-chart' });
  const accuracyCanvas = el('canvas', { id: 'accuracy-chart' });
  const curves = el(
    'section',
    { className: 'curves' },
    el('h2', {}, 'Training and validation'),
    el('div', { className: 'chart' }, lossCanvas, exportButton('loss')),
    ...(s.task === 'classification'
      ? [el('div', { className: 'chart' }, accuracyCanvas, exportButton('accuracy'))]
      : []),
  );
  const boundary = el('canvas', { id: 'boundary', className: 'boundary', width: 240, height: 240 });
  boundary.setAttribute('role', 'img');
  boundary.setAttribute('aria-label', 'Decision boundary over the input plane, with the training points');
  const extras =
    s.inputDim === 2 && s.task === 'classification'
      ? [el('section', { className: 'boundary-section' }, el('h2', {}, 'Decision boundary'), boundary)]
      : [];
  timeline = new Timeline((step) => post({ type: 'seek', step }));
  app.append(
    header,
    ...(probe ? [] : [controls, monteCarlo]),
    banner,
    timeline.element,
    masks,
    ...(probe ? [] : [curves]),
    ...extras,
  );
  const { theme } = store.state;
  store.update({
    snapshot: s,
    epochs: [...s.epochs],
    layers,
    loss: new Curves(lossCanvas, 'loss', theme),
    accuracy: s.task === 'classification' ? new Curves(accuracyCanvas, 'accuracy', theme) : undefined,
    dirtyCurves: true,
  });
  setStatus(s.status, s.message, s.action);
  updateProgress(s.step, s.stepsPerSecond, s.epochs.at(-1)?.epoch ?? 0);
  for (const event of Array.isArray(s.recent) ? s.recent : []) apply(event);
  scheduleDraw();
}

/** A chart's "Export as PNG" button: posts the chart as drawn (curves up to date) for the host to save. */
function exportButton(chart: PanelChart): HTMLButtonElement {
  const label = `Export the ${chart} chart as PNG`;
  const b = el(
    'button',
    { type: 'button', className: 'chart-export', id: `export-${chart}`, title: label },
    icon('file-media'),
  );
  b.setAttribute('aria-label', label);
  b.addEventListener('click', () => {
    const { loss, accuracy, dirtyCurves, epochs } = store.state;
    const curves = chart === 'loss' ? loss : accuracy;
    if (!curves) return;
    if (dirtyCurves) {
      curves.setEpochs(epochs);
      curves.render();
    }
    post({ type: 'exportChart', chart, dataUrl: curves.toPng() });
  });
  return b;
}

function layerView(info: LayerInfo, probe: boolean): LayerView {
  const { kind, rows, rowName } = maskRows(info);
  const title = info.name ?? `Layer ${info.index}`;
  const heatmap = new MaskHeatmap(rows, `Masks of ${title}, ${kind}: ${rowName} × recent steps`, store.state.theme);
  const featureMaps = info.spec.type === 'dropout2d' ? new FeatureMapsView(info.index, store.state.theme) : undefined;
  const toggle = el('button', { type: 'button', className: 'mode', disabled: probe });
  if (probe) toggle.title = 'The mode the script left it in (model.train() / model.eval()), as last observed';
  toggle.addEventListener('click', () => {
    const current = store.state.layers.get(info.index)?.info.mode ?? info.mode;
    post({ type: 'setMode', layer: info.index, mode: current === 'train' ? 'eval' : 'train' });
  });
  const rate = el('span', { className: 'rate' });
  const realized = el('span', { className: 'realized' });
  const histogram = el('canvas', { className: 'histogram', width: 240, height: 60 });
  histogram.setAttribute('role', 'img');
  histogram.setAttribute(
    'aria-label',
    `Activations of layer ${info.index} before (left bars) and after (right bars) dropout`,
  );
  const expectation = el('span', { className: 'expectation' });
  const row = el(
    'div',
    { className: 'layer', id: `layer-${info.index}` },
    el(
      'div',
      { className: 'layer-head' },
      el('strong', {}, title),
      el('span', {}, ` ${kind} · ${rows} ${rowName}`),
      toggle,
      rate,
      realized,
    ),
    heatmap.canvas,
    el('div', { className: 'layer-stats' }, histogram, expectation),
    ...(featureMaps ? [featureMaps.element] : []),
  );
  const view = {
    info: { ...info },
    row,
    heatmap,
    toggle,
    realized,
    rate,
    histogram,
    expectation,
    ...(featureMaps ? { featureMaps } : {}),
  };
  updateLayer(view);
  return view;
}

function updateLayer(v: LayerView): void {
  const mode = v.info.mode;
  v.toggle.textContent = mode === 'train' ? 'TRAIN' : 'EVAL';
  const fixed = v.toggle.disabled; // a probe run's layer: its mode is the script's, not a switch
  v.toggle.className = `mode mode-${mode}${fixed ? ' mode-fixed' : ''}`;
  v.toggle.setAttribute('aria-pressed', String(mode === 'train'));
  v.toggle.setAttribute(
    'aria-label',
    fixed
      ? `Layer ${v.info.index} was last observed in ${mode} mode`
      : `Layer ${v.info.index} is in ${mode} mode; switch to ${mode === 'train' ? 'eval' : 'train'} mode`,
  );
  v.rate.textContent = `rate ${v.info.rate?.toFixed(2)}`;
}

function drawLayer(v: LayerView): void {
  v.heatmap.flush();
  v.featureMaps?.flush();
  if (v.realizedDrop !== undefined) v.realized.textContent = `realized ${v.realizedDrop.toFixed(2)}`;
  const a = v.activations;
  const before = toFloats(a?.histogram?.before);
  const after = toFloats(a?.histogram?.after);
  if (a && before && after) {
    drawHistogram(v.histogram, before, after, store.state.theme);
    v.expectation.textContent = `mean before ${a.expectation.undroppedMean.toFixed(3)} · after (scaled) ${a.expectation.droppedMean.toFixed(3)} · error ${(100 * a.expectation.relativeError).toFixed(1)}%`;
  }
  v.realizedDrop = undefined;
  v.activations = undefined;
}

function setStatus(
  status: RunStatus,
  message?: string,
  action?: { label: string; command: 'train' | 'openConfig' | 'showLogs' },
): void {
  const s = document.getElementById('status');
  if (s) {
    s.textContent = status;
    s.className = `status status-${status}`;
  }
  // Only the controls that can act now are enabled: a finished run cannot pause, a running one cannot step.
  const live = status === 'running' || status === 'paused' || status === 'starting';
  const enabled: Record<string, boolean> = {
    pause: status === 'running',
    resume: status === 'paused',
    step: status === 'paused',
    stop: live,
    'all-eval': live,
    'all-train': live,
    // The engine holds a completed or stopped run's model for inference; dropout is what makes passes differ.
    mc:
      (status === 'running' || status === 'paused' || status === 'completed' || status === 'stopped') &&
      (store.state.snapshot?.layers.some((l) => l.rate !== undefined) ?? false),
  };
  for (const [id, on] of Object.entries(enabled)) {
    const control = document.getElementById(id) as HTMLButtonElement | null;
    if (control) control.disabled = !on;
  }
  const banner = document.getElementById('banner');
  if (!banner) return;
  banner.hidden = !message;
  banner.className = `banner ${status === 'failed' ? 'banner-error' : ''}`;
  banner.replaceChildren();
  if (message) {
    banner.append(icon(status === 'failed' ? 'error' : 'info'), el('span', { className: 'message' }, message));
    if (action)
      banner.append(
        button(
          action.label,
          'arrow-right',
          () => post({ type: 'runCommand', command: action.command }),
          'banner-action',
        ),
      );
  }
}

function askMonteCarlo(): void {
  showMonteCarlo('Monte Carlo dropout: sampling the model…');
  post({ type: 'predict' });
}

function showMonteCarlo(text: string, error = false): void {
  const line = document.getElementById('mc-result');
  if (!line) return;
  line.hidden = false;
  line.className = `mc-result${error ? ' mc-error' : ''}`;
  line.textContent = text;
}

const percent = (v: number) => `${(100 * v).toFixed(1)}%`;

function monteCarloText(r: MonteCarloSummary): string {
  const accuracy =
    r.accuracy !== undefined && r.evalAccuracy !== undefined
      ? `accuracy of the mean ${percent(r.accuracy)} vs eval mode ${percent(r.evalAccuracy)}; `
      : '';
  return `Monte Carlo dropout, ${r.passes} passes over the validation split: ${accuracy}mean variance ${r.meanVariance.toPrecision(3)}`;
}

function updateProgress(step: number, stepsPerSecond: number, epoch: number): void {
  const p = document.getElementById('progress');
  const { snapshot } = store.state;
  if (p && snapshot?.source === 'probe')
    p.textContent = `step ${step} (optimizer steps)${stepsPerSecond > 0 ? ` · ${stepsPerSecond.toFixed(0)} steps/s` : ''}`;
  else if (p && snapshot)
    p.textContent = `epoch ${epoch}/${snapshot.totalEpochs} · step ${step} · ${stepsPerSecond.toFixed(0)} steps/s`;
}

/** A replayed step: its masks (and those of the steps before it), activations and feature maps, in the usual views. */
function showReplayed(f: ReplayFrame): void {
  const { layers } = store.state;
  for (const view of layers.values()) view.heatmap.clear();
  for (const column of Array.isArray(f.masks) ? f.masks : []) {
    for (const m of Array.isArray(column.layers) ? column.layers : []) {
      const view = layers.get(m.layer);
      const bits = toBytes(m.bits);
      if (!view || !bits || bits.length * 8 < Math.min(view.heatmap.units, m.units)) continue;
      view.heatmap.push(bits, false);
      view.realizedDrop = m.realizedDropFraction;
    }
  }
  for (const a of Array.isArray(f.activations) ? f.activations : []) {
    const view = layers.get(a.layer);
    if (view) view.activations = a;
  }
  for (const maps of Array.isArray(f.featureMaps) ? f.featureMaps : []) {
    const parsed = parseFeatureMaps(maps);
    if (parsed.ok) layers.get(parsed.value.layer)?.featureMaps?.set(parsed.value);
  }
  timeline?.shown(f.step, f.epoch);
  updateProgress(f.step, 0, f.epoch);
  scheduleDraw();
}

function apply(event: EngineEvent): void {
  const { layers, theme } = store.state;
  switch (event.type) {
    case 'step':
      updateProgress(event.step, event.stepsPerSecond, event.epoch);
      break;
    case 'masks':
      for (const m of event.layers) {
        const view = layers.get(m.layer);
        const bits = toBytes(m.bits);
        if (!view || !bits || bits.length * 8 < Math.min(view.heatmap.units, m.units)) continue;
        // A probe records masks only of calls that dropped; its layer's mode is the one the run ended in.
        view.heatmap.push(bits, view.info.mode === 'eval' && store.state.snapshot?.source !== 'probe');
        view.realizedDrop = m.realizedDropFraction;
      }
      scheduleDraw();
      break;
    case 'featureMaps': {
      // Float arrays may arrive as plain arrays or objects: read and checked against the shape before drawing.
      const parsed = parseFeatureMaps(event);
      if (!parsed.ok) {
        console.warn(`Dropout Lens panel skipped feature maps: ${parsed.error}`);
        break;
      }
      layers.get(parsed.value.layer)?.featureMaps?.set(parsed.value);
      scheduleDraw();
      break;
    }
    case 'activations':
      for (const a of event.layers) {
        const view = layers.get(a.layer);
        if (view) view.activations = a;
      }
      scheduleDraw();
      break;
    case 'epoch':
      store.update({
        epochs: [
          ...store.state.epochs,
          {
            epoch: event.epoch,
            lr: event.lr,
            train: event.train,
            validation: event.validation,
            validationTrainMode: event.validationTrainMode,
          },
        ],
        dirtyCurves: true,
      });
      scheduleDraw();
      break;
    case 'modes':
      for (const { layer, mode } of event.layers) {
        const view = layers.get(layer);
        if (view) {
          view.info.mode = mode;
          updateLayer(view);
        }
      }
      break;
    case 'rate': {
      const view = layers.get(event.layer);
      if (view) {
        view.info.rate = event.rate;
        updateLayer(view);
      }
      break;
    }
    case 'boundary': {
      const canvas = document.getElementById('boundary') as HTMLCanvasElement | null;
      const classes = toBytes(event.classes);
      const confidence = toFloats(event.confidence);
      const points = toFloats(event.points);
      const labels = toBytes(event.labels);
      const sampled = points && labels && points.length === 2 * labels.length ? { points, labels } : {};
      if (canvas && classes && confidence && classes.length === event.resolution ** 2)
        drawBoundary(
          canvas,
          { resolution: event.resolution, extent: event.extent, classes, confidence, ...sampled },
          theme,
        );
      break;
    }
    case 'error':
      if (event.fatal)
        setStatus('failed', event.step !== undefined ? `${event.message} (step ${event.step})` : event.message, {
          label: 'Open config',
          command: 'openConfig',
        });
      break;
    case 'done':
      if (event.reason !== 'failed') setStatus(event.reason);
      break;
    default:
      break;
  }
}

window.addEventListener('message', (e: MessageEvent) => {
  const message = e.data as HostToPanelMessage;
  if (!message || typeof message !== 'object') return;
  try {
    if (message.type === 'snapshot') render(message.snapshot);
    else if (message.type === 'status') {
      if (!store.state.snapshot)
        app.replaceChildren(
          el('div', { id: 'banner', className: 'banner', role: 'alert' }),
          el('span', { id: 'status' }),
        );
      setStatus(message.status, message.message, message.action);
    } else if (message.type === 'monteCarlo') {
      if (message.result && typeof message.result.meanVariance === 'number')
        showMonteCarlo(monteCarloText(message.result));
      else showMonteCarlo(`Monte Carlo dropout: ${String(message.error ?? 'no answer')}`, true);
    } else if (message.type === 'engineBatch' && store.state.snapshot && Array.isArray(message.events))
      for (const event of message.events) apply(event);
    else if (message.type === 'timeline' && store.state.snapshot && message.timeline)
      timeline?.update(message.timeline);
    else if (message.type === 'replayFrame' && store.state.snapshot && message.frame) showReplayed(message.frame);
  } catch (error) {
    console.warn('Dropout Lens panel skipped a malformed message', error);
  }
});

watchTheme((theme) => {
  store.update({ theme });
  const { layers, loss, accuracy } = store.state;
  for (const view of layers.values()) {
    view.heatmap.setTheme(theme);
    view.featureMaps?.setTheme(theme);
  }
  loss?.setTheme(theme);
  accuracy?.setTheme(theme);
});

post({ type: 'ready' });
