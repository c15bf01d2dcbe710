/** Loss and accuracy per epoch with chart.js: training, validation (the gap shaded between them) and, faint, validation in train mode. */
import {
  CategoryScale,
  Chart,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from 'chart.js';
import type { EpochRecord } from '../../src/protocol/webview';
import type { Theme } from './theme';

Chart.register(LineController, LineElement, PointElement, LinearScale, CategoryScale, Filler, Legend, Tooltip);

type Metric = 'loss' | 'accuracy';

export class Curves {
  readonly chart: Chart<'line', (number | null)[], number>;
  /** Painted under the chart, so an exported PNG reads as it does on screen (a canvas is transparent). */
  private background = '#1e1e1e';

  constructor(
    readonly canvas: HTMLCanvasElement,
    private readonly metric: Metric,
    theme: Theme,
  ) {
    canvas.setAttribute('role', 'img');
    canvas.setAttribute('aria-label', `${metric} per epoch for training and validation`);
    this.chart = new Chart(canvas, {
      type: 'line',
      data: { labels: [], datasets: [] },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: 'index', intersect: false },
        elements: { point: { radius: 0 } },
        scales: { x: { title: { display: true, text: 'epoch' } }, y: { title: { display: true, text: metric } } },
        plugins: {
          legend: {
            labels: {
              boxWidth: 12,
              // The band's lower edge has no entry of its own, and neither has a curve with nothing to draw.
              filter: (item, data) =>
                item.text !== '' && (data.datasets[item.datasetIndex ?? 0]?.data ?? []).some((v) => v !== null),
            },
          },
        },
      },
      plugins: [
        {
          id: 'background',
          beforeDraw: (chart) => {
            const ctx = chart.ctx;
            ctx.save();
            ctx.fillStyle = this.background;
            ctx.fillRect(0, 0, chart.width, chart.height);
            ctx.restore();
          },
        },
      ],
    });
    this.setTheme(theme);
  }

  setTheme(theme: Theme): void {
    this.background = theme.background;
    const c = this.chart;
    c.data.datasets = [
      {
        label: 'training',
        data: c.data.datasets[0]?.data ?? [],
        borderColor: theme.train,
        backgroundColor: theme.train,
        borderWidth: 2,
      },
      // Filling to the training curve shades the generalization gap.
      {
        label: 'validation',
        data: c.data.datasets[1]?.data ?? [],
        borderColor: theme.validation,
        backgroundColor: `${theme.gap}33`,
        fill: '-1',
        borderWidth: 2,
      },
      {
        label: 'validation in train mode (forgot eval())',
        data: c.data.datasets[2]?.data ?? [],
        borderColor: theme.muted,
        backgroundColor: theme.muted,
        borderDash: [5, 4],
        borderWidth: 1,
      },
      // A saved experiment over seeds: the validation curve's 95% interval, a band between these two.
      {
        label: '',
        data: c.data.datasets[3]?.data ?? [],
        borderColor: 'transparent',
        backgroundColor: 'transparent',
        borderWidth: 0,
        pointRadius: 0,
      },
      {
        label: 'validation, 95% interval over seeds',
        data: c.data.datasets[4]?.data ?? [],
        borderColor: 'transparent',
        backgroundColor: `${theme.validation}40`,
        fill: '-1',
        borderWidth: 0,
        pointRadius: 0,
      },
    ];
    for (const axis of ['x', 'y'] as const) {
      const scale = c.options.scales![axis]!;
      // A long run has thousands of epochs: a few upright labels, never a crowd of rotated ones.
      scale.ticks = { color: theme.muted, maxTicksLimit: axis === 'x' ? 10 : 8, maxRotation: 0, autoSkip: true };
      scale.grid = { color: `${theme.muted}33` };
      (scale as { title: { color: string } }).title.color = theme.muted;
    }
    c.options.plugins!.legend!.labels!.color = theme.foreground;
    c.update('none');
  }

  setEpochs(epochs: readonly EpochRecord[]): void {
    const pick = (m: { loss: number; accuracy?: number }) => (this.metric === 'loss' ? m.loss : (m.accuracy ?? null));
    const c = this.chart;
    c.data.labels = epochs.map((e) => e.epoch);
    c.data.datasets[0]!.data = epochs.map((e) => pick(e.train));
    c.data.datasets[1]!.data = epochs.map((e) => pick(e.validation));
    c.data.datasets[2]!.data = epochs.map((e) => pick(e.validationTrainMode));
    const band = (e: EpochRecord) => (this.metric === 'loss' ? e.spread?.loss : e.spread?.accuracy);
    c.data.datasets[3]!.data = epochs.map((e) => band(e)?.[0] ?? null);
    c.data.datasets[4]!.data = epochs.map((e) => band(e)?.[1] ?? null);
  }

  /** The chart as drawn now, as a PNG data URL (`data:image/png;base64,...`). */
  toPng(): string {
    return this.chart.toBase64Image('image/png');
  }

  render(): void {
    this.chart.update('none');
    // Screen readers get the latest values, since the chart itself is a picture.
    const [train, validation, trainMode, low, high] = this.chart.data.datasets.map((d) => d.data.at(-1));
    const epoch = this.chart.data.labels?.at(-1);
    if (epoch !== undefined) {
      const f = (v: number | null | undefined) => (typeof v === 'number' ? v.toFixed(4) : 'n/a');
      this.canvas.setAttribute(
        'aria-label',
        `${this.metric} at epoch ${epoch}: training ${f(train)}, validation ${f(validation)}${typeof low === 'number' ? ` (95% interval over seeds ${f(low)} to ${f(high)})` : ''}, validation in train mode ${f(trainMode)}; ${this.chart.data.labels!.length} epochs plotted`,
      );
    }
  }
}
