/**
 * Functional dropout inside a module (`F.dropout(x, p)` in a method): the training flag it is called with, and
 * whether it drops attention weights. What two rules read: functional-dropout-no-training-flag, and
 * attention-dropout-in-eval when the input is attention weights.
 */
import type { SyntaxNode } from '@lezer/common';
import type { PyFacts } from './context';
import type { Args } from './facts';
import { hasMcIntent } from './intent';
import { args, children, defName, enclosing } from './syntax';
import { within } from './tree-index';
import { EVAL_STEP_FN, TRAIN_FN } from './vocabulary';

/** What attention weights are called, or made by: the input of a dropout that acts on them. */
const ATTENTION_WEIGHTS =
  /(^|[^a-z])(att|attn|attention|attn_weights|attn_probs|attention_probs|scores)([^a-z]|$)|softmax/i;

export interface FunctionalFlag {
  readonly args: Args;
  /** The `training=` argument (or the third positional one), when given. */
  readonly flag: SyntaxNode | undefined;
  /** The input is attention weights (`attn`, `scores.softmax(-1)`, a local made so). */
  readonly onAttention: boolean;
}

/**
 * The flag of a functional dropout called in a class, or null where its default training=True is right: Monte
 * Carlo intent, or inside a training step (or a closure of one), which never runs in eval mode.
 */
export function functionalFlagOf(py: PyFacts, call: SyntaxNode): FunctionalFlag | null {
  if (!enclosing(call, 'ClassDefinition')) return null;
  const a = args(py, call);
  if (!a) return null;
  if (hasMcIntent(py, call)) return null;
  for (let fn = enclosing(call, 'FunctionDefinition'); fn; fn = enclosing(fn, 'FunctionDefinition')) {
    const name = defName(py, fn);
    if (TRAIN_FN.test(name) && !EVAL_STEP_FN.test(name)) return null;
  }
  return {
    args: a,
    flag: a.keywords.get('training')?.value ?? a.positional[2],
    // `input=` may be a keyword.
    onAttention: dropsAttentionWeights(py, a.positional[0] ?? a.keywords.get('input')?.value),
  };
}

function dropsAttentionWeights(py: PyFacts, input: SyntaxNode | undefined): boolean {
  if (input === undefined) return false;
  if (ATTENTION_WEIGHTS.test(py.text(input))) return true;
  const value = localValue(py, input);
  return value !== undefined && ATTENTION_WEIGHTS.test(py.text(value));
}

/** What a local name was last set to before `use`, in the same function (`p = ...` then `f(p)`). */
export function localValue(py: PyFacts, use: SyntaxNode): SyntaxNode | undefined {
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
