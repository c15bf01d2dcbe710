/**
 * The finding of a functional dropout whose training flag is missing or written as True, under the rule the
 * caller names (functional-dropout-no-training-flag, or attention-dropout-in-eval on attention weights).
 */
import type { SyntaxNode } from '@lezer/common';
import type { RuleId } from '../../../protocol/findings';
import type { Emitter } from '../../ops';
import type { PyFacts } from '../context';
import type { FunctionalFlag } from '../functionalDropout';
import { children, isTrueLiteral, span } from '../syntax';

export function reportFunctionalFlag(
  py: PyFacts,
  em: Emitter,
  rule: RuleId,
  what: string,
  call: SyntaxNode,
  { args: a, flag }: FunctionalFlag,
): void {
  if (flag) {
    // training=True written out: on in eval mode too, the same mistake as leaving the flag out.
    if (!isTrueLiteral(py, flag)) return;
    em.emit(
      rule,
      span(call),
      `${what} is called with training=True, so this dropout stays on after model.eval(): validation and predictions are random and pessimistic. Pass training=self.training (or use an nn.Dropout module).`,
      [
        {
          title: 'Use training=self.training',
          edits: [{ from: flag.from, to: flag.to, insert: 'self.training' }],
          preferred: true,
        },
      ],
    );
    return;
  }
  const list = a.node;
  const kids = children(list);
  const close = kids[kids.length - 1];
  if (!close || close.name !== ')') return;
  const lastArg = kids[kids.length - 2];
  const trailingComma = lastArg?.name === ',';
  const insertAt = trailingComma ? lastArg.to : close.from;
  const insert = trailingComma
    ? ' training=self.training'
    : a.positional.length + a.keywords.size > 0
      ? ', training=self.training'
      : 'training=self.training';
  em.emit(
    rule,
    span(call),
    `${what} defaults to training=True, so this dropout stays on after model.eval(): validation and predictions are random and pessimistic. Pass training=self.training (or use an nn.Dropout module).`,
    [{ title: 'Add training=self.training', edits: [{ from: insertAt, to: insertAt, insert }], preferred: true }],
  );
}
