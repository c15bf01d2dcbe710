/**
 * keep-prob-confusion: a keep probability where the drop rate goes: a rate of 0.8 or more, a value documented
 * as a keep probability, or a name that says "keep" (keep_prob, self.keep_rate).
 */
import { checkKeepProbRate } from '../../ops';
import { span } from '../syntax';
import type { CallRule } from './types';

export const keepProbConfusion: CallRule = {
  id: 'keep-prob-confusion',
  on: 'call',
  check(py, _call, made, em) {
    if (!made) return;
    if (made.rate) {
      checkKeepProbRate(em, made.rate.value, made.rate.at, made.layer.label, made.rate.source);
      return;
    }
    const node = made.layer.rateNode;
    if (!node || (node.name !== 'VariableName' && node.name !== 'MemberExpression')) return;
    const t = py.text(node);
    if (!/keep/i.test(t)) return;
    em.emit(
      'keep-prob-confusion',
      span(node),
      `${made.layer.label} receives ${t} as its drop rate: a keep probability passed as a drop rate drops the units it meant to keep. Use 1 - ${t}.`,
      [{ title: `Use 1 - ${t}`, edits: [{ from: node.from, to: node.to, insert: `1 - ${t}` }], preferred: true }],
    );
  },
};
