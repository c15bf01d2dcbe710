/**
 * Saves every training session as a run record while it trains (after each epoch), so a crash, a reload
 * or closing VS Code loses at most the epoch in progress.
 */
import * as vscode from 'vscode';
import type { EngineEvent } from '../protocol/engine';
import { RunStore, type RunWriter } from '../runs';
import { log } from './log';
import { saveFailureReporter, warnSaving } from './saveWarnings';
import type { RunController } from './runController';
import { trainingSettings } from './settings';
import type { TrainingSession } from './trainingSession';

/** The runs folder of the first workspace folder, or undefined without a (trusted) workspace. */
export function workspaceRunStore(): RunStore | undefined {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder || folder.uri.scheme !== 'file' || !vscode.workspace.isTrusted) return undefined;
  return new RunStore(vscode.Uri.joinPath(folder.uri, trainingSettings().runsFolder).fsPath);
}

export class RunRecorder implements vscode.Disposable {
  private readonly saved = new vscode.EventEmitter<string>();
  /** Fires with a run id each time a run's file was written. */
  readonly onDidSave = this.saved.event;
  private readonly subscription: vscode.Disposable;

  constructor(controller: RunController) {
    this.subscription = controller.onDidStart((session) => void this.record(session));
  }

  private async record(session: TrainingSession): Promise<void> {
    const store = workspaceRunStore();
    if (!store) return;
    let writer: RunWriter;
    const what = `run ${session.runId}`;
    // A small run can end before its first record is on disk: its events wait here until the writer exists.
    const early: EngineEvent[] = [];
    const route: { handle?: (event: EngineEvent) => void } = {};
    const subscription = session.onEvent((event) => (route.handle ? route.handle(event) : early.push(event)));
    try {
      writer = await store.create({
        kind: 'train',
        spec: session.spec,
        config: { name: session.spec.name, path: vscode.workspace.asRelativePath(session.configUri) },
        id: session.runId,
        onError: saveFailureReporter(what),
      });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      log().error(`Cannot save ${what}: ${message}`);
      warnSaving(`this training will not be saved: ${message}`);
      subscription.dispose();
      return;
    }
    let failure: string | undefined;
    // The view is told of a write only when it reached the disk.
    const saved = (p: Promise<void>) =>
      p.then(() => {
        if (writer.lastWriteSaved) this.saved.fire(session.runId);
      });
    const handle = (event: EngineEvent): void => {
      if (event.type === 'epoch') void saved(writer.addEpoch(event));
      if (event.type === 'error' && event.fatal) failure = event.message;
      if (event.type === 'done') {
        const status = event.reason;
        void saved(
          session
            .replayInfo(event.step)
            .then((replay) =>
              writer.endTraining({
                status,
                ...(failure ? { message: failure } : {}),
                ...(event.final ? { final: event.final } : {}),
                ...(event.weights ? { weights: event.weights } : {}),
                ...(event.step > 0 ? { replay } : {}),
              }),
            )
            .then(() => writer.finish(status, failure ? { message: failure } : {}))
            .then(() => writer.close())
            .then((outcome) => {
              // Saved only once the final record is on disk; the failures themselves were reported as they came.
              if (!outcome.saved) {
                log().error(`${what} was not saved: ${outcome.error.message}`);
                warnSaving(`${what} was not saved: ${outcome.error.message}`);
              }
            }),
        );
      }
    };
    route.handle = handle;
    for (const event of early.splice(0)) handle(event);
  }

  dispose(): void {
    this.subscription.dispose();
    this.saved.dispose();
  }
}
