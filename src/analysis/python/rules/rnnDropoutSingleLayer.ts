/**
 * rnn-dropout-single-layer: PyTorch's recurrent layers apply `dropout` between stacked layers only, so with
 * one layer (the default) the rate does nothing. Keras' recurrent `dropout=` drops the inputs of every step
 * and is not this mistake.
 */
import type { SyntaxNode } from '@lezer/common';
import type { PyFacts } from '../context';
import type { Emitter } from '../../ops';
import { args, literalNumber, span } from '../syntax';
import { qualify } from '../names';
import { resolveNumber } from '../values';
import type { CallRule } from './types';

const RECURRENT = new Set(['torch.nn.LSTM', 'torch.nn.GRU', 'torch.nn.RNN']);
/** Positions in the constructors' signature: (input_size, hidden_size, num_layers, bias, batch_first, dropout). */
const NUM_LAYERS_AT = 2;
const DROPOUT_AT = 5;

export const rnnDropoutSingleLayer: CallRule = {
  id: 'rnn-dropout-single-layer',
  on: 'call',
  check(py, call, made, em) {
    if (!made) checkRecurrentDropout(py, call, em);
  },
};

function checkRecurrentDropout(py: PyFacts, call: SyntaxNode, em: Emitter): void {
  const q = qualify(py, call.firstChild);
  if (!q || !RECURRENT.has(q)) return;
  const a = args(py, call);
  if (!a) return;
  const dropoutKw = a.keywords.get('dropout');
  const dropout = dropoutKw?.value ?? a.positional[DROPOUT_AT];
  const rate = literalNumber(py, dropout);
  if (!dropout || rate === undefined || rate <= 0) return;
  const layersNode = a.keywords.get('num_layers')?.value ?? a.positional[NUM_LAYERS_AT];
  // A layer count the file does not fix may be above 1: only a 1 it writes (or the default) is certain.
  if (layersNode && resolveNumber(py, layersNode)?.value !== 1) return;
  const name = `nn.${q.slice(q.lastIndexOf('.') + 1)}`;
  const remove = dropoutKw ? removeKeyword(py, dropoutKw.name, dropoutKw.value) : null;
  em.emit(
    'rnn-dropout-single-layer',
    span(dropout),
    `${name}(dropout=${py.text(dropout)}) has ${layersNode ? (literalNumber(py, layersNode) === 1 ? 'num_layers=1' : `num_layers=${py.text(layersNode)}, which is 1`) : 'one layer (the default num_layers=1)'}: PyTorch applies this dropout only between stacked recurrent layers, so it never drops anything. Stack layers (num_layers > 1), or add an nn.Dropout on the ${name}'s output.`,
    remove ? [{ title: 'Remove the ignored dropout= argument', edits: [remove], preferred: false }] : [],
  );
}

/** The edit that deletes `name=value` with its separating comma. */
function removeKeyword(py: PyFacts, name: SyntaxNode, value: SyntaxNode): { from: number; to: number; insert: string } {
  const before = /,\s*$/.exec(py.src.slice(Math.max(0, name.from - 200), name.from));
  if (before) return { from: name.from - before[0].length, to: value.to, insert: '' };
  const after = /^\s*,\s*/.exec(py.src.slice(value.to, value.to + 200));
  return { from: name.from, to: value.to + (after?.[0].length ?? 0), insert: '' };
}
