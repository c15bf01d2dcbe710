/**
 * Readers of the convolutional layer items (issue 14): `conv2d: FILTERS` with kernel, stride, padding,
 * activation and dropconnect; `maxpool2d: SIZE` / `avgpool2d: SIZE` with stride; `flatten: true`;
 * `dropout2d: RATE` (`batchnorm2d:` is read with batchnorm, ./denseLayers). Shapes are checked later, over the whole list (./shapes).
 */
import { isScalar, isSeq, type Pair } from 'yaml';
import type { Conv2dLayerSpec, LayerSpec, Pool2dLayerSpec } from '../../protocol/modelSpec';
import { ACTIVATIONS } from '../../protocol/vocabulary';
import { type Ctx, describe, invalidSince, pairSpan, readEnum, readNumber, readRate, valueOf } from './readers';

/** Far above any kernel, window or image side the engine can train in a panel. */
const MAX_SIDE = 1024;

export interface ReadConv {
  layer: Conv2dLayerSpec;
  activationWritten: boolean;
}

export function readConv2d(ctx: Ctx, m: Map<string, Pair>, where: string): ReadConv | undefined {
  const before = ctx.findings.length;
  const filters = readNumber(ctx, m.get('conv2d'), `${where}.conv2d (filters)`, 1, {
    integer: true,
    min: 1,
    max: 4096,
  });
  const kp = m.get('kernel');
  let kernel: [number, number] = [3, 3];
  if (!kp)
    ctx.report(
      'invalid-config',
      pairSpan(ctx, m.get('conv2d')!),
      `${where}: conv2d needs a kernel size, e.g. \`kernel: 3\`.`,
    );
  else kernel = readSides(ctx, kp, `${where}.kernel`) ?? kernel;
  const stride = readNumber(ctx, m.get('stride'), `${where}.stride`, 1, { integer: true, min: 1, max: MAX_SIDE });
  const padding = readNumber(ctx, m.get('padding'), `${where}.padding`, 0, { integer: true, min: 0, max: MAX_SIDE });
  const actPair = m.get('activation');
  const activation = readEnum(ctx, actPair, `${where}.activation`, ACTIVATIONS, 'relu');
  const dcPair = m.get('dropconnect');
  const dropConnect = dcPair
    ? readRate(ctx, valueOf(dcPair), pairSpan(ctx, dcPair), `${where}.dropconnect`)
    : undefined;
  if (ctx.findings.length > before) return undefined;
  const layer: Conv2dLayerSpec = {
    type: 'conv2d',
    filters,
    kernel,
    stride,
    padding,
    activation,
    ...(dropConnect ? { dropConnect } : {}),
  };
  return { layer, activationWritten: actPair !== undefined };
}

/** `kernel: 3` or `kernel: [3, 5]` (height, width). */
function readSides(ctx: Ctx, pair: Pair, where: string): [number, number] | undefined {
  const v = valueOf(pair);
  const side = (x: unknown) =>
    isScalar(x) && typeof x.value === 'number' && Number.isInteger(x.value) && x.value >= 1 && x.value <= MAX_SIDE;
  if (side(v)) {
    const k = (v as { value: number }).value;
    return [k, k];
  }
  if (isSeq(v) && v.items.length === 2 && v.items.every(side))
    return [(v.items[0] as { value: number }).value, (v.items[1] as { value: number }).value];
  ctx.report(
    'invalid-config',
    pairSpan(ctx, pair),
    `${where} must be a whole number from 1 to ${MAX_SIDE} or [height, width], got ${describe(v)}.`,
  );
  return undefined;
}

export function readPool2d(
  ctx: Ctx,
  m: Map<string, Pair>,
  where: string,
  type: Pool2dLayerSpec['type'],
): Pool2dLayerSpec | undefined {
  const before = ctx.findings.length;
  const size = readNumber(ctx, m.get(type), `${where}.${type} (window size)`, 2, {
    integer: true,
    min: 1,
    max: MAX_SIDE,
  });
  const stride = readNumber(ctx, m.get('stride'), `${where}.stride`, size, { integer: true, min: 1, max: MAX_SIDE });
  if (ctx.findings.length > before) return undefined;
  return { type, size, stride };
}

/** `flatten: true`, or `flatten:` with no value. */
export function readFlatten(ctx: Ctx, m: Map<string, Pair>, where: string): LayerSpec | undefined {
  const fp = m.get('flatten');
  if (!fp) return undefined;
  const v = valueOf(fp);
  if (v === null || (isScalar(v) && (v.value === null || v.value === true))) return { type: 'flatten' };
  ctx.report(
    'invalid-config',
    pairSpan(ctx, fp),
    `${where}.flatten must be true (it has no options), got ${describe(v)}${isScalar(v) && v.value === false ? ': remove the layer instead' : ''}.`,
  );
  return undefined;
}

/** `dropout2d: RATE`. An out-of-range rate is reported but the layer is still read (as `dropout` does). */
export function readDropout2d(ctx: Ctx, m: Map<string, Pair>, where: string, index: number): LayerSpec | undefined {
  const dp = m.get('dropout2d');
  if (!dp) return undefined;
  const before = ctx.findings.length;
  const rate = readRate(ctx, valueOf(dp), pairSpan(ctx, dp), `${where}.dropout2d (rate)`);
  ctx.locations.rates.set(index, pairSpan(ctx, dp));
  if (invalidSince(ctx, before)) return undefined;
  return { type: 'dropout2d', rate };
}
