/**
 * The experiments from a terminal: `dropout-lens compare|sweep|size-sweep|mc|forgot-eval CONFIG`. Trainings
 * run in parallel engine workers, a progress bar goes to stderr, a summary table to stdout, or with `--json`
 * one machine-readable result to stdout. Every command shares one harness (`runExperimentCommand`): flag
 * parsing, config loading, `--save`, Ctrl-C, progress, exit codes. Exit codes: 0 success, 1 a failed run
 * (or an unreadable config), 2 bad usage.
 */
import { resolve } from 'node:path';
import {
  finalRow,
  fmt,
  meanRow,
  runCompareExperiment,
  runDatasetSweepExperiment,
  runForgotEvalExperiment,
  runMcExperiment,
  runSweepExperiment,
  workerLauncher,
  type CompareResult,
  type DatasetSweepResult,
  type ExperimentOptions,
  type ExperimentProgress,
  type ExperimentStatus,
  type FinalRow,
  type ForgotEvalResult,
  type LayerGroup,
  type Launcher,
  type McExperimentResult,
  type SeedStats,
  type SweepResult,
  type TrainingSummary,
} from '../experiments';
import { DEFAULT_SEEDS, formatInterval, type Interval, type PairedDifference } from '../experiments/intervals';
import { checkFractions, DEFAULT_FRACTIONS } from '../experiments/datasetSweep';
import { checkRates, DEFAULT_SWEEP_RATES, sweepNoiseText } from '../experiments/sweep';
import type { ModelSpec } from '../protocol/modelSpec';
import {
  checkRunsFolder,
  DEFAULT_RUNS_FOLDER,
  RunStore,
  type RunFileSystem,
  type RunSaveError,
  type RunWriter,
} from '../runs';
import { projectRoot } from '../session/projectRoot';
import type { RunKind } from '../runs/format';
import { MAX_EPOCHS, oneOf, parseArgs, shown, wholeNumber, type FlagSpec } from './args';
import { compareJson, datasetSweepJson, forgotEvalJson, mcJson, sweepJson } from './experimentJson';
import { percent, progressBar, table } from './format';
import type { CliIO } from './io';

/** The options every experiment command takes, at the end of its usage. */
const COMMON_OPTIONS = `  --seeds N       seeds per point, 1 to 100 (default ${DEFAULT_SEEDS}): the config's seed and the next
                  ones; results are means with 95% t-intervals over them
  --epochs N      override the config's epochs (1 to 100000)
  --parallel N    trainings at once, 1 to 256 (default: one per CPU core)
  --save          save the experiment under ${DEFAULT_RUNS_FOLDER} in the current folder
  --json          print the result as JSON on stdout
`;

const SWEEP_USAGE = `Usage: dropout-lens sweep CONFIG [--rates 0,0.1,...,0.8] [--group input|hidden|all] [--seeds N] [--epochs N] [--parallel N] [--save] [--json]

Trains the model per dropout rate (default 0 to 0.8 in steps of 0.1) on the chosen layer group (default
hidden), on each seed, in parallel, and reports validation loss and accuracy per rate (mean and 95%
interval over the seeds), the best rate (lowest mean validation loss), the rates a paired t-test over the
seeds cannot tell from it, and the overfitting/underfitting regions around it.
  --rates LIST    comma-separated rates in [0, 1)
  --group G       input: dropout before the first dense or conv2d layer; hidden: after hidden layers; all: both
${COMMON_OPTIONS}`;

const COMPARE_USAGE = `Usage: dropout-lens compare CONFIG [--seeds N] [--epochs N] [--parallel N] [--save] [--json]

Trains the model on the same data and seeds with its dropout and with every rate at 0 (and DropConnect
off), and reports final training/validation loss and accuracy, the generalization gap (means and 95%
intervals over the seeds, and whether the change is beyond the noise), and how evenly each model spreads
its weights.
${COMMON_OPTIONS}`;

const SIZE_SWEEP_USAGE = `Usage: dropout-lens size-sweep CONFIG [--fractions ${DEFAULT_FRACTIONS.join(',')}] [--seeds N] [--epochs N] [--parallel N] [--save] [--json]

Trains the model with and without dropout on growing subsets of the data (same seeds), and reports per
size how much dropout helps: validation loss without dropout minus with it (positive: it helps; mean and
95% interval over the seeds, paired), the
size where it helps most and the size from which it stops helping. A config without dropout gets 0.5
after each hidden layer for the "with dropout" runs.
  --fractions LIST  comma-separated fractions of the data in (0, 1]
${COMMON_OPTIONS}`;

const MC_USAGE = `Usage: dropout-lens mc CONFIG [--samples N] [--seeds N] [--epochs N] [--save] [--json]

Trains the model, then makes N stochastic passes over the validation data with dropout on (Monte Carlo
dropout), and reports the mean variance of the predictions, the accuracy of the Monte Carlo mean against
the deterministic eval-mode pass (means and 95% intervals over the seeds), and the samples the model
(first seed) is least sure of.
  --samples N     stochastic passes, 2 to 1000 (default: the config's evaluation.mcSamples, else 30)
${COMMON_OPTIONS}`;

const FORGOT_EVAL_USAGE = `Usage: dropout-lens forgot-eval CONFIG [--passes N] [--seeds N] [--epochs N] [--save] [--json]

Trains the model, then evaluates it in eval mode (correct) and in train mode (dropout still on: what a
loop that forgot model.eval() reports), means and 95% intervals over the seeds, and how much single
train-mode passes (first seed) disagree with each other: the accuracy each reports, the predictions that
flip between passes.
  --passes N      single train-mode passes, 2 to 1000 (default 10)
${COMMON_OPTIONS}`;

/** What the commands need from outside; tests replace it. */
export interface ExperimentCliDeps {
  launcher(): Launcher;
  loadConfig(path: string): Promise<{ spec: ModelSpec; csvText?: string; csvPath?: string } | { error: string }>;
  runsFolder(): string;
  /** Where runs are written (tests fake a full disk); default node:fs. */
  fileSystem?: RunFileSystem;
  /** A TTY redraws one progress line; otherwise progress is printed at most every 10%. */
  interactive: boolean;
}

const defaultDeps: ExperimentCliDeps = {
  launcher: () => workerLauncher(projectRoot()),
  // Loaded on first use (it brings the config parser and the in-process engine); `require` works from the
  // webpack bundle and from sources under tsx alike.
  // A CSV is checked and passed by path: each engine worker streams it (the size sweep reads it to cut subsets).
  loadConfig: (path) => (require('./train') as typeof import('./train')).loadConfigFile(path, { streamCsv: true }),
  runsFolder: () => resolve(process.cwd(), DEFAULT_RUNS_FOLDER),
  interactive: process.stderr.isTTY === true,
};

interface Parsed {
  config: string;
  json: boolean;
  save: boolean;
  epochs?: number;
  parallel?: number;
  seeds?: number;
  rates?: number[];
  group?: LayerGroup;
  fractions?: number[];
  samples?: number;
  passes?: number;
}

/** Options only some commands take; each command lists the ones it accepts. */
type ExtraFlag = '--rates' | '--group' | '--fractions' | '--samples' | '--passes';

/** The most trainings at once `--parallel` allows. */
const MAX_PARALLEL = 256;

const numberList = (
  flag: string,
  check: (values: readonly number[]) => string | undefined,
  expects: string,
): FlagSpec => ({
  expects,
  read: (text) => {
    const values = text.split(',').map((s) => (s.trim() === '' ? Number.NaN : Number(s)));
    const problem = check(values);
    return problem ? { error: `${flag} must be ${expects}, got ${shown(text)}: ${problem}` } : { value: values };
  },
});

const COMMON_FLAGS: [string, FlagSpec][] = [
  ['--json', {}],
  ['--save', {}],
  ['--epochs', wholeNumber('--epochs', 1, MAX_EPOCHS)],
  ['--parallel', wholeNumber('--parallel', 1, MAX_PARALLEL)],
  ['--seeds', wholeNumber('--seeds', 1, 100)],
];

const EXTRA_FLAGS = new Map<ExtraFlag, FlagSpec>([
  ['--samples', wholeNumber('--samples', 2, 1000)],
  ['--passes', wholeNumber('--passes', 2, 1000)],
  ['--rates', numberList('--rates', checkRates, 'comma-separated dropout rates in [0, 1), each once')],
  ['--fractions', numberList('--fractions', checkFractions, 'comma-separated fractions in (0, 1], each once')],
  ['--group', oneOf('--group', ['input', 'hidden', 'all'] as const)],
]);

/** Parses the shared flags and the command's extra ones; returns an error message for bad usage. */
function parseCommandArgs(args: string[], extraFlags: readonly ExtraFlag[]): Parsed | { error: string } | 'help' {
  const specs = new Map<string, FlagSpec>([
    ...COMMON_FLAGS,
    ...extraFlags.map((f): [string, FlagSpec] => [f, EXTRA_FLAGS.get(f)!]),
  ]);
  const parsed = parseArgs(args, specs);
  if (parsed === 'help' || 'error' in parsed) return parsed;
  const { flags, positional } = parsed;
  if (positional.length !== 1)
    return {
      error:
        positional.length === 0 ? 'a CONFIG file is needed' : `only one CONFIG file, please (got ${positional.length})`,
    };
  const out: Parsed = { config: positional[0]!, json: flags.has('--json'), save: flags.has('--save') };
  const put = <K extends keyof Parsed>(key: K, flag: string) => {
    if (flags.has(flag)) out[key] = flags.get(flag) as Parsed[K];
  };
  put('epochs', '--epochs');
  put('parallel', '--parallel');
  put('seeds', '--seeds');
  put('rates', '--rates');
  put('group', '--group');
  put('fractions', '--fractions');
  put('samples', '--samples');
  put('passes', '--passes');
  return out;
}

function progressPrinter(
  io: CliIO,
  interactive: boolean,
): { onProgress: (p: ExperimentProgress) => void; end: () => void } {
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
        io.stderr(
          `\r${progressBar(p.fraction)} ${p.completedRuns}/${p.totalRuns} runs  ${(p.label ?? '').padEnd(24).slice(0, 24)}`,
        );
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

/** SIGINT stops the trainings; the result then reports `stopped`. */
function withInterrupt<T>(run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.once('SIGINT', onSigint);
  return run(controller.signal).finally(() => process.off('SIGINT', onSigint));
}

/** One experiment command: its name, the run kind it saves, its usage and extra flags, how it runs and reports. */
interface ExperimentCommand<R extends { status: ExperimentStatus; message?: string }> {
  name: string;
  kind: RunKind;
  usage: string;
  flags: readonly ExtraFlag[];
  run(spec: ModelSpec, options: ExperimentOptions, parsed: Parsed): Promise<R>;
  json(result: R, configPath?: string): Record<string, unknown>;
  /** The summary printed on stdout without `--json`. */
  text(result: R): string;
}

/** Parse, load the config, train (Ctrl-C stops), print the result, and answer with the exit code. */
async function runExperimentCommand<R extends { status: ExperimentStatus; message?: string }>(
  command: ExperimentCommand<R>,
  args: string[],
  io: CliIO,
  deps: ExperimentCliDeps,
): Promise<number> {
  const parsed = parseCommandArgs(args, command.flags);
  if (parsed === 'help') {
    io.stdout(command.usage);
    return 0;
  }
  if ('error' in parsed) {
    io.stderr(`dropout-lens ${command.name}: ${parsed.error}\n\n${command.usage}`);
    return 2;
  }
  const fail = (message: string) => io.stderr(`dropout-lens ${command.name}: ${message}\n`);
  // Before any long work (reading a large CSV, training): can the run be saved where --save puts it?
  const folder = parsed.save ? deps.runsFolder() : undefined;
  if (folder !== undefined) {
    const problem = await checkRunsFolder(folder, deps.fileSystem);
    if (problem) {
      fail(`cannot save the run (--save): ${problem.message}`);
      return 1;
    }
  }
  const loaded = await deps.loadConfig(parsed.config);
  if ('error' in loaded) {
    io.stderr(`${loaded.error}\n`);
    return 1;
  }
  let writer: RunWriter | undefined;
  if (folder !== undefined) {
    // Every failed write is reported as it happens; the same reason for the same file once.
    const told = new Set<string>();
    const onError = (error: RunSaveError) => {
      const key = `${error.path}\0${error.code ?? error.reason}`;
      if (told.has(key)) return;
      told.add(key);
      if (deps.interactive) io.stderr('\n');
      fail(`saving the run failed: ${error.message}`);
    };
    try {
      writer = await new RunStore(folder, deps.fileSystem).create({
        kind: command.kind,
        spec: loaded.spec,
        config: { name: loaded.spec.name, path: parsed.config },
        onError,
      });
    } catch (error) {
      fail(`cannot save the run (--save): ${error instanceof Error ? error.message : String(error)}`);
      return 1;
    }
  }
  const progress = progressPrinter(io, deps.interactive);
  let result: R;
  try {
    result = await withInterrupt((signal) =>
      command.run(
        loaded.spec,
        {
          launcher: deps.launcher(),
          signal,
          onProgress: progress.onProgress,
          ...(loaded.csvText !== undefined ? { csvText: loaded.csvText } : {}),
          ...(loaded.csvPath !== undefined ? { csvPath: loaded.csvPath } : {}),
          ...(parsed.epochs !== undefined ? { epochs: parsed.epochs } : {}),
          ...(parsed.parallel !== undefined ? { maxParallel: parsed.parallel } : {}),
          ...(parsed.seeds !== undefined ? { seeds: parsed.seeds } : {}),
          ...(writer ? { writer } : {}),
        },
        parsed,
      ),
    );
  } catch (error) {
    // Not a usage error: an experiment that could not run (a dataset unreadable since it was checked...). Its
    // message, never a stack; the run it leaves is ended as failed.
    progress.end();
    const message = error instanceof Error ? error.message : String(error);
    if (writer) {
      await writer.finish('failed', { message });
      await writer.close();
    }
    fail(`failed: ${message}`);
    return 1;
  }
  progress.end();
  // Saved means the final record is on disk: written, flushed and renamed into place.
  const saved = writer ? await writer.close() : undefined;
  if (parsed.json) io.stdout(JSON.stringify(command.json(result, parsed.config), null, 2) + '\n');
  else {
    io.stdout(command.text(result));
    if (saved?.saved)
      io.stdout(
        `saved: ${saved.file}${saved.failures.length > 0 ? ` (after ${saved.failures.length} failed write${saved.failures.length === 1 ? '' : 's'}, reported above)` : ''}\n`,
      );
  }
  if (result.status !== 'completed') fail(`${result.status}: ${result.message ?? ''}`);
  if (saved && !saved.saved) {
    fail(`the run was not saved: ${saved.error.message}`);
    return 1;
  }
  return result.status === 'completed' ? 0 : 1;
}

function rowCells(row: FinalRow, stats?: SeedStats): string[] {
  return [
    fmt(row.trainLoss),
    percent(row.trainAccuracy),
    stats?.valLoss ? formatInterval(stats.valLoss) : fmt(row.valLoss),
    stats?.valAccuracy ? pctInterval(stats.valAccuracy) : percent(row.valAccuracy),
    stats?.gapLoss ? formatInterval(stats.gapLoss) : fmt(row.gapLoss),
    row.gapAccuracy === undefined ? '–' : percent(row.gapAccuracy),
  ];
}

/** "81.2 ± 3.1%" (both in percentage points); no ± with one seed. */
const pctInterval = (i: Interval | undefined) => (i ? `${formatInterval(i, 1, 100)}%` : '–');

/** The seeds line under a title. */
const seedsText = (seeds: readonly number[]) =>
  seeds.length === 1
    ? `one seed (${seeds[0]}): no intervals; --seeds N for means with 95% intervals\n`
    : `${seeds.length} seeds (${seeds[0]} to ${seeds[seeds.length - 1]}); values are means ± the half-width of the 95% t-interval\n`;

/** " (within noise)" or " (beyond noise)" for a paired difference over two or more seeds. */
const noiseNote = (d: PairedDifference | undefined) =>
  !d || d.n < 2
    ? ''
    : d.withinNoise
      ? ' (within noise: the 95% interval contains 0)'
      : ' (beyond the noise between seeds)';

const METRIC_HEADER = ['train loss', 'train acc', 'val loss', 'val acc', 'gap (loss)', 'gap (acc)'];

const notesText = (notes: readonly string[]) => notes.map((note) => `note: ${note}\n`).join('');

const signed = (v: number, digits = 4) => `${v > 0 ? '+' : v < 0 ? '−' : ''}${fmt(Math.abs(v), digits)}`;

/** " (failed)" and the like beside a training that did not complete; nothing beside one that did. */
const statusNote = (t: TrainingSummary) => (t.status === 'completed' ? '' : ` (${t.status})`);

/** The means row of one setting, or the training's own row without stats. */
const meanRowOf = (stats: SeedStats | undefined, training: TrainingSummary): FinalRow =>
  stats ? meanRow('training', stats) : finalRow('training', training);

const SWEEP: ExperimentCommand<SweepResult> = {
  name: 'sweep',
  kind: 'sweep',
  usage: SWEEP_USAGE,
  flags: ['--rates', '--group'],
  run: (spec, options, parsed) =>
    runSweepExperiment(spec, {
      ...options,
      rates: parsed.rates ?? [...DEFAULT_SWEEP_RATES],
      group: parsed.group ?? 'hidden',
    }),
  json: sweepJson,
  text(result) {
    const rows = result.points.map((p, i) => [
      `${p.rate}${p.region === 'best' ? ' *' : result.seeds.length > 1 && p.rate !== result.best?.rate && result.indistinguishable.includes(p.rate) ? ' ~' : ''}`,
      ...rowCells(result.table[i]!, p.stats),
      p.stats.status === 'completed' ? (p.region ?? '') : p.stats.status,
    ]);
    let out = `\n${result.name}, dropout-rate sweep on the ${result.group} group\n${seedsText(result.seeds)}`;
    out += table(['rate', ...METRIC_HEADER, 'region'], rows);
    if (result.best) {
      const best = result.points.find((p) => p.rate === result.best!.rate)!.stats;
      out += `best rate: ${result.best.rate} (val loss ${formatInterval(best.valLoss)}${best.valAccuracy ? `, val acc ${pctInterval(best.valAccuracy)}` : ''})\n`;
      if (result.seeds.length > 1)
        out += `indistinguishable from the best (~, paired t-test over the seeds): ${result.indistinguishable.join(', ')}\n`;
      out += `${sweepNoiseText(result)}\n`;
    }
    if (result.overfitting)
      out += `overfitting region (too little dropout): ${result.overfitting.from} to ${result.overfitting.to}\n`;
    if (result.underfitting)
      out += `underfitting region (too much dropout): ${result.underfitting.from} to ${result.underfitting.to}\n`;
    return out;
  },
};

const COMPARE: ExperimentCommand<CompareResult> = {
  name: 'compare',
  kind: 'compare',
  usage: COMPARE_USAGE,
  flags: [],
  run: (spec, options) => runCompareExperiment(spec, options),
  json: compareJson,
  text(result) {
    const arms = [result.withDropout, result.withoutDropout];
    let out = `\n${result.name}, with vs without dropout\n${seedsText(result.seeds)}`;
    out += table(
      ['run', ...METRIC_HEADER, 'weight evenness', 'max |w|'],
      arms.map((arm, i) => [
        arm.label + (arm.stats.status === 'completed' ? '' : ` (${arm.stats.status})`),
        ...rowCells(result.table[i]!, arm.stats),
        fmt(arm.weights?.evenness, 3),
        fmt(arm.weights?.maxAbs, 3),
      ]),
    );
    if (result.gapReduction) {
      const g = result.gapReduction;
      out += `dropout ${g.loss > 0 ? 'narrows' : 'does not narrow'} the generalization gap: loss gap ${g.loss > 0 ? '−' : '+'}${fmt(Math.abs(g.loss))}${g.accuracy !== undefined ? `, accuracy gap ${g.accuracy > 0 ? '−' : '+'}${percent(Math.abs(g.accuracy))}` : ''}${noiseNote(result.gapReductionInterval?.loss)}\n`;
    }
    if (result.valLossBenefit && result.seeds.length > 1) {
      const b = result.valLossBenefit;
      out += `validation loss with dropout is ${b.mean > 0 ? 'lower' : 'higher'} by ${formatInterval({ ...b, mean: Math.abs(b.mean) })}${noiseNote(b)}\n`;
    }
    if (result.evennessGain !== undefined)
      out += `weights with dropout are ${result.evennessGain > 0 ? 'more' : 'less'} evenly spread (evenness ${result.evennessGain > 0 ? '+' : ''}${fmt(result.evennessGain, 3)})\n`;
    return out + notesText(result.notes);
  },
};

const SIZE_SWEEP: ExperimentCommand<DatasetSweepResult> = {
  name: 'size-sweep',
  kind: 'dataset-sweep',
  usage: SIZE_SWEEP_USAGE,
  flags: ['--fractions'],
  run: (spec, options, parsed) =>
    runDatasetSweepExperiment(spec, { ...options, ...(parsed.fractions ? { fractions: parsed.fractions } : {}) }),
  json: datasetSweepJson,
  text(result) {
    const rows = result.points.map((p) => [
      `${p.fraction}${p.fraction === result.bestFraction ? ' *' : ''}`,
      p.samples === undefined ? '–' : String(p.samples),
      formatInterval(p.withStats.valLoss) + statusNote(p.withDropout),
      formatInterval(p.withoutStats.valLoss) + statusNote(p.withoutDropout),
      pctInterval(p.withStats.valAccuracy),
      pctInterval(p.withoutStats.valAccuracy),
      p.lossBenefitInterval === undefined
        ? '–'
        : `${signed(p.lossBenefitInterval.mean)}${p.lossBenefitInterval.n > 1 ? ` ± ${fmt((p.lossBenefitInterval.high - p.lossBenefitInterval.low) / 2)}` : ''}`,
      p.helps === undefined
        ? '–'
        : `${p.helps ? 'yes' : 'no'}${p.lossBenefitInterval && p.lossBenefitInterval.n > 1 && p.lossBenefitInterval.withinNoise ? ' (within noise)' : ''}`,
    ]);
    let out = `\n${result.name}, dataset-size sweep with vs without dropout\n${seedsText(result.seeds)}`;
    out += table(
      [
        'fraction',
        'samples',
        'val loss (dropout)',
        'val loss (none)',
        'val acc (dropout)',
        'val acc (none)',
        'benefit (loss)',
        'helps',
      ],
      rows,
    );
    if (result.bestFraction !== undefined) out += `dropout helps most at ${result.bestFraction} of the data\n`;
    if (result.stopsHelpingAt !== undefined) out += `dropout stops helping from ${result.stopsHelpingAt} of the data\n`;
    return out + notesText(result.notes);
  },
};

const MC: ExperimentCommand<McExperimentResult> = {
  name: 'mc',
  kind: 'mc',
  usage: MC_USAGE,
  flags: ['--samples'],
  // No uncertainty map: nothing here draws it, and it costs host time.
  run: (spec, options, parsed) =>
    runMcExperiment(spec, {
      ...options,
      mapResolution: 0,
      ...(parsed.samples !== undefined ? { samples: parsed.samples } : {}),
    }),
  json: mcJson,
  text(result) {
    let out = `\n${result.name}, Monte Carlo dropout with ${result.samples} passes\n${seedsText(result.seeds)}`;
    out += table(
      ['run', ...METRIC_HEADER],
      [['training', ...rowCells(meanRowOf(result.stats, result.training), result.stats)]],
    );
    const i = result.intervals;
    if (i.meanVariance) out += `mean variance of the predictions across passes: ${formatInterval(i.meanVariance, 6)}\n`;
    if (i.mcAccuracy && i.evalAccuracy && i.accuracyDelta) {
      out += `accuracy of the Monte Carlo mean ${pctInterval(i.mcAccuracy)} vs eval mode ${pctInterval(i.evalAccuracy)} (${signed(100 * i.accuracyDelta.mean, 1)} points)${noiseNote(i.accuracyDelta)}\n`;
    }
    if (result.leastSure.length > 0) {
      out += `least sure validation samples (seed ${result.seed}):\n`;
      out += table(
        ['sample', 'predicted', 'mean', 'variance'],
        result.leastSure.map((s) => [String(s.index), String(s.predicted), fmt(s.mean), fmt(s.variance, 6)]),
      );
    }
    return out + notesText(result.notes);
  },
};

const FORGOT_EVAL: ExperimentCommand<ForgotEvalResult> = {
  name: 'forgot-eval',
  kind: 'forgot-eval',
  usage: FORGOT_EVAL_USAGE,
  flags: ['--passes'],
  run: (spec, options, parsed) =>
    runForgotEvalExperiment(spec, { ...options, ...(parsed.passes !== undefined ? { passes: parsed.passes } : {}) }),
  json: forgotEvalJson,
  text(result) {
    let out = `\n${result.name}, evaluated in eval mode vs train mode (forgot eval())\n${seedsText(result.seeds)}`;
    const s = result.stats;
    const rows = [
      ['eval mode (correct)', formatInterval(s.valLoss), pctInterval(s.valAccuracy)],
      ['train mode (forgot eval())', formatInterval(s.valLossTrainMode), pctInterval(s.valAccuracyTrainMode)],
    ];
    out += table(['validation in', 'val loss', 'val acc'], rows);
    if (result.accuracyDrop !== undefined)
      out += `forgetting eval() reports ${percent(Math.abs(result.accuracyDrop))} ${result.accuracyDrop >= 0 ? 'lower' : 'higher'} accuracy${noiseNote(result.drop?.accuracy)}\n`;
    if (result.passAccuracy) {
      const a = result.passAccuracy;
      out += `${result.passes} single train-mode passes (seed ${result.seed}) report accuracies from ${percent(a.min)} to ${percent(a.max)} (std ${percent(a.std)})\n`;
    }
    if (result.flipRate !== undefined)
      out += `${percent(result.flipRate)} of the predictions flip between consecutive passes; ${percent(result.unstableFraction)} of the samples change at least once\n`;
    if (result.predictionStd !== undefined)
      out += `predictions vary across passes by ${fmt(result.predictionStd)} (mean standard deviation)\n`;
    return out + notesText(result.notes);
  },
};

export const runSweepWith = (args: string[], io: CliIO, deps: ExperimentCliDeps) =>
  runExperimentCommand(SWEEP, args, io, deps);
export const runCompareWith = (args: string[], io: CliIO, deps: ExperimentCliDeps) =>
  runExperimentCommand(COMPARE, args, io, deps);
export const runSizeSweepWith = (args: string[], io: CliIO, deps: ExperimentCliDeps) =>
  runExperimentCommand(SIZE_SWEEP, args, io, deps);
export const runMcWith = (args: string[], io: CliIO, deps: ExperimentCliDeps) =>
  runExperimentCommand(MC, args, io, deps);
export const runForgotEvalWith = (args: string[], io: CliIO, deps: ExperimentCliDeps) =>
  runExperimentCommand(FORGOT_EVAL, args, io, deps);

/** `dropout-lens sweep CONFIG [--rates 0,0.1,...] [--group input|hidden|all] [--json]` */
export const runSweep = (args: string[], io: CliIO) => runSweepWith(args, io, defaultDeps);
/** `dropout-lens compare CONFIG [--json]` */
export const runCompare = (args: string[], io: CliIO) => runCompareWith(args, io, defaultDeps);
/** `dropout-lens size-sweep CONFIG [--fractions 0.125,0.25,0.5,1] [--json]` */
export const runSizeSweep = (args: string[], io: CliIO) => runSizeSweepWith(args, io, defaultDeps);
/** `dropout-lens mc CONFIG [--samples N] [--json]` */
export const runMc = (args: string[], io: CliIO) => runMcWith(args, io, defaultDeps);
/** `dropout-lens forgot-eval CONFIG [--passes N] [--json]` */
export const runForgotEval = (args: string[], io: CliIO) => runForgotEvalWith(args, io, defaultDeps);
