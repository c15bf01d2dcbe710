/**
 * A sample's feature maps around a dropout2d layer: one small heatmap per channel, before dropout above and after
 * below, on one colour scale for the whole picture, so the kept channels' 1/(1-p) scaling shows and a dropped
 * channel's lower map is empty (and marked). `set` keeps the latest event; `flush`, once per animation frame,
 * paints it.
 */
import type { FeatureMapsEvent } from '../../src/protocol/engine';
import { parseColor, type Theme } from './theme';

/** A channel whose maps are drawn: its figure, its two canvases, and whether dropout dropped it. */
interface ChannelView {
  figure: HTMLElement;
  before: HTMLCanvasElement;
  after: HTMLCanvasElement;
}

/** Dropped: every value after dropout is zero while some value before it was not (a dead channel stays "kept"). */
export function droppedChannels(event: FeatureMapsEvent): boolean[] {
  const [channels, h, w] = event.shape;
  const size = h * w;
  return Array.from({ length: channels }, (_, c) => {
    let before = false;
    for (let i = c * size; i < (c + 1) * size; i++) {
      if (event.after[i] !== 0) return false;
      if (event.before[i] !== 0) before = true;
    }
    return before;
  });
}

export class FeatureMapsView {
  readonly element: HTMLElement;
  private readonly caption: HTMLElement;
  private readonly grid: HTMLElement;
  private channels: ChannelView[] = [];
  private shape: [number, number, number] | undefined;
  private latest: FeatureMapsEvent | undefined;
  private dirty = false;
  private colours: Colours;

  constructor(
    private readonly layer: number,
    theme: Theme,
  ) {
    this.colours = coloursOf(theme);
    this.element = document.createElement('div');
    this.element.className = 'feature-maps';
    this.element.id = `feature-maps-${layer}`;
    this.caption = document.createElement('div');
    this.caption.className = 'feature-maps-caption';
    this.caption.textContent = 'Feature maps of the first example: waiting for a training step';
    this.grid = document.createElement('div');
    this.grid.className = 'feature-maps-grid';
    this.element.append(this.caption, this.grid);
  }

  set(event: FeatureMapsEvent): void {
    this.latest = event;
    this.dirty = true;
  }

  setTheme(theme: Theme): void {
    this.colours = coloursOf(theme);
    this.dirty = this.latest !== undefined;
    this.flush();
  }

  flush(): void {
    const event = this.latest;
    if (!this.dirty || !event) return;
    this.dirty = false;
    const [c, h, w] = event.shape;
    if (!this.shape || this.shape.some((s, i) => s !== event.shape[i])) this.build(event.shape);
    let scale = 0;
    for (const values of [event.before, event.after])
      for (let i = 0; i < values.length; i++) scale = Math.max(scale, Math.abs(values[i]!));
    const dropped = droppedChannels(event);
    const { colours } = this;
    for (let k = 0; k < c; k++) {
      const view = this.channels[k]!;
      paintMap(view.before, event.before.subarray(k * h * w, (k + 1) * h * w), w, h, scale, colours);
      paintMap(view.after, event.after.subarray(k * h * w, (k + 1) * h * w), w, h, scale, colours);
      view.figure.classList.toggle('dropped', dropped[k]);
      view.figure.setAttribute(
        'aria-label',
        `Channel ${k}: ${dropped[k] ? 'dropped (zero after dropout)' : 'kept (scaled after dropout)'}`,
      );
    }
    const count = dropped.filter(Boolean).length;
    this.caption.textContent = `Feature maps of the first example at step ${event.step}, ${c} channels of ${h}×${w}: before dropout (top) and after (bottom); ${count} dropped (✕)`;
  }

  private build(shape: [number, number, number]): void {
    const [c, h, w] = shape;
    this.shape = [...shape];
    this.channels = Array.from({ length: c }, (_, k) => {
      const figure = document.createElement('figure');
      figure.className = 'channel';
      figure.setAttribute('role', 'img');
      const canvas = (which: string) => {
        const canvas = document.createElement('canvas');
        canvas.width = w;
        canvas.height = h;
        canvas.className = `map map-${which}`;
        return canvas;
      };
      const before = canvas('before');
      const after = canvas('after');
      const label = document.createElement('figcaption');
      label.textContent = `${k}`;
      figure.append(before, after, label);
      return { figure, before, after };
    });
    this.grid.replaceChildren(...this.channels.map((v) => v.figure));
    this.grid.setAttribute('aria-label', `Layer ${this.layer}'s ${c} channels before and after dropout`);
  }
}

type Rgb = [number, number, number];
interface Colours {
  zero: Rgb;
  positive: Rgb;
  negative: Rgb;
}

const coloursOf = (theme: Theme): Colours => ({
  zero: parseColor(theme.background),
  positive: parseColor(theme.kept),
  negative: parseColor(theme.validation),
});

/** One map: 0 in the background colour, positive values towards `positive`, negative towards `negative`. */
function paintMap(
  canvas: HTMLCanvasElement,
  values: Float32Array,
  w: number,
  h: number,
  scale: number,
  colours: Colours,
): void {
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const image = ctx.createImageData(w, h);
  const { data } = image;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    const t = scale > 0 ? Math.min(1, Math.abs(v) / scale) : 0;
    const to = v < 0 ? colours.negative : colours.positive;
    for (let k = 0; k < 3; k++) data[4 * i + k] = Math.round(colours.zero[k]! + t * (to[k]! - colours.zero[k]!));
    data[4 * i + 3] = 255;
  }
  ctx.putImageData(image, 0, 0);
}
