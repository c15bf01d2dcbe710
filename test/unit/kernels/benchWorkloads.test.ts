import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WORKLOADS, stepFlops, stepProducts } from '../../../bench/engine/workloads';
import { workloadData, workloadSpec } from '../../../bench/engine/fullStep';

test('the benchmark workloads count the FLOPs issue 3 states (W1 0.83 M, W2 411 M, W3 1,895 M) and W4 453 M', () => {
  const flops = Object.fromEntries(WORKLOADS.map((w) => [w.name, stepFlops(w)]));
  assert.equal(Math.round(flops.W1! / 1e4) / 100, 0.83);
  assert.equal(Math.round(flops.W2! / 1e6), 411);
  assert.equal(Math.round(flops.W3! / 1e6), 1895);
  // W4: conv 1->16 (9 x 784 per sample, no input gradient), conv 16->32 (144 x 196), dense 1568->128, 128->10.
  const macs = 64 * (2 * 16 * 9 * 784 + 3 * 32 * 144 * 196 + 3 * 1568 * 128) + 64 * (2 * 128 * 10 + 128 * 10);
  assert.equal(flops.W4, 2 * macs);
  // forward and weight gradient for every layer, input gradient for all but the first
  assert.equal(stepProducts(WORKLOADS[0]!).length, 3 * 3 - 1);
});

test('the benchmark model specs put dropout where the workloads say', () => {
  const w2 = workloadSpec(WORKLOADS[1]!);
  assert.deepEqual(
    w2.model.layers.map((l) =>
      l.type === 'dropout' ? `dropout ${l.rate}` : l.type === 'dense' ? `dense ${l.units} ${l.activation}` : l.type,
    ),
    ['dropout 0.2', 'dense 512 relu', 'dropout 0.5', 'dense 512 relu', 'dropout 0.5', 'dense 10 linear'],
  );
  const data = workloadData(WORKLOADS[2]!);
  assert.equal(data.inputDim, 256);
  assert.equal(data.train.x.length, data.train.n * 256);
  assert.ok(data.train.y.every((y) => y >= 0 && y < 10 && Number.isInteger(y)));
});

test('W4 is the small CNN of issue 14, on 1x28x28 images in batches of 64', () => {
  const w4 = WORKLOADS.find((w) => w.name === 'W4')!;
  const spec = workloadSpec(w4);
  assert.deepEqual(spec.model.input, [1, 28, 28]);
  assert.equal(spec.training.batchSize, 64);
  assert.deepEqual(
    spec.model.layers.map((l) =>
      l.type === 'conv2d'
        ? `conv ${l.filters} ${l.kernel.join('x')} p${l.padding} ${l.activation}`
        : l.type === 'dense'
          ? `dense ${l.units} ${l.activation}`
          : 'rate' in l
            ? `${l.type} ${l.rate}`
            : 'size' in l
              ? `${l.type} ${l.size}`
              : l.type,
    ),
    [
      'conv 16 3x3 p1 relu',
      'maxpool2d 2',
      'conv 32 3x3 p1 relu',
      'dropout2d 0.25',
      'maxpool2d 2',
      'flatten',
      'dense 128 relu',
      'dropout 0.5',
      'dense 10 linear',
    ],
  );
  assert.equal(workloadData(w4).inputDim, 784);
});
