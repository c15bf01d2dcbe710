/**
 * An experiment's answer as a picture and a table: Markdown with SVG charts, written beside the run record.
 * Pure: returns the files to write; the caller (VS Code or the CLI) writes and opens them.
 */
import type {
  CompareResult,
  DatasetSweepResult,
  ExperimentResult,
  FinalRow,
  ForgotEvalResult,
  McExperimentResult,
  SeedStats,
  SweepResult,
  TrainingSummary,
} from '../experiments';
import { formatInterval, interval, type Interval, type PairedDifference } from '../experiments/intervals';
import { sweepNoiseText } from '../experiments/sweep';
import { histogramChart, heatmap, lineChart, PALETTE, type Series } from './svg';

export interface ReportFile {
  name: string;
  text: string;
}

export interface Report {
  markdown: string;
  charts: ReportFile[];
}

const n = (v: number | undefined, digits = 4) => (v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(digits));
const pct = (v: number | undefined) => (v === undefined ? '–' : `${(100 * v).toFixed(1)}%`);

function finalTable(rows: FinalRow[]): string {
  return [
    '| | train loss | train acc | val loss | val acc | gap (loss) | gap (acc) |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.label} | ${n(r.trainLoss)} | ${pct(r.trainAccuracy)} | ${n(r.valLoss)} | ${pct(r.valAccuracy)} | ${n(r.gapLoss)} | ${pct(r.gapAccuracy)} |`,
    ),
  ].join('\n');
}

/** A chart point at the mean, with its 95% interval as an error bar when there are two seeds or more. */
const pt = (x: number, i: Interval) => ({ x, y: i.mean, ...(i.n > 1 ? { low: i.low, high: i.high } : {}) });

/** Per epoch, the mean over the seeds' runs with its interval (epochs of the first seed's run). */
const meanCurve = (
  runs: readonly TrainingSummary[],
  pick: (e: TrainingSummary['epochs'][number]) => number | undefined,
) =>
  (runs[0]?.epochs ?? []).flatMap((e) => {
    const i = interval(
      runs.map((r) => {
        const same = r.epochs.find((x) => x.epoch === e.epoch);
        return same ? pick(same) : undefined;
      }),
    );
    return i ? [pt(e.epoch, i)] : [];
  });

/** Mean ± half-width (loss) or in percent (accuracy). */
const ci = (i: Interval | undefined, digits = 4) => (i ? formatInterval(i, digits) : '–');
const ciPct = (i: Interval | undefined) => (i ? `${formatInterval(i, 1, 100)}%` : '–');

/** The final-metrics table over seeds: means ± 95% half-widths. */
function statsTable(rows: { label: string; stats: SeedStats }[]): string {
  return [
    '| | train loss | train acc | val loss | val acc | gap (loss) | gap (acc) |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      ({ label, stats: s }) =>
        `| ${label} | ${ci(s.trainLoss)} | ${ciPct(s.trainAccuracy)} | ${ci(s.valLoss)} | ${ciPct(s.valAccuracy)} | ${ci(s.gapLoss)} | ${ciPct(s.gapAccuracy)} |`,
    ),
  ].join('\n');
}

/** The seeds sentence under the header. */
function seedsSentence(seeds: readonly number[] | undefined): string {
  if (!seeds || seeds.length === 0) return '';
  if (seeds.length === 1) return 'One seed: no intervals, and a difference may be noise.';
  return `${seeds.length} seeds (${seeds[0]} to ${seeds[seeds.length - 1]}): values are means ± the half-width of the 95% t-interval over the seeds; error bars in the charts are those intervals.`;
}

/** In words, whether a paired difference over seeds is within noise. */
function noiseWords(d: PairedDifference | undefined, what: string): string {
  if (!d || d.n < 2) return '';
  return d.withinNoise
    ? ` The difference in ${what} (${formatInterval(d)}) is **within noise**: its 95% interval over the seeds contains 0.`
    : ` The difference in ${what} (${formatInterval(d)}) is beyond the noise between seeds.`;
}

export function experimentReport(result: ExperimentResult, id: string): Report {
  const seeds = 'seeds' in result ? result.seeds : undefined;
  const header = `# ${title(result)}: ${result.name}\n\nRun \`${id}\`, seed ${result.seed}, status **${result.status}**${result.message ? ` (${result.message})` : ''}. ${seedsSentence(seeds)}\n`;
  const body = (() => {
    switch (result.kind) {
      case 'compare':
        return compare(result, id);
      case 'sweep':
        return sweep(result, id);
      case 'dataset-sweep':
        return datasetSweep(result, id);
      case 'mc':
        return mc(result, id);
      case 'forgot-eval':
        return forgotEval(result, id);
    }
  })();
  const notes =
    'notes' in result && result.notes.length > 0 ? `\n${result.notes.map((note) => `- ${note}`).join('\n')}\n` : '';
  const images = body.charts.map((c) => `![${c.name}](${c.name})`).join('\n\n');
  return { markdown: `${header}\n${body.markdown}\n${notes}\n${images}\n`, charts: body.charts };
}

function title(result: ExperimentResult): string {
  return {
    compare: 'With vs without dropout',
    sweep: 'Dropout-rate sweep',
    'dataset-sweep': 'Dataset-size sweep',
    mc: 'Monte Carlo dropout uncertainty',
    'forgot-eval': 'What forgetting eval() reports',
  }[result.kind];
}

function compare(r: CompareResult, id: string): Report {
  const arms = [r.withDropout, r.withoutDropout];
  const runsOf = (arm: CompareResult['withDropout']) => arm.stats?.runs ?? [arm.training];
  const series: Series[] = arms.flatMap((arm, k) => [
    {
      label: `${arm.label}: train`,
      points: meanCurve(runsOf(arm), (e) => e.train.loss),
      color: PALETTE[k]!,
      dashed: true,
    },
    { label: `${arm.label}: val`, points: meanCurve(runsOf(arm), (e) => e.validation.loss), color: PALETTE[k]! },
  ]);
  const charts = [
    {
      name: `${id}-loss.svg`,
      text: lineChart({
        title: 'Loss per epoch, mean over seeds (dashed: training)',
        xLabel: 'epoch',
        yLabel: 'loss',
        series,
      }),
    },
  ];
  const weights = arms.filter((a) => a.weights);
  if (weights.length === 2) {
    charts.push({
      name: `${id}-weights.svg`,
      text: histogramChart(
        'Final weight distributions',
        weights.map((a, k) => ({ label: a.label, ...a.weights!.histogram, color: PALETTE[k]! })),
      ),
    });
  }
  const verdict = r.gapReduction
    ? r.gapReduction.loss > 0
      ? `Dropout **narrowed** the generalization gap by ${n(r.gapReduction.loss)} in loss${r.gapReduction.accuracy !== undefined ? ` and ${pct(r.gapReduction.accuracy)} in accuracy` : ''}.`
      : `Dropout did **not** narrow the generalization gap here (${n(r.gapReduction.loss)} in loss): the model may not overfit, or the rate is too high.`
    : '';
  const spread =
    r.evennessGain !== undefined
      ? ` Weight evenness ${r.evennessGain > 0 ? 'rose' : 'fell'} by ${n(r.evennessGain, 3)} with dropout (${r.evennessGain > 0 ? 'weights spread more evenly' : 'no spreading'}).`
      : '';
  const noise = noiseWords(r.gapReductionInterval?.loss, 'loss gap') + noiseWords(r.valLossBenefit, 'validation loss');
  const table =
    r.withDropout.stats && r.withoutDropout.stats
      ? statsTable(arms.map((a) => ({ label: a.label, stats: a.stats })))
      : finalTable(r.table);
  return { markdown: `${table}\n\n${verdict}${noise}${spread}\n`, charts };
}

function sweep(r: SweepResult, id: string): Report {
  const done = r.points.filter((p) => p.stats?.valLoss);
  const series: Series[] = [
    {
      label: 'val loss',
      points: done.map((p) => pt(p.rate, p.stats.valLoss!)),
      color: PALETTE[0]!,
    },
    {
      label: 'train loss',
      points: done.flatMap((p) => (p.stats.trainLoss ? [pt(p.rate, p.stats.trainLoss)] : [])),
      color: PALETTE[0]!,
      dashed: true,
      faint: true,
    },
  ];
  const bands = [
    ...(r.overfitting
      ? [{ from: r.overfitting.from, to: r.overfitting.to, label: 'overfitting', color: PALETTE[3]! }]
      : []),
    ...(r.underfitting
      ? [{ from: r.underfitting.from, to: r.underfitting.to, label: 'underfitting', color: PALETTE[1]! }]
      : []),
  ];
  const charts = [
    {
      name: `${id}-sweep.svg`,
      text: lineChart({
        title: `Validation loss against the ${r.group} dropout rate`,
        xLabel: 'dropout rate',
        yLabel: 'loss',
        series,
        bands,
        ...(r.best ? { markers: [{ x: r.best.rate, label: `best ${r.best.rate}` }] } : {}),
      }),
    },
  ];
  if (done.some((p) => p.stats.valAccuracy)) {
    charts.push({
      name: `${id}-sweep-accuracy.svg`,
      text: lineChart({
        title: 'Validation accuracy against the rate',
        xLabel: 'dropout rate',
        yLabel: 'accuracy',
        series: [
          {
            label: 'val accuracy',
            points: done.flatMap((p) => (p.stats.valAccuracy ? [pt(p.rate, p.stats.valAccuracy)] : [])),
            color: PALETTE[2]!,
          },
        ],
        ...(r.best ? { markers: [{ x: r.best.rate, label: 'best' }] } : {}),
      }),
    });
  }
  const bestStats = r.points.find((p) => p.rate === r.best?.rate)?.stats;
  const best = r.best
    ? `Best rate: **${r.best.rate}** (validation loss ${bestStats?.valLoss ? ci(bestStats.valLoss) : n(r.best.valLoss)}${r.best.valAccuracy !== undefined ? `, accuracy ${bestStats?.valAccuracy ? ciPct(bestStats.valAccuracy) : pct(r.best.valAccuracy)}` : ''}). ${sweepNoiseText(r)}`
    : 'No rate finished training.';
  const regions = [
    r.overfitting ? `Below it (${r.overfitting.rates.join(', ')}): too little dropout, the model overfits.` : '',
    r.underfitting ? `Above it (${r.underfitting.rates.join(', ')}): too much dropout, the model underfits.` : '',
  ]
    .filter(Boolean)
    .join(' ');
  const table = r.points.every((p) => p.stats)
    ? statsTable(
        r.points.map((p) => ({
          label: `rate ${p.rate}${r.seeds.length > 1 && p.rate !== r.best?.rate && r.indistinguishable.includes(p.rate) ? ' (within noise of the best)' : ''}`,
          stats: p.stats,
        })),
      )
    : finalTable(r.table);
  return { markdown: `${best} ${regions}\n\n${table}\n`, charts };
}

function datasetSweep(r: DatasetSweepResult, id: string): Report {
  const series: Series[] = [
    {
      label: 'with dropout',
      points: r.points.flatMap((p) => (p.withStats?.valLoss ? [pt(p.fraction, p.withStats.valLoss)] : [])),
      color: PALETTE[0]!,
    },
    {
      label: 'without dropout',
      points: r.points.flatMap((p) => (p.withoutStats?.valLoss ? [pt(p.fraction, p.withoutStats.valLoss)] : [])),
      color: PALETTE[1]!,
    },
  ];
  const rows = r.points.map(
    (p) =>
      `| ${p.fraction} | ${p.samples ?? '–'} | ${ci(p.withStats?.valLoss)} | ${ci(p.withoutStats?.valLoss)} | ${p.lossBenefitInterval ? ci(p.lossBenefitInterval) : n(p.lossBenefit)} | ${p.helps === undefined ? '–' : p.helps ? 'yes' : 'no'}${p.lossBenefitInterval && p.lossBenefitInterval.n > 1 && p.lossBenefitInterval.withinNoise ? ' (within noise)' : ''} |`,
  );
  const noisy = r.points.filter(
    (p) => p.lossBenefitInterval && p.lossBenefitInterval.n > 1 && p.lossBenefitInterval.withinNoise,
  );
  const summary = `${r.bestFraction !== undefined ? `Dropout helps most at ${r.bestFraction} of the data.` : ''} ${r.stopsHelpingAt !== undefined ? `From ${r.stopsHelpingAt} on it no longer helps.` : ''}${noisy.length > 0 ? ` At ${noisy.map((p) => p.fraction).join(', ')} of the data the benefit is **within noise** (its 95% interval over the seeds, paired, contains 0).` : ''}`;
  return {
    markdown: `${summary}\n\n| fraction | samples | val loss with | val loss without | benefit | helps |\n|---:|---:|---:|---:|---:|---|\n${rows.join('\n')}\n`,
    charts: [
      {
        name: `${id}-dataset-size.svg`,
        text: lineChart({
          title: 'Validation loss against the data used (mean over seeds, 95% intervals)',
          xLabel: 'fraction of the dataset',
          yLabel: 'validation loss',
          series,
        }),
      },
    ],
  };
}

function mc(r: McExperimentResult, id: string): Report {
  const charts = [];
  if (r.map) {
    const maxVar = Math.max(1e-9, ...r.map.variance);
    charts.push({
      name: `${id}-uncertainty.svg`,
      text: heatmap(
        `Uncertainty: variance across ${r.map.passes} passes (darker: less sure)`,
        r.map.resolution,
        r.map.variance,
        (v, i) => {
          const hue = (r.map!.classes[i]! * 137) % 360;
          const light = 85 - 55 * Math.sqrt(v / maxVar);
          return `hsl(${hue} 60% ${light.toFixed(0)}%)`;
        },
      ),
    });
  }
  const least = r.leastSure
    .slice(0, 10)
    .map((s) => `| ${s.index} | ${s.predicted} | ${n(s.mean, 3)} | ${n(s.variance, 5)} |`);
  return {
    markdown: `${r.samples} stochastic passes over ${r.validationSize ?? '?'} validation samples. Accuracy of the MC mean: **${r.intervals?.mcAccuracy ? ciPct(r.intervals.mcAccuracy) : pct(r.mcAccuracy)}**; deterministic eval pass: **${r.intervals?.evalAccuracy ? ciPct(r.intervals.evalAccuracy) : pct(r.evalAccuracy)}**; mean predictive variance ${r.intervals?.meanVariance ? ci(r.intervals.meanVariance, 5) : n(r.meanVariance, 5)}.${noiseWords(r.intervals?.accuracyDelta, 'accuracy between the MC mean and the eval pass')}\n\nThe samples the model (first seed) is least sure of:\n\n| sample | predicted | mean p | variance |\n|---:|---:|---:|---:|\n${least.join('\n')}\n`,
    charts,
  };
}

function forgotEval(r: ForgotEvalResult, id: string): Report {
  const series: Series[] = [
    {
      label: 'val acc, eval mode',
      points: r.curves.flatMap((c) => (c.evalAccuracy === undefined ? [] : [{ x: c.epoch, y: c.evalAccuracy }])),
      color: PALETTE[0]!,
    },
    {
      label: 'val acc, train mode',
      points: r.curves.flatMap((c) =>
        c.trainModeAccuracy === undefined ? [] : [{ x: c.epoch, y: c.trainModeAccuracy }],
      ),
      color: PALETTE[3]!,
      dashed: true,
    },
  ];
  const lossSeries: Series[] = [
    { label: 'val loss, eval mode', points: r.curves.map((c) => ({ x: c.epoch, y: c.evalLoss })), color: PALETTE[0]! },
    {
      label: 'val loss, train mode',
      points: r.curves.flatMap((c) => (c.trainModeLoss === undefined ? [] : [{ x: c.epoch, y: c.trainModeLoss }])),
      color: PALETTE[3]!,
      dashed: true,
    },
  ];
  const charts = [
    {
      name: `${id}-modes-loss.svg`,
      text: lineChart({
        title: 'Validation loss: eval mode vs train mode',
        xLabel: 'epoch',
        yLabel: 'loss',
        series: lossSeries,
      }),
    },
  ];
  if (series[0]!.points.length > 0)
    charts.push({
      name: `${id}-modes-accuracy.svg`,
      text: lineChart({
        title: 'Validation accuracy: eval mode vs train mode',
        xLabel: 'epoch',
        yLabel: 'accuracy',
        series,
      }),
    });
  const passes = r.passAccuracy
    ? ` Over ${r.passes} train-mode passes the reported accuracy ranged ${pct(r.passAccuracy.min)} – ${pct(r.passAccuracy.max)}; ${pct(r.flipRate)} of predictions flip between consecutive passes, and ${pct(r.unstableFraction)} of samples are not predicted the same in every pass.`
    : '';
  return {
    markdown: `Evaluated correctly (eval mode): loss ${r.stats?.valLoss ? ci(r.stats.valLoss) : n(r.evalMode?.loss)}, accuracy **${r.stats?.valAccuracy ? ciPct(r.stats.valAccuracy) : pct(r.evalMode?.accuracy)}**. With dropout left on (train mode, what forgetting \`model.eval()\` reports): loss ${r.stats?.valLossTrainMode ? ci(r.stats.valLossTrainMode) : n(r.trainMode?.loss)}, accuracy **${r.stats?.valAccuracyTrainMode ? ciPct(r.stats.valAccuracyTrainMode) : pct(r.trainMode?.accuracy)}**${r.accuracyDrop !== undefined ? `, ${pct(r.accuracyDrop)} lower` : ''}.${noiseWords(r.drop?.accuracy, 'accuracy')}${passes}\n`,
    charts,
  };
}
