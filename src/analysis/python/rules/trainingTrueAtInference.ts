/**
 * training-true-at-inference: a Keras model or Dropout layer called with `training=True` outside training code
 * and without Monte Carlo intent, so dropout stays on at inference.
 */
import type { SyntaxNode } from '@lezer/common';
import type { Emitter } from '../../ops';
import type { PyFacts } from '../context';
import { hasMcIntent } from '../intent';
import { classifyCtor } from '../layers';
import { dotted, qualify } from '../names';
import { args, children, defName, enclosing, forIterable, isTrueLiteral } from '../syntax';
import { EVAL_STEP_FN, TRAIN_FN } from '../vocabulary';
import type { CallRule } from './types';

export const trainingTrueAtInference: CallRule = {
  id: 'training-true-at-inference',
  on: 'call',
  check(py, call, _made, em) {
    checkTrainingTrue(py, call, em);
  },
};

function checkTrainingTrue(py: PyFacts, call: SyntaxNode, em: Emitter): void {
  if (!py.usesKeras) return;
  const a = args(py, call);
  const t = a?.keywords.get('training');
  if (!t || !isTrueLiteral(py, t.value)) return;
  const callee = call.firstChild;
  if (!callee) return;
  let what: string;
  if (callee.name === 'CallExpression') {
    const inner = classifyCtor(py, callee);
    if (!inner || inner.kind !== 'dropout') return;
    what = `${inner.label}(...)(..., training=True)`;
  } else {
    const d = dotted(py, callee);
    if (!d || d === 'super' || d.startsWith('super.')) return;
    const q = qualify(py, callee) ?? d;
    if (q.startsWith('keras.') || q.startsWith('tensorflow.') || q.startsWith('torch.')) return;
    what = `${d}(..., training=True)`;
  }
  const fn = enclosing(call, 'FunctionDefinition');
  // A training function (train_step, fit), but not a validation or test step that borrows the word "step".
  if (fn && TRAIN_FN.test(defName(py, fn)) && !EVAL_STEP_FN.test(defName(py, fn))) return;
  let innermostLoop: SyntaxNode | undefined;
  for (let p = call.parent; p; p = p.parent) {
    if (p.name === 'WithStatement' && /GradientTape/.test(py.text(children(p)[1]))) return;
    if (
      p.name === 'ArrayComprehensionExpression' ||
      p.name === 'ComprehensionExpression' ||
      p.name === 'SetComprehensionExpression' ||
      p.name === 'DictionaryComprehensionExpression'
    )
      return;
    if (p.name === 'ForStatement' && !innermostLoop) {
      innermostLoop = p;
      const iter = forIterable(p);
      // Repeated stochastic passes over the same input: Monte Carlo sampling. An epoch loop further out
      // around a loop over data is not.
      if (iter && /^range\b/.test(py.text(iter))) return;
    }
  }
  if (hasMcIntent(py, call)) return;
  em.emit(
    'training-true-at-inference',
    [t.name.from, t.value.to],
    `${what} runs dropout at inference: every prediction drops random units, so results change from call to call. Pass training=False (or omit it); for Monte Carlo dropout, make the intent explicit (sample in a loop, name or comment it MC).`,
    [
      {
        title: 'Use training=False',
        edits: [{ from: t.value.from, to: t.value.to, insert: 'False' }],
        preferred: true,
      },
    ],
  );
}
