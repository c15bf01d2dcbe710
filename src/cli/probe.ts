/**
 * `dropout-lens probe [--out DIR] [--json] [--period N] -- PYTHON SCRIPT.py ARGS…`: runs the user's own PyTorch
 * script under the runtime probe (python/dropout_lens, shipped in this package's python/ folder), then prints what
 * the run saw: every dropout layer's rate, realized drop fraction and train/eval calls per rank, and the findings
 * observed at run time at their source lines. The script's own output comes first, unchanged (with --json it is
 * captured into the object's `stdout`).
 *
 * Exit codes: 1 when the script failed or a finding of error severity was observed, 2 bad usage or an interpreter
 * that could not start the probe, else 0.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { basename, delimiter, isAbsolute, join, relative, resolve } from 'node:path';
import { RULE_INFO } from '../analysis/rules';
import type { RuleId } from '../protocol/findings';
import {
  DEFAULT_RUNS_FOLDER,
  RunStore,
  isProbeSummary,
  newProbeRunId,
  type ProbeFinding,
  type ProbeModule,
  type ProbeRunRecord,
  type ProbeSummary,
} from '../runs';
import { projectRoot } from '../session/projectRoot';
import { table } from './format';
import { shown as userWord } from './args';
import type { CliIO } from './io';

const USAGE = `Usage: dropout-lens probe [--out DIR] [--json] [--period N] -- PYTHON SCRIPT.py ARGS...
       dropout-lens probe [--out DIR] [--json] [--period N] -- torchrun [TORCHRUN OPTIONS] SCRIPT.py ARGS...

Runs SCRIPT.py with PYTHON (an interpreter with torch) under the Dropout Lens runtime probe: dropout masks
and modes of the script's own training, recorded into DIR/<id>/ (default ./.dropout-lens/runs), one file per
process (every DDP rank), and the mistakes seen while it ran at their source lines. A launcher that starts
the Python processes itself (torchrun, any script with a Python #! line) runs as given: every Python process
it starts loads the probe when it imports torch.

  --out DIR     the runs folder (default ./.dropout-lens/runs)
  --json        print one JSON object when the script ends:
                {stdout, exitCode, ranks, modules: [{name, kind, p, realizedDrop, trainCalls, evalCalls, rank}],
                 findings: [{rule, file, line, message, rank}], run}
  --period N    record every N-th optimizer step (default: adaptive, at most 30 records a second)

Exit codes: 0 the script succeeded with no error-severity finding, 1 it failed or such a finding was
observed, 2 bad usage or PYTHON could not start the probe.
`;

/** Exit codes of `python -m dropout_lens run` that mean the probe never started (see python/dropout_lens/__main__.py). */
const EXIT_NO_TORCH = 3;
const EXIT_UNWRITABLE = 4;

/** Rules the static analysis also has: a run-time finding confirms or contradicts them. */
const SHARED_RULES = new Set(['missing-eval', 'missing-train-after-eval', 'functional-dropout-no-training-flag']);

export interface ProbeOptions {
  out: string;
  json: boolean;
  period?: number;
  /** The interpreter, or the launcher (torchrun). */
  python: string;
  /** The user's script: for a launcher, its first .py argument. */
  script: string;
  args: string[];
}

export function parseProbeArgs(args: string[]): ProbeOptions | string {
  const dash = args.indexOf('--');
  const own = dash >= 0 ? args.slice(0, dash) : [];
  const command = dash >= 0 ? args.slice(dash + 1) : args;
  let out = DEFAULT_RUNS_FOLDER;
  let json = false;
  let period: number | undefined;
  for (let i = 0; i < own.length; i++) {
    const a = own[i]!;
    if (a === '--json') json = true;
    else if (a === '--out' && own[i + 1] !== undefined) out = own[++i]!;
    else if (a === '--period' && own[i + 1] !== undefined) {
      const text = own[++i]!;
      period = Number(text);
      if (!Number.isInteger(period) || period < 1)
        return `--period takes a whole number of steps (1 or more), got ${userWord(text)}`;
    } else if (a === '--out' || a === '--period') return `${a} needs a value`;
    else return `unknown option ${userWord(a)}`;
  }
  const [python, script, ...rest] = command;
  if (dash < 0 && python?.startsWith('-')) return `put -- between the probe's options and PYTHON (${python})`;
  if (python === undefined || script === undefined) return 'give the interpreter and the script after --';
  const launched = [script, ...rest];
  const userScript = isPython(python) ? script : (launched.find((a) => a.endsWith('.py')) ?? script);
  return {
    out,
    json,
    ...(period !== undefined ? { period } : {}),
    python,
    script: userScript,
    args: isPython(python) ? rest : launched,
  };
}

const isPython = (command: string): boolean => /^python[\d.]*(\.exe)?$/i.test(basename(command));

/**
 * For a launcher that is not itself a Python (torchrun), the interpreter of its `#!` line: the probe's `exec`
 * runs under it and starts the launcher with the probe on the path of every process. undefined: run the command
 * as an interpreter.
 */
export function launcherInterpreter(command: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (isPython(command)) return undefined;
  const candidates = command.includes('/')
    ? [resolve(command)]
    : (env.PATH ?? '').split(delimiter).map((dir) => join(dir, command));
  const file = candidates.find((c) => existsSync(c));
  if (!file) return undefined;
  let first: string;
  try {
    first = readFileSync(file, 'utf8').slice(0, 512).split('\n')[0] ?? '';
  } catch {
    return undefined;
  }
  if (!first.startsWith('#!')) return undefined;
  const [interpreter, arg] = first.slice(2).trim().split(/\s+/);
  if (interpreter === undefined) return undefined;
  const named = basename(interpreter) === 'env' ? arg : interpreter;
  return named !== undefined && /python/i.test(basename(named)) ? named : undefined;
}

/** The environment that lets PYTHON import the probe shipped with this package. */
export function probeEnvironment(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const pythonDir = join(projectRoot(), 'python');
  const path = [pythonDir, ...(base.PYTHONPATH ?? '').split(delimiter).filter((p) => p && p !== pythonDir)];
  return { ...base, PYTHONPATH: path.join(delimiter), PYTHONUNBUFFERED: '1' };
}

export interface ProbeResult {
  stdout: string;
  exitCode: number;
  ranks: number;
  modules: Pick<ProbeModule, 'name' | 'kind' | 'p' | 'realizedDrop' | 'trainCalls' | 'evalCalls' | 'rank'>[];
  findings: Pick<ProbeFinding, 'rule' | 'file' | 'line' | 'message' | 'rank'>[];
  run: string;
  status: string;
  /** The static findings of the same rules in the script's files, and whether the run observed them. */
  static: { rule: string; file: string; line: number; observed: boolean }[];
}

export async function runProbe(args: string[], io: CliIO): Promise<number> {
  const dash = args.indexOf('--');
  const own = dash >= 0 ? args.slice(0, dash) : args.slice(0, 1);
  if (own.includes('--help') || own.includes('-h')) {
    io.stdout(USAGE);
    return 0;
  }
  const options = parseProbeArgs(args);
  if (typeof options === 'string') {
    io.stderr(`dropout-lens probe: ${options}\n\n${USAGE}`);
    return 2;
  }
  const runsFolder = resolve(options.out);
  const id = newProbeRunId();
  const folder = join(runsFolder, id);
  const child = await runChild(options, id, io);
  if (child.spawnError) {
    io.stderr(
      `dropout-lens probe: cannot run ${options.python}: ${child.spawnError}. Give a Python interpreter that has torch ` +
        '(e.g. python3, or the path of a virtual environment’s python).\n',
    );
    return 2;
  }
  const store = new RunStore(runsFolder);
  const read = await store.readProbe(folder);
  if (!read.ok) {
    if (child.code === EXIT_NO_TORCH || child.code === EXIT_UNWRITABLE) return 2; // the launcher said why
    io.stderr(
      `dropout-lens probe: ${options.python} did not start the probe (exit ${child.signal ?? child.code}). ` +
        'Is it a Python 3 interpreter with torch?\n',
    );
    return 2;
  }
  let record = read.record;
  if (record.status === 'running' || !record.summary) {
    // Killed before the launcher could end the run: end it here, from the records on disk.
    record = finishKilledRun(options.python, folder, record, child);
  }
  const signalled = child.signal ? 128 + (osConstants.signals[child.signal] ?? 0) : 1;
  const result = probeResult(record, folder, child.code ?? signalled, child.stdout, options.script);
  if (options.json) io.stdout(JSON.stringify(result) + '\n');
  else io.stdout(probeText(result));
  const failed = record.status !== 'completed' || result.exitCode !== 0;
  const errors = result.findings.some((f) => severityOf(f.rule) === 'error');
  return failed || errors ? 1 : 0;
}

interface ChildEnd {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  spawnError?: string;
}

function runChild(options: ProbeOptions, id: string, io: CliIO): Promise<ChildEnd> {
  const own = [
    '--out',
    resolve(options.out),
    '--run-id',
    id,
    ...(options.period !== undefined ? ['--period', String(options.period)] : []),
  ];
  const launcher = launcherInterpreter(options.python);
  const [command, argv] =
    launcher !== undefined
      ? [launcher, ['-m', 'dropout_lens', 'exec', ...own, '--', options.python, ...options.args]]
      : [options.python, ['-m', 'dropout_lens', 'run', ...own, options.script, ...options.args]];
  return new Promise((done) => {
    let stdout = '';
    const child = spawn(command, argv, {
      env: probeEnvironment(),
      stdio: ['inherit', 'pipe', 'pipe'],
    });
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (text: string) => {
      if (options.json) stdout += text;
      else io.stdout(text);
    });
    child.stderr.on('data', (text: string) => io.stderr(text));
    child.on('error', (error) => done({ code: null, signal: null, stdout, spawnError: error.message }));
    child.on('close', (code, signal) => done({ code, signal, stdout }));
  });
}

function finishKilledRun(given: string, folder: string, record: ProbeRunRecord, child: ChildEnd): ProbeRunRecord {
  const python = launcherInterpreter(given) ?? given;
  const summary = spawnSync(python, ['-m', 'dropout_lens', 'summarize', folder], {
    env: probeEnvironment(),
    encoding: 'utf8',
    timeout: 60_000,
  });
  let parsed: unknown;
  try {
    parsed = JSON.parse(summary.stdout);
  } catch {
    parsed = undefined;
  }
  const ended: ProbeRunRecord = {
    ...record,
    status: record.status === 'running' ? 'failed' : record.status,
    ...(record.status === 'running'
      ? {
          message: child.signal
            ? `the script was killed (${child.signal}); its records up to then are kept`
            : `the script ended (exit ${child.code}) before the probe could end its run`,
        }
      : {}),
    updatedAt: new Date().toISOString(),
    ...(isProbeSummary(parsed) ? { summary: parsed } : {}),
  };
  const file = join(folder, 'run.json');
  const temp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(temp, JSON.stringify(ended));
    renameSync(temp, file);
  } catch {
    // the record stays as the launcher left it
  }
  return ended;
}

function severityOf(rule: string): string {
  return RULE_INFO.get(rule as RuleId)?.severity ?? 'warning';
}

/** The --json object, with run-time findings cross-referenced with the static analysis of the script's files. */
export function probeResult(
  record: ProbeRunRecord,
  folder: string,
  exitCode: number,
  stdout: string,
  script: string,
): ProbeResult {
  const summary: ProbeSummary = record.summary ?? { kind: 'probe', ranks: 0, steps: 0, modules: [], findings: [] };
  const files = new Set<string>([resolve(script), ...summary.findings.map((f) => f.file)]);
  const statics = staticFindings([...files].filter((f) => f.endsWith('.py') && existsSync(f)));
  const findings = summary.findings.map((f) => {
    const match = statics.find((s) => s.rule === f.rule && s.file === f.file);
    const note = match ? ` (confirms the static finding at line ${match.line})` : '';
    return { rule: f.rule, file: f.file, line: f.line, message: f.message + note, rank: f.rank };
  });
  const completed = record.status === 'completed';
  return {
    stdout,
    exitCode,
    ranks: summary.ranks,
    modules: summary.modules.map((m) => ({
      name: m.name,
      kind: m.kind,
      p: m.p,
      realizedDrop: m.realizedDrop,
      trainCalls: m.trainCalls,
      evalCalls: m.evalCalls,
      rank: m.rank,
    })),
    findings,
    run: folder,
    status: record.status,
    static: statics.map((s) => ({
      ...s,
      observed: summary.findings.some((f) => f.rule === s.rule && f.file === s.file) || !completed,
    })),
  };
}

function staticFindings(files: string[]): { rule: string; file: string; line: number }[] {
  const out: { rule: string; file: string; line: number }[] = [];
  // Loaded on demand (the parser is the CLI's heaviest module); without it the run's findings stand alone.
  let analyzeDocument: typeof import('../analysis').analyzeDocument;
  try {
    analyzeDocument = (require('../analysis') as typeof import('../analysis')).analyzeDocument;
  } catch {
    return out;
  }
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const f of analyzeDocument(text, file))
      if (SHARED_RULES.has(f.rule)) out.push({ rule: f.rule, file, line: f.range.start.line + 1 });
  }
  return out;
}

const shown = (file: string) => {
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
};

export function probeText(result: ProbeResult): string {
  const lines: string[] = [];
  const steps = result.ranks === 1 ? '1 process' : `${result.ranks} ranks`;
  lines.push('', `dropout-lens probe: ${result.status} (exit ${result.exitCode}), ${steps}, run ${shown(result.run)}`);
  if (result.modules.length > 0) {
    lines.push(
      '',
      table(
        ['layer', 'kind', 'p', 'realized', 'train calls', 'eval calls', 'rank'],
        result.modules.map((m) => [
          m.name,
          m.kind,
          m.p.toFixed(2),
          m.realizedDrop === null ? '–' : m.realizedDrop.toFixed(3),
          String(m.trainCalls),
          String(m.evalCalls),
          String(m.rank ?? '?'),
        ]),
      ).trimEnd(),
    );
  } else lines.push('', 'No dropout layer ran.');
  if (result.findings.length > 0) {
    lines.push('', 'Observed at run time:');
    for (const f of result.findings)
      lines.push(`  ${shown(f.file)}:${f.line} ${f.rule}${f.rank !== null ? ` (rank ${f.rank})` : ''}: ${f.message}`);
  } else lines.push('', 'No run-time finding.');
  const unobserved = result.static.filter((s) => !s.observed);
  if (unobserved.length > 0) {
    lines.push('', 'Static findings this run did not observe (the code ran without showing them):');
    for (const s of unobserved) lines.push(`  ${shown(s.file)}:${s.line} ${s.rule}`);
  }
  return lines.join('\n') + '\n';
}
