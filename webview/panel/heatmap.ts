/**
 * A layer's masks over time on a canvas: one column per mask event, one row per unit, kept vs dropped.
 * `push` only writes the column into the picture held in memory (its columns a ring, so nothing shifts);
 * `flush`, once per animation frame, paints the whole picture with two putImageData calls.
 */
import { MASK_HISTORY } from '../../src/protocol/webview';
import { parseColor, type Theme } from './theme';

/** An RGB colour as one pixel of a little-endian Uint32 view of RGBA bytes (opaque unless told). */
const pixel = ([r, g, b]: [number, number, number], alpha = 255) => (r | (g << 8) | (b << 16) | (alpha << 24)) >>> 0;

export class MaskHeatmap {
  readonly canvas: HTMLCanvasElement;
  private readonly ctx: CanvasRenderingContext2D;
  /** The picture, its columns a ring: `next` is the oldest column, the one the next mask overwrites. */
  private readonly image: ImageData;
  private readonly pixels: Uint32Array;
  private next = 0;
  private dirty = false;
  private kept = 0;
  private dropped = 0;
  private frozen = 0;
  /** Columns no mask has reached yet: a faint wash, so they never read as "all dropped". */
  private empty = 0;
  private started = false;

  constructor(
    readonly units: number,
    label: string,
    theme: Theme,
  ) {
    this.canvas = document.createElement('canvas');
    this.canvas.width = MASK_HISTORY;
    this.canvas.height = Math.max(1, units);
    this.canvas.className = 'heatmap';
    this.canvas.setAttribute('role', 'img');
    this.canvas.setAttribute('aria-label', label);
    this.ctx = this.canvas.getContext('2d', { willReadFrequently: true })!;
    this.image = this.ctx.createImageData(MASK_HISTORY, this.canvas.height);
    this.pixels = new Uint32Array(this.image.data.buffer);
    this.setTheme(theme);
  }

  /** Takes the theme's colours, recolouring the history already drawn. */
  setTheme(theme: Theme): void {
    const before = [this.kept, this.dropped, this.frozen, this.empty];
    this.kept = pixel(parseColor(theme.kept));
    this.dropped = pixel(parseColor(theme.dropped));
    this.frozen = pixel(parseColor(theme.eval));
    this.empty = pixel(parseColor(theme.muted), 0x30);
    const after = [this.kept, this.dropped, this.frozen, this.empty];
    const { pixels } = this;
    if (!this.started) pixels.fill(this.empty);
    else for (let i = 0; i < pixels.length; i++) pixels[i] = after[before.indexOf(pixels[i]!)] ?? pixels[i]!;
    this.started = true;
    this.dirty = true;
    this.flush();
  }

  /** Adds one mask (bit-packed, 1 = kept) as the newest column, painted by `flush`. `evalMode` paints it as "no dropout". */
  push(bits: Uint8Array, evalMode: boolean): void {
    const { pixels, kept, dropped, frozen, units } = this;
    for (let u = 0, at = this.next; u < units; u++, at += MASK_HISTORY) {
      pixels[at] = evalMode ? frozen : (bits[u >> 3]! >> (u & 7)) & 1 ? kept : dropped;
    }
    this.next = (this.next + 1) % MASK_HISTORY;
    this.dirty = true;
  }

  /** Forgets every column (a replayed step draws its own history). */
  clear(): void {
    this.pixels.fill(this.empty);
    this.next = 0;
    this.dirty = true;
  }

  /** Paints the picture if it changed, oldest column on the left: the ring from `next` on, then up to `next`. */
  flush(): void {
    if (!this.dirty) return;
    const { ctx, image, next: n } = this;
    const h = this.canvas.height;
    ctx.putImageData(image, -n, 0, n, 0, MASK_HISTORY - n, h);
    if (n > 0) ctx.putImageData(image, MASK_HISTORY - n, 0, 0, 0, n, h);
    this.dirty = false;
  }
}
