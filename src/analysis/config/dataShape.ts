/**
 * `data.shape` of a CSV dataset: each row's features read as one [C, H, W] image (NCHW). The reader checks it
 * against model.input when both are written, and stands it in for model.input when only it is; the file's own
 * width is known only once it is read, so the engine checks C×H×W against it (src/engine/data).
 */
import type { Pair } from 'yaml';
import { describeShape, isImage, shapeSize, type LayerShape } from '../../protocol/layerShapes';
import type { ImageShape } from '../../protocol/modelSpec';
import { type Ctx, describe, pairSpan, valueOf } from './readers';
import { readImageShape } from './shapes';

/** Reads data.shape; undefined (after a finding on its line) when it is not three whole numbers. */
export function readDataShape(ctx: Ctx, pair: Pair): ImageShape | undefined {
  const v = valueOf(pair);
  const at = pairSpan(ctx, pair);
  const shape = readImageShape(ctx, at, v, 'data.shape', 'image');
  if (shape === 'not-an-image') {
    ctx.report(
      'invalid-config',
      at,
      `data.shape must be an image's [channels, height, width], three whole numbers of at least 1, got ${describe(v)}.`,
    );
    return undefined;
  }
  if (!shape) return undefined;
  ctx.locations.dataShape = at;
  return shape;
}

/**
 * The model's input given data.shape: model.input when it is written and agrees (the same [C, H, W], or its
 * C×H×W as a flat width: the rows then feed a dense layer as they are), else data.shape, after a finding.
 */
export function inputFromDataShape(ctx: Ctx, shape: ImageShape, input: LayerShape | undefined): LayerShape {
  if (input === undefined) return shape;
  const agrees = isImage(input) ? input.every((x, i) => x === shape[i]) : input === shapeSize(shape);
  if (!agrees && ctx.locations.dataShape)
    ctx.report(
      'invalid-config',
      ctx.locations.dataShape,
      `data.shape is [${shape.join(', ')}] (${shapeSize(shape)} values a row), but model.input is ${isImage(input) ? describeShape(input) : input}: write input: [${shape.join(', ')}], or leave model.input out.`,
    );
  return agrees ? input : shape;
}
