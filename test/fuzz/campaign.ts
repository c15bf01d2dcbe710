/**
 * The fuzz campaign (`npm run fuzz`; 1,000 inputs per format in `npm test`): structure-aware mutations of
 * the project's own fixtures in every format the product reads (Python, notebooks, Keras JSON, YAML and
 * JSON model configs, CSV data), at the token, line and grammar level, with odd encodings and line ends,
 * huge and deep inputs and wrong types in every config field. Each input is checked: no throw, no internal
 * error, every range inside the document, the same findings on a repeated call, an incremental analysis
 * equal to a cold one, and no input of up to 1 MB taking 2 s or more.
 */
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { analyzeDocument, DocumentAnalyzer } from '../../src/analysis';
import { analyzeNotebook, readNotebook } from '../../src/analysis/notebook';
import { moduleEdit } from '../../src/analysis/notebook/module';
import { LineMap, stripBom } from '../../src/analysis/text';
import { csvToData, CsvError } from '../../src/engine/data/csv';
import { SeededRandom } from '../../src/engine/random';

export const FORMATS = ['python', 'notebook', 'keras-json', 'config-yaml', 'config-json', 'csv'] as const;
export type Format = (typeof FORMATS)[number];

export interface FormatReport {
  format: Format;
  inputs: number;
  throws: number;
  internalErrors: number;
  outOfRange: number;
  nondeterministic: number;
  incrementalMismatches: number;
  slowOver2s: number;
  slowest: { ms: number; bytes: number; mutation: string };
  /** The first few problems, with the input that caused each (for the report and the test's message). */
  problems: string[];
}

const ROOT = join(__dirname, '..', '..');
const fixtures = (dir: string, match: RegExp): string[] =>
  readdirSync(join(ROOT, dir))
    .filter((f) => match.test(f))
    .sort()
    .map((f) => readFileSync(join(ROOT, dir, f), 'utf8'));

const SEEDS: Record<Format, () => string[]> = {
  python: () => fixtures('test/fixtures/analysis', /\.py$/),
  notebook: () => fixtures('test/fixtures/notebooks', /\.ipynb$/).slice(0, 60),
  'keras-json': () => fixtures('test/fixtures/analysis', /^keras.*\.json$|^not_keras\.json$/),
  'config-yaml': () => fixtures('test/fixtures/analysis', /\.dropout\.ya?ml$/),
  'config-json': () => fixtures('test/fixtures/analysis', /\.dropout\.json$/),
  csv: () => [readFileSync(join(ROOT, 'examples', 'data', 'sensors.csv'), 'utf8')],
};
const FILE_NAME: Record<Format, string> = {
  python: 'fuzz.py',
  notebook: 'fuzz.ipynb',
  'keras-json': 'model.json',
  'config-yaml': 'fuzz.dropout.yaml',
  'config-json': 'fuzz.dropout.json',
  csv: 'data.csv',
};
const TOKENS: Record<Format, string[]> = {
  python: [
    '(',
    ')',
    ':',
    '\n',
    '    ',
    '"""',
    "'",
    '#',
    'model.eval()',
    'model.train()',
    'nn.Dropout(',
    'F.dropout(x',
    'with torch.no_grad():',
    'for x in val_loader:',
    'class A(nn.Module):',
    'def forward(self, x):',
    'return',
    'yield',
    'training=True',
    '1.',
    '0.9',
    'keep_prob',
    '@',
    'lambda',
    'print',
    '%',
    '!',
    'constructor',
    '__proto__',
    '\\',
  ],
  notebook: [
    '{',
    '}',
    '[',
    ']',
    ',',
    ':',
    '"cells"',
    '"source"',
    '"cell_type"',
    '"code"',
    '"markdown"',
    'null',
    '3',
    '"%%bash\\n"',
    '"!ls\\n"',
    '"model.eval()\\n"',
    '"\\ud800"',
    '"execution_count"',
  ],
  'keras-json': [
    '{',
    '}',
    '[',
    ']',
    ',',
    ':',
    '"class_name"',
    '"Dropout"',
    '"rate"',
    '"p"',
    '"layers"',
    '"config"',
    '1.5',
    '-0.1',
    '0.9',
    'null',
    'true',
    '"Dense"',
    '"BatchNormalization"',
  ],
  'config-yaml': [
    ':',
    '-',
    '  ',
    '\n',
    '[',
    ']',
    '{',
    '}',
    'dropout: ',
    'dense: ',
    'rate: ',
    '1.5',
    '-0.2',
    '.nan',
    '.inf',
    '~',
    '!!python/object',
    '&a',
    '*a',
    '<<: *a',
    '"',
    "'",
    '#',
    'layers:',
    'kind: spatial',
  ],
  'config-json': [
    '{',
    '}',
    '[',
    ']',
    ',',
    ':',
    '"layers"',
    '"dropout"',
    '"dense"',
    '"rate"',
    '1.5',
    '-0.2',
    'null',
    'true',
    '"x"',
    '1e400',
    '"__proto__"',
    '"constructor"',
  ],
  csv: [',', '\n', '"', '""', 'x', '1', '-', 'NaN', 'Infinity', '1e400', ' ', '\r', '\t', 'label', ';'],
};
/** Values of the wrong type for any config field. */
const WRONG_VALUES = [
  '"text"',
  '[]',
  '{}',
  '[1, 2]',
  'null',
  'true',
  '-1',
  '0',
  '1e9',
  '.nan',
  '-.inf',
  '"0.5"',
  '1.5',
];

type Mutator = (text: string, r: Rand) => string;

class Rand {
  private readonly random: SeededRandom;
  constructor(seed: number) {
    this.random = new SeededRandom(seed);
  }
  next(): number {
    return this.random.uniform();
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
}

const tokenLevel =
  (format: Format): Mutator =>
  (text, r) => {
    let out = text;
    for (let k = 0, n = 1 + r.int(8); k < n; k++) {
      const at = r.int(out.length + 1);
      const op = r.next();
      if (op < 0.3) out = out.slice(0, at) + out.slice(at + 1 + r.int(5));
      else if (op < 0.8) out = out.slice(0, at) + r.pick(TOKENS[format]) + out.slice(at);
      else {
        const from = r.int(out.length + 1);
        out = out.slice(0, at) + out.slice(from, from + r.int(200)) + out.slice(at);
      }
    }
    return out;
  };

const lineLevel: Mutator = (text, r) => {
  const lines = text.split('\n');
  for (let k = 0, n = 1 + r.int(4); k < n; k++) {
    const at = r.int(lines.length);
    const op = r.next();
    if (op < 0.3) lines.splice(at, 1 + r.int(3));
    else if (op < 0.55) lines.splice(at, 0, lines[r.int(lines.length)] ?? '');
    else if (op < 0.8) lines[at] = ' '.repeat(r.int(9)) + (lines[at] ?? '').trimStart();
    else {
      const other = r.int(lines.length);
      [lines[at], lines[other]] = [lines[other] ?? '', lines[at] ?? ''];
    }
  }
  return lines.join('\n');
};

const truncate: Mutator = (text, r) => text.slice(0, r.int(text.length + 1));

/** Line ends, a byte-order mark, NULs and lone surrogates, as editors and other tools leave them. */
const encodings: Mutator = (text, r) => {
  const op = r.int(5);
  if (op === 0) return text.replace(/\n/g, '\r\n');
  if (op === 1) return text.replace(/\n/g, '\r');
  if (op === 2) return '\ufeff' + text;
  if (op === 3) {
    const at = r.int(text.length + 1);
    return text.slice(0, at) + r.pick(['\u0000', '\ud800', '\udfff', '\u2028', '\u0085', '\u000c']) + text.slice(at);
  }
  return text.replace(/\n/g, r.next() < 0.5 ? '\r\n' : '\r').replace(/^/, '\ufeff');
};

/** Huge (a seed repeated to about 1 MB) or deep (thousands of brackets or indents) inputs. */
const hugeOrDeep =
  (format: Format): Mutator =>
  (text, r) => {
    // About 1 MB one time in ten (the 2-second bound is for inputs up to 1 MB), else about 100 kB or deep.
    const op = r.int(3);
    if (op === 0) {
      const size = r.next() < 0.1 ? 1_000_000 : 100_000;
      return text.repeat(Math.max(1, Math.floor(size / Math.max(1, text.length))));
    }
    const depth = 500 + r.int(20_000);
    if (op === 1) {
      const at = r.int(text.length + 1);
      return text.slice(0, at) + r.pick(['[', '{', '(']).repeat(depth) + text.slice(at);
    }
    if (format === 'python')
      return 'def f():\n' + Array.from({ length: 300 }, (_, d) => `${' '.repeat(4 * (d + 1))}if x:\n`).join('');
    return Array.from({ length: 300 }, (_, d) => `${' '.repeat(d)}k${d}:`).join('\n');
  };

/** Grammar level: each format's own structure. */
const grammarLevel =
  (format: Format): Mutator =>
  (text, r) => {
    if (format === 'config-yaml') {
      // A field's value replaced by a value of the wrong type.
      return text.replace(/^(\s*-?\s*[\w]+:)[ \t]*([^\n]*)$/gm, (whole, key: string) =>
        r.next() < 0.2 ? `${key} ${r.pick(WRONG_VALUES)}` : whole,
      );
    }
    if (format === 'config-json' || format === 'keras-json') {
      return text.replace(/("[\w]+"\s*:\s*)("[^"]*"|-?[\d.e+-]+|true|false|null)/g, (whole, key: string) =>
        r.next() < 0.2
          ? `${key}${r.pick(WRONG_VALUES.filter((v) => !v.startsWith('.') && !v.startsWith('-.')))}`
          : whole,
      );
    }
    if (format === 'notebook') return mutateNotebook(text, r);
    if (format === 'csv') {
      const rows = text.split('\n');
      const at = r.int(rows.length);
      const cells = (rows[at] ?? '').split(',');
      cells[r.int(cells.length)] = r.pick(['', '"a,b"', 'NaN', '1e400', '"unclosed', 'x', '-']);
      rows[at] = r.next() < 0.2 ? cells.slice(1).join(',') : cells.join(',');
      return rows.join('\n');
    }
    // Python: a statement of the language moved, or one that matters to the rules inserted at a line start.
    const lines = text.split('\n');
    const at = r.int(lines.length + 1);
    const indent = /^\s*/.exec(lines[at] ?? '')?.[0] ?? '';
    const stmt = r.pick([
      'model.eval()',
      'model.train()',
      'with torch.no_grad():',
      'for xb in val_loader:',
      'optimizer.step()',
      'loss.backward()',
      'self.drop = nn.Dropout(1.5)',
      'x = F.dropout(x, 0.5)',
      'return self.drop(x)',
      'yield',
      'if self.training:',
      'model = torch.compile(model)',
      '@contextmanager',
      'def evaluating(model):',
      'pass',
    ]);
    lines.splice(at, 0, indent + stmt);
    return lines.join('\n');
  };

function mutateNotebook(text: string, r: Rand): string {
  let nb: Record<string, unknown>;
  try {
    nb = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return text;
  }
  const cells = Array.isArray(nb.cells) ? (nb.cells as Record<string, unknown>[]) : [];
  const op = r.int(6);
  const picked = cells[r.int(cells.length)];
  // A mutation may have left a cell that is no object: mutate only real cells.
  const cell = typeof picked === 'object' && picked !== null ? picked : undefined;
  if (op === 0 && cell) cell.source = Array.isArray(cell.source) ? cell.source.join('') : cell.source;
  else if (op === 1 && cell) delete cell.source;
  else if (op === 2) nb.nbformat = 3;
  else if (op === 3 && cell) cell.cell_type = r.pick(['raw', 'code', 'markdown', 42, null]);
  else if (op === 4) nb.cells = r.pick([{}, 'cells', null, [1, 2], cells.reverse()]);
  else if (cell) cell.source = r.pick([['%%bash\n', 'ls\n'], ['!pip install x\n'], [42], 'model?\n', null]);
  return JSON.stringify(nb);
}

function mutators(format: Format): [string, Mutator][] {
  return [
    ['token', tokenLevel(format)],
    ['line', lineLevel],
    ['truncate', truncate],
    ['encoding', encodings],
    ['grammar', grammarLevel(format)],
    ['huge-or-deep', hugeOrDeep(format)],
  ];
}

interface Ranged {
  rule: string;
  message: string;
  range: { start: { line: number; character: number }; end: { line: number; character: number } };
}

function outOfRange(findings: Ranged[], text: string): Ranged | undefined {
  const lines = new LineMap(text);
  return findings.find(
    (f) =>
      f.range.start.line < 0 ||
      f.range.end.line >= lines.lineCount ||
      f.range.start.character > lines.lineText(f.range.start.line).length ||
      f.range.end.character > lines.lineText(f.range.end.line).length ||
      f.range.end.line < f.range.start.line,
  );
}

type CellRanged = Ranged & { cell: number };

/** A notebook's findings are placed in cells: each range must lie inside its cell's source. */
function outOfCell(findings: CellRanged[], text: string): Ranged | undefined {
  const read = readNotebook(text);
  if (!read.ok) return findings[0];
  return findings.find((f) => {
    const cell = read.cells[f.cell - 1];
    return cell === undefined || outOfRange([f], cell.source) !== undefined;
  });
}

/** One input through the format's reader; the findings as comparable JSON, or the clean error a CSV gives. */
function read(format: Format, text: string): { findings: Ranged[]; key: string } {
  if (format === 'csv') {
    try {
      const data = csvToData(text);
      return { findings: [], key: `${data.n}:${data.inputDim}:${data.classes}` };
    } catch (error) {
      // A CsvError is the reader's precise refusal; anything else is a bug.
      if (error instanceof CsvError) return { findings: [], key: error.message };
      throw error;
    }
  }
  if (format === 'notebook') {
    const r = analyzeNotebook(text, FILE_NAME.notebook);
    return r.ok ? { findings: r.findings, key: JSON.stringify(r.findings) } : { findings: [], key: r.message };
  }

  const findings = analyzeDocument(text, FILE_NAME[format]);
  return { findings, key: JSON.stringify(findings) };
}

export function runFormat(format: Format, inputs: number, seed = 1): FormatReport {
  const seeds = SEEDS[format]();
  const muts = mutators(format);
  const r = new Rand(seed * 7919 + FORMATS.indexOf(format));
  const report: FormatReport = {
    format,
    inputs: 0,
    throws: 0,
    internalErrors: 0,
    outOfRange: 0,
    nondeterministic: 0,
    incrementalMismatches: 0,
    slowOver2s: 0,
    slowest: { ms: 0, bytes: 0, mutation: '' },
    problems: [],
  };
  const problem = (what: string, mutation: string, text: string) => {
    // FUZZ_SAVE=DIR keeps each failing input whole, to reproduce it.
    const dir = process.env.FUZZ_SAVE;
    const saved = dir ? join(dir, `${format}-${report.inputs}${extname(FILE_NAME[format])}`) : undefined;
    if (dir) mkdirSync(dir, { recursive: true });
    if (saved) writeFileSync(saved, text);
    if (report.problems.length < 5)
      report.problems.push(`${what} (${mutation}): ${JSON.stringify(text.slice(0, 200))}${saved ? ` [${saved}]` : ''}`);
  };
  for (let i = 0; i < inputs; i++) {
    const base = r.pick(seeds);
    const [mutation, mutate] = muts[i % muts.length]!;
    let text = mutate(base, r);
    if (r.next() < 0.3) text = r.pick(muts)[1](text, r);
    // What every reader does first (the editor, the CLI, the workspace scan): one byte-order mark goes.
    text = stripBom(text);
    report.inputs++;
    let first: { findings: Ranged[]; key: string };
    const t0 = performance.now();
    try {
      first = read(format, text);
    } catch (error) {
      report.throws++;
      problem(`threw ${error instanceof Error ? error.message : String(error)}`, mutation, text);
      continue;
    }
    const ms = performance.now() - t0;
    if (ms > report.slowest.ms) report.slowest = { ms, bytes: text.length, mutation };
    if (ms >= 2000 && text.length <= 1_000_000) {
      report.slowOver2s++;
      problem(`took ${Math.round(ms)} ms`, mutation, text);
    }
    const internal = first.findings.find((f) => f.message.includes('could not analyse'));
    if (internal) {
      report.internalErrors++;
      problem(`internal error: ${internal.message}`, mutation, text);
    }
    const bad =
      format === 'notebook' ? outOfCell(first.findings as CellRanged[], text) : outOfRange(first.findings, text);
    if (bad) {
      report.outOfRange++;
      problem(`range outside the document: ${bad.rule} ${JSON.stringify(bad.range)}`, mutation, text);
    }
    if (read(format, text).key !== first.key) {
      report.nondeterministic++;
      problem('different findings on a repeated call', mutation, text);
    }
    // Incremental equals cold: the seed analysed first, then the mutation as the one edit an editor would send.
    if (format === 'python' && text.length <= 200_000) {
      const analyzer = new DocumentAnalyzer(FILE_NAME.python);
      analyzer.analyze(base);
      analyzer.edit([moduleEdit(base, text)]);
      if (JSON.stringify(analyzer.analyze(text)) !== first.key) {
        report.incrementalMismatches++;
        problem('incremental analysis differs from a cold one', mutation, text);
      }
    }
  }
  return report;
}

export function failures(report: FormatReport): number {
  return (
    report.throws +
    report.internalErrors +
    report.outOfRange +
    report.nondeterministic +
    report.incrementalMismatches +
    report.slowOver2s
  );
}
