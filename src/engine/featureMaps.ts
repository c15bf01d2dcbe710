/**
 * The panel's picture of a dropout2d layer (FeatureMapsEvent): the first example of the batch, [C, H, W] before
 * and after dropout, copied out of the layer's batch buffers (NCHW: the first example is the first C*H*W floats),
 * so the copies can be transferred while the buffers go on being reused.
 */
import type { FeatureMapsEvent } from '../protocol/engine';
import type { ImageShape } from '../protocol/modelSpec';

export function firstExampleMaps(
  layer: number,
  step: number,
  shape: ImageShape,
  input: Float32Array,
  output: Float32Array,
): FeatureMapsEvent {
  const size = shape[0] * shape[1] * shape[2];
  if (input.length < size || output.length < size)
    throw new RangeError(
      `Layer ${layer}'s buffers hold ${Math.min(input.length, output.length)} values, less than one [${shape.join(', ')}] example.`,
    );
  return {
    type: 'featureMaps',
    step,
    layer,
    shape: [...shape],
    before: input.slice(0, size),
    after: output.slice(0, size),
  };
}
