/**
 * A layer's masks over time on a canvas: one column per mask event, one row per unit, kept vs dropped.
 * `push` only writes the column into a pending strip; `flush` (once per animation frame) shifts the image
 * left by the number of pending columns and paints them all with one putImageData.
 */
import { parseColor, type Theme } from './theme';

export const HISTORY = 120;

/** An opaque RGB colour as one pixel of a little-endian Uint32 view of RGBA bytes. */
const pixel = ([r, g, b]: [number, number, number]) => (r | (g << 8) | (b << 16) | (255 << 24)) >>> 0;

export class MaskHeatmap {
  readonly canvas: HTMLCanvasElement;
  private readonly ctx: CanvasRenderingContext2D;
  /** Columns waiting for the next frame, left to right, in a HISTORY-wide strip; `pending` of them are filled. */
  private readonly strip: ImageData;
  private readonly pixels: Uint32Array;
  private pending = 0;
  private kept = 0;
  private dropped = 0;
  private frozen = 0;

  constructor(readonly units: number, label: string, theme: Theme) {
    this.canvas = document.createElement('canvas');
    this.canvas.width = HISTORY;
    this.canvas.height = Math.max(1, units);
    this.canvas.className = 'heatmap';
    this.canvas.setAttribute('role', 'img');
    this.canvas.setAttribute('aria-label', label);
    this.ctx = this.canvas.getContext('2d', { willReadFrequently: true })!;
    this.strip = this.ctx.createImageData(HISTORY, this.canvas.height);
    this.pixels = new Uint32Array(this.strip.data.buffer);
    this.setTheme(theme);
  }

  setTheme(theme: Theme): void {
    this.kept = pixel(parseColor(theme.kept));
    this.dropped = pixel(parseColor(theme.dropped));
    this.frozen = pixel(parseColor(theme.eval));
    this.ctx.fillStyle = theme.dropped;
    this.ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
  }

  /** Queues one mask (bit-packed, 1 = kept) as the next column. `evalMode` paints it as "no dropout". */
  push(bits: Uint8Array, evalMode: boolean): void {
    if (this.pending === HISTORY) this.flush();
    const { pixels, kept, dropped, frozen, units } = this;
    for (let u = 0, at = this.pending++; u < units; u++, at += HISTORY) {
      pixels[at] = evalMode ? frozen : (bits[u >> 3]! >> (u & 7)) & 1 ? kept : dropped;
    }
  }

  /** Paints the queued columns as the rightmost ones. */
  flush(): void {
    const { ctx, canvas, pending: n } = this;
    if (n === 0) return;
    const w = canvas.width;
    if (n < w) ctx.drawImage(canvas, n, 0, w - n, canvas.height, 0, 0, w - n, canvas.height);
    ctx.putImageData(this.strip, w - n, 0, 0, 0, n, canvas.height);
    this.pending = 0;
  }
}
