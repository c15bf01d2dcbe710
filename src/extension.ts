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
  /** Milliseconds from the bundle's first line to the end of activate(), measured by the extension itself. */
  readonly activationMs: number;
  /** The CPU time of the same span: what activation costs, whatever else the machine was doing meanwhile. */
  readonly activationCpuMs: number;
}

const ANALYZED_DOCUMENTS: vscode.DocumentSelector = [
  { language: 'python' },
  { language: 'json' },
  { language: 'jsonc' },
  { language: 'yaml' },
  { pattern: '**/*.dropout.{yaml,yml,json}' },
];

export function activate(context: vscode.ExtensionContext): DropoutLensApi {
  // From the first line of the bundle (a webpack banner) when bundled, so module loading counts too.
  const marks = globalThis as { __dropoutLensLoadStart?: number; __dropoutLensCpuStart?: NodeJS.CpuUsage };
  const started = marks.__dropoutLensLoadStart ?? performance.now();
  const cpuStarted = marks.__dropoutLensCpuStart ?? process.cpuUsage();
  const readme = vscode.Uri.joinPath(context.extensionUri, 'README.md');
  const controller = new RunController(context.extensionPath);
  const diagnostics = new DiagnosticsController(readme);
  const modelView = new ModelView(controller);
  const recorder = new RunRecorder(controller);
  const runsView = new RunsView(recorder);
  context.subscriptions.push(
    controller,
    diagnostics,
    modelView,
    recorder,
    runsView,
    new TrainingStatusBar(controller),
    vscode.window.createTreeView('dropoutLens.model', { treeDataProvider: modelView, showCollapseAll: false }),
    vscode.window.createTreeView('dropoutLens.runs', { treeDataProvider: runsView }),
    ...registerRunCommands(context.extensionUri, controller, runsView),
    ...registerExperimentCommands(context.extensionPath, runsView),
    vscode.languages.registerCodeActionsProvider(ANALYZED_DOCUMENTS, new DropoutQuickFixes(diagnostics), DropoutQuickFixes.metadata),
    vscode.languages.registerCodeLensProvider({ pattern: '**/*.dropout.{yaml,yml,json}' }, new ConfigCodeLens(controller)),
    vscode.window.registerWebviewPanelSerializer(RUN_PANEL_VIEW_TYPE, new RunPanelSerializer(context.extensionUri, controller)),
    ...registerCommands({ extensionUri: context.extensionUri, controller, diagnostics }),
  );
  void vscode.commands.executeCommand('setContext', 'dropoutLens.status', 'idle');
  const activationMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuStarted);
  const activationCpuMs = (cpu.user + cpu.system) / 1000;
  log().info(`Activated in ${activationMs.toFixed(1)} ms (${activationCpuMs.toFixed(1)} ms of CPU)`);
  return { controller, diagnostics, modelView, runsView, activationMs, activationCpuMs, runPanel: () => RunPanel.instance };
}

export function deactivate(): void {
  // Everything is in context.subscriptions; the running worker is stopped by RunController.dispose().
}
