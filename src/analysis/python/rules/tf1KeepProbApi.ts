/**
 * tf1-keep-prob-api: TensorFlow 1's `tf.nn.dropout(x, keep_prob=...)`, or, in TensorFlow 1 code, a keep
 * probability passed in the position that TensorFlow 2 reads as the drop rate.
 */
import type { SyntaxNode } from '@lezer/common';
import { type Emitter, fmtRate } from '../../ops';
import type { PyFacts } from '../context';
import { args, literalNumber, span } from '../syntax';
import type { CallRule } from './types';

export const tf1KeepProbApi: CallRule = {
  id: 'tf1-keep-prob-api',
  on: 'call',
  check(py, call, made, em) {
    if (made?.layer.label === 'tf.nn.dropout') checkTf1(py, call, em);
  },
};

function checkTf1(py: PyFacts, call: SyntaxNode, em: Emitter): void {
  const a = args(py, call);
  if (!a) return;
  const kp = a.keywords.get('keep_prob');
  if (kp) {
    const v = literalNumber(py, kp.value);
    const t = py.text(kp.value);
    const replacement =
      v !== undefined
        ? `rate=${fmtRate(1 - v)}`
        : `rate=1 - ${kp.value.name === 'VariableName' || kp.value.name === 'MemberExpression' ? t : `(${t})`}`;
    em.emit(
      'tf1-keep-prob-api',
      [kp.name.from, kp.value.to],
      `tf.nn.dropout(keep_prob=${t}) is the TensorFlow 1 API: TensorFlow 2 removed keep_prob and takes rate, the drop probability. Use ${replacement}.`,
      [
        {
          title: `Replace with ${replacement}`,
          edits: [{ from: kp.name.from, to: kp.value.to, insert: replacement }],
          preferred: true,
        },
      ],
    );
    return;
  }
  if (py.tf1Style && a.positional[1] && !a.keywords.has('rate')) {
    const p = a.positional[1];
    const t = py.text(p);
    const v = literalNumber(py, p);
    const replacement =
      v !== undefined
        ? `rate=${fmtRate(1 - v)}`
        : `rate=1 - ${p.name === 'VariableName' || p.name === 'MemberExpression' ? t : `(${t})`}`;
    em.emit(
      'tf1-keep-prob-api',
      span(p),
      `In TensorFlow 1 code the second argument of tf.nn.dropout is the keep probability; under TensorFlow 2 the same position is the drop rate, so ${t} drops what it meant to keep. Pass ${replacement}.`,
      [
        {
          title: `Replace with ${replacement}`,
          edits: [{ from: p.from, to: p.to, insert: replacement }],
          preferred: true,
        },
      ],
    );
  }
}
