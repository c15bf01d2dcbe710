/**
 * Model config parser (`*.dropout.yaml|yml|json`): text -> typed ModelSpec plus findings with exact ranges.
 * Structural mistakes are `invalid-config` errors; rates outside [0, 1) are `dropout-rate-out-of-range`.
 * Any error finding means no spec. Never throws.
 */
import { isScalar, parseDocument } from 'yaml';
import type { Finding } from '../../protocol/findings';
import type { LayerShape } from '../../protocol/layerShapes';
import type { EvaluationSpec, LayerSpec, ModelSpec } from '../../protocol/modelSpec';
import { CONFIG_KEYS } from '../../protocol/vocabulary';
import { CONFIG_FILE_PATTERN } from '../files';
import { tooDeep, withoutLoneCR, type LineMap } from '../text';
import { readData } from './dataSection';
import { inputFromDataShape } from './dataShape';
import { readEvaluation } from './evaluation';
import { readLayers } from './layers';
import { Ctx, pairSpan, readMap, readNumber, readString, valueOf, type Any, type ConfigLocations } from './readers';
import { checkShapes, generatorInput, readInput } from './shapes';
import { readTraining } from './training';

/** Deeper than any model config, and far from where the yaml parser's recursion ends. */
const MAX_NESTING = 64;
/** Far above any model config; the yaml parser takes about a second per 250 kB of flow syntax. */
const MAX_CONFIG_CHARS = 256_000;

export { CONFIG_FILE_PATTERN, isConfigFile } from '../files';

export interface ParsedConfig {
  spec?: ModelSpec;
  findings: Finding[];
}

function baseName(fileName: string): string {
  const last = fileName.split(/[\\/]/).pop() ?? fileName;
  return last.replace(CONFIG_FILE_PATTERN, '') || last;
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
