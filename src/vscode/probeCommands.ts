/**
 * `Dropout Lens: Run Python File with Probe`: runs the active Python file in a terminal under the runtime probe
 * (python/dropout_lens, shipped in the extension) with the interpreter of `dropoutLens.python` (default: the
 * Python extension's selected interpreter, else python3), and follows the run's files into the run panel (its
 * dropout layers, masks and modes) and the Problems panel (the findings observed at run time, at their lines).
 * Files, not sockets: it works wherever the extension host reads the disk the script writes to.
 */
import { execFile } from 'node:child_process';
import { delimiter, isAbsolute, join } from 'node:path';
import * as vscode from 'vscode';
import { RULE_INFO } from '../analysis/rules';
import type { RuleId, Severity } from '../protocol/findings';
import { ProbeTail, newProbeRunId, probeFindings, probeSnapshot, type ProbeFinding } from '../runs';
import { log } from './log';
import type { RunController } from './runController';
import { RunPanel } from './runPanel';
import { workspaceRunStore } from './runRecorder';
import { diagnosticsSettings } from './settings';
import type { RunsView } from './runsView';

const POLL_MS = 500;
/** How long a run may stay without run.json (the interpreter never started the probe) before we say so. */
const START_TIMEOUT_MS = 30_000;

const SEVERITY: Record<Severity, vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  information: vscode.DiagnosticSeverity.Information,
  hint: vscode.DiagnosticSeverity.Hint,
};

/** The interpreter: the setting, else the Python extension's selected one, else python3. */
export async function probeInterpreter(resource: vscode.Uri): Promise<string> {
  const configured = vscode.workspace.getConfiguration('dropoutLens', resource).get<string>('python', '').trim();
  if (configured) return configured;
  try {
    const python = vscode.extensions.getExtension('ms-python.python');
    if (python) {
      const api = (python.isActive ? python.exports : await python.activate()) as
        | { environments?: { getActiveEnvironmentPath?(resource?: vscode.Uri): { path?: string } | undefined } }
        | undefined;
      const path = api?.environments?.getActiveEnvironmentPath?.(resource)?.path;
      if (path) return path;
    }
  } catch (error) {
    log().warn(`The Python extension did not name an interpreter: ${String(error)}`);
  }
  return 'python3';
}

/** Exits 0 when the interpreter is a Python 3 that can import torch (found without importing it: fast), 3 when not. */
const CHECK_TORCH =
  "import sys, importlib.util; sys.exit(0 if sys.version_info[0] >= 3 and importlib.util.find_spec('torch') else 3)";

/**
 * Why the interpreter cannot run the probe, before a terminal is opened for it: it does not exist, is not Python 3,
 * or has no torch. A bare name (python3) is left to the terminal's shell, whose PATH (an activated virtual
 * environment) may differ from the extension host's; its failure shows there.
 */
export function interpreterProblem(python: string): Promise<string | undefined> {
  if (!isAbsolute(python)) return Promise.resolve(undefined);
  return new Promise((done) => {
    execFile(python, ['-c', CHECK_TORCH], { timeout: 20_000 }, (error, _stdout, stderr) => {
      if (!error) return done(undefined);
      const code: unknown = (error as { code?: unknown }).code; // a spawn error's name, or the exit code
      if (code === 'ENOENT') done(`The Python interpreter ${python} does not exist: set dropoutLens.python.`);
      else if (code === 3)
        done(`PyTorch is not importable by ${python}: set dropoutLens.python to the interpreter your training uses.`);
      else
        done(
          `${python} is not a Python 3 interpreter that can run the probe (${(String(stderr).trim() || error.message).split('\n').slice(-1)[0]}): set dropoutLens.python.`,
        );
    });
  });
}

/** POSIX shell quoting (PowerShell and cmd take double quotes). */
function quote(arg: string): string {
  if (/^[\w@%+=:,./-]+$/.test(arg)) return arg;
  return process.platform === 'win32' ? `"${arg.replace(/"/g, '""')}"` : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** Follows one probe run folder into the panel and the Problems panel until the run ends. */
export class ProbeRunFollower implements vscode.Disposable {
  private readonly tail: ProbeTail;
  private timer: NodeJS.Timeout | undefined;
  private readonly started = Date.now();
  private readonly ended = new vscode.EventEmitter<{ status: string; message?: string }>();
  /** Fires with the run's final status (and, for a failed run, why: the traceback's last line). */
  readonly onDidEnd = this.ended.event;

  constructor(
    readonly folder: string,
    private readonly extensionUri: vscode.Uri,
    private readonly controller: RunController,
    private readonly diagnostics: vscode.DiagnosticCollection,
    follow: boolean,
  ) {
    this.tail = new ProbeTail(folder);
    this.update(true);
    if (follow) this.timer = setInterval(() => this.update(false), POLL_MS);
  }

  private update(first: boolean): void {
    const changed = this.tail.poll();
    const record = this.tail.record;
    if (!record) {
      if (this.timer && Date.now() - this.started > START_TIMEOUT_MS) {
        this.stop();
        void vscode.window.showErrorMessage(
          'The probe did not start: see the terminal. Is dropoutLens.python an interpreter with torch?',
        );
        this.ended.fire({ status: 'failed' });
      }
      return;
    }
    if (!changed && !first) return;
    const ranks = this.tail.ranks();
    RunPanel.createOrShow(this.extensionUri, this.controller).showSnapshot(probeSnapshot(record, ranks));
    setProbeDiagnostics(
      this.diagnostics,
      probeFindings(record, ranks),
      vscode.Uri.joinPath(this.extensionUri, 'README.md'),
    );
    if (record.status !== 'running' && this.timer) {
      this.stop();
      this.ended.fire({
        status: record.status,
        ...(record.message ? { message: record.message.trim().split('\n').slice(-1)[0] } : {}),
      });
    }
  }

  private stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  dispose(): void {
    this.stop();
    this.ended.dispose();
  }
}

const codeOf = (d: vscode.Diagnostic): string | undefined =>
  typeof d.code === 'object' ? String(d.code.value) : d.code === undefined ? undefined : String(d.code);

/**
 * Run-time findings in the Problems panel, under the user's rule switches and severities (dropoutLens.diagnostics);
 * a known rule's code links to its README section, as the static diagnostics do.
 */
export function setProbeDiagnostics(
  collection: vscode.DiagnosticCollection,
  findings: readonly ProbeFinding[],
  readme: vscode.Uri,
): void {
  const byFile = new Map<string, vscode.Diagnostic[]>();
  for (const f of findings) {
    const settings = diagnosticsSettings(vscode.Uri.file(f.file));
    const rule = f.rule as RuleId;
    if (settings.rules[rule] === false) continue;
    const line = Math.max(0, f.line - 1);
    const severity = settings.severities[rule] ?? RULE_INFO.get(rule)?.severity ?? 'warning';
    const rank = f.rank !== null && f.rank !== undefined ? ` (rank ${String(f.rank)})` : '';
    // The static analysis's finding of the same rule in the file, if it has one (the nearest to the line): the
    // run confirms it, as `dropout-lens probe` says.
    const uri = vscode.Uri.file(f.file);
    const confirmed = vscode.languages
      .getDiagnostics(uri)
      .filter((s) => s.source === 'dropout-lens' && codeOf(s) === f.rule)
      .sort((a, b) => Math.abs(a.range.start.line - line) - Math.abs(b.range.start.line - line))[0];
    const note = confirmed ? ` (confirms the static finding at line ${confirmed.range.start.line + 1})` : '';
    const d = new vscode.Diagnostic(
      new vscode.Range(line, 0, line, 10_000),
      f.message + rank + note,
      SEVERITY[severity],
    );
    if (confirmed)
      d.relatedInformation = [
        new vscode.DiagnosticRelatedInformation(new vscode.Location(uri, confirmed.range), 'the static finding'),
      ];
    d.source = 'Dropout Lens (run time)';
    d.code = RULE_INFO.has(rule) ? { value: f.rule, target: readme.with({ fragment: f.rule }) } : f.rule;
    const list = byFile.get(f.file) ?? [];
    list.push(d);
    byFile.set(f.file, list);
  }
  collection.clear();
  for (const [file, list] of byFile) collection.set(vscode.Uri.file(file), list);
}

export function registerProbeCommands(
  extensionUri: vscode.Uri,
  extensionPath: string,
  controller: RunController,
  runsView: RunsView,
): { disposables: vscode.Disposable[]; open: (folder: string) => void } {
  const diagnostics = vscode.languages.createDiagnosticCollection('dropoutLens.probe');
  let follower: ProbeRunFollower | undefined;
  const follow = (folder: string, live: boolean): ProbeRunFollower => {
    follower?.dispose();
    follower = new ProbeRunFollower(folder, extensionUri, controller, diagnostics, live);
    return follower;
  };
  const run = vscode.commands.registerCommand('dropoutLens.runPythonWithProbe', async (arg?: unknown) => {
    const uri = arg instanceof vscode.Uri ? arg : vscode.window.activeTextEditor?.document.uri;
    if (!uri || uri.scheme !== 'file' || !uri.fsPath.endsWith('.py')) {
      void vscode.window.showInformationMessage('Open a Python file to run it with the Dropout Lens probe.');
      return undefined;
    }
    const store = workspaceRunStore();
    const workspace = vscode.workspace.getWorkspaceFolder(uri) ?? vscode.workspace.workspaceFolders?.[0];
    if (!store || !workspace) {
      void vscode.window.showInformationMessage(
        'Running a script with the probe needs a trusted workspace folder (its runs are saved there).',
      );
      return undefined;
    }
    const document = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    if (document?.isDirty) await document.save();
    const python = await probeInterpreter(uri);
    const problem = await interpreterProblem(python);
    if (problem) {
      void vscode.window.showErrorMessage(problem, 'Open Settings').then((choice) => {
        if (choice) void vscode.commands.executeCommand('workbench.action.openSettings', 'dropoutLens.python');
      });
      return undefined;
    }
    const id = newProbeRunId();
    const runsFolder = store.folder;
    const folder = join(runsFolder, id);
    const pythonDir = join(extensionPath, 'python');
    const terminal = vscode.window.createTerminal({
      name: `Dropout Lens probe: ${vscode.workspace.asRelativePath(uri)}`,
      cwd: workspace.uri.fsPath,
      env: { PYTHONPATH: [pythonDir, process.env.PYTHONPATH].filter(Boolean).join(delimiter) },
    });
    terminal.show(true);
    const command = [python, '-m', 'dropout_lens', 'run', '--out', runsFolder, '--run-id', id, uri.fsPath];
    terminal.sendText(command.map(quote).join(' '), true);
    log().info(`Probe run ${id}: ${command.join(' ')}`);
    const f = follow(folder, true);
    f.onDidEnd(({ status, message }) => {
      runsView.refresh();
      const count = vscode.languages
        .getDiagnostics()
        .reduce((n, [, list]) => n + list.filter((d) => d.source === 'Dropout Lens (run time)').length, 0);
      const text = `Probe run of ${vscode.workspace.asRelativePath(uri)} ${status}: ${count} run-time finding${count === 1 ? '' : 's'}.`;
      if (status === 'failed') void vscode.window.showErrorMessage(message ? `${text} ${message}` : text);
      else void vscode.window.showInformationMessage(text);
    });
    return folder;
  });
  return {
    disposables: [run, diagnostics, { dispose: () => follower?.dispose() }],
    open: (folder: string) => {
      follow(folder, false);
    },
  };
}
