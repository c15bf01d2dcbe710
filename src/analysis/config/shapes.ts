/**
 * `model.input` (a width, or an image's [C, H, W]) and the shapes through the layer list: each layer's input is
 * checked where it is written, so a conv whose output would be empty, a dense layer on an image without
 * `flatten`, or a dropout2d on a flat input is an error on that layer's line, not a failure at run time.
 */
import { isScalar, isSeq, type Pair } from 'yaml';
import { describeShape, isImage, layerOutputShape, shapeSize, type LayerShape } from '../../protocol/layerShapes';
import type { DataSpec, ImageShape, LayerSpec } from '../../protocol/modelSpec';
import { DEFAULT_GENERATOR_CLASSES, GENERATOR_SHAPES } from '../../protocol/vocabulary';
import { type Ctx, describe, pairSpan, valueOf } from './readers';

const MAX_WIDTH = 4096;
/** An image's values per sample, far above what the engine trains in a panel (3×512×512 is 786k). */
const MAX_IMAGE_SIZE = 1 << 20;

/** A scalar holding a whole number of at least 1. */
export const isWholeScalar = (x: unknown): x is { value: number } =>
  isScalar(x) && typeof x.value === 'number' && Number.isInteger(x.value) && x.value >= 1;

/**
 * An image shape as model.input and data.shape write it: three whole numbers of at least 1 (else undefined, with
 * no finding: the caller words it), holding at most MAX_IMAGE_SIZE values (else undefined, after a finding).
 */
export function readImageShape(
  ctx: Ctx,
  at: ReturnType<typeof pairSpan>,
  v: unknown,
  key: string,
  per: 'sample' | 'image',
): ImageShape | 'not-an-image' | undefined {
  if (!(isSeq(v) && v.items.length === 3 && v.items.every(isWholeScalar))) return 'not-an-image';
  const shape = v.items.map((x) => x.value) as ImageShape;
  if (shapeSize(shape) <= MAX_IMAGE_SIZE) return shape;
  ctx.report(
    'invalid-config',
    at,
    `${key} [${shape.join(', ')}] holds ${shapeSize(shape)} values per ${per}; Dropout Lens trains images up to ${MAX_IMAGE_SIZE}.`,
  );
  return undefined;
}

/** Reads model.input: a whole number (a width), or [C, H, W]. Undefined (after a finding) when it is neither. */
export function readInput(ctx: Ctx, pair: Pair): LayerShape | undefined {
  const v = valueOf(pair);
  const at = pairSpan(ctx, pair);
  if (isWholeScalar(v)) {
    if (v.value > MAX_WIDTH) {
      ctx.report('invalid-config', at, `model.input must be at most ${MAX_WIDTH}, got ${v.value}.`);
      return undefined;
    }
    return v.value;
  }
  const image = readImageShape(ctx, at, v, 'model.input', 'sample');
  if (image !== 'not-an-image') return image;
  ctx.report(
    'invalid-config',
    at,
    `model.input must be a width (a whole number from 1 to ${MAX_WIDTH}) or an image's [channels, height, width], got ${describe(v)}.`,
  );
  return undefined;
}

/** The input a built-in generator makes, as a fresh value (the table's tuples are read-only). */
export function generatorInput(generator: keyof typeof GENERATOR_SHAPES): LayerShape {
  const input: number | readonly number[] = GENERATOR_SHAPES[generator].input;
  return typeof input === 'number' ? input : ([...input] as ImageShape);
}

function sameShape(a: LayerShape, b: LayerShape): boolean {
  return isImage(a) && isImage(b) ? a.every((x, i) => x === b[i]) : a === b;
}

/**
 * Shapes the engine would otherwise reject at run time, here with the line: model.input against the generator's
 * data, each layer against its input, and the output (the last dense layer) against the classes (or the single
 * target) of a built-in generator. A CSV file's width and class count are only known once it is read, so for CSV
 * data only what follows from model.input is checked.
 */
export function checkShapes(
  ctx: Ctx,
  data: DataSpec,
  input: LayerShape | undefined,
  layers: readonly LayerSpec[],
): void {
  if (data.source === 'generator' && input !== undefined && ctx.locations.input) {
    const want = generatorInput(data.generator);
    if (!sameShape(input, want)) {
      const wanted = isImage(want) ? `[${want.join(', ')}] images` : `${want}-D points`;
      ctx.report(
        'invalid-config',
        ctx.locations.input,
        `model.input is ${isImage(input) ? `[${input.join(', ')}]` : input}, but the ${data.generator} generator makes ${wanted}: write input: ${isImage(want) ? `[${want.join(', ')}]` : want}, or leave it out.`,
      );
      return;
    }
  }
  let shape = input;
  for (const [i, l] of layers.entries()) {
    if (shape === undefined) {
      // A CSV file without model.input decides the width: flat. A layer that needs an image says so.
      if (l.type === 'dense') continue;
      if (l.type === 'dropout' || l.type === 'batchnorm') continue;
      const at = ctx.locations.layers[i];
      if (at)
        ctx.report(
          'invalid-config',
          at,
          `model.layers[${i}] (${l.type}) needs an image input: declare model.input as [channels, height, width].`,
        );
      return;
    }
    if (l.type === 'dropout' && l.kind === 'spatial' && l.shape && !isImage(shape)) {
      const [positions, channels] = l.shape;
      const at = ctx.locations.shapes.get(i);
      if (at && positions * channels !== shape)
        ctx.report(
          'invalid-config',
          at,
          `model.layers[${i}].dropout.shape [${positions}, ${channels}] views ${positions * channels} values, but this layer's input is ${shape} wide: positions × channels must equal ${shape}.`,
        );
    }
    const out = layerOutputShape(l, shape);
    if ('error' in out) {
      const at = ctx.locations.layers[i];
      if (at) ctx.report('invalid-config', at, `model.layers[${i}]: ${out.error}`);
      return;
    }
    shape = out.shape;
  }
  if (shape !== undefined && isImage(shape)) {
    const at = ctx.locations.layers[layers.length - 1];
    if (at)
      ctx.report(
        'invalid-config',
        at,
        `The model ends on an image ${describeShape(shape)}; the output must be flat: end with \`- flatten: true\` and a dense layer of one unit per class.`,
      );
    return;
  }
  if (data.source !== 'generator') return;
  const output = layers.reduce<number>((last, l, i) => (l.type === 'dense' ? i : last), -1);
  const out = layers[output];
  const at = ctx.locations.units.get(output);
  if (out?.type !== 'dense' || !at) return;
  const gen = GENERATOR_SHAPES[data.generator];
  const classes = gen.classes === 'classes' ? (data.classes ?? DEFAULT_GENERATOR_CLASSES) : gen.classes;
  const want = classes > 0 ? classes : 1;
  if (out.units !== want)
    ctx.report(
      'invalid-config',
      at,
      classes > 0
        ? `The last dense layer is the output and has ${out.units} unit(s), but the ${data.generator} data has ${classes} classes: make it dense: ${want}.`
        : `The last dense layer is the output and has ${out.units} unit(s), but the regression data has one target value: make it dense: 1.`,
    );
}
