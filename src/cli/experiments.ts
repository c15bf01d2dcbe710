/**
 * The experiments from a terminal: `dropout-lens compare|sweep|size-sweep|mc|forgot-eval CONFIG`. Trainings
 * run in parallel engine workers, a progress bar goes to stderr, a summary table to stdout, or with `--json`
 * one machine-readable result to stdout. Every command shares one harness (./experimentCommand): flag
 * parsing, config loading, `--save`, Ctrl-C, progress, exit codes. This file is the table of the commands
 * (name, run kind, usage, extra flags, how each runs and reports) and their entry points.
 */
import { resolve } from 'node:path';
import {
  runCompareExperiment,
  runDatasetSweepExperiment,
  runForgotEvalExperiment,
  runMcExperiment,
  runSweepExperiment,
  workerLauncher,
  type CompareResult,
  type DatasetSweepResult,
  type ForgotEvalResult,
  type McExperimentResult,
  type SweepResult,
} from '../experiments';
import { DEFAULT_SWEEP_RATES } from '../experiments/sweep';
import { DEFAULT_RUNS_FOLDER } from '../runs';
import { projectRoot } from '../session/projectRoot';
import { runExperimentCommand, type ExperimentCliDeps, type ExperimentCommand } from './experimentCommand';
import { compareJson, datasetSweepJson, forgotEvalJson, mcJson, sweepJson } from './experimentJson';
import { compareText, forgotEvalText, mcText, sizeSweepText, sweepText } from './experimentText';
import { COMPARE_USAGE, FORGOT_EVAL_USAGE, MC_USAGE, SIZE_SWEEP_USAGE, SWEEP_USAGE } from './experimentUsage';
import type { CliIO } from './io';

export type { ExperimentCliDeps } from './experimentCommand';

const defaultDeps: ExperimentCliDeps = {
  launcher: () => workerLauncher(projectRoot()),
  // Loaded on first use (it brings the config parser and the in-process engine); `require` works from the
  // webpack bundle and from sources under tsx alike.
  // A CSV is checked and passed by path: each engine worker streams it (the size sweep reads it to cut subsets).
  loadConfig: (path) => (require('./train') as typeof import('./train')).loadConfigFile(path, { streamCsv: true }),
  runsFolder: () => resolve(process.cwd(), DEFAULT_RUNS_FOLDER),
  interactive: process.stderr.isTTY === true,
};

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
  text: sweepText,
};

const COMPARE: ExperimentCommand<CompareResult> = {
  name: 'compare',
  kind: 'compare',
  usage: COMPARE_USAGE,
  flags: [],
  run: (spec, options) => runCompareExperiment(spec, options),
  json: compareJson,
  text: compareText,
};

const SIZE_SWEEP: ExperimentCommand<DatasetSweepResult> = {
  name: 'size-sweep',
  kind: 'dataset-sweep',
  usage: SIZE_SWEEP_USAGE,
  flags: ['--fractions'],
  run: (spec, options, parsed) =>
    runDatasetSweepExperiment(spec, { ...options, ...(parsed.fractions ? { fractions: parsed.fractions } : {}) }),
  json: datasetSweepJson,
  text: sizeSweepText,
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
  text: mcText,
};

const FORGOT_EVAL: ExperimentCommand<ForgotEvalResult> = {
  name: 'forgot-eval',
  kind: 'forgot-eval',
  usage: FORGOT_EVAL_USAGE,
  flags: ['--passes'],
  run: (spec, options, parsed) =>
    runForgotEvalExperiment(spec, { ...options, ...(parsed.passes !== undefined ? { passes: parsed.passes } : {}) }),
  json: forgotEvalJson,
  text: forgotEvalText,
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
