/**
 * Procedural image datasets, 1×16×16 (NCHW, one channel): each a pure function of (samples, noise, seed), for
 * the convolutional layers and Dropout2d. Strokes are drawn by their distance to each pixel's centre, so edges
 * are soft (anti-aliased) and a shape can sit anywhere; `noise` is the standard deviation of Gaussian pixel noise.
 */
import type { ImageShape } from '../../protocol/modelSpec';
import type { SeededRandom } from '../random';

export const IMAGE_SIDE = 16;
export const IMAGE_SHAPE: ImageShape = [1, IMAGE_SIDE, IMAGE_SIDE];

/** A stroke: a segment from (x0, y0) to (x1, y1), in pixel coordinates (pixel (i, j) has its centre at i + 0.5, j + 0.5). */
type Segment = [x0: number, y0: number, x1: number, y1: number];

function segmentDistance(px: number, py: number, [x0, y0, x1, y1]: Segment): number {
  const dx = x1 - x0;
  const dy = y1 - y0;
  const length2 = dx * dx + dy * dy;
  const t = length2 > 0 ? Math.max(0, Math.min(1, ((px - x0) * dx + (py - y0) * dy) / length2)) : 0;
  return Math.hypot(px - (x0 + t * dx), py - (y0 + t * dy));
}

/**
 * Paints one image into `out` (IMAGE_SIDE² floats from `at`): each pixel is 1 on a stroke of the given width,
 * fading to 0 over one pixel, plus noise. `distance` is the pixel centre's distance to the nearest stroke centre.
 */
function paint(
  out: Float32Array,
  at: number,
  width: number,
  noise: number,
  rng: SeededRandom,
  distance: (px: number, py: number) => number,
): void {
  for (let y = 0; y < IMAGE_SIDE; y++)
    for (let x = 0; x < IMAGE_SIDE; x++) {
      const d = distance(x + 0.5, y + 0.5);
      const ink = Math.max(0, Math.min(1, width / 2 + 0.5 - d));
      out[at + y * IMAGE_SIDE + x] = ink + (noise > 0 ? noise * rng.normal() : 0);
    }
}

const nearest = (segments: Segment[]) => (px: number, py: number) => {
  let best = Infinity;
  for (const s of segments) best = Math.min(best, segmentDistance(px, py, s));
  return best;
};

/** A value in [lo, hi). */
const between = (rng: SeededRandom, lo: number, hi: number) => lo + (hi - lo) * rng.uniform();

/** Draws sample i of class `label` into `out` at `at`. */
export type ImageDrawer = (out: Float32Array, at: number, label: number, noise: number, rng: SeededRandom) => void;

/** `shapes`: the outline of a square, a circle, a triangle or a cross (+), of random size and position. */
export const SHAPE_NAMES = ['square', 'circle', 'triangle', 'cross'] as const;
const drawShape: ImageDrawer = (out, at, label, noise, rng) => {
  const r = between(rng, 3, 5.5); // half the shape's extent
  const cx = between(rng, r + 1.6, IMAGE_SIDE - r - 1.6);
  const cy = between(rng, r + 1.6, IMAGE_SIDE - r - 1.6);
  const width = between(rng, 0.8, 1.6);
  switch (SHAPE_NAMES[label]) {
    case 'circle':
      paint(out, at, width, noise, rng, (px, py) => Math.abs(Math.hypot(px - cx, py - cy) - r));
      return;
    case 'square':
      paint(
        out,
        at,
        width,
        noise,
        rng,
        nearest([
          [cx - r, cy - r, cx + r, cy - r],
          [cx + r, cy - r, cx + r, cy + r],
          [cx + r, cy + r, cx - r, cy + r],
          [cx - r, cy + r, cx - r, cy - r],
        ]),
      );
      return;
    case 'triangle': {
      // Apex up, corners on the circle of radius r, turned by a little.
      const turn = between(rng, -0.25, 0.25);
      const corner = (k: number): [number, number] => {
        const a = turn - Math.PI / 2 + (2 * Math.PI * k) / 3;
        return [cx + r * Math.cos(a), cy + r * Math.sin(a)];
      };
      const [a, b, c] = [corner(0), corner(1), corner(2)];
      paint(
        out,
        at,
        width,
        noise,
        rng,
        nearest([
          [...a, ...b],
          [...b, ...c],
          [...c, ...a],
        ]),
      );
      return;
    }
    default:
      paint(
        out,
        at,
        width,
        noise,
        rng,
        nearest([
          [cx - r, cy, cx + r, cy],
          [cx, cy - r, cx, cy + r],
        ]),
      );
  }
};

/** `bars`: one to three parallel bars, horizontal, vertical or diagonal (either way), a few degrees off. */
export const BAR_NAMES = ['horizontal', 'vertical', 'diagonal'] as const;
const drawBars: ImageDrawer = (out, at, label, noise, rng) => {
  const base = label === 0 ? 0 : label === 1 ? Math.PI / 2 : rng.uniform() < 0.5 ? Math.PI / 4 : -Math.PI / 4;
  const angle = base + between(rng, -0.14, 0.14);
  // The bars' direction (cos, sin); each bar is the line through its centre along it.
  const ux = Math.cos(angle);
  const uy = Math.sin(angle);
  const count = 1 + Math.floor(3 * rng.uniform());
  const spacing = between(rng, 3.5, 5);
  const offset = between(rng, -2, 2);
  const width = between(rng, 1, 2.2);
  const c = IMAGE_SIDE / 2;
  paint(out, at, width, noise, rng, (px, py) => {
    // Signed distance across the bars from the image centre, then to the nearest bar's centre line.
    const across = -(px - c) * uy + (py - c) * ux - offset;
    let best = Infinity;
    for (let k = 0; k < count; k++) best = Math.min(best, Math.abs(across - (k - (count - 1) / 2) * spacing));
    return best;
  });
};

/**
 * `glyphs`: the digits 0-9 as seven-segment glyphs, of random size, position, slant and stroke, with each
 * segment's ends jittered: noisy handwriting-like digits, ten classes.
 */
const SEGMENTS_OF_DIGIT = ['abcdef', 'bc', 'abged', 'abgcd', 'fgbc', 'afgcd', 'afgedc', 'abc', 'abcdefg', 'abfgcd'];
const drawGlyph: ImageDrawer = (out, at, label, noise, rng) => {
  const h = between(rng, 9, 11.5);
  const w = between(rng, 4.5, 6.5);
  const slant = between(rng, -0.2, 0.2);
  // The slant moves the top row sideways by slant * h: the box stays inside the image either way.
  const left = between(rng, 2 + Math.max(0, -slant * h), IMAGE_SIDE - w - 2 - Math.max(0, slant * h));
  const top = between(rng, 2, IMAGE_SIDE - h - 2);
  const jitter = () => between(rng, -0.6, 0.6);
  // Corners of the glyph box: top, middle and bottom rows, left and right, slanted about the bottom row.
  const point = (col: 0 | 1, row: 0 | 1 | 2): [number, number] => {
    const y = top + (row * h) / 2;
    return [left + col * w + slant * (top + h - y) + jitter(), y + jitter()];
  };
  const ends: Record<string, [[0 | 1, 0 | 1 | 2], [0 | 1, 0 | 1 | 2]]> = {
    a: [
      [0, 0],
      [1, 0],
    ],
    b: [
      [1, 0],
      [1, 1],
    ],
    c: [
      [1, 1],
      [1, 2],
    ],
    d: [
      [0, 2],
      [1, 2],
    ],
    e: [
      [0, 1],
      [0, 2],
    ],
    f: [
      [0, 0],
      [0, 1],
    ],
    g: [
      [0, 1],
      [1, 1],
    ],
  };
  const segments = [...SEGMENTS_OF_DIGIT[label]!].map((s): Segment => {
    const [p, q] = ends[s]!;
    return [...point(...p), ...point(...q)];
  });
  paint(out, at, between(rng, 1, 1.8), noise, rng, nearest(segments));
};

/** The image generators: how many classes each has, and how it draws a sample. */
export const IMAGE_GENERATORS = {
  shapes: { classes: SHAPE_NAMES.length, draw: drawShape },
  bars: { classes: BAR_NAMES.length, draw: drawBars },
  glyphs: { classes: SEGMENTS_OF_DIGIT.length, draw: drawGlyph },
} as const satisfies Record<string, { classes: number; draw: ImageDrawer }>;

export type ImageGeneratorName = keyof typeof IMAGE_GENERATORS;

/** n images of the named generator, classes in turn (sample i is of class i mod classes). */
export function images(
  name: ImageGeneratorName,
  n: number,
  noise: number,
  rng: SeededRandom,
): { x: Float32Array; y: Float32Array; classes: number } {
  const { classes, draw } = IMAGE_GENERATORS[name];
  const size = IMAGE_SIDE * IMAGE_SIDE;
  const x = new Float32Array(n * size);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % classes;
    draw(x, i * size, i % classes, noise, rng);
  }
  return { x, y, classes };
}
