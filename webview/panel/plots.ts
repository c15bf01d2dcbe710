/** Canvas pictures: activation histograms before/after dropout, and the decision boundary of 2-D models. */
import { parseColor, type Theme } from './theme';

export function drawHistogram(
  canvas: HTMLCanvasElement,
  before: Float32Array,
  after: Float32Array,
  theme: Theme,
): void {
  const ctx = canvas.getContext('2d')!;
  const { width, height } = canvas;
  ctx.clearRect(0, 0, width, height);
  const max = Math.max(1, ...before, ...after);
  const bins = before.length;
  const w = width / bins;
  const bar = (values: Float32Array, color: string, offset: number) => {
    ctx.fillStyle = color;
    values.forEach((v, i) => {
      const h = (v / max) * (height - 4);
      ctx.fillRect(i * w + offset, height - h, w / 2 - 1, h);
    });
  };
  bar(before, theme.train, 0);
  bar(after, theme.validation, w / 2);
}

export interface BoundaryPicture {
  resolution: number;
  extent: [number, number, number, number];
  classes: Uint8Array;
  confidence: Float32Array;
  /** Training points, x and y interleaved, and their classes (absent from older recordings). */
  points?: Float32Array;
  labels?: Uint8Array;
}

/** Predicted class per grid cell, tinted by confidence, scaled to the canvas; the training points on top. */
export function drawBoundary(canvas: HTMLCanvasElement, picture: BoundaryPicture, theme: Theme): void {
  const { resolution, classes, confidence, extent } = picture;
  const grid = new OffscreenCanvas(resolution, resolution);
  const gridCtx = grid.getContext('2d')!;
  const image = gridCtx.createImageData(resolution, resolution);
  const palette = theme.classes.map(parseColor);
  const background = parseColor(theme.background);
  for (let r = 0; r < resolution; r++) {
    for (let c = 0; c < resolution; c++) {
      const src = r * resolution + c;
      const dst = ((resolution - 1 - r) * resolution + c) * 4; // row 0 is yMin: draw it at the bottom
      const color = palette[classes[src]! % palette.length]!;
      const alpha = Math.max(0, Math.min(1, (confidence[src]! - 0.5) * 2)) * 0.6 + 0.1;
      for (let k = 0; k < 3; k++) image.data[dst + k] = Math.round(color[k]! * alpha + background[k]! * (1 - alpha));
      image.data[dst + 3] = 255;
    }
  }
  gridCtx.putImageData(image, 0, 0);
  const ctx = canvas.getContext('2d')!;
  const { width, height } = canvas;
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(grid, 0, 0, width, height);
  const { points, labels } = picture;
  if (!points || !labels) return;
  const [x0, x1, y0, y1] = extent;
  ctx.lineWidth = 1;
  ctx.strokeStyle = theme.foreground;
  for (let i = 0; i < labels.length; i++) {
    const px = ((points[2 * i]! - x0) / (x1 - x0)) * width;
    const py = height - ((points[2 * i + 1]! - y0) / (y1 - y0)) * height;
    ctx.fillStyle = theme.classes[labels[i]! % theme.classes.length]!;
    ctx.beginPath();
    ctx.arc(px, py, 3, 0, 2 * Math.PI);
    ctx.fill();
    ctx.stroke();
  }
}
