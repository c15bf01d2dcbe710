/**
 * `model.layers`: the list, each item read by the reader of its kind (./denseLayers, ./convLayers), and the
 * activations left unwritten filled in once the output layer is known.
 */
import { isMap, isPair, isSeq, type Pair } from 'yaml';
import type { Conv2dLayerSpec, DenseLayerSpec, LayerSpec } from '../../protocol/modelSpec';
import { LAYER_KINDS, layerItemKeys, type LayerKind } from '../../protocol/vocabulary';
import { readConv2d, readDropout2d, readFlatten, readPool2d } from './convLayers';
import { readBatchNorm, readDense, readDropout } from './denseLayers';
import { type Any, type Ctx, describe, keyName, pairSpan, readMap, valueOf } from './readers';

export function readLayers(ctx: Ctx, pair: Pair | undefined, modelSpan: [number, number]): LayerSpec[] | undefined {
  if (!pair) {
    ctx.report(
      'invalid-config',
      modelSpan,
      'Missing required key "model.layers": list the layers, e.g. `layers: [{ dense: 64 }, { dropout: 0.5 }, { dense: 2 }]`.',
    );
    return undefined;
  }
  const node = valueOf(pair);
  if (!isSeq(node)) {
    ctx.report('invalid-config', pairSpan(ctx, pair), `model.layers must be a list of layers, got ${describe(node)}.`);
    return undefined;
  }
  if (node.items.length === 0) {
    ctx.report('invalid-config', pairSpan(ctx, pair), 'model.layers is empty: add at least one dense layer.');
    return undefined;
  }
  const layers: LayerSpec[] = [];
  /** Dense and conv layers whose activation is not written: relu when hidden, linear when the output. */
  const unwritten: (DenseLayerSpec | Conv2dLayerSpec)[] = [];
  let ok = true;
  node.items.forEach((itemNode, i) => {
    const item = itemNode as Any;
    const where = `model.layers[${i}]`;
    const at = ctx.span(item, pairSpan(ctx, pair));
    const read = readLayer(ctx, item, where, at, layers.length);
    if (read) {
      ctx.locations.layers.push(at);
      layers.push(read.layer);
      if ((read.layer.type === 'dense' || read.layer.type === 'conv2d') && !read.activationWritten)
        unwritten.push(read.layer);
    } else ok = false;
  });
  const denseCount = layers.filter((l) => l.type === 'dense').length;
  if (ok && denseCount === 0) {
    ctx.report(
      'invalid-config',
      pairSpan(ctx, pair),
      'model.layers has no dense layer: the network needs at least one weight layer (the last dense layer is the output).',
    );
    return undefined;
  }
  if (!ok) return undefined;
  const output = lastDense(layers);
  for (const l of unwritten) l.activation = l === output ? 'linear' : 'relu';
  return layers;
}

function lastDense(layers: readonly LayerSpec[]): DenseLayerSpec | undefined {
  for (let i = layers.length - 1; i >= 0; i--) {
    const l = layers[i];
    if (l?.type === 'dense') return l;
  }
  return undefined;
}

interface ReadLayer {
  layer: LayerSpec;
  /** Dense and conv layers: whether `activation` was written (else readLayers picks it once the output is known). */
  activationWritten?: boolean;
}

const LAYER_EXAMPLES: Record<LayerKind, string> = {
  dense: '{ dense: 64 }',
  dropout: '{ dropout: 0.5 }',
  batchnorm: '{ batchnorm: {} }',
  conv2d: '{ conv2d: 16, kernel: 3 }',
  maxpool2d: '{ maxpool2d: 2 }',
  avgpool2d: '{ avgpool2d: 2 }',
  flatten: '{ flatten: true }',
  batchnorm2d: '{ batchnorm2d: {} }',
  dropout2d: '{ dropout2d: 0.25 }',
};

function isLayerKind(key: string): key is LayerKind {
  return (LAYER_KINDS as readonly string[]).includes(key);
}

function readLayer(ctx: Ctx, item: Any, where: string, at: [number, number], index: number): ReadLayer | undefined {
  if (!isMap(item)) {
    ctx.report(
      'invalid-config',
      at,
      `${where} must be a mapping like ${Object.values(LAYER_EXAMPLES).join(', ')}, got ${describe(item)}.`,
    );
    return undefined;
  }
  const keys = item.items.filter(isPair).map(keyName);
  const kind = keys.find(isLayerKind);
  if (!kind) {
    ctx.report(
      'invalid-config',
      at,
      `${where} must name its type with one of the keys ${LAYER_KINDS.join(', ')}${keys.length ? ` (found ${keys.join(', ')})` : ''}.`,
    );
    return undefined;
  }
  const m = readMap(ctx, item, where, layerItemKeys(kind));
  if (!m) return undefined;
  switch (kind) {
    case 'dense':
      return readDense(ctx, m, where, index);
    case 'batchnorm':
    case 'batchnorm2d': {
      const layer = readBatchNorm(ctx, m, where, kind);
      return layer && { layer };
    }
    case 'dropout': {
      const layer = readDropout(ctx, m, where, index);
      return layer && { layer };
    }
    case 'conv2d':
      return readConv2d(ctx, m, where);
    case 'maxpool2d':
    case 'avgpool2d': {
      const layer = readPool2d(ctx, m, where, kind);
      return layer && { layer };
    }
    case 'flatten': {
      const layer = readFlatten(ctx, m, where);
      return layer && { layer };
    }
    case 'dropout2d': {
      const layer = readDropout2d(ctx, m, where, index);
      return layer && { layer };
    }
  }
}
