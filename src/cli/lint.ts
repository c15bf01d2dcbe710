/**
 * `dropout-lens lint PATH... [--format text|json|sarif]`: dropout findings for Python, Keras JSON and model
 * configs. Exit 0 clean (or warnings only), 1 when an error-severity finding exists, 2 on bad usage.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { join, relative, isAbsolute, sep } from 'node:path';
import { analyzeDocument, isAnalyzable, RULES } from '../analysis';
import type { Finding } from '../protocol/findings';

export interface LintIO {
  stdout(s: string): void;
  stderr(s: string): void;
}

type Format = 'text' | 'json' | 'sarif';

const SKIP_DIRS = new Set(['node_modules', '.git', '.dropout-lens', '__pycache__', '.venv', 'venv', 'site-packages']);
const README = 'https://example.invalid/dropout-lens/blob/main/README.md';

const USAGE = `Usage: dropout-lens lint PATH... [--format text|json|sarif]

Finds dropout mistakes in Python (PyTorch, Keras, TensorFlow), Keras model JSON and *.dropout.yaml/json configs.
Directories are walked (node_modules, .git and .dropout-lens are skipped).

  --format text   file:line:col rule message (default)
  --format json   a JSON array of {file, line, column, endLine, endColumn, rule, severity, message}
  --format sarif  SARIF 2.1.0 for code-scanning tools

Exit codes: 0 no error-severity finding, 1 at least one, 2 bad usage.
`;

interface Located {
  file: string;
  finding: Finding;
}

async function collect(path: string, out: string[], explicit: boolean): Promise<void> {
  const info = await stat(path);
  if (info.isDirectory()) {
    const entries = (await readdir(path, { withFileTypes: true })).sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    );
    for (const e of entries) {
      if (e.isDirectory()) {
        if (!SKIP_DIRS.has(e.name)) await collect(join(path, e.name), out, false);
      } else if (e.isFile() && /\.(pyi?|json|ya?ml)$/i.test(e.name)) await collect(join(path, e.name), out, false);
    }
    return;
  }
  if (explicit || isAnalyzable(path)) out.push(path);
}

function display(path: string): string {
  const rel = isAbsolute(path) ? relative(process.cwd(), path) : path;
  const shown = rel && !rel.startsWith('..') ? rel : path;
  return shown.split(sep).join('/');
}

export async function runLint(args: string[], io: LintIO): Promise<number> {
  let format: Format = 'text';
  const paths: string[] = [];
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
    if (a.startsWith('-') && a !== '-') {
      io.stderr(`dropout-lens lint: unknown option "${a}"\n\n${USAGE}`);
      return 2;
    }
    paths.push(a);
  }
  if (paths.length === 0) {
    io.stderr(`dropout-lens lint: give at least one file or folder\n\n${USAGE}`);
    return 2;
  }
  const files: string[] = [];
  for (const p of paths) {
    try {
      await collect(p, files, true);
    } catch {
      io.stderr(`dropout-lens lint: cannot read "${p}" (no such file or folder)\n`);
      return 2;
    }
  }
  const results: Located[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      io.stderr(`dropout-lens lint: cannot read "${file}": ${(e as Error).message}\n`);
      continue;
    }
    if (!isAnalyzable(file, text)) continue;
    for (const finding of analyzeDocument(text, file)) results.push({ file: display(file), finding });
  }
  const hasError = results.some((r) => r.finding.severity === 'error');
  if (format === 'text') {
    for (const { file, finding: f } of results)
      io.stdout(`${file}:${f.range.start.line + 1}:${f.range.start.character + 1} ${f.rule} ${f.message}\n`);
  } else if (format === 'json') {
    const rows = results.map(({ file, finding: f }) => ({
      file,
      line: f.range.start.line + 1,
      column: f.range.start.character + 1,
      endLine: f.range.end.line + 1,
      endColumn: f.range.end.character + 1,
      rule: f.rule,
      severity: f.severity,
      message: f.message,
    }));
    io.stdout(JSON.stringify(rows, null, 2) + '\n');
  } else {
    io.stdout(JSON.stringify(sarif(results), null, 2) + '\n');
  }
  return hasError ? 1 : 0;
}

function sarifLevel(severity: Finding['severity']): 'error' | 'warning' | 'note' {
  return severity === 'error' ? 'error' : severity === 'warning' ? 'warning' : 'note';
}

function sarif(results: Located[]): unknown {
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'dropout-lens',
            informationUri: README,
            rules: RULES.map((r) => ({
              id: r.id,
              name: r.title
                .replace(/[^A-Za-z0-9]+/g, ' ')
                .trim()
                .split(' ')
                .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
                .join(''),
              shortDescription: { text: r.title },
              fullDescription: { text: r.description },
              helpUri: `${README}#${r.id}`,
              defaultConfiguration: { level: sarifLevel(r.severity) },
            })),
          },
        },
        results: results.map(({ file, finding: f }) => ({
          ruleId: f.rule,
          ruleIndex: RULES.findIndex((r) => r.id === f.rule),
          level: sarifLevel(f.severity),
          message: { text: f.message },
          locations: [
            {
              physicalLocation: {
                artifactLocation: { uri: file },
                region: {
                  startLine: f.range.start.line + 1,
                  startColumn: f.range.start.character + 1,
                  endLine: f.range.end.line + 1,
                  endColumn: f.range.end.character + 1,
                },
              },
            },
          ],
          ...(f.fixes.length
            ? {
                fixes: f.fixes.map((fix) => ({
                  description: { text: fix.title },
                  artifactChanges: [
                    {
                      artifactLocation: { uri: file },
                      replacements: fix.edits.map((e) => ({
                        deletedRegion: {
                          startLine: e.range.start.line + 1,
                          startColumn: e.range.start.character + 1,
                          endLine: e.range.end.line + 1,
                          endColumn: e.range.end.character + 1,
                        },
                        insertedContent: { text: e.newText },
                      })),
                    },
                  ],
                })),
              }
            : {}),
        })),
      },
    ],
  };
}
