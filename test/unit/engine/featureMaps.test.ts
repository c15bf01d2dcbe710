import { test } from 'node:test';
import assert from 'node:assert/strict';
import { firstExampleMaps } from '../../../src/engine/featureMaps';
import { parseFeatureMaps } from '../../../src/protocol/validate';

test('featureMaps: the first example of a batch, copied (the buffers may change after), and valid for the panel', () => {
  // A batch of two [2, 1, 2] examples; dropout dropped the first example's channel 1.
  const input = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
  const output = Float32Array.from([2, 4, 0, 0, 10, 12, 14, 16]);
  const event = firstExampleMaps(3, 17, [2, 1, 2], input, output);
  assert.deepEqual([...event.before], [1, 2, 3, 4]);
  assert.deepEqual([...event.after], [2, 4, 0, 0]);
  input[0] = 99;
  assert.equal(event.before[0], 1, 'a copy, not a view');
  assert.deepEqual(parseFeatureMaps(event), { ok: true, value: event });
  assert.throws(
    () => firstExampleMaps(3, 1, [4, 2, 2], input, output),
    /buffers hold 8 values, less than one \[4, 2, 2\] example/,
  );
});
