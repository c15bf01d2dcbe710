/**
 * The run panel's timeline over a finished run: checks that the run can be replayed (its record, its data file's
 * hash), and turns the panel's seeks into replayed frames. The replay worker starts with the first seek, so a run
 * nobody scrubs is never retrained; until its first frame the timeline says it is preparing, with the worker's
 * progress. The worker retrains; this only relays, keeping the latest timeline and frame for a panel that reloads.
 */
import { isAbsolute } from 'node:path';
import * as vscode from 'vscode';
import type { ReplayFrame } from '../protocol/engine';
import { REPLAY_PANEL_WINDOW, type HostToPanelMessage, type TimelineState } from '../protocol/webview';
import { dataChangedProblem, type ReplaySource, type ReplaySourceResult } from '../runs';
import { identifyFile } from '../session/dataIdentity';
import { locateEngineWorker } from '../session/engineWorker';
import { ReplayClient } from '../session/replayClient';
import { log } from './log';

export class PanelReplay implements vscode.Disposable {
  private client: ReplayClient | undefined;
  private timeline: TimelineState = { status: 'checking', steps: 0, stepsPerEpoch: 0 };
  private frame: ReplayFrame | undefined;
  /** The step the panel asked for last. */
  private wanted: number | undefined;
  private disposed = false;

  constructor(
    source: ReplaySourceResult,
    private readonly extensionPath: string,
    private readonly post: (message: HostToPanelMessage) => void,
  ) {
    if (!source.ok) this.unavailable(source.message);
    else void this.start(source.source);
  }

  /** What a panel that (re)loads needs after its snapshot: the timeline, and the step it showed. */
  messages(): HostToPanelMessage[] {
    return [
      { type: 'timeline', timeline: this.timeline },
      ...(this.frame ? [{ type: 'replayFrame' as const, frame: this.frame }] : []),
    ];
  }

  get state(): TimelineState {
    return this.timeline;
  }

  /** Whether a seek started the replay worker (for tests: a run nobody scrubs is never retrained). */
  get replayStarted(): boolean {
    return this.client?.started ?? false;
  }

  private async start(source: ReplaySource): Promise<void> {
    this.update({ status: 'checking', steps: source.info.steps, stepsPerEpoch: 0 });
    let csvPath: string | undefined;
    if (source.spec.data.source === 'csv') {
      const csv = csvUriOf(source);
      if (!csv) return this.unavailable('The run does not say where its config was, so its CSV file cannot be found.');
      const shown = vscode.workspace.asRelativePath(csv);
      let found;
      try {
        found = await identifyFile(csv.fsPath);
      } catch (error) {
        return this.unavailable(`The run's data file ${shown} cannot be read: ${(error as Error).message}`);
      }
      log().info(
        `Replay of ${source.name}: ${shown} has sha256 ${found.sha256}, the run recorded ${source.info.data!.sha256}`,
      );
      const problem = dataChangedProblem(shown, source.info.data!, found);
      if (problem) return this.unavailable(problem);
      csvPath = csv.fsPath;
    }
    if (this.disposed) return;
    const client = new ReplayClient(locateEngineWorker(this.extensionPath), {
      type: 'replay',
      version: 1,
      spec: source.spec,
      steps: source.info.steps,
      interventions: source.info.interventions,
      workers: source.info.workers,
      ...(source.weights ? { weights: source.weights } : {}),
      ...(csvPath !== undefined ? { csvPath } : {}),
    });
    this.client = client;
    this.update({ ...this.timeline, status: 'ready', step: source.info.steps });
    client.onProgress(({ step, target }) => {
      if (!this.disposed && this.timeline.status !== 'unavailable')
        this.update({ ...this.timeline, progress: { step, target } });
    });
    void client.ready.then((ready) => {
      if (this.disposed) return;
      if (!ready.ok) return this.unavailable(`This run cannot be replayed: ${ready.message}`);
      this.update({ ...this.timeline, stepsPerEpoch: ready.ready.stepsPerEpoch });
      log().info(
        `Replay of ${source.name}: ${ready.ready.steps} steps on ${source.info.workers} worker(s), a checkpoint every ${ready.ready.checkpointEvery} (${Math.round(ready.ready.checkpointBytes / 1024)} KiB each)`,
      );
    });
    void client.verified.then((v) => {
      if (this.disposed || !v) return;
      if (v.identical === false)
        this.unavailable(`This run does not replay exactly: ${v.message ?? 'its end differs.'}`);
      else {
        const { progress: _done, ...timeline } = this.timeline;
        this.update({ ...timeline, ...(v.identical ? { verified: true } : {}) });
      }
    });
  }

  async seek(step: number): Promise<void> {
    const client = this.client;
    const status = this.timeline.status;
    if (!client || status === 'unavailable' || status === 'checking') return;
    if (step > this.timeline.steps) return;
    this.wanted = step;
    // Until the first frame the replay retrains from the seed: it is preparing, and says how far it is.
    const { progress, ...timeline } = this.timeline;
    this.update({
      ...timeline,
      status: this.frame ? 'replaying' : 'preparing',
      step,
      ...(progress && !this.frame ? { progress } : {}),
    });
    const frame = await client.seek(step, REPLAY_PANEL_WINDOW);
    if (this.disposed || !frame) return; // superseded by a later seek, which will answer
    this.frame = frame;
    this.post({ type: 'replayFrame', frame });
    const now = this.timeline;
    if ((now.status === 'replaying' || now.status === 'preparing') && this.wanted === step) {
      const { progress: _reached, ...rest } = now;
      this.update({ ...rest, status: 'ready' });
    }
  }

  private unavailable(message: string): void {
    log().info(`No replay: ${message}`);
    this.update({ ...this.timeline, status: 'unavailable', message });
  }

  private update(timeline: TimelineState): void {
    this.timeline = timeline;
    if (!this.disposed) this.post({ type: 'timeline', timeline });
  }

  dispose(): void {
    this.disposed = true;
    void this.client?.dispose();
  }
}

/** The run's CSV: its spec's path, relative to the config's folder (a workspace-relative or absolute path). */
function csvUriOf(source: ReplaySource): vscode.Uri | undefined {
  if (source.spec.data.source !== 'csv' || source.configPath === undefined) return undefined;
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  const config = isAbsolute(source.configPath)
    ? vscode.Uri.file(source.configPath)
    : folder && vscode.Uri.joinPath(folder, source.configPath);
  return config && vscode.Uri.joinPath(config, '..', source.spec.data.path);
}
