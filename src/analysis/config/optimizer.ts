/**
 * `training.optimizer`: exactly one of `{ sgd: { lr, momentum, dampening, nesterov, weightDecay } }` and
 * `{ adam: { lr, beta1, beta2, epsilon, weightDecay } }`. Absent: SGD with lr 0.05 and momentum 0.9.
 */
import { isScalar, type Pair } from 'yaml';
import type { OptimizerSpec } from '../../protocol/modelSpec';
import { CONFIG_KEYS, OPTIMIZERS } from '../../protocol/vocabulary';
import { type Ctx, pairSpan, readBool, readMap, readNumber, valueOf } from './readers';

export function readOptimizer(ctx: Ctx, pair: Pair | undefined): OptimizerSpec | undefined {
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
