/**
 * Owns the current training session and the commands that steer it. Views (panel, sidebar, status bar)
 * subscribe to `onDidChange` and read the session; they never talk to the worker themselves.
 */
import * as vscode from 'vscode';
import type { LayerMode } from '../protocol/modelSpec';
import type { RunStatus } from '../protocol/webview';
import { activeConfigUri, loadConfig } from './configFiles';
import { log } from './log';
import { trainingSettings } from './settings';
import { TrainingSession } from './trainingSession';

export class RunController implements vscode.Disposable {
  private current: TrainingSession | undefined;
  private readonly changed = new vscode.EventEmitter<TrainingSession | undefined>();
  private readonly started = new vscode.EventEmitter<TrainingSession>();
  /** Fires when a session starts, changes status or ends. */
  readonly onDidChange = this.changed.event;
  readonly onDidStart = this.started.event;

  constructor(private readonly extensionPath: string) {}

  get session(): TrainingSession | undefined {
    return this.current;
  }

  /** Trains the given config (default: the active one). Returns undefined when nothing was started. */
  async train(configUri?: vscode.Uri): Promise<TrainingSession | undefined> {
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage(
        'Dropout Lens trains only in a trusted workspace: training reads data files named by the config and writes run records.',
      );
      return undefined;
    }
    const uri = configUri ?? activeConfigUri();
    if (!uri) {
      const choice = await vscode.window.showInformationMessage(
        'Open a model config (*.dropout.yaml or *.dropout.json) to train it.',
        'New Model Config…',
        'Open Config…',
      );
      if (choice === 'New Model Config…') await vscode.commands.executeCommand('dropoutLens.newConfig');
      if (choice === 'Open Config…') {
        const picked = await vscode.window.showOpenDialog({
          filters: { 'Model configs': ['yaml', 'yml', 'json'] },
          canSelectMany: false,
        });
        if (picked?.[0]) return this.train(picked[0]);
      }
      return undefined;
    }
    // The engine worker streams a CSV on disk itself: the extension host neither reads nor decodes it.
    const loaded = await loadConfig(uri, { stream: true });
    if (!loaded.ok) {
      log().warn(loaded.message);
      void vscode.window
        .showErrorMessage(loaded.message, 'Open Config')
        .then((choice) => choice && vscode.window.showTextDocument(uri));
      return undefined;
    }
    this.current?.dispose();
    const settings = trainingSettings();
    const session = new TrainingSession({
      spec: loaded.spec,
      configUri: uri,
      ...(loaded.csvBytes !== undefined ? { csvBytes: loaded.csvBytes } : {}),
      ...(loaded.csvPath !== undefined ? { csvPath: loaded.csvPath } : {}),
      streamHz: settings.streamHz,
      workers: settings.workers,
      extensionPath: this.extensionPath,
    });
    this.current = session;
    session.onStatus((status) => this.onStatus(session, status));
    session.onEvent((event) => {
      if (event.type === 'error')
        log().error(
          `[${session.spec.name}] ${event.code}: ${event.message}${event.step !== undefined ? ` at step ${event.step}` : ''}`,
        );
    });
    log().info(`Training ${vscode.workspace.asRelativePath(uri)} (${loaded.spec.name}), seed ${loaded.spec.seed}`);
    this.onStatus(session, session.status);
    this.started.fire(session);
    return session;
  }

  pause(): void {
    this.current?.send({ type: 'pause' });
  }

  resume(): void {
    this.current?.send({ type: 'resume' });
  }

  step(): void {
    this.current?.send({ type: 'step', count: 1 });
  }

  stop(): void {
    this.current?.send({ type: 'stop' });
  }

  setMode(layer: number | undefined, mode: LayerMode): void {
    this.current?.setMode(layer, mode);
  }

  setRate(layer: number, rate: number): void {
    this.current?.send({ type: 'setRate', layer, rate });
  }

  private onStatus(session: TrainingSession, status: RunStatus): void {
    if (session !== this.current) return;
    void vscode.commands.executeCommand('setContext', 'dropoutLens.status', status);
    if (status === 'failed') {
      void vscode.window
        .showErrorMessage(
          `Training "${session.spec.name}" failed: ${session.message ?? 'see the Dropout Lens log'}`,
          'Show Log',
        )
        .then((choice) => {
          if (choice) log().show();
        });
    }
    this.changed.fire(session);
  }

  dispose(): void {
    this.current?.dispose();
    this.changed.dispose();
    this.started.dispose();
  }
}
