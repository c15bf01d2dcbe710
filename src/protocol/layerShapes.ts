/**
 * What each layer makes of its input's shape: a flat width, or an image's [C, H, W] (NCHW, as PyTorch). Written
 * once for the config reader (which reports a mismatch on its line) and the engine (which sizes its buffers).
 */
import type { ImageShape, LayerSpec } from './modelSpec';

/** A layer's input or output: a flat vector of that width, or an image. */
export type LayerShape = number | ImageShape;

export function isImage(shape: LayerShape): shape is ImageShape {
  return typeof shape !== 'number';
}

/** The number of values one sample holds. */
export function shapeSize(shape: LayerShape): number {
  return isImage(shape) ? shape[0] * shape[1] * shape[2] : shape;
}

export function describeShape(shape: LayerShape): string {
  return isImage(shape) ? `[${shape.join(', ')}]` : `${shape} wide`;
}

/** Output side of a sliding window (conv or pooling), floor((n + 2 padding - window) / stride) + 1, as PyTorch. */
export function slidingOutput(n: number, window: number, stride: number, padding: number): number {
  return Math.floor((n + 2 * padding - window) / stride) + 1;
}

/** The output shape of `spec` on `input`, or why the layer cannot take that input (a sentence to show). */
export function layerOutputShape(spec: LayerSpec, input: LayerShape): { shape: LayerShape } | { error: string } {
  switch (spec.type) {
    case 'dense':
      if (isImage(input))
        return {
          error: `a dense layer takes a flat input, but this one gets an image ${describeShape(input)}: add \`- flatten: true\` before it.`,
        };
      return { shape: spec.units };
    case 'dropout':
      if (spec.kind === 'spatial' && isImage(input))
        return {
          error: `spatial dropout with a declared shape views a flat input; on an image ${describeShape(input)} use \`- dropout2d: ${spec.rate}\`, which drops whole channels.`,
        };
      return { shape: input };
    case 'batchnorm':
      if (isImage(input))
        return {
          error: `batchnorm normalizes each unit of a flat input; on an image ${describeShape(input)} use \`- batchnorm2d:\`, which normalizes each channel.`,
        };
      return { shape: input };
    case 'flatten':
      if (!isImage(input))
        return { error: `flatten takes an image [C, H, W], but this input is already flat (${input} wide).` };
      return { shape: shapeSize(input) };
    case 'batchnorm2d':
    case 'dropout2d':
      if (!isImage(input))
        return {
          error: `${spec.type} works on the channels of an image [C, H, W], but this input is flat (${input} wide)${spec.type === 'dropout2d' ? ': use `dropout` here, or put it after a conv2d' : ': use `batchnorm` here'}.`,
        };
      return { shape: input };
    case 'conv2d': {
      if (!isImage(input))
        return {
          error: `conv2d takes an image [C, H, W], but this input is flat (${input} wide): declare model.input as [C, H, W].`,
        };
      const [, h, w] = input;
      const [kh, kw] = spec.kernel;
      const oh = slidingOutput(h, kh, spec.stride, spec.padding);
      const ow = slidingOutput(w, kw, spec.stride, spec.padding);
      if (oh < 1 || ow < 1)
        return {
          error: `conv2d's ${kh}×${kw} kernel (padding ${spec.padding}) does not fit the ${h}×${w} input, so its output would be empty.`,
        };
      return { shape: [spec.filters, oh, ow] };
    }
    case 'maxpool2d':
    case 'avgpool2d': {
      if (!isImage(input))
        return { error: `${spec.type} takes an image [C, H, W], but this input is flat (${input} wide).` };
      const [c, h, w] = input;
      const oh = slidingOutput(h, spec.size, spec.stride, 0);
      const ow = slidingOutput(w, spec.size, spec.stride, 0);
      if (oh < 1 || ow < 1)
        return {
          error: `${spec.type}'s ${spec.size}×${spec.size} window does not fit the ${h}×${w} input, so its output would be empty.`,
        };
      return { shape: [c, oh, ow] };
    }
  }
}
