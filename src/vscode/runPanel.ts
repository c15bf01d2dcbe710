/**
 * The run panel: one webview that shows the current session. It says `ready`, gets a snapshot, then the
 * engine's events; whatever it sends back is validated against the protocol before anything happens.
 * The webview is not kept alive while hidden: on reveal it reloads, says `ready` again and is re-sent a snapshot.
 */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { EngineEvent } from '../protocol/engine';
import { parseWebviewMessage } from '../protocol/validate';
import { EngineEventBatcher } from '../session/eventBatcher';
import type {
  HostToPanelMessage,
  PanelChart,
  PanelCommand,
  PanelSnapshot,
  PanelToHostMessage,
} from '../protocol/webview';
import { meanVarianceOf } from '../experiments/predictionStats';
import { log } from './log';
import { renderPanelHtml } from './panelHtml';
import type { RunController } from './runController';
import { trainingSettings } from './settings';
import type { TrainingSession } from './trainingSession';

export const RUN_PANEL_VIEW_TYPE = 'dropoutLens.runPanel';
/** How many posted messages `RunPanel.sent` keeps. */
const SENT_KEPT = 50;

export class RunPanel implements vscode.Disposable {
  private static current: RunPanel | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private sessionSubscriptions: vscode.Disposable[] = [];
  private ready = false;
  /** A saved run being shown instead of the live session, until the next session starts. */
  private shown: PanelSnapshot | undefined;
  private readonly batcher = new EngineEventBatcher((events) => this.post({ type: 'engineBatch', events }));
  /** What the panel has sent us, for tests and for the log. */
  readonly received: PanelToHostMessage[] = [];
  readonly rejected: string[] = [];
  /** The latest messages posted to the panel (at most SENT_KEPT), for tests: what the webview was told to draw. */
  readonly sent: HostToPanelMessage[] = [];

  static createOrShow(extensionUri: vscode.Uri, controller: RunController): RunPanel {
    if (RunPanel.current) {
      RunPanel.current.panel.reveal(undefined, true);
      return RunPanel.current;
    }
    const panel = vscode.window.createWebviewPanel(
      RUN_PANEL_VIEW_TYPE,
      'Dropout Lens',
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
      RunPanel.webviewOptions(extensionUri),
    );
    RunPanel.current = new RunPanel(panel, extensionUri, controller);
    return RunPanel.current;
  }

  /** Restores a panel VS Code kept across a reload (its serializer). */
  static revive(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, controller: RunController): RunPanel {
    panel.webview.options = RunPanel.webviewOptions(extensionUri);
    RunPanel.current?.dispose();
    RunPanel.current = new RunPanel(panel, extensionUri, controller);
    return RunPanel.current;
  }

  static get instance(): RunPanel | undefined {
    return RunPanel.current;
  }

  private static webviewOptions(extensionUri: vscode.Uri): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    return {
      enableScripts: true,
      retainContextWhenHidden: false,
      localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist'), vscode.Uri.joinPath(extensionUri, 'media')],
    };
  }

  private constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly extensionUri: vscode.Uri,
    private readonly controller: RunController,
  ) {
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'activity-bar.svg');
    panel.webview.html = this.html();
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((raw: unknown) => this.handleMessage(raw)),
      panel.onDidChangeViewState(() => {
        // A hidden webview is torn down; it will say `ready` again when shown.
        if (!panel.visible) this.ready = false;
      }),
      controller.onDidStart((session) => this.attach(session)),
    );
    if (controller.session) this.attach(controller.session);
  }

  private html(): string {
    const webview = this.panel.webview;
    const asset = (...path: string[]) =>
      webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, ...path)).toString();
    return renderPanelHtml({
      cspSource: webview.cspSource,
      nonce: randomBytes(16).toString('base64'),
      scriptUri: asset('dist', 'webview', 'panel.js'),
      styleUri: asset('media', 'panel.css'),
      codiconsUri: asset('dist', 'codicons', 'codicon.css'),
      title: 'Dropout Lens',
    });
  }

  /** Shows a saved run (or any snapshot) until the next training session starts. */
  showSnapshot(snapshot: PanelSnapshot): void {
    this.shown = snapshot;
    this.panel.title = `Dropout Lens: ${snapshot.name}`;
    this.post({ type: 'snapshot', snapshot });
  }

  private attach(session: TrainingSession): void {
    this.shown = undefined;
    this.batcher.clear();
    for (const d of this.sessionSubscriptions) d.dispose();
    this.panel.title = `Dropout Lens: ${session.spec.name}`;
    this.sessionSubscriptions = [
      session.onEvent((event) => this.forward(event)),
      session.onStatus((status) => {
        if (!this.shown)
          this.post({ type: 'status', status, ...(session.message !== undefined ? { message: session.message } : {}) });
      }),
    ];
    this.disposables.push(...this.sessionSubscriptions);
    if (this.ready) this.post({ type: 'snapshot', snapshot: session.snapshot() });
  }

  private forward(event: EngineEvent): void {
    // Loading progress reaches the panel as the session's status message.
    if (!this.ready || this.shown || event.type === 'loading') return;
    this.batcher.push(event);
  }

  private post(message: HostToPanelMessage): void {
    // A snapshot holds everything so far: events queued before it would arrive twice.
    if (message.type === 'snapshot') this.batcher.clear();
    if (!this.ready) return;
    void this.panel.webview.postMessage(message);
    this.sent.push(message);
    if (this.sent.length > SENT_KEPT) this.sent.splice(0, this.sent.length - SENT_KEPT);
  }

  /** Every message from the webview comes through here, validated first: it is untrusted input. */
  handleMessage(raw: unknown): void {
    const parsed = parseWebviewMessage(raw);
    if (!parsed.ok) {
      this.rejected.push(parsed.error);
      log().warn(`Ignored a message from the run panel: ${parsed.error}`);
      return;
    }
    const message = parsed.value;
    this.received.push(message);
    const session = this.controller.session;
    switch (message.type) {
      case 'ready':
        this.ready = true;
        if (this.shown) this.post({ type: 'snapshot', snapshot: this.shown });
        else if (session) this.post({ type: 'snapshot', snapshot: session.snapshot() });
        else
          this.post({
            type: 'status',
            status: 'idle',
            message: 'No run yet. Open a model config and train it.',
            action: { label: 'Train', command: 'train' },
          });
        break;
      case 'control':
      case 'setMode':
      case 'setRate':
        // A saved or probe run on show is a recording: its controls must not reach a live session behind it.
        if (this.shown) {
          log().warn(`Ignored ${message.type} from the run panel: it shows a recorded run (${this.shown.name})`);
          break;
        }
        if (message.type === 'control') this.controller[message.action]();
        else if (message.type === 'setMode') this.controller.setMode(message.layer ?? undefined, message.mode);
        else this.controller.setRate(message.layer, message.rate);
        break;
      case 'runCommand':
        void this.runCommand(message.command);
        break;
      case 'exportChart':
        void this.exportChart(message.chart, message.dataUrl);
        break;
      case 'predict':
        if (this.shown) {
          this.post({
            type: 'monteCarlo',
            error: 'A recorded run has no model to sample: train it to use Monte Carlo dropout.',
          });
          break;
        }
        if (!session) {
          this.post({ type: 'monteCarlo', error: 'No run yet: train a model first.' });
          break;
        }
        void this.monteCarlo(
          session,
          message.passes ?? session.spec.evaluation.mcSamples ?? trainingSettings().mcSamples,
        );
        break;
    }
  }

  /** Monte Carlo dropout on the session's model (the engine's `predict`), and one eval pass to compare with. */
  private async monteCarlo(session: TrainingSession, passes: number): Promise<void> {
    try {
      const mc = await session.predict({ passes, mode: 'mc' });
      const evalPass = await session.predict({ passes: 1, mode: 'eval' });
      this.post({
        type: 'monteCarlo',
        result: {
          passes,
          ...(mc.accuracy !== undefined ? { accuracy: mc.accuracy } : {}),
          ...(evalPass.accuracy !== undefined ? { evalAccuracy: evalPass.accuracy } : {}),
          meanVariance: meanVarianceOf(mc),
        },
      });
    } catch (error) {
      this.post({ type: 'monteCarlo', error: error instanceof Error ? error.message : String(error) });
    }
  }

  /** Asks where to save the chart (a validated PNG data URL) and writes the PNG there. */
  private async exportChart(chart: PanelChart, dataUrl: string): Promise<vscode.Uri | undefined> {
    const name = this.shown?.name ?? this.controller.session?.spec.name ?? 'run';
    const fileName = `${name.replace(/[^\w.-]+/g, '-').replace(/^-+|-+$/g, '') || 'run'}-${chart}.png`;
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const target = await vscode.window.showSaveDialog({
      title: `Export the ${chart} chart as PNG`,
      saveLabel: 'Export',
      filters: { 'PNG image': ['png'] },
      ...(folder ? { defaultUri: vscode.Uri.joinPath(folder, fileName) } : {}),
    });
    if (!target) return undefined;
    const bytes = Buffer.from(dataUrl.slice(dataUrl.indexOf(',') + 1), 'base64');
    try {
      await vscode.workspace.fs.writeFile(target, bytes);
    } catch (error) {
      void vscode.window.showErrorMessage(
        `Could not export the chart: ${error instanceof Error ? error.message : String(error)}`,
      );
      return undefined;
    }
    log().info(`Exported the ${chart} chart to ${target.fsPath} (${bytes.length} bytes)`);
    void vscode.window.showInformationMessage(
      `Exported the ${chart} chart to ${vscode.workspace.asRelativePath(target)}.`,
    );
    return target;
  }

  private async runCommand(command: PanelCommand): Promise<void> {
    switch (command) {
      case 'train':
        await vscode.commands.executeCommand('dropoutLens.train', this.controller.session?.configUri);
        break;
      case 'openConfig':
        if (this.controller.session) await vscode.window.showTextDocument(this.controller.session.configUri);
        break;
      case 'showLogs':
        log().show();
        break;
    }
  }

  dispose(): void {
    if (RunPanel.current === this) RunPanel.current = undefined;
    this.batcher.clear();
    this.panel.dispose();
    for (const d of this.disposables) d.dispose();
    this.disposables.length = 0;
  }
}

export class RunPanelSerializer implements vscode.WebviewPanelSerializer {
  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly controller: RunController,
  ) {}

  async deserializeWebviewPanel(panel: vscode.WebviewPanel): Promise<void> {
    RunPanel.revive(panel, this.extensionUri, this.controller);
  }
}
