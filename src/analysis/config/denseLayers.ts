/**
 * Readers of the fully connected layer items: `dense: UNITS` with activation and dropconnect, `batchnorm:`
 * with momentum and epsilon, `dropout: RATE` or `dropout: { rate, kind, scaling, shape }`. The convolutional
 * ones are in ./convLayers.
 */
import { isScalar, isSeq, type Pair } from 'yaml';
import type { DenseLayerSpec, LayerSpec } from '../../protocol/modelSpec';
import { ACTIVATIONS, CONFIG_KEYS, DROPOUT_KINDS, DROPOUT_SCALINGS } from '../../protocol/vocabulary';
import {
  type Any,
  type Ctx,
  describe,
  invalidSince,
  pairSpan,
  readEnum,
  readMap,
  readNumber,
  readRate,
  valueOf,
} from './readers';

export interface ReadDense {
  layer: DenseLayerSpec;
  /** Whether `activation` was written (else the layers reader picks it once the output layer is known). */
  activationWritten: boolean;
}

export function readDense(ctx: Ctx, m: Map<string, Pair>, where: string, index: number): ReadDense | undefined {
  const before = ctx.findings.length;
  const unitsPair = m.get('dense');
  if (unitsPair) ctx.locations.units.set(index, pairSpan(ctx, unitsPair));
  const units = readNumber(ctx, unitsPair, `${where}.dense (units)`, 1, { integer: true, min: 1, max: 4096 });
  const actPair = m.get('activation');
  const activation = readEnum(ctx, actPair, `${where}.activation`, ACTIVATIONS, 'relu');
  const dcPair = m.get('dropconnect');
  let dropConnect: number | undefined;
  if (dcPair) {
    dropConnect = readRate(ctx, valueOf(dcPair), pairSpan(ctx, dcPair), `${where}.dropconnect`);
  }
  if (ctx.findings.length > before) return undefined;
  const layer: DenseLayerSpec = { type: 'dense', units, activation, ...(dropConnect ? { dropConnect } : {}) };
  return { layer, activationWritten: actPair !== undefined };
}

/**
 * `batchnorm:` or `batchnorm2d:` with no value, or `{ momentum, epsilon }` (PyTorch's defaults 0.1 and 1e-5): the
 * two layers take the same options.
 */
export function readBatchNorm(
  ctx: Ctx,
  m: Map<string, Pair>,
  where: string,
  kind: 'batchnorm' | 'batchnorm2d',
): LayerSpec | undefined {
  const bp = m.get(kind);
  if (!bp) return undefined;
  const v = valueOf(bp);
  if (v === null || (isScalar(v) && v.value === null)) return { type: kind, momentum: 0.1, epsilon: 1e-5 };
  const before = ctx.findings.length;
  const bm = readMap(ctx, v, `${where}.${kind}`, CONFIG_KEYS[`layer.${kind}`], pairSpan(ctx, bp));
  if (!bm) return undefined;
  const momentum = readNumber(ctx, bm.get('momentum'), `${where}.${kind}.momentum`, 0.1, {
    exclusiveMin: 0,
    max: 1,
  });
  const epsilon = readNumber(ctx, bm.get('epsilon'), `${where}.${kind}.epsilon`, 1e-5, { exclusiveMin: 0 });
  if (ctx.findings.length > before) return undefined;
  return { type: kind, momentum, epsilon };
}

export function readDropout(ctx: Ctx, m: Map<string, Pair>, where: string, index: number): LayerSpec | undefined {
  const dp = m.get('dropout');
  if (!dp) return undefined;
  const v = valueOf(dp);
  const before = ctx.findings.length;
  if (isScalar(v)) {
    const rate = readRate(ctx, v, pairSpan(ctx, dp), `${where}.dropout (rate)`);
    ctx.locations.rates.set(index, pairSpan(ctx, dp));
    if (invalidSince(ctx, before)) return undefined;
    return { type: 'dropout', rate, kind: 'bernoulli', scaling: 'inverted' };
  }
  const dm = readMap(ctx, v, `${where}.dropout`, CONFIG_KEYS['layer.dropout'], pairSpan(ctx, dp));
  if (!dm) return undefined;
  const rp = dm.get('rate');
  if (!rp) {
    ctx.report('invalid-config', pairSpan(ctx, dp), `${where}.dropout needs a "rate" (a drop probability in [0, 1)).`);
    return undefined;
  }
  const rate = readRate(ctx, valueOf(rp), pairSpan(ctx, rp), `${where}.dropout.rate`);
  ctx.locations.rates.set(index, pairSpan(ctx, rp));
  const kind2 = readEnum(ctx, dm.get('kind'), `${where}.dropout.kind`, DROPOUT_KINDS, 'bernoulli');
  const scaling = readEnum(ctx, dm.get('scaling'), `${where}.dropout.scaling`, DROPOUT_SCALINGS, 'inverted');
  const scalingPair = dm.get('scaling');
  if (kind2 === 'gaussian' && scalingPair && scaling === 'standard') {
    // Gaussian noise has mean 1, so there is nothing to undo at test time: "standard" would shrink eval outputs.
    ctx.report(
      'invalid-config',
      pairSpan(ctx, scalingPair),
      `${where}.dropout.scaling: standard scaling applies to Bernoulli and spatial dropout; Gaussian noise has mean 1 and needs no test-time scaling. Remove "scaling".`,
    );
  }
  const sp = dm.get('shape');
  let shape: [number, number] | undefined;
  if (sp) {
    const sn = valueOf(sp);
    const okShape =
      isSeq(sn) &&
      sn.items.length === 2 &&
      sn.items.every((x) => isScalar(x) && typeof x.value === 'number' && Number.isInteger(x.value) && x.value >= 1);
    if (!okShape)
      ctx.report(
        'invalid-config',
        pairSpan(ctx, sp),
        `${where}.dropout.shape must be [positions, channels] (two positive whole numbers), got ${describe(sn)}.`,
      );
    else {
      shape = [(sn.items[0] as { value: number }).value, (sn.items[1] as { value: number }).value];
      ctx.locations.shapes.set(index, pairSpan(ctx, sp));
    }
    if (kind2 !== 'spatial' && okShape)
      ctx.report('invalid-config', ctx.span(sp.key as Any), `${where}.dropout.shape applies to kind: spatial only.`);
  } else if (kind2 === 'spatial') {
    ctx.report(
      'invalid-config',
      pairSpan(ctx, dp),
      `${where}: spatial dropout needs shape: [positions, channels] (how the layer input is viewed, so whole channels are dropped).`,
    );
  }
  if (invalidSince(ctx, before)) return undefined;
  return { type: 'dropout', rate, kind: kind2, scaling, ...(shape ? { shape } : {}) };
}
