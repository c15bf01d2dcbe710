/**
 * The model variants experiments train: without dropout, with one rate on a layer group, on a subset of the
 * data. Each returns a new ModelSpec; the original is never changed.
 */
import type { DropoutLayerSpec, LayerSpec, ModelSpec } from '../protocol/modelSpec';

/**
 * `input`: dropout before the first weight layer (dense or conv2d); `hidden`: dropout after a hidden weight layer
 * (a conv model's dropout2d included); `all`: both.
 */
export type LayerGroup = 'input' | 'hidden' | 'all';

const clone = (spec: ModelSpec): ModelSpec => JSON.parse(JSON.stringify(spec)) as ModelSpec;

const isWeight = (l: LayerSpec) => l.type === 'dense' || l.type === 'conv2d';

/** Does the model drop anything (a dropout or dropout2d layer with a rate above 0, or DropConnect)? */
export function hasDropout(spec: ModelSpec): boolean {
  return spec.model.layers.some(
    (l) =>
      ((l.type === 'dropout' || l.type === 'dropout2d') && l.rate > 0) ||
      ((l.type === 'dense' || l.type === 'conv2d') && (l.dropConnect ?? 0) > 0),
  );
}

/** The same model with every dropout rate (dropout2d's too) set to 0 and DropConnect off (layer indices unchanged). */
export function withoutDropout(spec: ModelSpec): ModelSpec {
  const out = clone(spec);
  out.model.layers = out.model.layers.map((l): LayerSpec => {
    if (l.type === 'dropout' || l.type === 'dropout2d') return { ...l, rate: 0 };
    if ((l.type === 'dense' || l.type === 'conv2d') && l.dropConnect !== undefined) {
      const { dropConnect: _dc, ...rest } = l;
      return rest;
    }
    return l;
  });
  return out;
}

const newDropout = (rate: number): DropoutLayerSpec => ({
  type: 'dropout',
  rate,
  kind: 'bernoulli',
  scaling: 'inverted',
});

/** The group a dropout layer at `index` belongs to: before the first weight layer is `input`, else `hidden`. */
export function groupOf(layers: readonly LayerSpec[], index: number): 'input' | 'hidden' {
  const firstWeight = layers.findIndex(isWeight);
  return firstWeight === -1 || index < firstWeight ? 'input' : 'hidden';
}

/**
 * The model with `rate` on every dropout (and dropout2d) layer of `group`. Where the group has no dropout layer
 * one is added (Bernoulli, inverted scaling): `input` before the first weight layer (dense or conv2d); `hidden`
 * before each dense layer that follows a hidden weight layer without dropout in between (so after its
 * activation, any batch norm and a conv model's flatten). No dropout is added between convolutions, where the
 * kind to add (element-wise or per channel) is the modeller's choice. The output layer is never dropped. Other
 * dropout layers and DropConnect are left as they are.
 */
export function withGroupRate(spec: ModelSpec, group: LayerGroup, rate: number): ModelSpec {
  const out = clone(spec);
  const layers = out.model.layers;
  const wantInput = group === 'input' || group === 'all';
  const wantHidden = group === 'hidden' || group === 'all';
  const result: LayerSpec[] = [];
  const firstWeight = layers.findIndex(isWeight);
  let sawWeight = false;
  let dropoutSinceWeight = false;
  let inputHasDropout = false;
  for (const [i, layer] of layers.entries()) {
    if (isWeight(layer)) {
      if (i === firstWeight && wantInput && !inputHasDropout) result.push(newDropout(rate));
      if (layer.type === 'dense' && sawWeight && wantHidden && !dropoutSinceWeight) result.push(newDropout(rate));
      sawWeight = true;
      dropoutSinceWeight = false;
      result.push(layer);
      continue;
    }
    if (layer.type === 'dropout' || layer.type === 'dropout2d') {
      const g = groupOf(layers, i);
      if (g === 'input') inputHasDropout = true;
      else dropoutSinceWeight = true;
      // A dropout layer after the last dense layer drops outputs: leave it to the diagnostics, do not set it.
      const afterOutput = i > layers.map((l) => l.type).lastIndexOf('dense');
      if (!afterOutput && ((g === 'input' && wantInput) || (g === 'hidden' && wantHidden))) {
        result.push({ ...layer, rate });
        continue;
      }
    }
    result.push(layer);
  }
  out.model.layers = result;
  return out;
}

/** Minimum samples of a subset, so both splits keep a few examples. */
export const MIN_SUBSET_SAMPLES = 16;

/**
 * The model on a fraction of the data: generators get `samples * fraction`; CSV text keeps its header
 * line (when the first line is not numeric) and a seeded random `fraction` of the rows.
 */
export function withDataFraction(
  spec: ModelSpec,
  fraction: number,
  csvText?: string,
): { spec: ModelSpec; csvText?: string; samples?: number } {
  const out = clone(spec);
  if (out.data.source === 'generator') {
    out.data.samples = Math.max(MIN_SUBSET_SAMPLES, Math.round(out.data.samples * fraction));
    return { spec: out, samples: out.data.samples };
  }
  if (csvText === undefined) return { spec: out };
  const lines = csvText.split(/\r?\n/).filter((l) => l.trim() !== '');
  const first = lines[0] ?? '';
  const hasHeader = first.split(',').some((c) => c.trim() !== '' && Number.isNaN(Number(c.trim())));
  const header = hasHeader ? [first] : [];
  const rows = hasHeader ? lines.slice(1) : lines;
  const keep = Math.min(rows.length, Math.max(MIN_SUBSET_SAMPLES, Math.round(rows.length * fraction)));
  // Seeded Fisher-Yates (mulberry32), so the same seed keeps the same rows.
  let s = (spec.seed >>> 0) + 0x6d2b79f5;
  const random = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const order = rows.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const kept = order
    .slice(0, keep)
    .sort((a, b) => a - b)
    .map((i) => rows[i]!);
  return { spec: out, csvText: [...header, ...kept].join('\n') + '\n', samples: keep };
}
