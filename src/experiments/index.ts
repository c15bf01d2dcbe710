/**
 * Experiments that answer dropout questions. Each takes a ModelSpec and options (CSV text, launcher,
 * parallelism, AbortSignal, progress callback, RunWriter) and resolves with a typed, JSON-able result a UI
 * can draw; none rejects because a training failed (the result's `status` and `message` say so).
 *
 *   runCompareExperiment(spec, options)      with vs without dropout            -> CompareResult
 *   runSweepExperiment(spec, options)        dropout-rate sweep                 -> SweepResult
 *   runDatasetSweepExperiment(spec, options) dataset-size sweep                 -> DatasetSweepResult
 *   runMcExperiment(spec, options)           Monte Carlo dropout uncertainty    -> McExperimentResult
 *   runForgotEvalExperiment(spec, options)   train vs eval mode at evaluation   -> ForgotEvalResult
 *
 * Every setting of an experiment trains on the same seeds (`options.seeds`, default 5, spread over the
 * workers); results carry means with 95% t-intervals and paired differences over the seeds, computed in
 * one place, `intervals.ts`.
 *
 * Each runs from the command palette (src/vscode/experimentCommands.ts) and from the CLI
 * (src/cli/experiments.ts: `dropout-lens compare|sweep|size-sweep|mc|forgot-eval CONFIG`).
 */
export * from './common';
export * from './engineRun';
export * from './variants';
export * from './stats';
export * from './intervals';
export * from './compare';
export * from './sweep';
export * from './datasetSweep';
export * from './predictionStats';
export * from './mc';
export * from './forgotEval';

import type { CompareResult } from './compare';
import type { DatasetSweepResult } from './datasetSweep';
import type { ForgotEvalResult } from './forgotEval';
import type { McExperimentResult } from './mc';
import type { SweepResult } from './sweep';

/** Any experiment's result, discriminated by `kind` (the run kind it is saved under). */
export type ExperimentResult = CompareResult | SweepResult | DatasetSweepResult | McExperimentResult | ForgotEvalResult;
