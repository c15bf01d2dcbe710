import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WORKLOADS, stepFlops, stepProducts } from '../../../bench/engine/workloads';
import { workloadData, workloadSpec } from '../../../bench/engine/fullStep';

test('the benchmark workloads count the FLOPs issue 3 states (W1 0.83 M, W2 411 M, W3 1,895 M)', () => {
  const flops = Object.fromEntries(WORKLOADS.map((w) => [w.name, stepFlops(w)]));
  assert.equal(Math.round(flops.W1! / 1e4) / 100, 0.83);
  assert.equal(Math.round(flops.W2! / 1e6), 411);
  assert.equal(Math.round(flops.W3! / 1e6), 1895);
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
