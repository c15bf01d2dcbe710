/**
 * attention-dropout-in-eval: attention dropout that stays on in eval mode. `scaled_dot_product_attention`
 * takes a plain `dropout_p` and knows no mode, so a rate that is not gated on `self.training` drops attention
 * weights at inference too; so does a hand-written `F.dropout` on the attention weights without the flag.
 * `nn.MultiheadAttention` gates its own dropout, and is not this mistake.
 */
import type { SyntaxNode } from '@lezer/common';
import type { Emitter } from '../../ops';
import type { PyFacts } from '../context';
import { functionalFlagOf, localValue } from '../functionalDropout';
import { hasMcIntent } from '../intent';
import { qualify } from '../names';
import { args, children, enclosing, literalNumber, span } from '../syntax';
import { within } from '../tree-index';
import { reportFunctionalFlag } from './functionalFlagFinding';
import type { CallRule } from './types';

export const attentionDropoutInEval: CallRule = {
  id: 'attention-dropout-in-eval',
  on: 'call',
  check(py, call, made, em) {
    if (!made) {
      checkAttentionDropout(py, call, em);
      return;
    }
    if (made.layer.framework !== 'functional') return;
    const flag = functionalFlagOf(py, call);
    if (flag?.onAttention)
      reportFunctionalFlag(py, em, this.id, `${made.layer.label} on the attention weights`, call, flag);
  },
};

const SDPA = 'torch.nn.functional.scaled_dot_product_attention';
/** (query, key, value, attn_mask, dropout_p, is_causal, ...) */
const DROPOUT_P_AT = 4;
/** Checks a call of scaled_dot_product_attention. */
function checkAttentionDropout(py: PyFacts, call: SyntaxNode, em: Emitter): void {
  if (qualify(py, call.firstChild) !== SDPA) return;
  const a = args(py, call);
  const rate = a?.keywords.get('dropout_p')?.value ?? a?.positional[DROPOUT_P_AT];
  if (!rate || gated(py, rate)) return;
  const literal = literalNumber(py, rate);
  if (literal === 0) return;
  // Outside a module's method, nothing says which mode the caller is in.
  if (!inModuleMethod(call) || hasMcIntent(py, call)) return;
  const t = py.text(rate);
  em.emit(
    'attention-dropout-in-eval',
    span(rate),
    `scaled_dot_product_attention(dropout_p=${t}) drops attention weights in eval mode too: the function knows no train/eval mode, so model.eval() does not turn this dropout off and every prediction is random. Pass dropout_p=${t} if self.training else 0.0.`,
    [
      {
        title: `Use ${t} if self.training else 0.0`,
        edits: [{ from: rate.from, to: rate.to, insert: `${t} if self.training else 0.0` }],
        preferred: true,
      },
    ],
  );
}

/** The rate depends on the mode: `p if self.training else 0.0`, `self.p * self.training`, a local made so. */
function gated(py: PyFacts, rate: SyntaxNode): boolean {
  const mentionsMode = (n: SyntaxNode): boolean => /\btraining\b/.test(py.text(n));
  if (mentionsMode(rate)) return true;
  const value = localValue(py, rate);
  if (value !== undefined && mentionsMode(value)) return true;
  // `drop = 0.0` then `if self.training: drop = self.p`: set under a condition on the mode.
  const fn = enclosing(rate, 'FunctionDefinition');
  return (
    rate.name === 'VariableName' &&
    fn !== null &&
    within(py, 'AssignStatement', fn).some((assign) => {
      const target = children(assign)[0];
      const cond = enclosing(assign, 'IfStatement');
      return (
        assign.to <= rate.from &&
        target !== undefined &&
        py.text(target) === py.text(rate) &&
        cond !== null &&
        cond.from >= fn.from &&
        mentionsMode(children(cond)[1] ?? cond)
      );
    })
  );
}

function inModuleMethod(call: SyntaxNode): boolean {
  return enclosing(call, 'ClassDefinition') !== null && enclosing(call, 'FunctionDefinition') !== null;
}
