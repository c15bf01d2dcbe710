import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFeatureMaps } from '../../../src/protocol/validate';

const event = (over: Record<string, unknown> = {}) => ({
  type: 'featureMaps',
  step: 3,
  layer: 2,
  shape: [2, 2, 2],
  before: new Float32Array([1, 2, 3, 4, 5, 6, 7, 8]),
  after: new Float32Array([0, 0, 0, 0, 10, 12, 14, 16]),
  ...over,
});

test('featureMaps: typed arrays, plain arrays and index-keyed objects all read as Float32Arrays of C×H×W', () => {
  const typed = parseFeatureMaps(event());
  assert.ok(typed.ok);
  assert.deepEqual(typed.value.shape, [2, 2, 2]);
  const plain = parseFeatureMaps(
    event({ before: [1, 2, 3, 4, 5, 6, 7, 8], after: { ...[0, 0, 0, 0, 10, 12, 14, 16] } }),
  );
  assert.ok(plain.ok);
  assert.deepEqual(plain.value.before, typed.value.before);
  assert.deepEqual(plain.value.after, typed.value.after);
  assert.ok(plain.value.after instanceof Float32Array);
});

test('featureMaps: refused with the reason when the shape, the lengths or the values are wrong', () => {
  const reasons: [Record<string, unknown>, RegExp][] = [
    [{ type: 'masks' }, /not a featureMaps event/],
    [{ layer: -1 }, /layer must be a layer index/],
    [{ step: 1.5 }, /step must be a whole number/],
    [{ shape: [2, 2] }, /shape must be \[channels, height, width\]/],
    [{ shape: [2, 0, 2] }, /shape must be/],
    [{ shape: [2048, 1, 1] }, /larger than the panel draws/],
    [{ shape: [2, 2, 3] }, /before holds 8 values, but \[2, 2, 3\] needs 12/],
    [{ after: [0, 0, 0] }, /after holds 3 values/],
    [{ before: ['1', 2, 3, 4, 5, 6, 7, 8] }, /before is not an array of numbers/],
    [{ after: [0, 0, 0, 0, 10, 12, 14, Infinity] }, /after holds a value that is not finite/],
  ];
  for (const [over, reason] of reasons) {
    const r = parseFeatureMaps(event(over));
    assert.equal(r.ok, false, JSON.stringify(over));
    if (!r.ok) assert.match(r.error, reason);
  }
});
