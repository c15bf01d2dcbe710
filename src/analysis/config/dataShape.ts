/**
 * `data.shape` of a CSV dataset: each row's features read as one [C, H, W] image (NCHW). The reader checks it
 * against model.input when both are written, and stands it in for model.input when only it is; the file's own
 * width is known only once it is read, so the engine checks C×H×W against it (src/engine/data).
 */
import { isScalar, isSeq, type Pair } from 'yaml';
import { describeShape, isImage, shapeSize, type LayerShape } from '../../protocol/layerShapes';
import type { ImageShape } from '../../protocol/modelSpec';
import { type Ctx, describe, pairSpan, valueOf } from './readers';

/** An image's values per sample, as model.input allows (src/analysis/config/shapes.ts). */
const MAX_IMAGE_SIZE = 1 << 20;

/** Reads data.shape; undefined (after a finding on its line) when it is not three whole numbers. */
export function readDataShape(ctx: Ctx, pair: Pair): ImageShape | undefined {
  const v = valueOf(pair);
  const at = pairSpan(ctx, pair);
  const whole = (x: unknown): x is { value: number } =>
    isScalar(x) && typeof x.value === 'number' && Number.isInteger(x.value) && x.value >= 1;
  if (!(isSeq(v) && v.items.length === 3 && v.items.every(whole))) {
    ctx.report(
      'invalid-config',
      at,
      `data.shape must be an image's [channels, height, width], three whole numbers of at least 1, got ${describe(v)}.`,
    );
    return undefined;
  }
  const shape = v.items.map((x) => x.value) as ImageShape;
  if (shapeSize(shape) > MAX_IMAGE_SIZE) {
    ctx.report(
      'invalid-config',
      at,
      `data.shape [${shape.join(', ')}] holds ${shapeSize(shape)} values per image; Dropout Lens trains images up to ${MAX_IMAGE_SIZE}.`,
    );
    return undefined;
  }
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
