/**
 * `dropout-lens lint PATH... [--format text|json|sarif]`: dropout findings for Python, Keras JSON and model
 * configs. Exit 0 clean (or warnings only), 1 when an error-severity finding exists, 2 on bad usage.
 */
import { readdir, stat } from 'node:fs/promises';
import { join, relative, isAbsolute, sep } from 'node:path';
import { minimatch } from 'minimatch';
import { analyzeDocument, isAnalyzable } from '../analysis';
import { stripBom } from '../analysis/text';
import { analyzeNotebook, isNotebookFile } from '../analysis/notebook';
import { readRegularFile, type FileLimit } from '../engine/data/files';
import { shown } from './args';
import { formatFindings, type Format, type Located } from './lintOutput';

export interface LintIO {
  stdout(s: string): void;
  stderr(s: string): void;
}

/** What lint reads: any size (the analysis states its own limits), regular files only. */
const SOURCE_FILE: FileLimit = { what: 'the file', maxBytes: Number.MAX_SAFE_INTEGER, why: '' };

const SKIP_DIRS = new Set(['node_modules', '.git', '.dropout-lens', '__pycache__', '.venv', 'venv', 'site-packages']);

const USAGE = `Usage: dropout-lens lint PATH... [--format text|json|sarif] [--exclude GLOB]...

Finds dropout mistakes in Python (PyTorch, Keras, TensorFlow), Jupyter notebooks, Keras model JSON and
*.dropout.yaml/json configs.
Directories are walked (node_modules, .git and .dropout-lens are skipped).

  --format text   file:line:col rule message (default; file:cell N:line:col in a notebook), then a summary
                  on stderr
  --format json   a JSON array of {file, line, column, endLine, endColumn, rule, severity, message}, with
                  cell (1-based among all cells) for a notebook's findings, whose lines are within the cell
  --format sarif  SARIF 2.1.0 for code-scanning tools
  --exclude GLOB  leave out the files GLOB matches (relative to the working directory; a pattern without
                  a slash matches a file or folder name at any depth): --exclude tests --exclude 'docs/**'

Exit codes: 0 no error-severity finding, 1 at least one, 2 bad usage.
`;

async function collect(path: string, out: string[], explicit: boolean): Promise<void> {
  const info = await stat(path);
  if (info.isDirectory()) {
    const entries = (await readdir(path, { withFileTypes: true })).sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    );
    for (const e of entries) {
      if (e.isDirectory()) {
        if (!SKIP_DIRS.has(e.name)) await collect(join(path, e.name), out, false);
      } else if (e.isFile() && /\.(pyi?|ipynb|json|ya?ml)$/i.test(e.name))
        await collect(join(path, e.name), out, false);
    }
    return;
  }
  if (explicit || isAnalyzable(path) || isNotebookFile(path)) out.push(path);
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** Whether `path` (as displayed: relative to the working directory, with slashes) is left out. */
function excluded(path: string, globs: string[]): boolean {
  return globs.some((g) =>
    g.includes('/')
      ? minimatch(path, g, { dot: true }) || minimatch(path, `${g.replace(/\/+$/, '')}/**`, { dot: true })
      : minimatch(path, `**/${g}`, { dot: true }) || minimatch(path, `**/${g}/**`, { dot: true }),
  );
}

function display(path: string): string {
  const rel = isAbsolute(path) ? relative(process.cwd(), path) : path;
  const shown = rel && !rel.startsWith('..') ? rel : path;
  return shown.split(sep).join('/');
}

export async function runLint(args: string[], io: LintIO): Promise<number> {
  let format: Format = 'text';
  const paths: string[] = [];
  const excludes: string[] = [];
  const queue = [...args];
  for (let a = queue.shift(); a !== undefined; a = queue.shift()) {
    if (a === '--help' || a === '-h') {
      io.stdout(USAGE);
      return 0;
    }
    if (a === '--format' || a.startsWith('--format=')) {
      const value = a.includes('=') ? a.slice(a.indexOf('=') + 1) : queue.shift();
      if (value !== 'text' && value !== 'json' && value !== 'sarif') {
        io.stderr(
          `dropout-lens lint: --format must be text, json or sarif${value === undefined ? '' : `, got "${value}"`}\n\n${USAGE}`,
        );
        return 2;
      }
      format = value;
      continue;
    }
    if (a === '--exclude' || a.startsWith('--exclude=')) {
      const value = a.includes('=') ? a.slice(a.indexOf('=') + 1) : queue.shift();
      if (!value) {
        io.stderr(`dropout-lens lint: --exclude needs a glob pattern, such as --exclude tests\n\n${USAGE}`);
        return 2;
      }
      excludes.push(value);
      continue;
    }
    if (a.startsWith('-') && a !== '-') {
      io.stderr(`dropout-lens lint: unknown option ${shown(a)}\n\n${USAGE}`);
      return 2;
    }
    paths.push(a);
  }
  if (paths.length === 0) {
    io.stderr(`dropout-lens lint: give at least one file or folder\n\n${USAGE}`);
    return 2;
  }
  const files: string[] = [];
  /** Files named on the command line: one we cannot read or analyse gets a word, never silence. */
  const named = new Set<string>();
  for (const p of paths) {
    if (!(await isDirectory(p))) named.add(p);
    try {
      await collect(p, files, true);
    } catch {
      io.stderr(`dropout-lens lint: cannot read "${p}" (no such file or folder)\n`);
      return 2;
    }
  }
  const results: Located[] = [];
  const coverage = { analysed: 0, skipped: 0, unreadable: 0, excluded: 0, unparsed: 0 };
  for (const file of files) {
    if (excludes.length > 0 && excluded(display(file), excludes)) {
      coverage.excluded++;
      continue;
    }
    // Only regular files are opened: a FIFO or a device named on the command line gets a word, never a hang.
    const read = await readRegularFile(file, SOURCE_FILE);
    if (!read.ok) {
      io.stderr(`dropout-lens lint: ${read.message}\n`);
      coverage.unreadable++;
      continue;
    }
    const text = stripBom(new TextDecoder().decode(read.bytes));
    if (isNotebookFile(file)) {
      const notebook = analyzeNotebook(text, file);
      if (!notebook.ok) {
        io.stderr(`dropout-lens lint: ${display(file)}: not analysed: ${notebook.message}\n`);
        coverage.unreadable++;
        continue;
      }
      coverage.analysed++;
      if (notebook.findings.some((f) => f.rule === 'parse-error')) coverage.unparsed++;
      for (const { cell, ...finding } of notebook.findings) results.push({ file: display(file), cell, finding });
      continue;
    }
    if (!isAnalyzable(file, text)) {
      if (named.has(file))
        io.stderr(
          `dropout-lens lint: ${display(file)}: not analysed: Dropout Lens reads Python (.py), notebooks (.ipynb), Keras model JSON (model.to_json()) and model configs (*.dropout.yaml, *.dropout.json)\n`,
        );
      coverage.skipped++;
      continue;
    }
    coverage.analysed++;
    const findings = analyzeDocument(text, file);
    if (findings.some((f) => f.rule === 'parse-error')) coverage.unparsed++;
    for (const finding of findings) results.push({ file: display(file), finding });
  }
  const hasError = results.some((r) => r.finding.severity === 'error');
  io.stdout(formatFindings(results, format));
  if (format === 'text') io.stderr(summary(results, coverage));
  return hasError ? 1 : 0;
}

/** What was covered: files analysed, skipped and unreadable; findings by rule. */
interface Coverage {
  analysed: number;
  skipped: number;
  unreadable: number;
  excluded: number;
  /** Analysed files with a parse-error finding (a syntax error, or too large): no dropout checks ran on them. */
  unparsed: number;
}

function summary(results: Located[], coverage: Coverage): string {
  const byRule = new Map<string, number>();
  for (const { finding } of results) byRule.set(finding.rule, (byRule.get(finding.rule) ?? 0) + 1);
  const files = `${coverage.analysed} file${coverage.analysed === 1 ? '' : 's'} analysed`;
  const skipped = coverage.skipped > 0 ? `, ${coverage.skipped} skipped (not Keras JSON)` : '';
  const unreadable = coverage.unreadable > 0 ? `, ${coverage.unreadable} could not be analysed` : '';
  const unparsed = coverage.unparsed > 0 ? `, ${coverage.unparsed} not parsed (see parse-error)` : '';
  const excludedText = coverage.excluded > 0 ? `, ${coverage.excluded} excluded` : '';
  const rules = [...byRule].map(([rule, n]) => `${rule} ${n}`).join(', ');
  return `\n${files}${unparsed}${skipped}${excludedText}${unreadable}; ${results.length} finding${results.length === 1 ? '' : 's'}${rules ? ` (${rules})` : ''}\n`;
}
