/** Canvas pictures: activation histograms before/after dropout, and the decision boundary of 2-D models. */
import { parseColor, type Theme } from './theme';

export function drawHistogram(canvas: HTMLCanvasElement, before: Float32Array, after: Float32Array, theme: Theme): void {
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

export function drawBoundary(canvas: HTMLCanvasElement, resolution: number, classes: Uint8Array, confidence: Float32Array, theme: Theme): void {
  const ctx = canvas.getContext('2d')!;
  const image = ctx.createImageData(resolution, resolution);
  const palette = theme.classes.map(parseColor);
  const background = parseColor(theme.background);
  for (let r = 0; r < resolution; r++) {
    for (let c = 0; c < resolution; c++) {
      const src = r * resolution + c;
      const dst = ((resolution - 1 - r) * resolution + c) * 4; // row 0 is yMin: draw it at the bottom
      const color = palette[classes[src]! % palette.length]!;
      const alpha = Math.max(0, Math.min(1, (confidence[src]! - 0.5) * 2)) * 0.8 + 0.1;
      for (let k = 0; k < 3; k++) image.data[dst + k] = Math.round(color[k]! * alpha + background[k]! * (1 - alpha));
      image.data[dst + 3] = 255;
    }
  }
  canvas.width = resolution;
  canvas.height = resolution;
  ctx.putImageData(image, 0, 0);
}
