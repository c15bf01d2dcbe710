/**
 * Built-in datasets, each a pure function of (samples, noise, classes, seed). Points are 2-D except `regression`;
 * `shapes`, `bars` and `glyphs` are 1×16×16 images (./images).
 */
import type { GeneratorName, ImageShape } from '../../protocol/modelSpec';
import { SeededRandom } from '../random';
import { IMAGE_SHAPE, images, type ImageGeneratorName } from './images';

export interface RawData {
  inputDim: number;
  /** An image dataset's [C, H, W] per sample (C*H*W = inputDim), else undefined. */
  shape?: ImageShape;
  /** 0 for regression. */
  classes: number;
  x: Float32Array;
  y: Float32Array;
  n: number;
}

type Generator = (n: number, noise: number, classes: number, rng: SeededRandom) => RawData;

function points2d(
  n: number,
  classes: number,
  point: (i: number, out: { x: number; y: number; label: number }) => void,
): RawData {
  const x = new Float32Array(n * 2);
  const y = new Float32Array(n);
  const p = { x: 0, y: 0, label: 0 };
  for (let i = 0; i < n; i++) {
    point(i, p);
    x[2 * i] = p.x;
    x[2 * i + 1] = p.y;
    y[i] = p.label;
  }
  return { inputDim: 2, classes, x, y, n };
}

const moons: Generator = (n, noise, _classes, rng) =>
  points2d(n, 2, (i, p) => {
    const label = i % 2;
    const t = Math.PI * rng.uniform();
    p.x = (label === 0 ? Math.cos(t) : 1 - Math.cos(t)) + noise * rng.normal();
    p.y = (label === 0 ? Math.sin(t) : 0.5 - Math.sin(t)) + noise * rng.normal();
    p.label = label;
  });

const circles: Generator = (n, noise, _classes, rng) =>
  points2d(n, 2, (i, p) => {
    const label = i % 2;
    const radius = label === 0 ? 1 : 0.5;
    const t = 2 * Math.PI * rng.uniform();
    p.x = radius * Math.cos(t) + noise * rng.normal();
    p.y = radius * Math.sin(t) + noise * rng.normal();
    p.label = label;
  });

const spirals: Generator = (n, noise, classes, rng) =>
  points2d(n, classes, (i, p) => {
    const label = i % classes;
    const r = rng.uniform();
    const t = (label * 2 * Math.PI) / classes + 4 * r + noise * rng.normal();
    p.x = r * Math.sin(t);
    p.y = r * Math.cos(t);
    p.label = label;
  });

const xor: Generator = (n, noise, _classes, rng) =>
  points2d(n, 2, (_i, p) => {
    const a = 2 * rng.uniform() - 1;
    const b = 2 * rng.uniform() - 1;
    p.label = a * b > 0 ? 1 : 0;
    p.x = a + noise * rng.normal();
    p.y = b + noise * rng.normal();
  });

const blobs: Generator = (n, noise, classes, rng) =>
  points2d(n, classes, (i, p) => {
    const label = i % classes;
    const angle = (2 * Math.PI * label) / classes;
    p.x = 2.5 * Math.cos(angle) + (0.3 + noise) * rng.normal();
    p.y = 2.5 * Math.sin(angle) + (0.3 + noise) * rng.normal();
    p.label = label;
  });

/** Two overlapping Gaussian clouds with a tenth of the labels flipped: too little, too noisy data, made for memorizing. */
const overfit: Generator = (n, noise, _classes, rng) =>
  points2d(n, 2, (i, p) => {
    const label = i % 2;
    const spread = 0.6 + noise;
    p.x = (label === 0 ? -0.5 : 0.5) + spread * rng.normal();
    p.y = (label === 0 ? 0.3 : -0.3) + spread * rng.normal();
    p.label = rng.uniform() < 0.1 ? 1 - label : label;
  });

const regression: Generator = (n, noise, _classes, rng) => {
  const x = new Float32Array(n);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const t = 6 * rng.uniform() - 3;
    x[i] = t;
    y[i] = Math.sin(1.5 * t) + 0.3 * t + noise * rng.normal();
  }
  return { inputDim: 1, classes: 0, x, y, n };
};

const imageGenerator =
  (name: ImageGeneratorName): Generator =>
  (n, noise, _classes, rng) => {
    const { x, y, classes } = images(name, n, noise, rng);
    return { inputDim: x.length / n, shape: [...IMAGE_SHAPE], classes, x, y, n };
  };

export const GENERATORS: Record<GeneratorName, Generator> = {
  moons,
  circles,
  spirals,
  xor,
  blobs,
  overfit,
  regression,
  shapes: imageGenerator('shapes'),
  bars: imageGenerator('bars'),
  glyphs: imageGenerator('glyphs'),
};

export function generate(
  name: GeneratorName,
  samples: number,
  noise: number,
  classes: number | undefined,
  seed: number,
): RawData {
  const generator = GENERATORS[name];
  if (!generator)
    throw new Error(`Unknown dataset generator "${name}". Use one of: ${Object.keys(GENERATORS).join(', ')}.`);
  if (!Number.isInteger(samples) || samples < 4)
    throw new Error(`A dataset needs at least 4 samples (got ${samples}).`);
  if (!(noise >= 0)) throw new Error(`Noise must be 0 or more (got ${noise}).`);
  const k = classes ?? 3;
  if (!Number.isInteger(k) || k < 2 || k > 255)
    throw new Error(`Classes must be an integer from 2 to 255 (got ${classes}).`);
  return generator(samples, noise, k, new SeededRandom(seed ^ 0x5eed));
}
