import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeNotebook, notebookModule, readNotebook } from '../../../src/analysis/notebook';

type Cell = { type: 'code' | 'markdown'; src: string };

/** An nbformat 4 notebook, with each cell's source as a list of lines the way Jupyter saves it. */
function notebook(cells: Cell[]): string {
  return JSON.stringify({
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {},
    cells: cells.map((c) => ({
      cell_type: c.type,
      metadata: {},
      source: c.src.split(/(?<=\n)/),
      ...(c.type === 'code' ? { execution_count: null, outputs: [] } : {}),
    })),
  });
}

const MODEL = `import torch
import torch.nn as nn

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Dropout(0.3), nn.Linear(16, 2))

    def forward(self, x):
        return self.body(x)

net = Net()
opt = torch.optim.Adam(net.parameters())
`;
const TRAIN = `for xb, yb in train_loader:
    opt.zero_grad()
    nn.functional.cross_entropy(net(xb), yb).backward()
    opt.step()
`;
const VALIDATE = `with torch.no_grad():
    for xb, yb in val_loader:
        print(net(xb).argmax(1))
`;

function findings(cells: Cell[]) {
  const r = analyzeNotebook(notebook(cells), 'nb.ipynb');
  assert.ok(r.ok, r.ok ? '' : r.message);
  return r.findings;
}

test('notebook: a model defined in one cell and validated in another without eval() is flagged in its cell', () => {
  const got = findings([
    { type: 'markdown', src: '# Training\n' },
    { type: 'code', src: MODEL },
    { type: 'code', src: TRAIN },
    { type: 'markdown', src: 'Now validate.\n' },
    { type: 'code', src: VALIDATE },
  ]);
  const miss = got.filter((f) => f.rule === 'missing-eval');
  assert.equal(miss.length, 1, JSON.stringify(got));
  assert.equal(miss[0]!.cell, 5);
  assert.equal(miss[0]!.range.start.line, 2, 'the model call is on the third line of its cell');
});

test('notebook: eval() in an earlier cell is a clean near-miss', () => {
  const got = findings([
    { type: 'code', src: MODEL },
    { type: 'code', src: TRAIN },
    { type: 'code', src: 'net.eval()\n' },
    { type: 'code', src: VALIDATE },
  ]);
  assert.deepEqual(
    got.filter((f) => f.rule === 'missing-eval'),
    [],
  );
});

test('notebook: magics, shell lines and help are blanked, so the cells parse and lines stay', () => {
  const got = findings([
    { type: 'code', src: '%matplotlib inline\n!pip install torch\nfiles = !ls data\nnet?\n' + MODEL },
    { type: 'code', src: '%%time\n' + TRAIN },
    { type: 'code', src: VALIDATE },
  ]);
  assert.deepEqual(
    got.filter((f) => f.rule === 'parse-error'),
    [],
  );
  const miss = got.filter((f) => f.rule === 'missing-eval');
  assert.equal(miss.length, 1);
  assert.equal(miss[0]!.cell, 3);
  const module = notebookModule([
    { kind: 'code', source: '%load_ext autoreload\nx = 1\n', executionCount: 1 },
    { kind: 'code', source: 'y = x?\n', executionCount: 2 },
  ]);
  assert.equal(
    module.text,
    '\nx = 1\ny = x?\n',
    'only whole-line help is IPython; `y = x?` stays and is a syntax error',
  );
});

test('notebook: a cell magic other than timing makes its cell opaque', () => {
  const got = findings([
    { type: 'code', src: '%%bash\npython train.py --dropout 1.5 (\n' },
    { type: 'code', src: '%%writefile model.py\nimport torch.nn as nn\nd = nn.Dropout(1.5)\n' },
  ]);
  assert.deepEqual(got, []);
  const timed = findings([{ type: 'code', src: '%%timeit\nimport torch.nn as nn\nd = nn.Dropout(1.5)\n' }]);
  assert.deepEqual(
    timed.map((f) => [f.rule, f.cell, f.range.start.line]),
    [['dropout-rate-out-of-range', 1, 2]],
  );
});

test('notebook: a syntax error is reported in the cell that has it', () => {
  const got = findings([
    { type: 'code', src: 'import torch\n' },
    { type: 'markdown', src: 'text' },
    { type: 'code', src: 'x = (1,\n' },
  ]);
  assert.equal(got.length, 1);
  assert.equal(got[0]!.rule, 'parse-error');
  assert.equal(got[0]!.cell, 3);
});

test('notebook: malformed notebooks get a clear message, odd ones are read as they are', () => {
  const bad = (text: string) => {
    const r = readNotebook(text);
    assert.equal(r.ok, false, text);
    return r.ok ? '' : r.message;
  };
  assert.match(bad('{ "cells": [ '), /not valid notebook JSON/);
  assert.match(bad('[1, 2]'), /JSON object/);
  assert.match(bad('{ "nbformat": 3, "worksheets": [] }'), /nbformat 3 is not supported/);
  assert.match(bad('{ "nbformat": 4 }'), /no "cells" list/);
  const odd = readNotebook(
    JSON.stringify({
      nbformat: 4,
      cells: [
        { cell_type: 'code', source: 'import torch\nd = torch.nn.Dropout(0.2)\n' },
        { cell_type: 'code' },
        'not a cell',
        { cell_type: 'code', source: ['x = 1\n', 42, 'y = 2'] },
      ],
    }),
  );
  assert.ok(odd.ok);
  assert.deepEqual(
    odd.cells.map((c) => [c.kind, c.source]),
    [
      ['code', 'import torch\nd = torch.nn.Dropout(0.2)\n'],
      ['code', ''],
      ['raw', ''],
      ['code', 'x = 1\ny = 2'],
    ],
  );
  const bom = readNotebook('\uFEFF' + notebook([{ type: 'code', src: 'x = 1\n' }]));
  assert.ok(bom.ok, 'a UTF-8 byte order mark is not part of the JSON');
});

test('notebook: quick fixes land in the cell, with cell-relative ranges', () => {
  const got = findings([
    { type: 'code', src: 'import torch.nn as nn\n' },
    { type: 'code', src: 'head = nn.Sequential(\n    nn.Linear(4, 2),\n    nn.Dropout(0.9),\n)\n' },
  ]);
  const kp = got.find((f) => f.rule === 'keep-prob-confusion');
  assert.ok(kp, JSON.stringify(got));
  assert.equal(kp.cell, 2);
  assert.equal(kp.range.start.line, 2);
  for (const fix of kp.fixes) for (const e of fix.edits) assert.ok(e.range.start.line >= 0 && e.range.end.line <= 4);
});

test('notebook: %, ! and ? mean IPython only where a logical line starts, not inside brackets, strings or after a backslash', () => {
  const source =
    'print("epoch %d: loss %.3f"\n      % (epoch, loss))\nsame = (a\n        != b)\nnote = """\n%not a magic\n"""\n' +
    'total = 1 + \\\n    2\n%matplotlib inline\n!ls data\n';
  const module = notebookModule([{ kind: 'code', source, executionCount: 1 }]);
  assert.equal(module.text, source.replace('%matplotlib inline', '').replace('!ls data', ''));
  const got = findings([
    { type: 'code', src: MODEL },
    { type: 'code', src: 'for epoch in range(2):\n    print("epoch %d"\n          % epoch)\n' + VALIDATE },
  ]);
  assert.deepEqual(
    got.filter((f) => f.rule === 'parse-error'),
    [],
  );
  assert.equal(got.filter((f) => f.rule === 'missing-eval').length, 1);
});

test('notebook: when the cells last ran out of document order, mode findings say so; in order, they do not', () => {
  const withCounts = (counts: (number | null)[]) =>
    JSON.stringify({
      nbformat: 4,
      nbformat_minor: 5,
      metadata: {},
      cells: [MODEL, VALIDATE].map((src, i) => ({
        cell_type: 'code',
        metadata: {},
        source: src.split(/(?<=\n)/),
        execution_count: counts[i],
        outputs: [],
      })),
    });
  const message = (counts: (number | null)[]) => {
    const r = analyzeNotebook(withCounts(counts), 'nb.ipynb');
    assert.ok(r.ok);
    return r.findings.find((f) => f.rule === 'missing-eval')?.message ?? '';
  };
  assert.match(message([7, 3]), /cell 2 ran before cell 1\. Dropout Lens reads them top to bottom/);
  assert.doesNotMatch(message([3, 7]), /out of document order/);
  assert.doesNotMatch(message([null, null]), /out of document order/);
});
