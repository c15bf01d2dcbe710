/** The `evaluation` section: `mode` (eval, or train to keep dropout on) and `mcSamples`. */
import type { Pair } from 'yaml';
import type { EvaluationSpec } from '../../protocol/modelSpec';
import { CONFIG_KEYS, LAYER_MODES } from '../../protocol/vocabulary';
import { type Any, type Ctx, pairSpan, readEnum, readMap, readNumber, valueOf } from './readers';

export function readEvaluation(ctx: Ctx, pair: Pair | undefined): EvaluationSpec | undefined {
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
