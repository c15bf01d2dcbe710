import { test } from 'node:test';
import assert from 'node:assert/strict';
import { experimentReport } from '../../../src/report/experimentReport';
import type { SweepResult } from '../../../src/experiments';

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
    group: 'hidden',
    rates,
    points: rates.map((rate, i) => ({
      rate,
      key: `rate=${rate}`,
      spec: {} as never,
      training: training([0.5, 0.3, 0.45][i]!, 0.2),
    })),
    best: { rate: 0.3, valLoss: 0.3, valAccuracy: 0.8 },
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
