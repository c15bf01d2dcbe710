// `Run Python File with Probe` for real: the extension runs the example in a terminal under the runtime probe
// (python/dropout_lens on Debian's torch, /usr/bin/python3), tails the run's files, and the run panel is sent the
// script's dropout layers, masks and modes while the Problems panel gets the run-time finding at its line.
import * as assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { EngineEvent, LayerMask } from '../../../src/protocol/engine';
import type { HostToPanelMessage, PanelSnapshot } from '../../../src/protocol/webview';
import { api, ruleOf, waitFor, workspaceFile } from './helpers';

/** The interpreter with torch: Debian's python3-torch, which the project's set-up installs. */
const PYTHON = '/usr/bin/python3';
const RUN_TIME = 'Dropout Lens (run time)';

const runTimeDiagnostics = (uri: vscode.Uri) =>
  vscode.languages.getDiagnostics(uri).filter((d) => d.source === RUN_TIME);

/** The 0-based line of the file's first line containing `text`. */
function lineOf(document: vscode.TextDocument, text: string): number {
  for (let i = 0; i < document.lineCount; i++) if (document.lineAt(i).text.includes(text)) return i;
  throw new Error(`no line of ${path.basename(document.uri.fsPath)} contains ${text}`);
}

/** Runs `body` with vscode.window.showErrorMessage recording its messages instead of showing them. */
async function capturingErrors<T>(body: (errors: string[]) => Promise<T>): Promise<T> {
  const window = vscode.window as { showErrorMessage: (message: string, ...items: string[]) => Thenable<unknown> };
  const original = window.showErrorMessage;
  const errors: string[] = [];
  window.showErrorMessage = (message: string) => {
    errors.push(message);
    return Promise.resolve(undefined);
  };
  try {
    return await body(errors);
  } finally {
    window.showErrorMessage = original;
  }
}

const setPython = (value: string | undefined) =>
  vscode.workspace.getConfiguration('dropoutLens').update('python', value, vscode.ConfigurationTarget.Workspace);

/** Runs the example with the probe and waits until the panel was sent the run's final snapshot. */
async function runWithProbe(...segments: string[]): Promise<{
  document: vscode.TextDocument;
  folder: string;
  snapshot: PanelSnapshot;
}> {
  const { runPanel } = await api();
  const document = await vscode.workspace.openTextDocument(workspaceFile(...segments));
  await vscode.window.showTextDocument(document);
  const folder = await vscode.commands.executeCommand<string | undefined>('dropoutLens.runPythonWithProbe');
  assert.ok(folder, 'the command returned no run folder');
  const id = path.basename(folder);
  const panel = await waitFor('the run panel', () => runPanel(), 30_000);
  await waitFor('the panel to say ready', () => panel.received.some((m) => m.type === 'ready'), 30_000);
  const snapshot = await waitFor(
    `the panel to be sent the finished probe run ${id}`,
    () =>
      panel.sent
        .filter((m): m is Extract<HostToPanelMessage, { type: 'snapshot' }> => m.type === 'snapshot')
        .map((m) => m.snapshot)
        .find((s) => s.runId === id && s.status !== 'running'),
    90_000,
  );
  assert.deepEqual(panel.rejected, []);
  return { document, folder, snapshot };
}

function masksOf(snapshot: PanelSnapshot, layer: number): LayerMask[] {
  return (snapshot.recent ?? [])
    .filter((e): e is Extract<EngineEvent, { type: 'masks' }> => e.type === 'masks')
    .flatMap((e) => e.layers.filter((m) => m.layer === layer));
}

suite('Runtime probe in VS Code', () => {
  suiteSetup(async () => {
    await api();
    // The test workspace's own settings, as a user would set them (.vscode/settings.json of the copy of examples/).
    await setPython(PYTHON);
  });

  suiteTeardown(async () => {
    await setPython(undefined);
  });

  test('Run Python File with Probe on missing_eval.py: its layer, masks and mode in the panel, missing-eval at the validation line', async () => {
    const { runsView } = await api();
    // The static analysis has flagged the validation line already (the workspace scan).
    const uri = workspaceFile('pytorch', 'probe', 'missing_eval.py');
    const statically = await waitFor('the static missing-eval diagnostic', () =>
      vscode.languages.getDiagnostics(uri).find((d) => d.source === 'dropout-lens' && ruleOf(d) === 'missing-eval'),
    );
    const { document, folder, snapshot } = await runWithProbe('pytorch', 'probe', 'missing_eval.py');

    // The script's one dropout, nn.Sequential's module "2", p=0.5, last seen in train mode (eval() was forgotten).
    assert.equal(snapshot.status, 'completed', snapshot.message);
    assert.equal(snapshot.name, 'missing_eval.py (probe run)');
    assert.equal(snapshot.source, 'probe', 'drawn as a recording: no run controls, modes not switches');
    assert.deepEqual(
      snapshot.layers.map((l) => ({ name: l.name, rate: l.rate, mode: l.mode, type: l.spec.type })),
      [{ name: '2', rate: 0.5, mode: 'train', type: 'dropout' }],
    );
    assert.equal(snapshot.step, 16, '2 epochs of 8 optimizer steps');
    assert.match(snapshot.message ?? '', /Recorded 1 dropout layer over 16 steps/);

    // Masks of sampled steps: 64-unit slices of the first sample, dropping about half of them.
    const masks = masksOf(snapshot, 0);
    assert.ok(masks.length >= 2, `only ${masks.length} sampled masks`);
    for (const m of masks) {
      assert.equal(m.units, 64);
      assert.equal(m.rate, 0.5);
      assert.ok(m.realizedDropFraction > 0.2 && m.realizedDropFraction < 0.8, String(m.realizedDropFraction));
      let kept = 0;
      for (let i = 0; i < m.units; i++) if ((m.bits[i >> 3]! >> (i & 7)) & 1) kept++;
      assert.ok(kept > 0 && kept < m.units, `a mask that keeps ${kept} of ${m.units} units`);
    }

    // The Problems panel: missing-eval observed at run time, at the validation forward `model(xv)`.
    const validation = lineOf(document, 'model(xv)');
    const finding = await waitFor('the run-time missing-eval diagnostic', () =>
      runTimeDiagnostics(document.uri).find((d) => ruleOf(d) === 'missing-eval'),
    );
    assert.equal(finding.range.start.line, validation);
    const code = finding.code as { value: string; target: vscode.Uri };
    assert.equal(code.target.fragment, 'missing-eval', 'the code links to the rule in the README');
    assert.match(finding.message, /^observed at run time: a forward under no_grad .* ran with dropout in train mode/);
    // Under the static rule's id and default severity, and it confirms the static finding at the same line.
    assert.equal(finding.severity, vscode.DiagnosticSeverity.Error);
    assert.equal(statically.range.start.line, validation);
    assert.match(finding.message, new RegExp(`\\(confirms the static finding at line ${validation + 1}\\)$`));
    assert.deepEqual(
      finding.relatedInformation?.map((r) => [r.location.uri.toString(), r.location.range.start.line, r.message]),
      [[uri.toString(), validation, 'the static finding']],
    );
    assert.equal(runTimeDiagnostics(document.uri).length, 1, 'one run-time finding');

    // The run is an ordinary run on disk, marked completed.
    const record = JSON.parse(
      new TextDecoder().decode(await vscode.workspace.fs.readFile(vscode.Uri.file(path.join(folder, 'run.json')))),
    ) as { kind: string; status: string; probe: { python: string } };
    assert.equal(record.kind, 'probe');
    assert.equal(record.status, 'completed');
    assert.equal(record.probe.python, PYTHON);
    const listed = (await runsView.getChildren()).find((n) => n.kind === 'run' && n.entry.id === path.basename(folder));
    assert.ok(listed, 'the Runs view lists the probe run');
  });

  test('Run Python File with Probe on train_clean.py: two layers that end in eval mode, and no run-time finding', async () => {
    const { document, snapshot } = await runWithProbe('pytorch', 'probe', 'train_clean.py');
    assert.equal(snapshot.status, 'completed', snapshot.message);
    // Both dropouts of MLP.net by module name; the last forward was the validation, in eval mode.
    assert.deepEqual(
      snapshot.layers.map((l) => ({ name: l.name, rate: l.rate, mode: l.mode })),
      [
        { name: 'net.3', rate: 0.3, mode: 'eval' },
        { name: 'net.5', rate: 0.3, mode: 'eval' },
      ],
    );
    assert.equal(snapshot.step, 48, '3 epochs of 16 optimizer steps');
    for (const layer of [0, 1]) assert.ok(masksOf(snapshot, layer).length >= 2, `masks of layer ${layer}`);
    // The finding of the previous run was on another file; this run replaced the run-time diagnostics.
    assert.deepEqual(runTimeDiagnostics(document.uri), []);
    assert.deepEqual(runTimeDiagnostics(workspaceFile('pytorch', 'probe', 'missing_eval.py')), []);
  });

  test('Open a Previous Run replays a finished probe run: the same layers in the panel, its finding back in Problems', async () => {
    const { runPanel, runsView } = await api();
    const runs = (await runsView.getChildren()).flatMap((n) => (n.kind === 'run' ? [n.entry] : []));
    const earlier = runs.find((r) => r.kind === 'probe' && r.name === 'missing_eval.py');
    assert.ok(earlier, `no probe run of missing_eval.py among ${runs.map((r) => r.name).join(', ')}`);
    const panel = runPanel();
    assert.ok(panel, 'the panel of the earlier tests');
    panel.sent.splice(0); // what the panel is sent from here on (the earlier run's snapshots have its id too)
    assert.equal(await vscode.commands.executeCommand('dropoutLens.openRun', earlier.id), earlier.id);
    const replayed = await waitFor('the replayed snapshot', () =>
      panel.sent.flatMap((m) => (m.type === 'snapshot' && m.snapshot.runId === earlier.id ? [m.snapshot] : [])).at(-1),
    );
    assert.deepEqual(
      replayed.layers.map((l) => ({ name: l.name, rate: l.rate, mode: l.mode })),
      [{ name: '2', rate: 0.5, mode: 'train' }],
    );
    assert.ok(masksOf(replayed, 0).length >= 2);
    const uri = workspaceFile('pytorch', 'probe', 'missing_eval.py');
    const finding = await waitFor('the replayed finding', () =>
      runTimeDiagnostics(uri).find((d) => ruleOf(d) === 'missing-eval'),
    );
    const document = await vscode.workspace.openTextDocument(uri);
    assert.equal(finding.range.start.line, lineOf(document, 'model(xv)'));
  });
  test('a run is followed live: the panel is sent running snapshots with layers and masks before the finished one', async () => {
    const script = workspaceFile('pytorch', 'probe', 'slow_for_test.py');
    await vscode.workspace.fs.writeFile(
      script,
      new TextEncoder().encode(
        [
          'import time',
          'import torch',
          'import torch.nn as nn',
          '',
          'torch.manual_seed(0)',
          'model = nn.Sequential(nn.Linear(8, 64), nn.ReLU(), nn.Dropout(0.4), nn.Linear(64, 2))',
          'optimizer = torch.optim.SGD(model.parameters(), lr=0.05)',
          'for step in range(30):  # about 3 s: several polls of the run folder',
          '    optimizer.zero_grad()',
          '    model(torch.randn(16, 8)).sum().backward()',
          '    optimizer.step()',
          '    time.sleep(0.1)',
          '',
        ].join('\n'),
      ),
    );
    try {
      const { runPanel } = await api();
      const { folder, snapshot } = await runWithProbe('pytorch', 'probe', 'slow_for_test.py');
      assert.equal(snapshot.status, 'completed');
      assert.equal(snapshot.step, 30);
      const id = path.basename(folder);
      const live = runPanel()!
        .sent.flatMap((m) => (m.type === 'snapshot' && m.snapshot.runId === id ? [m.snapshot] : []))
        .filter((s) => s.status === 'running');
      assert.ok(live.length >= 2, `${live.length} running snapshot(s) sent while the script ran`);
      const last = live.at(-1)!;
      assert.deepEqual(
        last.layers.map((l) => [l.name, l.rate, l.mode]),
        [['2', 0.4, 'train']],
      );
      assert.ok(masksOf(last, 0).length > 0, 'masks while it runs');
      assert.match(last.message ?? '', /^Recording 1 dropout layer over \d+ steps/);
      const steps = live.map((s) => s.step);
      assert.ok(steps.at(-1)! > steps[0]! && steps.at(-1)! < 30, `steps while running: ${steps.join(', ')}`);
    } finally {
      await vscode.workspace.fs.delete(script).then(undefined, () => undefined);
    }
  });

  test('a script that raises: its run is failed with the traceback, in the panel and in an error message', async () => {
    const script = workspaceFile('pytorch', 'probe', 'raises_for_test.py');
    await vscode.workspace.fs.writeFile(
      script,
      new TextEncoder().encode(
        [
          'import torch',
          'import torch.nn as nn',
          '',
          'model = nn.Sequential(nn.Linear(4, 8), nn.Dropout(0.2), nn.Linear(8, 1))',
          'model(torch.randn(2, 4)).sum().backward()',
          'raise ValueError("diverged on purpose")',
          '',
        ].join('\n'),
      ),
    );
    try {
      await capturingErrors(async (errors) => {
        const { snapshot } = await runWithProbe('pytorch', 'probe', 'raises_for_test.py');
        assert.equal(snapshot.status, 'failed');
        assert.match(snapshot.message ?? '', /ValueError: diverged on purpose/);
        assert.deepEqual(
          snapshot.layers.map((l) => l.name),
          ['1'],
        );
        const shown = await waitFor('the error message', () =>
          errors.find((e) => /raises_for_test\.py failed/.test(e)),
        );
        assert.match(shown, /ValueError: diverged on purpose/);
      });
    } finally {
      await vscode.workspace.fs.delete(script).then(undefined, () => undefined);
    }
  });

  test('an interpreter without torch, or one that does not exist, is refused with a clear message and no terminal', async () => {
    // A real Python 3 whose site-packages (Debian's torch among them) are switched off.
    const dir = mkdtempSync(path.join(tmpdir(), 'dropout-lens-python-'));
    const noTorch = path.join(dir, 'python-without-torch');
    writeFileSync(noTorch, `#!/bin/sh\nexec ${PYTHON} -S "$@"\n`);
    chmodSync(noTorch, 0o755);
    const document = await vscode.workspace.openTextDocument(workspaceFile('pytorch', 'probe', 'missing_eval.py'));
    await vscode.window.showTextDocument(document);
    const terminals = vscode.window.terminals.length;
    try {
      await capturingErrors(async (errors) => {
        await setPython(noTorch);
        assert.equal(await vscode.commands.executeCommand('dropoutLens.runPythonWithProbe'), undefined);
        assert.deepEqual(errors, [
          `PyTorch is not importable by ${noTorch}: set dropoutLens.python to the interpreter your training uses.`,
        ]);
        const missing = path.join(dir, 'no-such-python');
        await setPython(missing);
        assert.equal(await vscode.commands.executeCommand('dropoutLens.runPythonWithProbe'), undefined);
        assert.equal(errors[1], `The Python interpreter ${missing} does not exist: set dropoutLens.python.`);
      });
      assert.equal(vscode.window.terminals.length, terminals, 'no terminal was opened');
    } finally {
      await setPython(PYTHON);
    }
  });
});
