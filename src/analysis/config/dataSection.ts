/**
 * The `data` section: where the samples come from, a generator (`generator`, `samples`, `noise`, `classes`)
 * or a CSV file (`csv`, `label`, `standardize`, `shape`), and the validation share both have.
 */
import { isScalar, type Pair } from 'yaml';
import type { DataSpec } from '../../protocol/modelSpec';
import {
  CONFIG_KEYS,
  CSV_ONLY_DATA_KEYS,
  DEFAULT_GENERATOR_CLASSES,
  GENERATOR_ONLY_DATA_KEYS,
  GENERATORS,
} from '../../protocol/vocabulary';
import { readDataShape } from './dataShape';
import {
  type Any,
  type Ctx,
  describe,
  pairSpan,
  readBool,
  readEnum,
  readMap,
  readNumber,
  readString,
  valueOf,
} from './readers';

export function readData(ctx: Ctx, pair: Pair | undefined, rootSpan: [number, number]): DataSpec | undefined {
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
