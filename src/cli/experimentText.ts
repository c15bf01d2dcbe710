/** The summaries the experiment commands print on stdout without `--json` (the JSON is ./experimentJson's). */
import {
  finalRow,
  fmt,
  meanRow,
  type CompareResult,
  type DatasetSweepResult,
  type FinalRow,
  type ForgotEvalResult,
  type McExperimentResult,
  type SeedStats,
  type SweepResult,
  type TrainingSummary,
} from '../experiments';
import { formatInterval, type Interval, type PairedDifference } from '../experiments/intervals';
import { sweepNoiseText } from '../experiments/sweep';
import { percent, table } from './format';

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

/** The `sweep` summary: a row per rate, the best rate and the regions around it. */
export function sweepText(result: SweepResult): string {
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
}

/** The `compare` summary: with and without dropout side by side, and what changes. */
export function compareText(result: CompareResult): string {
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
}

/** The `size-sweep` summary: a row per data fraction, where dropout helps most and where it stops helping. */
export function sizeSweepText(result: DatasetSweepResult): string {
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
}

/** The `mc` summary: the variance of the passes, Monte Carlo vs eval-mode accuracy, the least sure samples. */
export function mcText(result: McExperimentResult): string {
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
}

/** The `forgot-eval` summary: eval mode vs train mode, and how much single train-mode passes disagree. */
export function forgotEvalText(result: ForgotEvalResult): string {
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
}
