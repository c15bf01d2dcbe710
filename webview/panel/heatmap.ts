/**
 * A layer's masks over time on a canvas: one column per mask event, one row per unit, kept vs dropped.
 * Each update shifts the image left by one column and paints only the new one.
 */
import { isKept } from './bits';
import { parseColor, type Theme } from './theme';

export const HISTORY = 120;

export class MaskHeatmap {
  readonly canvas: HTMLCanvasElement;
  private readonly ctx: CanvasRenderingContext2D;
  private column: ImageData;
  private kept: [number, number, number] = [55, 148, 255];
  private dropped: [number, number, number] = [30, 30, 30];
  private frozen: [number, number, number] = [90, 90, 90];

  constructor(readonly units: number, label: string, theme: Theme) {
    this.canvas = document.createElement('canvas');
    this.canvas.width = HISTORY;
    this.canvas.height = Math.max(1, units);
    this.canvas.className = 'heatmap';
    this.canvas.setAttribute('role', 'img');
    this.canvas.setAttribute('aria-label', label);
    this.ctx = this.canvas.getContext('2d', { willReadFrequently: true })!;
    this.column = this.ctx.createImageData(1, this.canvas.height);
    this.setTheme(theme);
  }

  setTheme(theme: Theme): void {
    this.kept = parseColor(theme.kept);
    this.dropped = parseColor(theme.dropped);
    this.frozen = parseColor(theme.eval);
    this.ctx.fillStyle = theme.dropped;
    this.ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
  }

  /** Appends one mask (bit-packed, 1 = kept) as the rightmost column. `evalMode` paints it as "no dropout". */
  push(bits: Uint8Array, evalMode: boolean): void {
    const { ctx, canvas, column } = this;
    ctx.drawImage(canvas, 1, 0, canvas.width - 1, canvas.height, 0, 0, canvas.width - 1, canvas.height);
    const data = column.data;
    for (let u = 0; u < this.units; u++) {
      const color = evalMode ? this.frozen : isKept(bits, u) ? this.kept : this.dropped;
      data[4 * u] = color[0];
      data[4 * u + 1] = color[1];
      data[4 * u + 2] = color[2];
      data[4 * u + 3] = 255;
    }
    ctx.putImageData(column, canvas.width - 1, 0);
  }
}
