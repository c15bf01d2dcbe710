/**
 * Analysis benchmark: a generated 5,000-line Python file analysed cold (target < 50 ms) and re-analysed
 * after one-line edits through a DocumentAnalyzer (incremental parse and per-definition reuse of the
 * rule passes; target < 50 ms), the extension host's longest stall while the file is analysed in the
 * analysis worker (target < 20 ms), and a generated 500-file workspace linted from disk (target < 5 s).
 * Text by default, JSON lines with --json. The dated measurements are in ./README.md.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { analyzeDocument, DocumentAnalyzer } from '../../src/analysis';
import type { NotebookCell } from '../../src/analysis/notebook/cells';
import { moduleEdit, notebookModule } from '../../src/analysis/notebook/module';
import { placeInCells } from '../../src/analysis/notebook/placement';
import { runLint } from '../../src/cli/lint';
import { AnalysisWorker, locateAnalysisWorker } from '../../src/session/analysisWorker';

export interface AnalysisBenchOptions {
  json: boolean;
  write?: (text: string) => void;
}

export interface AnalysisBenchRecord {
  benchmark: string;
  lines?: number;
  files?: number;
  findings?: number;
  medianMs: number;
  targetMs: number;
  pass: boolean;
}

function chunk(i: number): string {
  return `
class Net${i}(nn.Module):
    """Model ${i}."""

    def __init__(self, n_in=${8 + (i % 5)}, hidden=64, n_out=2):
        super().__init__()
        self.fc1 = nn.Linear(n_in, hidden)
        self.bn = nn.BatchNorm1d(hidden)
        self.drop = nn.Dropout(0.${(i % 5) + 1})
        self.fc2 = nn.Linear(hidden, n_out)

    def forward(self, x):
        x = F.relu(self.bn(self.fc1(x)))
        x = F.dropout(x, 0.1, training=self.training)
        x = self.drop(x)
        return self.fc2(x)


def evaluate_${i}(model, loader):
    model.eval()
    correct = 0
    with torch.no_grad():
        for xb, yb in loader:
            correct += (model(xb).argmax(1) == yb).sum().item()
    return correct / max(1, len(loader))


def fit_${i}(train_loader, val_loader, epochs=10):
    model = Net${i}()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    for epoch in range(epochs):
        model.train()
        for xb, yb in train_loader:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            optimizer.step()
        acc = evaluate_${i}(model, val_loader)
        print(epoch, acc)
    with torch.no_grad():
        for xb, yb in val_loader:
            model(xb)  # train mode here: missing-eval
    return model
`;
}

export function generatePython(lines: number): string {
  let out = 'import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n';
  let i = 0;
  while (out.split('\n').length < lines) out += chunk(i++);
  return out.split('\n').slice(0, lines).join('\n') + '\n';
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

const KERAS_JSON = JSON.stringify(
  {
    class_name: 'Sequential',
    config: {
      name: 's',
      layers: [
        { class_name: 'Dense', config: { name: 'd', units: 8 } },
        { class_name: 'Dropout', config: { name: 'x', rate: 0.5 } },
        { class_name: 'Dense', config: { name: 'o', units: 2 } },
      ],
    },
  },
  null,
  2,
);
const CONFIG =
  'data:\n  generator: moons\n  samples: 200\nmodel:\n  layers:\n    - dense: 32\n    - dropout: 0.3\n    - dense: 2\ntraining:\n  epochs: 20\n';

export async function runAnalysisBench(opts: AnalysisBenchOptions): Promise<AnalysisBenchRecord[]> {
  const write = opts.write ?? ((t: string) => void process.stdout.write(t));
  const records: AnalysisBenchRecord[] = [];
  const emit = (r: AnalysisBenchRecord, text: string): void => {
    records.push(r);
    write(opts.json ? JSON.stringify(r) + '\n' : text);
  };
  if (!opts.json) write('Analysis benchmark (medians; timings are noisy when other processes share the cores).\n');

  // 1. One 5,000-line Python file.
  const big = generatePython(5000);
  for (let i = 0; i < 3; i++) analyzeDocument(big, 'big.py'); // warm up
  const times: number[] = [];
  let findings = 0;
  for (let i = 0; i < 15; i++) {
    const t = performance.now();
    findings = analyzeDocument(big, 'big.py').length;
    times.push(performance.now() - t);
  }
  const fileMs = median(times);
  emit(
    {
      benchmark: 'python-5000-lines',
      lines: 5000,
      findings,
      medianMs: Number(fileMs.toFixed(2)),
      targetMs: 50,
      pass: fileMs < 50,
    },
    `  5,000-line Python file, cold: ${fileMs.toFixed(1)} ms (target < 50 ms) ${fileMs < 50 ? 'PASS' : 'FAIL'}, ${findings} findings\n`,
  );

  // 1b. The same file while typing: a one-line edit (a new line, then its removal) at a random line,
  // re-analysed through a DocumentAnalyzer (incremental parse from the previous tree, then the rules).
  const analyzer = new DocumentAnalyzer('big.py');
  let text = big;
  analyzer.analyze(text);
  const lineStarts: number[] = [];
  for (let at = 0; at < big.length;) {
    const end = big.indexOf('\n', at);
    const line = big.slice(at, end < 0 ? big.length : end);
    if (line.trim() !== '') lineStarts.push(at);
    at = end < 0 ? big.length : end + 1;
  }
  let seed = 7;
  const rand = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const edit = (): { at: number; insert: string } => {
    const at = lineStarts[Math.floor(rand() * lineStarts.length)] ?? 0;
    let indent = 0;
    while (big.charCodeAt(at + indent) === 32) indent++;
    return { at, insert: `${' '.repeat(indent)}edited = 1\n` };
  };
  const incTimes: number[] = [];
  const parseTimes: number[] = [];
  let reused = 0;
  for (let i = 0; i < 40; i++) {
    const { at, insert } = edit();
    for (const change of [
      { rangeOffset: at, rangeLength: 0, text: insert },
      { rangeOffset: at, rangeLength: insert.length, text: '' },
    ]) {
      text = text.slice(0, change.rangeOffset) + change.text + text.slice(change.rangeOffset + change.rangeLength);
      const t = performance.now();
      analyzer.edit([change]);
      analyzer.analyze(text);
      if (i >= 4) {
        incTimes.push(performance.now() - t);
        parseTimes.push(analyzer.lastParse!.parseMs);
        reused += analyzer.lastParse!.reusedChars / analyzer.lastParse!.length / 72;
      }
    }
  }
  const incMs = median(incTimes);
  const incParseMs = median(parseTimes);
  emit(
    {
      benchmark: 'python-5000-lines-one-line-edit',
      lines: 5000,
      medianMs: Number(incMs.toFixed(2)),
      targetMs: 50,
      pass: incMs < 50,
    },
    `  5,000-line Python file, one-line edit (incremental): ${incMs.toFixed(1)} ms (target < 50 ms) ${incMs < 50 ? 'PASS' : 'FAIL'}; reparse ${incParseMs.toFixed(1)} ms, ${(100 * reused).toFixed(1)}% of the tree reused\n`,
  );

  // 1c. What the extension host feels while the big file is analysed cold: in process, the whole analysis
  // blocks its event loop; in the analysis worker (as the extension runs it), only the message passing does.
  const hostStall = async (analyse: () => Promise<unknown>): Promise<number> => {
    let last = performance.now();
    let worst = 0;
    const timer = setInterval(() => {
      const now = performance.now();
      worst = Math.max(worst, now - last);
      last = now;
    }, 1);
    await new Promise((r) => setTimeout(r, 5));
    last = performance.now();
    await analyse();
    await new Promise((r) => setTimeout(r, 5));
    clearInterval(timer);
    return Math.max(worst, performance.now() - last);
  };
  const worker = new AnalysisWorker(locateAnalysisWorker(resolve(__dirname, '..', '..')));
  const inProcessStalls: number[] = [];
  const workerStalls: number[] = [];
  try {
    const viaWorker = await worker.analyze({ fileName: 'big.py', text: big });
    if (viaWorker.length !== findings)
      throw new Error(`the analysis worker found ${viaWorker.length} findings, in process ${findings}`);
    for (let i = 0; i < 7; i++) {
      inProcessStalls.push(await hostStall(async () => analyzeDocument(big, 'big.py')));
      workerStalls.push(await hostStall(() => worker.analyze({ fileName: 'big.py', text: big })));
    }
  } finally {
    await worker.dispose();
  }
  const stallMs = median(workerStalls);
  emit(
    {
      benchmark: 'python-5000-lines-host-stall',
      lines: 5000,
      medianMs: Number(stallMs.toFixed(2)),
      targetMs: 20,
      pass: stallMs < 20,
    },
    `  5,000-line Python file, cold, the extension host's longest stall: ${stallMs.toFixed(1)} ms in the analysis worker (target < 20 ms) ${stallMs < 20 ? 'PASS' : 'FAIL'}, ${median(inProcessStalls).toFixed(1)} ms in process\n`,
  );

  // 1d. A 200-cell notebook: its code cells as one module, cold, then a one-cell edit through the incremental
  // analyzer, as the editor runs it (the module diffed into one edit, the findings placed in their cells).
  const cells: NotebookCell[] = [
    {
      kind: 'code',
      source: '%matplotlib inline\nimport torch\nimport torch.nn as nn\nimport torch.nn.functional as F',
      executionCount: null,
    },
  ];
  for (let i = 0; cells.length < 200; i++) {
    cells.push({ kind: 'markdown', source: `## Model ${i}`, executionCount: null });
    cells.push({ kind: 'code', source: chunk(i).trim(), executionCount: null });
  }
  const coldNotebook: number[] = [];
  let notebookFindings = 0;
  for (let i = 0; i < 7; i++) {
    const t = performance.now();
    const module = notebookModule(cells);
    notebookFindings = placeInCells(module, analyzeDocument(module.text, 'nb.py')).length;
    coldNotebook.push(performance.now() - t);
  }
  const nbAnalyzer = new DocumentAnalyzer('nb.py');
  let nbText = notebookModule(cells).text;
  nbAnalyzer.analyze(nbText);
  const cellEdits: number[] = [];
  for (let i = 0; i < 40; i++) {
    const at = 2 * (1 + Math.floor(rand() * 99));
    const cell = cells[at];
    if (!cell) continue;
    for (const source of [`${cell.source}\nedited = ${i}`, cell.source]) {
      const edited = cells.map((c, j) => (j === at ? { ...c, source } : c));
      const t = performance.now();
      const module = notebookModule(edited);
      nbAnalyzer.edit([moduleEdit(nbText, module.text)]);
      placeInCells(module, nbAnalyzer.analyze(module.text));
      nbText = module.text;
      if (i >= 4) cellEdits.push(performance.now() - t);
    }
  }
  const coldNbMs = median(coldNotebook);
  const cellEditMs = median(cellEdits);
  emit(
    {
      benchmark: 'notebook-200-cells',
      lines: nbText.split('\n').length,
      findings: notebookFindings,
      medianMs: Number(coldNbMs.toFixed(2)),
      targetMs: 250,
      pass: coldNbMs < 250,
    },
    `  200-cell notebook, cold: ${coldNbMs.toFixed(1)} ms (target < 250 ms) ${coldNbMs < 250 ? 'PASS' : 'FAIL'}, ${notebookFindings} findings\n`,
  );
  emit(
    {
      benchmark: 'notebook-200-cells-one-cell-edit',
      lines: nbText.split('\n').length,
      medianMs: Number(cellEditMs.toFixed(2)),
      targetMs: 50,
      pass: cellEditMs < 50,
    },
    `  200-cell notebook, one-cell edit (incremental): ${cellEditMs.toFixed(1)} ms (target < 50 ms) ${cellEditMs < 50 ? 'PASS' : 'FAIL'}\n`,
  );

  // 2. A 500-file workspace: 400 Python files (~150 lines), 50 configs, 50 Keras JSON files.
  const dir = mkdtempSync(join(tmpdir(), 'dropout-lens-bench-'));
  try {
    const py = generatePython(150);
    for (let i = 0; i < 500; i++) {
      const sub = join(dir, `pkg${i % 10}`);
      if (i < 10) {
        const { mkdirSync } = await import('node:fs');
        mkdirSync(sub, { recursive: true });
      }
      if (i % 10 < 8) writeFileSync(join(sub, `mod${i}.py`), py);
      else if (i % 10 === 8) writeFileSync(join(sub, `cfg${i}.dropout.yaml`), CONFIG);
      else writeFileSync(join(sub, `model${i}.json`), KERAS_JSON);
    }
    const silent = { stdout: () => undefined, stderr: () => undefined };
    await runLint([dir], silent); // warm up the file cache
    const wsTimes: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t = performance.now();
      await runLint([dir, '--format', 'json'], silent);
      wsTimes.push(performance.now() - t);
    }
    const wsMs = median(wsTimes);
    emit(
      {
        benchmark: 'workspace-500-files',
        files: 500,
        medianMs: Number(wsMs.toFixed(1)),
        targetMs: 5000,
        pass: wsMs < 5000,
      },
      `  500-file workspace (lint from disk): ${(wsMs / 1000).toFixed(2)} s (target < 5 s) ${wsMs < 5000 ? 'PASS' : 'FAIL'}\n`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return records;
}
