/**
 * The `training` section: epochs, batch, optimizer (./optimizer), schedule (./schedule), maxNorm, loss (mse for
 * the regression generator, else cross-entropy) and init.
 */
import type { Pair } from 'yaml';
import type { DataSpec, TrainingSpec } from '../../protocol/modelSpec';
import { CONFIG_KEYS, INITS, LOSSES } from '../../protocol/vocabulary';
import { readOptimizer } from './optimizer';
import { type Ctx, pairSpan, readEnum, readMap, readNumber, valueOf } from './readers';
import { readSchedule } from './schedule';

export function readTraining(ctx: Ctx, pair: Pair | undefined, data: DataSpec | undefined): TrainingSpec | undefined {
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
