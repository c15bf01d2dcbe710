/**
 * attention-dropout-in-eval: attention dropout that stays on in eval mode. `scaled_dot_product_attention`
 * takes a plain `dropout_p` and knows no mode, so a rate that is not gated on `self.training` drops attention
 * weights at inference too; so does a hand-written `F.dropout` on the attention weights without the flag.
 * `nn.MultiheadAttention` gates its own dropout, and is not this mistake.
 */
import type { SyntaxNode } from '@lezer/common';
import type { Py } from './context';
import { hasMcIntent } from './intent';
import { qualify } from './names';
import { args, children, enclosing, literalNumber, span } from './syntax';
import { within } from './tree-index';

const SDPA = 'torch.nn.functional.scaled_dot_product_attention';
/** (query, key, value, attn_mask, dropout_p, is_causal, ...) */
const DROPOUT_P_AT = 4;
/** What attention weights are called, or made by: the input of a dropout that acts on them. */
const ATTENTION_WEIGHTS =
  /(^|[^a-z])(att|attn|attention|attn_weights|attn_probs|attention_probs|scores)([^a-z]|$)|softmax/i;

/** Checks a call of scaled_dot_product_attention. Returns whether it was one. */
export function checkAttentionDropout(py: Py, call: SyntaxNode): boolean {
  if (qualify(py, call.firstChild) !== SDPA) return false;
  const a = args(py, call);
  const rate = a?.keywords.get('dropout_p')?.value ?? a?.positional[DROPOUT_P_AT];
  if (!rate || gated(py, rate)) return true;
  const literal = literalNumber(py, rate);
  if (literal === 0) return true;
  // Outside a module's method, nothing says which mode the caller is in.
  if (!inModuleMethod(call) || hasMcIntent(py, call)) return true;
  const t = py.text(rate);
  py.em.emit(
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
  return true;
}

/** Is this functional dropout's input attention weights (`attn`, `scores.softmax(-1)`, a local made so)? */
export function dropsAttentionWeights(py: Py, input: SyntaxNode | undefined): boolean {
  if (input === undefined) return false;
  if (ATTENTION_WEIGHTS.test(py.text(input))) return true;
  const value = localValue(py, input);
  return value !== undefined && ATTENTION_WEIGHTS.test(py.text(value));
}

/** The rate depends on the mode: `p if self.training else 0.0`, `self.p * self.training`, a local made so. */
function gated(py: Py, rate: SyntaxNode): boolean {
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

/** What a local name was last set to before `use`, in the same function (`p = ...` then `f(p)`). */
function localValue(py: Py, use: SyntaxNode): SyntaxNode | undefined {
  if (use.name !== 'VariableName') return undefined;
  const fn = enclosing(use, 'FunctionDefinition');
  if (!fn) return undefined;
  const name = py.text(use);
  let last: SyntaxNode | undefined;
  for (const assign of within(py, 'AssignStatement', fn)) {
    if (assign.to > use.from) break;
    const [target, op, value] = children(assign);
    if (target?.name === 'VariableName' && op?.name === 'AssignOp' && py.text(target) === name) last = value;
  }
  return last;
}

function inModuleMethod(call: SyntaxNode): boolean {
  return enclosing(call, 'ClassDefinition') !== null && enclosing(call, 'FunctionDefinition') !== null;
}
