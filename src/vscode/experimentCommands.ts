/**
 * The experiment commands: each trains variants of the active config in parallel workers (cancellable, with
 * progress), saves the experiment as a run record as it goes, and answers with a report: charts and tables
 * in a Markdown preview, written beside the runs.
 */
import * as vscode from 'vscode';
import type { ExperimentOptions, ExperimentResult } from '../experiments';
import type { ModelSpec } from '../protocol/modelSpec';
import { checkRunsFolder, type RunKind, type RunWriter } from '../runs';
import { activeConfigUri, loadConfig } from './configFiles';
import { experimentsCore, reportsCore } from './lazyCores';
import { log } from './log';
import { workspaceRunStore } from './runRecorder';
import type { RunsView } from './runsView';
import { saveFailureReporter, warnSaving } from './saveWarnings';
import { trainingSettings } from './settings';

type Runner = (spec: ModelSpec, options: ExperimentOptions) => Promise<ExperimentResult>;

interface ExperimentCommand {
  id: string;
  kind: RunKind;
  title: string;
  run: Runner;
}

const EXPERIMENTS: ExperimentCommand[] = [
  {
    id: 'dropoutLens.compare',
    kind: 'compare',
    title: 'With vs without dropout',
    run: (spec, options) => experimentsCore().runCompareExperiment(spec, options),
  },
  {
    id: 'dropoutLens.sweep',
    kind: 'sweep',
    title: 'Dropout-rate sweep',
    run: (spec, options) =>
      experimentsCore().runSweepExperiment(spec, { ...options, rates: trainingSettings().sweepRates }),
  },
  {
    id: 'dropoutLens.datasetSweep',
    kind: 'dataset-sweep',
    title: 'Dataset-size sweep',
    run: (spec, options) => experimentsCore().runDatasetSweepExperiment(spec, options),
  },
  {
    id: 'dropoutLens.mcUncertainty',
    kind: 'mc',
    title: 'Monte Carlo dropout uncertainty',
    run: (spec, options) =>
      experimentsCore().runMcExperiment(spec, {
        ...options,
        samples: spec.evaluation.mcSamples ?? trainingSettings().mcSamples,
      }),
  },
  {
    id: 'dropoutLens.forgotEval',
    kind: 'forgot-eval',
    title: 'What forgetting eval() reports',
    run: (spec, options) => experimentsCore().runForgotEvalExperiment(spec, options),
  },
];

/** Options a test may pass as the command's second argument (e.g. fewer epochs). */
export interface ExperimentCommandOptions {
  epochs?: number;
  /** Seeds per point instead of `dropoutLens.experiments.seeds` (tests). */
  seeds?: number;
  /** Don't open the report preview (tests). */
  quiet?: boolean;
}

export function registerExperimentCommands(extensionPath: string, runsView: RunsView): vscode.Disposable[] {
  return EXPERIMENTS.map((experiment) =>
    vscode.commands.registerCommand(experiment.id, (uri?: vscode.Uri, options: ExperimentCommandOptions = {}) =>
      runExperiment(experiment, extensionPath, runsView, uri instanceof vscode.Uri ? uri : undefined, options),
    ),
  );
}

async function runExperiment(
  experiment: ExperimentCommand,
  extensionPath: string,
  runsView: RunsView,
  uri: vscode.Uri | undefined,
  commandOptions: ExperimentCommandOptions,
): Promise<ExperimentResult | undefined> {
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showWarningMessage('Dropout Lens runs experiments only in a trusted workspace.');
    return undefined;
  }
  const configUri = uri ?? activeConfigUri();
  if (!configUri) {
    void vscode.window
      .showInformationMessage(
        `${experiment.title} needs a model config: open a *.dropout.yaml file first.`,
        'New Model Config…',
      )
      .then((c) => c && vscode.commands.executeCommand('dropoutLens.newConfig'));
    return undefined;
  }
  // A CSV on disk goes by path: each engine worker streams it, the extension host holds no copy.
  const loaded = await loadConfig(configUri, { stream: true });
  if (!loaded.ok) {
    void vscode.window.showErrorMessage(loaded.message);
    return undefined;
  }
  const store = workspaceRunStore();
  let writer: RunWriter | undefined;
  // Before the trainings start: can the experiment be saved? If not, say why, and run it unsaved.
  const problem = store ? await checkRunsFolder(store.folder) : undefined;
  if (problem) {
    log().warn(`${experiment.title} will not be saved: ${problem.message}`);
    warnSaving(`${experiment.title} will not be saved: ${problem.message}`);
  } else {
    try {
      writer = await store?.create({
        kind: experiment.kind,
        spec: loaded.spec,
        config: { name: loaded.spec.name, path: vscode.workspace.asRelativePath(configUri) },
        onError: saveFailureReporter(`the ${experiment.title.toLowerCase()} experiment`),
      });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      log().warn(`${experiment.title} will not be saved: ${message}`);
      warnSaving(`${experiment.title} will not be saved: ${message}`);
    }
  }
  const settings = trainingSettings();
  let result: ExperimentResult;
  try {
    result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Dropout Lens: ${experiment.title}`, cancellable: true },
      async (progress, token) => {
        const abort = new AbortController();
        token.onCancellationRequested(() => abort.abort());
        let reported = 0;
        return experiment.run(loaded.spec, {
          root: extensionPath,
          signal: abort.signal,
          ...(loaded.csvBytes !== undefined ? { csvText: new TextDecoder().decode(loaded.csvBytes) } : {}),
          ...(loaded.csvPath !== undefined ? { csvPath: loaded.csvPath } : {}),
          ...(settings.maxParallelRuns > 0 ? { maxParallel: settings.maxParallelRuns } : {}),
          seeds: commandOptions.seeds ?? settings.seeds,
          ...(writer ? { writer } : {}),
          ...(commandOptions.epochs !== undefined ? { epochs: commandOptions.epochs } : {}),
          onProgress: (p) => {
            const percent = 100 * p.fraction;
            progress.report({
              message: `${p.message} (${p.completedRuns}/${p.totalRuns} trainings)`,
              increment: percent - reported,
            });
            reported = percent;
          },
        });
      },
    );
  } finally {
    // Saved only once the final record is on disk (and the heartbeat stops even if the experiment threw).
    const outcome = await writer?.close();
    if (outcome && !outcome.saved) {
      log().error(`${experiment.title} was not saved: ${outcome.error.message}`);
      warnSaving(`${experiment.title} was not saved: ${outcome.error.message}`);
    }
  }
  runsView.refresh();
  log().info(
    `${experiment.title} on ${loaded.spec.name}: ${result.status}${result.message ? ` (${result.message})` : ''}`,
  );
  let reportUri: vscode.Uri | undefined;
  try {
    reportUri = await writeReport(result, writer?.id ?? `${experiment.kind}-${Date.now()}`);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    log().error(`Cannot write the report of ${experiment.title}: ${message}`);
    warnSaving(`cannot write the report of ${experiment.title}: ${message}`);
  }
  if (!commandOptions.quiet && reportUri) await vscode.commands.executeCommand('markdown.showPreview', reportUri);
  if (result.status === 'failed')
    void vscode.window.showErrorMessage(`${experiment.title} failed: ${result.message ?? 'see the Dropout Lens log'}`);
  return result;
}

async function writeReport(result: ExperimentResult, id: string): Promise<vscode.Uri | undefined> {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  if (!folder) return undefined;
  // Reports sit beside the runs folder, not in it: the runs folder holds run records only.
  const reports = vscode.Uri.joinPath(folder, trainingSettings().runsFolder, '..', 'reports');
  const report = reportsCore().experimentReport(result, id);
  const encode = (text: string) => new TextEncoder().encode(text);
  for (const chart of report.charts)
    await vscode.workspace.fs.writeFile(vscode.Uri.joinPath(reports, chart.name), encode(chart.text));
  const uri = vscode.Uri.joinPath(reports, `${id}.md`);
  await vscode.workspace.fs.writeFile(uri, encode(report.markdown));
  return uri;
}
