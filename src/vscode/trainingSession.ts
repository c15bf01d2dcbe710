/**
 * One training run seen from the host: starts the engine worker on a parsed config, keeps the state a
 * newly opened view needs (layers, modes, epochs, status), and relays the worker's events to listeners.
 * No dropout logic here: the worker does the work, this only keeps score. After the run the worker holds
 * the trained model for `predict` until the session is disposed, which releases it.
 */
import * as vscode from 'vscode';
import type {
  EngineCommand,
  EngineEvent,
  LayerInfo,
  PredictCommand,
  PredictionEvent,
  RunIntervention,
  WorkerSetting,
} from '../protocol/engine';
import type { LayerMode, ModelSpec } from '../protocol/modelSpec';
import { MASK_HISTORY, type EpochRecord, type PanelSnapshot, type RunStatus } from '../protocol/webview';
import { formatBytes } from '../engine/data/files';
import { EngineWorker, locateEngineWorker } from '../session/engineWorker';
import { identifyBytes, identifyFile } from '../session/dataIdentity';
import { type DataIdentity, type LayerWeights, type RunReplayInfo } from '../runs';

export interface SessionOptions {
  spec: ModelSpec;
  configUri: vscode.Uri;
  /** Transferred to the worker: the caller must not use it afterwards. */
  csvBytes?: Uint8Array;
  /** Or the dataset's path, for the engine worker to stream from disk. */
  csvPath?: string;
  streamHz: number;
  /** Engine workers per step (dropoutLens.engine.workers); absent: auto. */
  workers?: WorkerSetting;
  extensionPath: string;
}

export class TrainingSession implements vscode.Disposable {
  readonly runId = `${new Date().toISOString().replace(/[:.]/g, '-')}-${Math.random().toString(36).slice(2, 6)}`;
  readonly spec: ModelSpec;
  readonly configUri: vscode.Uri;
  private readonly worker: EngineWorker;
  private readonly emitter = new vscode.EventEmitter<EngineEvent>();
  private readonly statusEmitter = new vscode.EventEmitter<RunStatus>();
  /** Every engine event, as it arrives. */
  readonly onEvent = this.emitter.event;
  readonly onStatus = this.statusEmitter.event;

  status: RunStatus = 'starting';
  message: string | undefined;
  layers: LayerInfo[] = [];
  task: 'classification' | 'regression' = 'classification';
  inputDim = 0;
  readonly epochs: EpochRecord[] = [];
  step = 0;
  epoch = 0;
  stepsPerSecond = 0;
  lastLoss: number | undefined;
  /**
   * What a panel opened now needs to draw the present: the last masks (one heatmap's width), histograms, boundary,
   * and each dropout2d layer's feature maps (by `featureMaps:<layer>`).
   */
  private readonly recentMasks: EngineEvent[] = [];
  private readonly lastPictures = new Map<string, EngineEvent>();
  private readonly pending = new Map<string, { resolve(e: PredictionEvent): void; reject(e: Error): void }>();
  private requests = 0;
  private released = false;
  /** What a replay of this run needs: the changes made while it trained, at their steps, and the data's identity. */
  private readonly interventions: RunIntervention[] = [];
  private readonly dataIdentity: Promise<DataIdentity | undefined>;
  /** The final weights, once done. */
  weights: LayerWeights[] | undefined;
  /** Engine workers sharing each step, as the engine said when ready (a replay needs the same count). */
  private workers = 1;

  constructor(options: SessionOptions) {
    this.spec = options.spec;
    this.configUri = options.configUri;
    // Hashed before the bytes are transferred to the worker; a file is hashed as the worker reads it.
    this.dataIdentity =
      options.csvBytes !== undefined
        ? Promise.resolve(identifyBytes(options.csvBytes))
        : options.csvPath !== undefined
          ? identifyFile(options.csvPath).catch(() => undefined)
          : Promise.resolve(undefined);
    this.worker = new EngineWorker(locateEngineWorker(options.extensionPath), { hold: true });
    this.worker.onEvent((event) => this.handle(event));
    this.worker.send({
      type: 'start',
      version: 1,
      spec: options.spec,
      ...(options.csvBytes !== undefined ? { csvBytes: options.csvBytes } : {}),
      ...(options.csvPath !== undefined ? { csvPath: options.csvPath } : {}),
      options: { streamHz: options.streamHz, ...(options.workers !== undefined ? { workers: options.workers } : {}) },
    });
  }

  get isActive(): boolean {
    return this.status === 'starting' || this.status === 'running' || this.status === 'paused';
  }

  send(command: EngineCommand): void {
    if (this.isActive) this.worker.send(command);
  }

  setMode(layer: number | undefined, mode: LayerMode): void {
    this.send(layer === undefined ? { type: 'setMode', mode } : { type: 'setMode', layer, mode });
  }

  whenDone(): Promise<Extract<EngineEvent, { type: 'done' }>> {
    return this.worker.whenDone();
  }

  /** The record's `replay` field for a run that ended after `steps` steps. */
  async replayInfo(steps: number): Promise<RunReplayInfo> {
    const data = await this.dataIdentity;
    return { steps, interventions: [...this.interventions], ...(data ? { data } : {}), workers: this.workers };
  }

  /** Inference on the model: while it trains, or held after the run (until dispose). */
  predict(request: Omit<PredictCommand, 'type' | 'requestId'>): Promise<PredictionEvent> {
    if (this.status === 'failed')
      return Promise.reject(new Error('The training failed: there is no model to predict with.'));
    if (this.released) return Promise.reject(new Error('This run was released: train again to predict.'));
    return new Promise((resolve, reject) => {
      const requestId = `${this.runId}/${++this.requests}`;
      this.pending.set(requestId, { resolve, reject });
      this.worker.send({ type: 'predict', requestId, ...request });
    });
  }

  private settle(requestId: string, outcome: PredictionEvent | Error): void {
    const p = this.pending.get(requestId);
    if (!p) return;
    this.pending.delete(requestId);
    if (outcome instanceof Error) p.reject(outcome);
    else p.resolve(outcome);
  }

  snapshot(): PanelSnapshot {
    return {
      runId: this.runId,
      name: this.spec.name,
      status: this.status,
      ...(this.message !== undefined ? { message: this.message } : {}),
      ...(this.status === 'failed' ? { action: { label: 'Open config', command: 'openConfig' as const } } : {}),
      layers: this.layers,
      task: this.task,
      inputDim: this.inputDim,
      epochs: this.epochs,
      totalEpochs: this.spec.training.epochs,
      step: this.step,
      stepsPerSecond: this.stepsPerSecond,
      recent: [...this.recentMasks, ...this.lastPictures.values()],
    };
  }

  private setStatus(status: RunStatus, message?: string): void {
    this.status = status;
    this.message = message;
    this.statusEmitter.fire(status);
  }

  private handle(event: EngineEvent): void {
    switch (event.type) {
      case 'loading':
        // The worker reads a large dataset from disk: the panel and the log say how far.
        this.setStatus(
          'starting',
          `Reading the dataset (${formatBytes(event.totalBytes)}): ${Math.round(100 * event.fraction)}%`,
        );
        break;
      case 'ready':
        this.layers = event.layers;
        this.task = event.task;
        this.inputDim = event.inputDim;
        this.workers = event.workers ?? 1;
        this.setStatus('running');
        break;
      case 'step':
        this.step = event.step;
        this.epoch = event.epoch;
        this.stepsPerSecond = event.stepsPerSecond;
        this.lastLoss = event.loss;
        break;
      case 'epoch':
        this.epochs.push({
          epoch: event.epoch,
          lr: event.lr,
          train: event.train,
          validation: event.validation,
          validationTrainMode: event.validationTrainMode,
        });
        break;
      case 'masks':
        this.recentMasks.push(event);
        if (this.recentMasks.length > MASK_HISTORY) this.recentMasks.shift();
        break;
      case 'activations':
      case 'boundary':
        this.lastPictures.set(event.type, event);
        break;
      case 'featureMaps':
        this.lastPictures.set(`featureMaps:${event.layer}`, event);
        break;
      case 'modes':
        if (event.step !== undefined)
          this.interventions.push({ type: 'modes', step: event.step, layers: event.layers });
        for (const { layer, mode } of event.layers) {
          const info = this.layers.find((l) => l.index === layer);
          if (info) info.mode = mode;
        }
        break;
      case 'rate': {
        if (event.step !== undefined)
          this.interventions.push({ type: 'rate', step: event.step, layer: event.layer, rate: event.rate });
        const info = this.layers.find((l) => l.index === event.layer);
        if (info) info.rate = event.rate;
        break;
      }
      case 'paused':
        this.setStatus('paused');
        break;
      case 'resumed':
        this.setStatus('running');
        break;
      case 'prediction':
        this.settle(event.requestId, event);
        break;
      case 'error':
        if (event.requestId !== undefined) this.settle(event.requestId, new Error(event.message));
        if (event.fatal) for (const id of [...this.pending.keys()]) this.settle(id, new Error(event.message));
        if (event.fatal)
          this.message = event.step !== undefined ? `${event.message} (step ${event.step})` : event.message;
        break;
      case 'done':
        this.step = event.step;
        this.weights = event.weights;
        this.setStatus(event.reason, event.reason === 'failed' ? (this.message ?? 'Training failed.') : undefined);
        break;
      default:
        break;
    }
    this.emitter.fire(event);
  }

  dispose(): void {
    // Releasing stops a run still training and frees the held model; the worker thread ends with it.
    this.released = true;
    for (const id of [...this.pending.keys()]) this.settle(id, new Error('The run was closed before answering.'));
    void this.worker.release();
    this.emitter.dispose();
    this.statusEmitter.dispose();
  }
}
