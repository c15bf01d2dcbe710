/** Rules on parsed model configs: the same layer checks as for code, plus evaluation in train mode. */
import type { Finding } from '../protocol/findings';
import { parseModelConfigDetailed } from './config';
import { checkRate, checkSequence, Emitter, type Op } from './ops';
import type { LineMap } from './text';

function removeItem(lines: LineMap, text: string, at: [number, number]): Op['remove'] {
  const start = lines.position(at[0]);
  const prefix = text.slice(lines.lineStart(start.line), at[0]);
  const endPos = lines.position(at[1]);
  const rest = text.slice(at[1], lines.lineEnd(endPos.line));
  if (/^\s*-\s*$/.test(prefix) && /^\s*(#.*)?$/.test(rest)) {
    const to = endPos.line + 1 < lines.lineCount ? lines.lineStart(endPos.line + 1) : text.length;
    return [{ from: lines.lineStart(start.line), to, insert: '' }];
  }
  // Flow sequence / JSON: remove together with the preceding comma.
  const before = /,\s*$/.exec(text.slice(0, at[0]));
  if (before) return [{ from: before.index, to: at[1], insert: '' }];
  const after = /^\s*,[ \t]*/.exec(text.slice(at[1]));
  if (after) return [{ from: at[0], to: at[1] + after[0].length, insert: '' }];
  return undefined;
}

export function analyzeConfig(text: string, fileName: string): Finding[] {
  const parsed = parseModelConfigDetailed(text, fileName);
  const layers = parsed.spec?.model.layers ?? parsed.partial.layers;
  const evaluation = parsed.spec?.evaluation ?? parsed.partial.evaluation;
  if (!layers) return parsed.findings;
  const { locations, lines } = parsed;
  const em = new Emitter(lines);
  const ops: Op[] = layers.map((l, i) => {
    const at = locations.layers[i] ?? [0, 0];
    if (l.type === 'dense') return { kind: 'weight', at, label: `dense layer ${i} (${l.units} units)` };
    if (l.type === 'conv2d')
      return { kind: 'weight', conv: true, at, label: `conv2d layer ${i} (${l.filters} filters)` };
    if (l.type === 'batchnorm' || l.type === 'batchnorm2d') return { kind: 'bn', at, label: `${l.type} layer ${i}` };
    if (l.type !== 'dropout' && l.type !== 'dropout2d') return { kind: 'neutral', at, label: `${l.type} layer ${i}` };
    const rateAt = locations.rates.get(i);
    const op: Op = {
      kind: 'dropout',
      at,
      label: `${l.type} layer ${i}`,
      ...(l.type === 'dropout2d' ? { channels: true } : {}),
      rate: l.rate,
      ...(rateAt ? { rateAt } : {}),
      remove: removeItem(lines, text, at),
    };
    // The reader already reported a rate outside [0, 1).
    if (l.rate >= 0 && l.rate < 1) checkRate(em, l.rate, rateAt, op.label);
    return op;
  });
  checkSequence(em, ops, { input: true, output: true, where: 'this model' });
  const hasNoise = layers.some(
    (l) =>
      l.type === 'dropout' ||
      l.type === 'dropout2d' ||
      l.type === 'batchnorm' ||
      l.type === 'batchnorm2d' ||
      ((l.type === 'dense' || l.type === 'conv2d') && !!l.dropConnect),
  );
  if (evaluation?.mode === 'train' && evaluation.mcSamples === undefined && hasNoise) {
    const at = locations.evaluationMode ?? locations.evaluation ?? [0, 1];
    em.emit(
      'missing-eval',
      at,
      'evaluation.mode is train: validation runs with dropout on (and batch norm on batch statistics), so validation loss and accuracy are noisy and worse than the model really is. Use mode: eval, or declare Monte Carlo dropout with mcSamples: N.',
      [{ title: 'Evaluate in eval mode', edits: [{ from: at[0], to: at[1], insert: 'eval' }], preferred: true }],
    );
  }
  return [...parsed.findings, ...em.findings];
}
