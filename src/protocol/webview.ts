/**
 * Host <-> run panel messages. Everything arriving from a webview is untrusted: the host runs
 * `parseWebviewMessage` (validate.ts) before acting on it.
 */
import type { EngineEvent, LayerInfo, Metrics, ReplayFrame } from './engine';
import type { LayerMode } from './modelSpec';

export type RunStatus = 'idle' | 'starting' | 'running' | 'paused' | 'completed' | 'stopped' | 'failed';

export interface EpochRecord {
  epoch: number;
  lr: number;
  train: Metrics;
  validation: Metrics;
  validationTrainMode: Metrics;
  /**
   * A saved experiment trained on several seeds: the metrics above are means over them, and this is the 95%
   * interval of the validation metrics over the seeds (the panel draws it as a band).
   */
  spread?: { seeds: number; loss: [number, number]; accuracy?: [number, number] };
}

/** What the panel needs to draw itself from scratch (on open, and after being hidden and restored). */
export interface PanelSnapshot {
  runId: string;
  name: string;
  status: RunStatus;
  /** Shown with the status when it needs the user's attention (a divergence, a crashed worker...). */
  message?: string;
  /** A command the message suggests, offered as a button (e.g. `dropoutLens.train`). */
  action?: { label: string; command: PanelCommand };
  layers: LayerInfo[];
  task: 'classification' | 'regression';
  inputDim: number;
  epochs: EpochRecord[];
  totalEpochs: number;
  step: number;
  stepsPerSecond: number;
  /** The latest pictures of the run (recent masks, the last histograms and decision boundary), replayed by a
   * panel that opens or is restored mid-run, so it shows what a panel open all along would show. */
  recent?: EngineEvent[];
  /** `probe`: a run of the user's own PyTorch script under the runtime probe, followed from its files. The panel
   * shows it as a recording: no run controls, modes as the script set them (not switches), no engine curves. */
  source?: 'probe';
}

export type HostToPanelMessage =
  | { type: 'snapshot'; snapshot: PanelSnapshot }
  /** Engine events in the order they happened (the host batches them, keeping only the latest picture of "now"). */
  | { type: 'engineBatch'; events: EngineEvent[] }
  | { type: 'status'; status: RunStatus; message?: string; action?: { label: string; command: PanelCommand } }
  /** The answer to the panel's `predict`: the figures, or why there are none. */
  | { type: 'monteCarlo'; result?: MonteCarloSummary; error?: string }
  /** The timeline of a finished run: whether it can be scrubbed, and what the replay is doing. */
  | { type: 'timeline'; timeline: TimelineState }
  /** A replayed step: drawn into the mask and histogram views in place of the live ones. */
  | { type: 'replayFrame'; frame: ReplayFrame };

/** Monte Carlo dropout on the session's model (held after the run, or between steps), over the validation split. */
export interface MonteCarloSummary {
  passes: number;
  /** Classification: the accuracy of the mean over the passes, and of one eval-mode pass. */
  accuracy?: number;
  evalAccuracy?: number;
  /** Mean over the validation samples of the variance, across the passes, of the predicted class's probability (or the prediction). */
  meanVariance: number;
}

/** Most Monte Carlo passes the panel may ask for. */
export const MAX_PANEL_MC_PASSES = 1000;

/**
 * A finished run's timeline. `checking`: the host checks that the run can be replayed (its record, its data file);
 * `ready`: seekable (`step` the one shown), and nothing is retrained before the first seek; `preparing`: the first
 * seek started the replay, which retrains from the seed up to that step: the slider still moves, and only its
 * latest step is replayed; `replaying`: computing `step`; `unavailable`: `message` says why (data changed, an old
 * record...).
 */
export interface TimelineState {
  status: 'checking' | 'ready' | 'preparing' | 'replaying' | 'unavailable';
  /** Steps of the run (0 while unknown). */
  steps: number;
  /** 0 until the replay has loaded the data. */
  stepsPerEpoch: number;
  step?: number;
  message?: string;
  /** The replay retraining: the step it stands at, and the one it works towards (after the first seek, the run's last). */
  progress?: { step: number; target: number };
  /** The replay reached the end: true when its final weights are the recorded ones, bit for bit. */
  verified?: boolean;
}

/** Mask columns a replayed step shows: the steps up to it. */
export const REPLAY_PANEL_WINDOW = 60;

/** Commands the panel can ask for, by name. The host maps each to a real command; nothing else is executed. */
export type PanelCommand = 'train' | 'openConfig' | 'showLogs';

export type ControlAction = 'pause' | 'resume' | 'step' | 'stop';

/** Mask columns a heatmap shows (recent steps); the host keeps as many for a panel that opens mid-run. */
export const MASK_HISTORY = 120;

/** The run panel's charts, by name. */
export type PanelChart = 'loss' | 'accuracy';

/** Largest `exportChart` payload accepted: a PNG data URL of at most this many characters (about 6 MiB of PNG). */
export const MAX_CHART_PNG_CHARS = 8 * 1024 * 1024;

export type PanelToHostMessage =
  | { type: 'ready' }
  | { type: 'control'; action: ControlAction }
  | { type: 'setMode'; layer: number | null; mode: LayerMode }
  | { type: 'setRate'; layer: number; rate: number }
  | { type: 'runCommand'; command: PanelCommand }
  /** Save a chart as a PNG file; `dataUrl` is the chart's `toBase64Image()`: `data:image/png;base64,...`. */
  | { type: 'exportChart'; chart: PanelChart; dataUrl: string }
  /** Monte Carlo dropout on the session's model; `passes` absent: the config's `mcSamples`, else the setting. */
  | { type: 'predict'; passes?: number }
  /** Scrub a finished run to this step (1-based; at most its step count). */
  | { type: 'seek'; step: number };
