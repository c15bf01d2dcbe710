import { test } from 'node:test';
import assert from 'node:assert/strict';
import { experimentReport } from '../../../src/report/experimentReport';
import { seedStats, type SweepResult } from '../../../src/experiments';

const training = (valLoss: number, trainLoss: number) => ({
  status: 'completed' as const,
  epochs: [1, 2].map((epoch) => ({
    epoch,
    lr: 0.1,
    train: { loss: trainLoss + 1 / epoch },
    validation: { loss: valLoss + 1 / epoch },
  })),
  final: { train: { loss: trainLoss, accuracy: 0.9 }, validation: { loss: valLoss, accuracy: 0.8 } },
});

test('a sweep report marks the best rate, names both regions, and draws one point per rate', () => {
  const rates = [0, 0.3, 0.6];
  const result = {
    kind: 'sweep',
    status: 'completed',
    name: 'moons',
    seed: 1,
    seeds: [1],
    group: 'hidden',
    rates,
    points: rates.map((rate, i) => {
      const t = training([0.5, 0.3, 0.45][i]!, 0.2);
      return { rate, key: `rate=${rate}`, spec: {} as never, training: t, stats: seedStats([1], [t]) };
    }),
    best: { rate: 0.3, valLoss: 0.3, valAccuracy: 0.8 },
    indistinguishable: [0, 0.3, 0.6],
    overfitting: { from: 0, to: 0.3, rates: [0] },
    underfitting: { from: 0.3, to: 0.6, rates: [0.6] },
    table: [{ label: 'rate 0', valLoss: 0.5 }],
  } as SweepResult;
  const report = experimentReport(result, 'run-1');
  assert.match(report.markdown, /Best rate: \*\*0\.3\*\*/);
  assert.match(report.markdown, /overfits/);
  assert.match(report.markdown, /underfits/);
  const chart = report.charts.find((c) => c.name === 'run-1-sweep.svg')!;
  assert.ok(chart, 'sweep chart');
  assert.match(chart.text, /^<svg /);
  assert.match(chart.text, />overfitting</);
  assert.match(chart.text, />best 0\.3</);
  // three rates: three markers on each plotted series (val and train loss)
  assert.equal((chart.text.match(/<circle /g) ?? []).length, 6);
  assert.ok(report.markdown.includes('![run-1-sweep.svg](run-1-sweep.svg)'));
  assert.match(report.markdown, /One seed: no intervals/);
  assert.doesNotMatch(chart.text, /error-bar/, 'one seed: no error bars');
});

test('a sweep over seeds draws 95% error bars, shows mean ± half-width, and says which rates are within noise', () => {
  const rates = [0, 0.3, 0.6];
  const seeds = [1, 2, 3];
  // Per seed: rate 0.3 is best; 0.6 is worse by about 0.01 with noise of the same size (within noise);
  // rate 0 is worse by 0.2 every seed (beyond noise).
  const losses = [
    [0.52, 0.5, 0.49],
    [0.3, 0.31, 0.28],
    [0.32, 0.3, 0.3],
  ];
  const points = rates.map((rate, i) => {
    const runs = seeds.map((_, k) => training(losses[i]![k]!, 0.2));
    return { rate, key: `rate=${rate}`, spec: {} as never, training: runs[0]!, stats: seedStats(seeds, runs) };
  });
  const result = {
    kind: 'sweep',
    status: 'completed',
    name: 'moons',
    seed: 1,
    seeds,
    group: 'hidden',
    rates,
    points,
    best: { rate: 0.3, valLoss: 0.2967, valAccuracy: 0.8 },
    indistinguishable: [0.3, 0.6],
    overfitting: { from: 0, to: 0.3, rates: [0] },
    underfitting: { from: 0.3, to: 0.6, rates: [0.6] },
    table: [],
  } as SweepResult;
  const report = experimentReport(result, 'run-2');
  assert.match(report.markdown, /3 seeds \(1 to 3\)/);
  assert.match(report.markdown, /The differences between 0\.3 and 0\.6 are within noise \(a paired t-test/);
  assert.match(report.markdown, /rate 0\.6 \(within noise of the best\)/);
  assert.doesNotMatch(report.markdown, /rate 0 \(within noise/);
  assert.match(report.markdown, /\| 0\.5033 ± 0\.\d{4} \|/);
  const chart = report.charts.find((c) => c.name === 'run-2-sweep.svg')!;
  // One error bar per rate on each loss series (val, train: train loss has no spread here, so none).
  assert.equal((chart.text.match(/class="error-bar"/g) ?? []).length, 3);
  assert.match(chart.text, /95% interval/);
});

test('titles and labels are escaped in the SVG', () => {
  const result = {
    kind: 'sweep',
    status: 'completed',
    name: '<script>',
    seed: 1,
    group: 'hidden',
    rates: [],
    points: [],
    overfitting: null,
    underfitting: null,
    table: [],
  } as unknown as SweepResult;
  const report = experimentReport(result, 'x');
  for (const chart of report.charts) assert.ok(!chart.text.includes('<script>'));
});
