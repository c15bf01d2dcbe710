/**
 * Model config parser (`*.dropout.yaml|yml|json`): text -> typed ModelSpec plus findings with exact ranges.
 * Structural mistakes are `invalid-config` errors; rates outside [0, 1) are `dropout-rate-out-of-range`.
 * Any error finding means no spec. Never throws.
 */
import { tooDeep, withoutLoneCR } from '../text';

/** Deeper than any model config, and far from where the yaml parser's recursion ends. */
const MAX_NESTING = 64;
/** Far above any model config; the yaml parser takes about a second per 250 kB of flow syntax. */
const MAX_CONFIG_CHARS = 256_000;
import { isMap, isPair, isScalar, isSeq, parseDocument, type Pair } from 'yaml';
import type { Finding } from '../../protocol/findings';
import type {
  Conv2dLayerSpec,
  DataSpec,
  DenseLayerSpec,
  LayerSpec,
  ModelSpec,
  OptimizerSpec,
  ScheduleSpec,
  TrainingSpec,
  EvaluationSpec,
} from '../../protocol/modelSpec';
import {
  ACTIVATIONS,
  CONFIG_KEYS,
  CSV_ONLY_DATA_KEYS,
  DEFAULT_GENERATOR_CLASSES,
  DROPOUT_KINDS,
  DROPOUT_SCALINGS,
  GENERATOR_ONLY_DATA_KEYS,
  GENERATORS,
  INITS,
  LAYER_KINDS,
  LAYER_MODES,
  LOSSES,
  OPTIMIZERS,
  SCHEDULES,
  layerItemKeys,
  type LayerKind,
} from '../../protocol/vocabulary';
import { CONFIG_FILE_PATTERN } from '../files';
import type { LineMap } from '../text';
import { readBatchNorm2d, readConv2d, readDropout2d, readFlatten, readPool2d } from './convLayers';
import { checkShapes, generatorInput, readInput } from './shapes';
import { inputFromDataShape, readDataShape } from './dataShape';
import type { LayerShape } from '../../protocol/layerShapes';
import {
  Ctx,
  describe,
  keyName,
  pairSpan,
  readBool,
  readEnum,
  readMap,
  readNumber,
  readRate,
  readString,
  valueOf,
  type Any,
  type ConfigLocations,
} from './readers';

export { CONFIG_FILE_PATTERN, isConfigFile } from '../files';

export interface ParsedConfig {
  spec?: ModelSpec;
  findings: Finding[];
}

function baseName(fileName: string): string {
  const last = fileName.split(/[\\/]/).pop() ?? fileName;
  return last.replace(CONFIG_FILE_PATTERN, '') || last;
}

function readData(ctx: Ctx, pair: Pair | undefined, rootSpan: [number, number]): DataSpec | undefined {
  if (!pair) {
    ctx.report(
      'invalid-config',
      rootSpan,
      'Missing required key "data": say where the samples come from, e.g. `data: { generator: moons, samples: 200 }` or `data: { csv: data/file.csv }`.',
    );
    return undefined;
  }
  const where = 'data';
  const m = readMap(ctx, valueOf(pair), where, CONFIG_KEYS.data, pairSpan(ctx, pair));
  if (!m) return undefined;
  const validation = readNumber(ctx, m.get('validation'), 'data.validation', 0.3, { exclusiveMin: 0, exclusiveMax: 1 });
  const gen = m.get('generator');
  const csv = m.get('csv');
  if (gen && csv) {
    ctx.report('invalid-config', ctx.span(csv.key as Any), 'data has both "generator" and "csv": use one source.');
    return undefined;
  }
  if (csv) {
    for (const k of GENERATOR_ONLY_DATA_KEYS) {
      const p = m.get(k);
      if (p)
        ctx.report(
          'invalid-config',
          ctx.span(p.key as Any),
          `data.${k} applies to generators only; a CSV dataset uses every row of the file.`,
        );
    }
    const path = readString(ctx, csv, 'data.csv');
    let label: string | number | undefined;
    const lp = m.get('label');
    if (lp) {
      const ln = valueOf(lp);
      if (isScalar(ln) && typeof ln.value === 'string' && ln.value.length > 0) label = ln.value;
      else if (isScalar(ln) && typeof ln.value === 'number' && Number.isInteger(ln.value) && ln.value >= 0)
        label = ln.value;
      else
        ctx.report(
          'invalid-config',
          pairSpan(ctx, lp),
          `data.label must be a column name or a 0-based column index, got ${describe(ln)}.`,
        );
    }
    const standardize = readBool(ctx, m.get('standardize'), 'data.standardize', true);
    const shapePair = m.get('shape');
    const shape = shapePair ? readDataShape(ctx, shapePair) : undefined;
    if (path === undefined) return undefined;
    return {
      source: 'csv',
      path,
      ...(label !== undefined ? { label } : {}),
      standardize,
      ...(shape ? { shape } : {}),
      validation,
    };
  }
  if (!gen) {
    ctx.report(
      'invalid-config',
      ctx.span(valueOf(pair), pairSpan(ctx, pair)),
      `data needs a source: "generator" (${GENERATORS.join(', ')}) or "csv" (a path relative to this file).`,
    );
    return undefined;
  }
  for (const k of CSV_ONLY_DATA_KEYS) {
    const p = m.get(k);
    if (p) ctx.report('invalid-config', ctx.span(p.key as Any), `data.${k} applies to CSV data only.`);
  }
  const generator = readEnum(ctx, gen, 'data.generator', GENERATORS, 'moons');
  const samples = readNumber(ctx, m.get('samples'), 'data.samples', 200, { integer: true, min: 4, max: 1_000_000 });
  const noise = readNumber(ctx, m.get('noise'), 'data.noise', 0.1, { min: 0 });
  const classesPair = m.get('classes');
  const classes = classesPair
    ? readNumber(ctx, classesPair, 'data.classes', DEFAULT_GENERATOR_CLASSES, { integer: true, min: 2, max: 100 })
    : undefined;
  return { source: 'generator', generator, samples, noise, ...(classes !== undefined ? { classes } : {}), validation };
}

function readLayers(ctx: Ctx, pair: Pair | undefined, modelSpan: [number, number]): LayerSpec[] | undefined {
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
  /** Dense layers: whether `activation` was written (else the reader picks it once the output layer is known). */
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
    case 'batchnorm': {
      const layer = readBatchNorm(ctx, m, where);
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
    case 'batchnorm2d': {
      const layer = readBatchNorm2d(ctx, m, where);
      return layer && { layer };
    }
    case 'dropout2d': {
      const layer = readDropout2d(ctx, m, where, index);
      return layer && { layer };
    }
  }
}

function readDense(ctx: Ctx, m: Map<string, Pair>, where: string, index: number): ReadLayer | undefined {
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

function readBatchNorm(ctx: Ctx, m: Map<string, Pair>, where: string): LayerSpec | undefined {
  const bp = m.get('batchnorm');
  if (!bp) return undefined;
  const v = valueOf(bp);
  if (v === null || (isScalar(v) && v.value === null)) return { type: 'batchnorm', momentum: 0.1, epsilon: 1e-5 };
  const before = ctx.findings.length;
  const bm = readMap(ctx, v, `${where}.batchnorm`, CONFIG_KEYS['layer.batchnorm'], pairSpan(ctx, bp));
  if (!bm) return undefined;
  const momentum = readNumber(ctx, bm.get('momentum'), `${where}.batchnorm.momentum`, 0.1, {
    exclusiveMin: 0,
    max: 1,
  });
  const epsilon = readNumber(ctx, bm.get('epsilon'), `${where}.batchnorm.epsilon`, 1e-5, { exclusiveMin: 0 });
  if (ctx.findings.length > before) return undefined;
  return { type: 'batchnorm', momentum, epsilon };
}

function readDropout(ctx: Ctx, m: Map<string, Pair>, where: string, index: number): LayerSpec | undefined {
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

/**
 * A structural mistake since the given count of findings. An out-of-range rate is not one: the layer is still
 * read (the config cannot train, but the other rules see it).
 */
function invalidSince(ctx: Ctx, count: number): boolean {
  return ctx.findings.slice(count).some((f) => f.rule === 'invalid-config');
}

function readOptimizer(ctx: Ctx, pair: Pair | undefined): OptimizerSpec | undefined {
  const sgdDefault: OptimizerSpec = {
    kind: 'sgd',
    lr: 0.05,
    momentum: 0.9,
    dampening: 0,
    nesterov: false,
    weightDecay: 0,
  };
  if (!pair) return sgdDefault;
  const m = readMap(ctx, valueOf(pair), 'training.optimizer', OPTIMIZERS, pairSpan(ctx, pair));
  if (!m) return undefined;
  const only = m.size === 1 ? [...m.entries()][0] : undefined;
  if (!only) {
    ctx.report(
      'invalid-config',
      pairSpan(ctx, pair),
      'training.optimizer must name exactly one optimizer: { sgd: {...} } or { adam: {...} }.',
    );
    return undefined;
  }
  const before = ctx.findings.length;
  const [name, p] = only;
  const v = valueOf(p);
  const empty = v === null || (isScalar(v) && v.value === null);
  if (name === 'sgd') {
    const o = empty
      ? new Map<string, Pair>()
      : readMap(ctx, v, 'training.optimizer.sgd', CONFIG_KEYS['optimizer.sgd'], pairSpan(ctx, p));
    if (!o) return undefined;
    const spec: OptimizerSpec = {
      kind: 'sgd',
      lr: readNumber(ctx, o.get('lr'), 'training.optimizer.sgd.lr', 0.05, { exclusiveMin: 0 }),
      momentum: readNumber(ctx, o.get('momentum'), 'training.optimizer.sgd.momentum', 0.9, { min: 0, exclusiveMax: 1 }),
      dampening: readNumber(ctx, o.get('dampening'), 'training.optimizer.sgd.dampening', 0, { min: 0, max: 1 }),
      nesterov: readBool(ctx, o.get('nesterov'), 'training.optimizer.sgd.nesterov', false),
      weightDecay: readNumber(ctx, o.get('weightDecay'), 'training.optimizer.sgd.weightDecay', 0, { min: 0 }),
    };
    return ctx.findings.length > before ? undefined : spec;
  }
  const o = empty
    ? new Map<string, Pair>()
    : readMap(ctx, v, 'training.optimizer.adam', CONFIG_KEYS['optimizer.adam'], pairSpan(ctx, p));
  if (!o) return undefined;
  const spec: OptimizerSpec = {
    kind: 'adam',
    lr: readNumber(ctx, o.get('lr'), 'training.optimizer.adam.lr', 0.001, { exclusiveMin: 0 }),
    beta1: readNumber(ctx, o.get('beta1'), 'training.optimizer.adam.beta1', 0.9, { min: 0, exclusiveMax: 1 }),
    beta2: readNumber(ctx, o.get('beta2'), 'training.optimizer.adam.beta2', 0.999, { min: 0, exclusiveMax: 1 }),
    epsilon: readNumber(ctx, o.get('epsilon'), 'training.optimizer.adam.epsilon', 1e-8, { exclusiveMin: 0 }),
    weightDecay: readNumber(ctx, o.get('weightDecay'), 'training.optimizer.adam.weightDecay', 0, { min: 0 }),
  };
  return ctx.findings.length > before ? undefined : spec;
}

function readSchedule(ctx: Ctx, pair: Pair | undefined): ScheduleSpec | undefined {
  if (!pair) return { kind: 'constant' };
  const v = valueOf(pair);
  if (isScalar(v) && v.value === 'constant') return { kind: 'constant' };
  const m = readMap(ctx, v, 'training.schedule', SCHEDULES, pairSpan(ctx, pair));
  if (!m) return undefined;
  const only = m.size === 1 ? [...m.entries()][0] : undefined;
  if (!only) {
    ctx.report(
      'invalid-config',
      pairSpan(ctx, pair),
      'training.schedule must name exactly one schedule: { step: { every, gamma } } or { exponential: { gamma } }.',
    );
    return undefined;
  }
  const before = ctx.findings.length;
  const [name, p] = only;
  if (name === 'constant') return { kind: 'constant' };
  if (name === 'step') {
    const o = readMap(ctx, valueOf(p), 'training.schedule.step', CONFIG_KEYS['schedule.step'], pairSpan(ctx, p));
    if (!o) return undefined;
    if (!o.get('every'))
      ctx.report(
        'invalid-config',
        pairSpan(ctx, p),
        'training.schedule.step needs "every" (epochs between learning-rate drops).',
      );
    const every = readNumber(ctx, o.get('every'), 'training.schedule.step.every', 1, { integer: true, min: 1 });
    const gamma = readNumber(ctx, o.get('gamma'), 'training.schedule.step.gamma', 0.5, { exclusiveMin: 0, max: 1 });
    return ctx.findings.length > before ? undefined : { kind: 'step', every, gamma };
  }
  const o = readMap(
    ctx,
    valueOf(p),
    'training.schedule.exponential',
    CONFIG_KEYS['schedule.exponential'],
    pairSpan(ctx, p),
  );
  if (!o) return undefined;
  const gamma = readNumber(ctx, o.get('gamma'), 'training.schedule.exponential.gamma', 0.99, {
    exclusiveMin: 0,
    max: 1,
  });
  return ctx.findings.length > before ? undefined : { kind: 'exponential', gamma };
}

function readTraining(ctx: Ctx, pair: Pair | undefined, data: DataSpec | undefined): TrainingSpec | undefined {
  const defLoss = data && data.source === 'generator' && data.generator === 'regression' ? 'mse' : 'cross-entropy';
  const m = pair
    ? readMap(ctx, valueOf(pair), 'training', CONFIG_KEYS.training, pairSpan(ctx, pair))
    : new Map<string, Pair>();
  if (!m) return undefined;
  const before = ctx.findings.length;
  const epochs = readNumber(ctx, m.get('epochs'), 'training.epochs', 50, { integer: true, min: 1, max: 100_000 });
  const batchSize = readNumber(ctx, m.get('batch'), 'training.batch', 32, { integer: true, min: 1 });
  const optimizer = readOptimizer(ctx, m.get('optimizer'));
  const schedule = readSchedule(ctx, m.get('schedule'));
  const maxNormPair = m.get('maxNorm');
  const maxNorm = maxNormPair ? readNumber(ctx, maxNormPair, 'training.maxNorm', 3, { exclusiveMin: 0 }) : undefined;
  const loss = readEnum(ctx, m.get('loss'), 'training.loss', LOSSES, defLoss);
  const init = readEnum(ctx, m.get('init'), 'training.init', INITS, 'he');
  if (ctx.findings.length > before || !optimizer || !schedule) return undefined;
  return { epochs, batchSize, optimizer, schedule, ...(maxNorm !== undefined ? { maxNorm } : {}), loss, init };
}

function readEvaluation(ctx: Ctx, pair: Pair | undefined): EvaluationSpec | undefined {
  if (!pair) return { mode: 'eval' };
  ctx.locations.evaluation = ctx.span(pair.key as Any);
  const m = readMap(ctx, valueOf(pair), 'evaluation', CONFIG_KEYS.evaluation, pairSpan(ctx, pair));
  if (!m) return undefined;
  const before = ctx.findings.length;
  const mp = m.get('mode');
  if (mp) ctx.locations.evaluationMode = pairSpan(ctx, mp);
  const mode = readEnum(ctx, mp, 'evaluation.mode', LAYER_MODES, 'eval');
  const mcp = m.get('mcSamples');
  const mcSamples = mcp
    ? readNumber(ctx, mcp, 'evaluation.mcSamples', 30, { integer: true, min: 2, max: 10_000 })
    : undefined;
  if (ctx.findings.length > before) return undefined;
  return { mode, ...(mcSamples !== undefined ? { mcSamples } : {}) };
}

export interface ParsedConfigWithLocations extends ParsedConfig {
  locations: ConfigLocations;
  lines: LineMap;
  /**
   * What was read even where the config as a whole cannot train (an out-of-range rate, a bad epoch count):
   * every layer, when all of them could be read, and the evaluation section. The rules check these, so one
   * mistake never hides the others.
   */
  partial: { layers?: LayerSpec[]; evaluation?: EvaluationSpec };
}

/** Parses with source locations (used by the config rules). */
export function parseModelConfigDetailed(text: string, fileName: string): ParsedConfigWithLocations {
  const ctx = new Ctx(text);
  const partial: ParsedConfigWithLocations['partial'] = {};
  const done = (spec?: ModelSpec): ParsedConfigWithLocations => ({
    spec,
    findings: ctx.findings,
    locations: ctx.locations,
    lines: ctx.lines,
    partial,
  });
  if (text.length > MAX_CONFIG_CHARS) {
    ctx.report(
      'invalid-config',
      [0, Math.min(text.length, 1)],
      `The config is ${Math.round(text.length / 1000)} kB: a model config is a few kB, and Dropout Lens reads configs up to ${MAX_CONFIG_CHARS / 1000} kB, so it was not read.`,
    );
    return done();
  }
  // The yaml parser recurses per level: an absurd nesting would exhaust the stack (or the process).
  const deep = tooDeep(text, MAX_NESTING);
  if (deep) {
    ctx.report(
      'invalid-config',
      [deep.at, Math.min(text.length, deep.at + 1)],
      `The config is nested more than ${MAX_NESTING} levels deep here; a model config needs at most 6 (model, layers, a layer, its options), so it was not read further.`,
    );
    return done();
  }
  let doc;
  try {
    doc = parseDocument(withoutLoneCR(text), { prettyErrors: false, uniqueKeys: false, strict: true });
  } catch (e) {
    ctx.report('invalid-config', [0, 0], `The file could not be parsed: ${(e as Error).message}`);
    return done();
  }
  if (doc.errors.length > 0) {
    for (const err of doc.errors.slice(0, 5)) {
      const [from, to] = err.pos ?? [0, 0];
      const what = /\.json$/i.test(fileName) ? 'JSON' : 'YAML';
      ctx.report('invalid-config', [from, to], `${what} syntax error: ${err.message.split('\n')[0]}`);
    }
    return done();
  }
  const root = doc.contents as Any;
  // The first line, whichever line break ends it.
  const all: [number, number] = [0, Math.min(text.length, Math.max(1, ctx.lines.lineEnd(0)))];
  if (root === null || root === undefined || (isScalar(root) && root.value === null)) {
    ctx.report('invalid-config', all, 'The config is empty: it needs at least `data` and `model.layers`.');
    return done();
  }
  const top = readMap(ctx, root, 'the config', CONFIG_KEYS.root, all);
  if (!top) return done();
  const rootSpan = ctx.span(root, all);
  const firstLine: [number, number] = [
    rootSpan[0],
    Math.min(rootSpan[1], ctx.lines.lineEnd(ctx.lines.position(rootSpan[0]).line)),
  ];
  const name = readString(ctx, top.get('name'), 'name') ?? baseName(fileName);
  const seed = readNumber(ctx, top.get('seed'), 'seed', 0, { integer: true, min: 0, max: 2 ** 32 - 1 });
  const data = readData(ctx, top.get('data'), firstLine);
  const modelPair = top.get('model');
  let layers: LayerSpec[] | undefined;
  let input: LayerShape | undefined;
  if (!modelPair) {
    ctx.report('invalid-config', firstLine, 'Missing required key "model" with its "layers" list.');
  } else {
    const mm = readMap(ctx, valueOf(modelPair), 'model', CONFIG_KEYS.model, pairSpan(ctx, modelPair));
    if (mm) {
      const ip = mm.get('input');
      if (ip) {
        input = readInput(ctx, ip);
        if (input !== undefined) ctx.locations.input = pairSpan(ctx, ip);
      } else if (data && data.source === 'generator') input = generatorInput(data.generator);
      if (data?.source === 'csv' && data.shape) input = inputFromDataShape(ctx, data.shape, input);
      layers = readLayers(ctx, mm.get('layers'), ctx.span(modelPair.key as Any));
    }
  }
  if (data && layers) checkShapes(ctx, data, input, layers);
  const training = readTraining(ctx, top.get('training'), data);
  const evaluation = readEvaluation(ctx, top.get('evaluation'));
  if (layers) partial.layers = layers;
  if (evaluation) partial.evaluation = evaluation;
  if (ctx.findings.some((f) => f.severity === 'error') || !data || !layers || !training || !evaluation) return done();
  return done({ name, seed, data, model: { ...(input !== undefined ? { input } : {}), layers }, training, evaluation });
}

export function parseModelConfig(text: string, fileName: string): ParsedConfig {
  try {
    const { spec, findings } = parseModelConfigDetailed(text, fileName);
    return spec ? { spec, findings } : { findings };
  } catch (e) {
    return {
      findings: [
        {
          rule: 'invalid-config',
          severity: 'error',
          range: { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } },
          message: `The config could not be read: ${(e as Error).message}`,
          fixes: [],
        },
      ],
    };
  }
}
