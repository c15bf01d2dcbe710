/** `training.schedule`: `constant` (also when absent), `{ step: { every, gamma } }` or `{ exponential: { gamma } }`. */
import { isScalar, type Pair } from 'yaml';
import type { ScheduleSpec } from '../../protocol/modelSpec';
import { CONFIG_KEYS, SCHEDULES } from '../../protocol/vocabulary';
import { type Ctx, pairSpan, readMap, readNumber, valueOf } from './readers';

export function readSchedule(ctx: Ctx, pair: Pair | undefined): ScheduleSpec | undefined {
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
