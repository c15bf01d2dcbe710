import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadDataset } from '../../../src/engine/data';
import { IMAGE_GENERATORS, IMAGE_SIDE, images, type ImageGeneratorName } from '../../../src/engine/data/images';
import { SeededRandom } from '../../../src/engine/random';

const NAMES = Object.keys(IMAGE_GENERATORS) as ImageGeneratorName[];
const SIZE = IMAGE_SIDE * IMAGE_SIDE;

test('image generators: 1×16×16 images, seeded, every class in turn', () => {
  for (const generator of NAMES) {
    const spec = { source: 'generator' as const, generator, samples: 80, noise: 0.1, validation: 0.25 };
    const a = loadDataset(spec, 3);
    assert.deepEqual(a.shape, [1, 16, 16], generator);
    assert.equal(a.inputDim, SIZE, generator);
    assert.equal(a.classes, IMAGE_GENERATORS[generator].classes, generator);
    assert.deepEqual(a.train.x, loadDataset(spec, 3).train.x, generator);
    assert.notDeepEqual(a.train.x, loadDataset(spec, 4).train.x, generator);
    const labels = new Set([...a.train.y, ...a.validation.y]);
    assert.equal(labels.size, a.classes, generator);
  }
});

test('image generators: without noise every pixel is ink in [0, 1], every image has a stroke away from its border', () => {
  for (const name of NAMES) {
    const { x } = images(name, 40, 0, new SeededRandom(11));
    assert.ok(
      x.every((v) => v >= 0 && v <= 1),
      name,
    );
    for (let i = 0; i < 40; i++) {
      const image = x.subarray(i * SIZE, (i + 1) * SIZE);
      const ink = image.reduce((s, v) => s + v, 0);
      assert.ok(ink >= 8, `${name} image ${i} has ink ${ink}`);
      // Shapes and glyphs are drawn inside the image: the outermost ring of pixels holds little of the ink.
      if (name !== 'bars') {
        let border = 0;
        for (let k = 0; k < IMAGE_SIDE; k++)
          border += image[k]! + image[SIZE - 1 - k]! + image[k * IMAGE_SIDE]! + image[k * IMAGE_SIDE + IMAGE_SIDE - 1]!;
        assert.ok(border < 0.1 * ink, `${name} image ${i}: ${border} of ${ink} on the border`);
      }
    }
  }
});

test('image generators: noise is Gaussian pixel noise of the given standard deviation', () => {
  const clean = images('shapes', 50, 0, new SeededRandom(5)).x;
  const noisy = images('shapes', 50, 0.3, new SeededRandom(5)).x;
  let sum = 0;
  let sum2 = 0;
  // The same seed draws the same shapes only without noise in between, so compare the noise's spread on the
  // background (pixels with no ink in the clean image are mostly background in the noisy one too).
  let n = 0;
  for (let i = 0; i < noisy.length; i++)
    if (clean[i] === 0) {
      sum += noisy[i]!;
      sum2 += noisy[i]! ** 2;
      n++;
    }
  const mean = sum / n;
  const sd = Math.sqrt(sum2 / n - mean * mean);
  assert.ok(sd > 0.25 && sd < 0.45, `background sd ${sd}`);
});

/** The structure tensor of an image (sums of gx², gy², gx·gy over its central differences): a stroke's edges. */
function structure(image: Float32Array): { xx: number; yy: number; xy: number } {
  const at = (x: number, y: number) => image[y * IMAGE_SIDE + x]!;
  let xx = 0;
  let yy = 0;
  let xy = 0;
  for (let y = 1; y < IMAGE_SIDE - 1; y++)
    for (let x = 1; x < IMAGE_SIDE - 1; x++) {
      const gx = at(x + 1, y) - at(x - 1, y);
      const gy = at(x, y + 1) - at(x, y - 1);
      xx += gx * gx;
      yy += gy * gy;
      xy += gx * gy;
    }
  return { xx, yy, xy };
}

test('bars: horizontal bars have edges across the rows, vertical across the columns, diagonal along both at once', () => {
  const { x, y } = images('bars', 60, 0, new SeededRandom(2));
  for (let i = 0; i < 60; i++) {
    const { xx, yy, xy } = structure(x.subarray(i * SIZE, (i + 1) * SIZE));
    if (y[i] === 0) assert.ok(yy > 4 * xx, `horizontal ${i}: ${yy} vs ${xx}`);
    else if (y[i] === 1) assert.ok(xx > 4 * yy, `vertical ${i}: ${xx} vs ${yy}`);
    else assert.ok(Math.abs(xy) > 0.6 * ((xx + yy) / 2), `diagonal ${i}: ${xy} vs ${xx}, ${yy}`);
  }
});

test('shapes and glyphs: the classes are drawn differently (a cross has less ink than a square, a 1 than an 8)', () => {
  const meanInk = (name: ImageGeneratorName, label: number) => {
    const { x, y } = images(name, 200, 0, new SeededRandom(9));
    let ink = 0;
    let count = 0;
    for (let i = 0; i < 200; i++)
      if (y[i] === label) {
        for (let k = 0; k < SIZE; k++) ink += x[i * SIZE + k]!;
        count++;
      }
    return ink / count;
  };
  assert.ok(meanInk('shapes', 3) < 0.7 * meanInk('shapes', 0), 'cross vs square');
  assert.ok(meanInk('glyphs', 1) < 0.5 * meanInk('glyphs', 8), '1 vs 8');
});

test('CSV rows as images: data.shape is kept when C×H×W is the feature count, and refused with both numbers when not', () => {
  const rows = Array.from({ length: 8 }, (_, i) => `${i},${i + 1},${i + 2},${i + 3},${i % 2}`).join('\n');
  const spec = { source: 'csv' as const, path: 'img.csv', standardize: false, validation: 0.25 };
  const d = loadDataset({ ...spec, shape: [1, 2, 2] }, 1, rows);
  assert.deepEqual(d.shape, [1, 2, 2]);
  assert.equal(d.inputDim, 4);
  assert.equal(loadDataset(spec, 1, rows).shape, undefined);
  assert.throws(
    () => loadDataset({ ...spec, shape: [1, 3, 3] }, 1, rows),
    /data\.shape is \[1, 3, 3\], 9 values an image, but each row of img\.csv has 4 feature\(s\)/,
  );
});
