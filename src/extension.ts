/**
 * Activation wires the shell together and returns: no parsing, no worker, no file scan happens here.
 * Diagnostics analyse documents as they open; the worker starts with the first training run.
 */
import * as vscode from 'vscode';
import { DropoutQuickFixes } from './vscode/codeActions';
import { ConfigCodeLens } from './vscode/codeLens';
import { registerCommands } from './vscode/commands';
import { DiagnosticsController } from './vscode/diagnostics';
import { log } from './vscode/log';
import { ModelView } from './vscode/modelView';
import { RunController } from './vscode/runController';
import { registerProbeCommands } from './vscode/probeCommands';
import { registerRunCommands } from './vscode/runCommands';
import { registerExperimentCommands } from './vscode/experimentCommands';
import { RunRecorder } from './vscode/runRecorder';
import { RunsView } from './vscode/runsView';
import { RUN_PANEL_VIEW_TYPE, RunPanel, RunPanelSerializer } from './vscode/runPanel';
import { TrainingStatusBar } from './vscode/statusBar';

export interface DropoutLensApi {
  readonly controller: RunController;
  readonly diagnostics: DiagnosticsController;
  readonly modelView: ModelView;
  readonly runsView: RunsView;
  /** The open run panel, if any (tests read what it received). */
  runPanel(): RunPanel | undefined;
  /** What activation costs, measured by the extension itself: evaluating the bundle, then activate(). The wait
   * between them is VS Code's (it prepares the extension context), so it is not counted. */
  readonly activation: { loadMs: number; activateMs: number; totalMs: number };
}

const ANALYZED_DOCUMENTS: vscode.DocumentSelector = [
  { language: 'python' },
  { language: 'json' },
  { language: 'jsonc' },
  { language: 'yaml' },
  { pattern: '**/*.dropout.{yaml,yml,json}' },
];

// From the bundle's first line (a webpack banner) to here, where its modules have all been evaluated.
const loadMs =
  performance.now() - ((globalThis as { __dropoutLensLoadStart?: number }).__dropoutLensLoadStart ?? performance.now());

export function activate(context: vscode.ExtensionContext): DropoutLensApi {
  const started = performance.now();
  const readme = vscode.Uri.joinPath(context.extensionUri, 'README.md');
  const controller = new RunController(context.extensionPath);
  const diagnostics = new DiagnosticsController(readme, context.extensionPath);
  const modelView = new ModelView(controller);
  const recorder = new RunRecorder(controller);
  const runsView = new RunsView(recorder);
  const probe = registerProbeCommands(context.extensionUri, context.extensionPath, controller, runsView);
  context.subscriptions.push(
    ...probe.disposables,
    controller,
    diagnostics,
    modelView,
    recorder,
    runsView,
    new TrainingStatusBar(controller),
    vscode.window.createTreeView('dropoutLens.model', { treeDataProvider: modelView, showCollapseAll: false }),
    vscode.window.createTreeView('dropoutLens.runs', { treeDataProvider: runsView }),
    ...registerRunCommands(context.extensionUri, controller, runsView, probe.open),
    ...registerExperimentCommands(context.extensionPath, runsView),
    vscode.languages.registerCodeActionsProvider(
      ANALYZED_DOCUMENTS,
      new DropoutQuickFixes(diagnostics),
      DropoutQuickFixes.metadata,
    ),
    vscode.languages.registerCodeLensProvider(
      { pattern: '**/*.dropout.{yaml,yml,json}' },
      new ConfigCodeLens(controller),
    ),
    vscode.window.registerWebviewPanelSerializer(
      RUN_PANEL_VIEW_TYPE,
      new RunPanelSerializer(context.extensionUri, controller),
    ),
    ...registerCommands({ extensionUri: context.extensionUri, controller, diagnostics }),
  );
  void vscode.commands.executeCommand('setContext', 'dropoutLens.status', 'idle');
  const activateMs = performance.now() - started;
  const activation = { loadMs, activateMs, totalMs: loadMs + activateMs };
  log().info(`Activated: bundle evaluated in ${loadMs.toFixed(1)} ms, activate() took ${activateMs.toFixed(1)} ms`);
  return { controller, diagnostics, modelView, runsView, activation, runPanel: () => RunPanel.instance };
}

export function deactivate(): void {
  // Everything is in context.subscriptions; the running worker is stopped by RunController.dispose().
}
