/**
 * tf1-dropout-no-training: TensorFlow 1's `tf.layers.dropout` takes `training=False` by default, so without a
 * `training=` argument it never drops, in training too. (Keras' `Dropout` layer reads the phase itself.)
 */
import type { SyntaxNode } from '@lezer/common';
import type { PyFacts } from '../context';
import type { Emitter } from '../../ops';
import { args, span } from '../syntax';
import type { CallRule } from './types';

export const tf1DropoutNoTraining: CallRule = {
  id: 'tf1-dropout-no-training',
  on: 'call',
  check(py, call, made, em) {
    if (made?.layer.label === 'tf.layers.dropout') checkTf1LayersTraining(py, call, made.layer.label, em);
  },
};

function checkTf1LayersTraining(py: PyFacts, call: SyntaxNode, label: string, em: Emitter): void {
  const a = args(py, call);
  // training is the fifth parameter: (inputs, rate, noise_shape, seed, training, name).
  if (!a || a.keywords.has('training') || a.positional.length >= 5) return;
  const lastArg = [...a.positional, ...[...a.keywords.values()].map((k) => k.value)].reduce<SyntaxNode | null>(
    (last, n) => (!last || n.to > last.to ? n : last),
    null,
  );
  em.emit(
    'tf1-dropout-no-training',
    span(call),
    `${label}(...) without training= runs with training=False, its default: this dropout never drops, in training either. Pass training=is_training (a bool tensor or Python bool that is True while training).`,
    lastArg
      ? [
          {
            title: 'Add training=is_training',
            edits: [{ from: lastArg.to, to: lastArg.to, insert: ', training=is_training' }],
            preferred: false,
          },
        ]
      : [],
  );
}
