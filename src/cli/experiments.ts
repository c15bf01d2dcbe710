/**
 * `dropout-lens sweep CONFIG` and `dropout-lens compare CONFIG`: the experiments from a terminal, trainings
 * in parallel engine workers, a progress bar on stderr, a summary table on stdout, or with `--json` one
 * machine-readable result on stdout. Exit codes: 0 success, 1 a failed run (or an unreadable config),
 * 2 bad usage.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import {
  fmt,
  runCompareExperiment,
  runSweepExperiment,
  workerLauncher,
  type CompareResult,
  type ExperimentProgress,
  type FinalRow,
  type LayerGroup,
  type Launcher,
  type SweepResult,
} from '../experiments';
import { checkRates, DEFAULT_SWEEP_RATES } from '../experiments/sweep';
import type { ModelSpec } from '../protocol/modelSpec';
import { DEFAULT_RUNS_FOLDER, RunStore, type RunWriter } from '../runs';
import type { RunKind } from '../runs/format';
import { percent, progressBar, table } from './format';
import type { CliIO } from './main';

const SWEEP_USAGE = `Usage: dropout-lens sweep CONFIG [--rates 0,0.1,...,0.8] [--group input|hidden|all] [--epochs N] [--parallel N] [--save] [--json]

Trains the model once per dropout rate (default 0 to 0.8 in steps of 0.1) on the chosen layer group
(default hidden), in parallel, and reports validation loss and accuracy per rate, the best rate (lowest
validation loss) and the overfitting/underfitting regions around it.
  --rates LIST    comma-separated rates in [0, 1)
  --group G       input: dropout before the first dense layer; hidden: after hidden layers; all: both
  --epochs N      override the config's epochs
  --parallel N    trainings at once (default: one per CPU core)
  --save          save the experiment under ${DEFAULT_RUNS_FOLDER} in the current folder
  --json          print the result as JSON on stdout
`;

const COMPARE_USAGE = `Usage: dropout-lens compare CONFIG [--epochs N] [--parallel N] [--save] [--json]

Trains the model twice with the same data and seed, with its dropout and with every rate at 0 (and
DropConnect off), and reports final training/validation loss and accuracy, the generalization gap, and
how evenly each model spreads its weights.
  --epochs N      override the config's epochs
  --parallel N    trainings at once (default: one per CPU core)
  --save          save the experiment under ${DEFAULT_RUNS_FOLDER} in the current folder
  --json          print the result as JSON on stdout
`;

/** What the commands need from outside; tests replace it. */
export interface ExperimentCliDeps {
  launcher(): Launcher;
  loadConfig(path: string): Promise<{ spec: ModelSpec; csvText?: string } | { error: string }>;
  runsFolder(): string;
  /** A TTY redraws one progress line; otherwise progress is printed at most every 10%. */
  interactive: boolean;
}

/** The repository or extension root that holds the engine worker (bundle or sources). */
export function engineRoot(): string {
  const bin = process.argv[1] ? dirname(resolve(process.argv[1])) : undefined; // <root>/bin/dropout-lens.js
  const candidates = [...(bin ? [join(bin, '..')] : []), join(__dirname, '..'), join(__dirname, '..', '..'), process.cwd()];
  return candidates.find((c) => existsSync(join(c, 'dist', 'worker.js')) || existsSync(join(c, 'src', 'engine', 'worker.ts'))) ?? process.cwd();
}

const defaultDeps: ExperimentCliDeps = {
  launcher: () => workerLauncher(engineRoot()),
  // Loaded on first use (it brings the config parser and the in-process engine); `require` works from the
  // webpack bundle and from sources under tsx alike.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  loadConfig: (path) => (require('./train') as typeof import('./train')).loadConfigFile(path),
  runsFolder: () => resolve(process.cwd(), DEFAULT_RUNS_FOLDER),
  interactive: process.stderr.isTTY === true,
};

interface Parsed {
  config: string;
  json: boolean;
  save: boolean;
  epochs?: number;
  parallel?: number;
  rates?: number[];
  group?: LayerGroup;
}

/** Parses the shared flags; returns an error message for bad usage. */
function parseArgs(args: string[], allowSweepFlags: boolean): Parsed | { error: string } | 'help' {
  if (args.includes('--help') || args.includes('-h')) return 'help';
  const positional: string[] = [];
  const out: Partial<Parsed> = { json: false, save: false };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const value = () => {
      const v = args[++i];
      if (v === undefined || v.startsWith('--')) throw new Error(`${a} needs a value`);
      return v;
    };
    try {
      switch (a) {
        case '--json':
          out.json = true;
          break;
        case '--save':
          out.save = true;
          break;
        case '--epochs': {
          const n = Number(value());
          if (!Number.isInteger(n) || n < 1) return { error: '--epochs needs a positive whole number' };
          out.epochs = n;
          break;
        }
        case '--parallel': {
          const n = Number(value());
          if (!Number.isInteger(n) || n < 1) return { error: '--parallel needs a positive whole number' };
          out.parallel = n;
          break;
        }
        case '--rates':
          if (!allowSweepFlags) return { error: `unknown option ${a}` };
          {
            const text = value();
            const rates = text.split(',').map((s) => (s.trim() === '' ? Number.NaN : Number(s)));
            const problem = checkRates(rates);
            if (problem) return { error: `--rates ${text}: ${problem}` };
            out.rates = rates;
          }
          break;
        case '--group': {
          if (!allowSweepFlags) return { error: `unknown option ${a}` };
          const g = value();
          if (g !== 'input' && g !== 'hidden' && g !== 'all') return { error: `--group must be input, hidden or all (got "${g}")` };
          out.group = g;
          break;
        }
        default:
          if (a.startsWith('-')) return { error: `unknown option ${a}` };
          positional.push(a);
      }
    } catch (error) {
      return { error: (error as Error).message };
    }
  }
  if (positional.length !== 1) return { error: positional.length === 0 ? 'a CONFIG file is needed' : 'only one CONFIG file, please' };
  return { ...out, config: positional[0]! } as Parsed;
}

function progressPrinter(io: CliIO, interactive: boolean): { onProgress(p: ExperimentProgress): void; end(): void } {
  let lastDecile = -1;
  let lastDraw = 0;
  let drawn = false;
  return {
    onProgress(p) {
      if (interactive) {
        const now = Date.now();
        if (now - lastDraw < 100 && p.fraction < 1) return;
        lastDraw = now;
        drawn = true;
        io.stderr(`\r${progressBar(p.fraction)} ${p.completedRuns}/${p.totalRuns} runs  ${(p.label ?? '').padEnd(24).slice(0, 24)}`);
      } else {
        const decile = Math.floor(p.fraction * 10);
        if (decile === lastDecile) return;
        lastDecile = decile;
        io.stderr(`${progressBar(p.fraction)} ${p.completedRuns}/${p.totalRuns} runs\n`);
      }
    },
    end() {
      if (drawn) io.stderr('\n');
    },
  };
}

async function prepare(
  name: 'sweep' | 'compare',
  args: string[],
  io: CliIO,
  deps: ExperimentCliDeps,
): Promise<{ parsed: Parsed; spec: ModelSpec; csvText?: string; writer?: RunWriter } | number> {
  const usage = name === 'sweep' ? SWEEP_USAGE : COMPARE_USAGE;
  const parsed = parseArgs(args, name === 'sweep');
  if (parsed === 'help') {
    io.stdout(usage);
    return 0;
  }
  if ('error' in parsed) {
    io.stderr(`dropout-lens ${name}: ${parsed.error}\n\n${usage}`);
    return 2;
  }
  const loaded = await deps.loadConfig(parsed.config);
  if ('error' in loaded) {
    io.stderr(`${loaded.error}\n`);
    return 1;
  }
  let writer: RunWriter | undefined;
  if (parsed.save) {
    const kind: RunKind = name;
    writer = await new RunStore(deps.runsFolder()).create({ kind, spec: loaded.spec, config: { name: loaded.spec.name, path: parsed.config } });
  }
  return { parsed, spec: loaded.spec, ...(loaded.csvText !== undefined ? { csvText: loaded.csvText } : {}), ...(writer ? { writer } : {}) };
}

/** SIGINT stops the trainings; the result then reports `stopped`. */
function withInterrupt<T>(run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.once('SIGINT', onSigint);
  return run(controller.signal).finally(() => process.off('SIGINT', onSigint));
}

/** A final-metrics row as JSON: per-run final train/val loss and accuracy, and the generalization gap. */
function runJson(row: FinalRow, status: string, message: string | undefined, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    label: row.label,
    ...extra,
    status,
    ...(message !== undefined ? { message } : {}),
    trainLoss: row.trainLoss ?? null,
    trainAccuracy: row.trainAccuracy ?? null,
    valLoss: row.valLoss ?? null,
    valAccuracy: row.valAccuracy ?? null,
    generalizationGap: { loss: row.gapLoss ?? null, accuracy: row.gapAccuracy ?? null },
  };
}

function rowCells(row: FinalRow): string[] {
  return [fmt(row.trainLoss), percent(row.trainAccuracy), fmt(row.valLoss), percent(row.valAccuracy), fmt(row.gapLoss), row.gapAccuracy === undefined ? '–' : percent(row.gapAccuracy)];
}

const METRIC_HEADER = ['train loss', 'train acc', 'val loss', 'val acc', 'gap (loss)', 'gap (acc)'];

export function sweepJson(result: SweepResult, configPath?: string): Record<string, unknown> {
  return {
    kind: 'sweep',
    ...(configPath !== undefined ? { config: configPath } : {}),
    name: result.name,
    seed: result.seed,
    status: result.status,
    ...(result.message !== undefined ? { message: result.message } : {}),
    group: result.group,
    bestRate: result.best?.rate ?? null,
    overfittingRates: result.overfitting?.rates ?? [],
    underfittingRates: result.underfitting?.rates ?? [],
    runs: result.points.map((p, i) => runJson(result.table[i]!, p.training.status, p.training.message, { rate: p.rate, ...(p.region ? { region: p.region } : {}) })),
  };
}

export function compareJson(result: CompareResult, configPath?: string): Record<string, unknown> {
  const arms = [result.withDropout, result.withoutDropout];
  return {
    kind: 'compare',
    ...(configPath !== undefined ? { config: configPath } : {}),
    name: result.name,
    seed: result.seed,
    status: result.status,
    ...(result.message !== undefined ? { message: result.message } : {}),
    runs: arms.map((arm, i) =>
      runJson(result.table[i]!, arm.training.status, arm.training.message, {
        dropout: arm.key === 'with-dropout',
        ...(arm.weights ? { weights: { evenness: arm.weights.evenness, std: arm.weights.std, maxAbs: arm.weights.maxAbs, kurtosis: arm.weights.kurtosis } } : {}),
      }),
    ),
    gapReduction: result.gapReduction ?? null,
    evennessGain: result.evennessGain ?? null,
    notes: result.notes,
  };
}

export async function runSweepWith(args: string[], io: CliIO, deps: ExperimentCliDeps): Promise<number> {
  const ready = await prepare('sweep', args, io, deps);
  if (typeof ready === 'number') return ready;
  const { parsed, spec } = ready;
  const rates = parsed.rates ?? [...DEFAULT_SWEEP_RATES];
  const progress = progressPrinter(io, deps.interactive);
  const result = await withInterrupt((signal) =>
    runSweepExperiment(spec, {
      launcher: deps.launcher(),
      rates,
      group: parsed.group ?? 'hidden',
      signal,
      onProgress: progress.onProgress,
      ...(ready.csvText !== undefined ? { csvText: ready.csvText } : {}),
      ...(parsed.epochs !== undefined ? { epochs: parsed.epochs } : {}),
      ...(parsed.parallel !== undefined ? { maxParallel: parsed.parallel } : {}),
      ...(ready.writer ? { writer: ready.writer } : {}),
    }),
  );
  progress.end();
  if (parsed.json) io.stdout(JSON.stringify(sweepJson(result, parsed.config), null, 2) + '\n');
  else {
    const rows = result.points.map((p, i) => [
      `${p.rate}${p.region === 'best' ? ' *' : ''}`,
      ...rowCells(result.table[i]!),
      p.training.status === 'completed' ? (p.region ?? '') : p.training.status,
    ]);
    io.stdout(`\n${result.name} (seed ${result.seed}), dropout-rate sweep on the ${result.group} group\n`);
    io.stdout(table(['rate', ...METRIC_HEADER, 'region'], rows));
    if (result.best) io.stdout(`best rate: ${result.best.rate} (val loss ${fmt(result.best.valLoss)}${result.best.valAccuracy !== undefined ? `, val acc ${percent(result.best.valAccuracy)}` : ''})\n`);
    if (result.overfitting) io.stdout(`overfitting region (too little dropout): ${result.overfitting.from} to ${result.overfitting.to}\n`);
    if (result.underfitting) io.stdout(`underfitting region (too much dropout): ${result.underfitting.from} to ${result.underfitting.to}\n`);
    if (ready.writer) io.stdout(`saved: ${ready.writer.file}\n`);
  }
  if (result.status !== 'completed') io.stderr(`dropout-lens sweep: ${result.status}: ${result.message ?? ''}\n`);
  return result.status === 'completed' ? 0 : 1;
}

export async function runCompareWith(args: string[], io: CliIO, deps: ExperimentCliDeps): Promise<number> {
  const ready = await prepare('compare', args, io, deps);
  if (typeof ready === 'number') return ready;
  const { parsed, spec } = ready;
  const progress = progressPrinter(io, deps.interactive);
  const result = await withInterrupt((signal) =>
    runCompareExperiment(spec, {
      launcher: deps.launcher(),
      signal,
      onProgress: progress.onProgress,
      ...(ready.csvText !== undefined ? { csvText: ready.csvText } : {}),
      ...(parsed.epochs !== undefined ? { epochs: parsed.epochs } : {}),
      ...(parsed.parallel !== undefined ? { maxParallel: parsed.parallel } : {}),
      ...(ready.writer ? { writer: ready.writer } : {}),
    }),
  );
  progress.end();
  if (parsed.json) io.stdout(JSON.stringify(compareJson(result, parsed.config), null, 2) + '\n');
  else {
    const arms = [result.withDropout, result.withoutDropout];
    io.stdout(`\n${result.name} (seed ${result.seed}), with vs without dropout\n`);
    io.stdout(
      table(
        ['run', ...METRIC_HEADER, 'weight evenness', 'max |w|'],
        arms.map((arm, i) => [arm.label + (arm.training.status !== 'completed' ? ` (${arm.training.status})` : ''), ...rowCells(result.table[i]!), fmt(arm.weights?.evenness, 3), fmt(arm.weights?.maxAbs, 3)]),
      ),
    );
    if (result.gapReduction) {
      const g = result.gapReduction;
      io.stdout(`dropout ${g.loss > 0 ? 'narrows' : 'does not narrow'} the generalization gap: loss gap ${g.loss > 0 ? '−' : '+'}${fmt(Math.abs(g.loss))}${g.accuracy !== undefined ? `, accuracy gap ${g.accuracy > 0 ? '−' : '+'}${percent(Math.abs(g.accuracy))}` : ''}\n`);
    }
    if (result.evennessGain !== undefined) io.stdout(`weights with dropout are ${result.evennessGain > 0 ? 'more' : 'less'} evenly spread (evenness ${result.evennessGain > 0 ? '+' : ''}${fmt(result.evennessGain, 3)})\n`);
    for (const note of result.notes) io.stdout(`note: ${note}\n`);
    if (ready.writer) io.stdout(`saved: ${ready.writer.file}\n`);
  }
  if (result.status !== 'completed') io.stderr(`dropout-lens compare: ${result.status}: ${result.message ?? ''}\n`);
  return result.status === 'completed' ? 0 : 1;
}

/** `dropout-lens sweep CONFIG [--rates 0,0.1,...] [--group input|hidden|all] [--json]` */
export function runSweep(args: string[], io: CliIO): Promise<number> {
  return runSweepWith(args, io, defaultDeps);
}

/** `dropout-lens compare CONFIG [--json]` */
export function runCompare(args: string[], io: CliIO): Promise<number> {
  return runCompareWith(args, io, defaultDeps);
}

