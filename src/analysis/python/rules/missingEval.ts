/**
 * missing-eval: a model with dropout or batch norm run at inference (torch.no_grad(), a validation loop, an
 * evaluate function) while it is, or may still be, in train mode; or handed in train mode to a helper of the
 * file that runs it at inference, reported at the call, where the mistake is, with the helper's use related.
 */
import type { SyntaxNode } from '@lezer/common';
import type { PyFacts } from '../context';
import { bodyInsertion, enclosingStatement, lineInsertion } from '../insertions';
import { hasMcIntent } from '../intent';
import { isSensitive } from '../models';
import { enclosing, span } from '../syntax';
import { within } from '../tree-index';
import { callFacts } from '../callFacts';
import type { FlowRule } from './types';

export const missingEval: FlowRule = {
  id: 'missing-eval',
  on: 'flow',
  inferenceUse(py, { model, call, state: st, inference, reported }, em) {
    const mode = st?.mode ?? 'unknown';
    if (mode === 'eval' || st?.chosen) return;
    if (st?.trainAt !== undefined && deliberateTrain(py, st.trainAt, call)) return;
    if (!isSensitive(py, model)) return;
    const key = `${model}@${inference.anchor.from}`;
    if (reported.has(key)) return;
    reported.add(key);
    if (hasMcIntent(py, call)) return;
    const anchor = inference.anchor;
    const insertion = anchor.name === 'FunctionDefinition' ? bodyInsertion(py, anchor) : lineInsertion(py, anchor);
    const modeText = mode === 'train' ? 'is in train mode' : 'may still be in train mode';
    em.emit(
      'missing-eval',
      span(call.firstChild ?? call),
      `${model} ${modeText} ${inference.reason}: dropout keeps dropping units and batch norm uses batch statistics, so these results are noisy and worse than the model really is. Call ${model}.eval() before evaluating (and ${model}.train() before training again).`,
      insertion ? [insertEval(py, model, insertion)] : [],
    );
  },
  helperCall(py, { model, call, helper: fn, param, use, state }, em) {
    if (state?.mode !== 'train' || !isSensitive(py, model)) return;
    if (hasMcIntent(py, call)) return;
    const insertion = lineInsertion(py, enclosingStatement(call));
    const at: [number, number] = [fn.node.from + use.from, fn.node.from + use.to];
    const param_ = fn.params[param] ?? model;
    // An evaluation function by its name: "evaluate() evaluates it"; else the context inside it.
    const how = use.reason === `in ${fn.name}()` ? 'evaluates it' : `runs it ${use.reason}`;
    const where = use.reason === `in ${fn.name}()` ? 'to evaluate it' : use.reason;
    em.emit(
      'missing-eval',
      span(call.firstChild ?? call),
      `${model} is in train mode when ${fn.name}() is called here, and ${fn.name}() ${how}: dropout keeps dropping units and batch norm uses batch statistics, so these results are noisy and worse than the model really is. Call ${model}.eval() before this call (and ${model}.train() before training again).`,
      insertion ? [insertEval(py, model, insertion)] : [],
      [{ at, message: `${fn.name}() runs ${param_} here, ${where}` }],
    );
  },
};

function insertEval(py: PyFacts, model: string, insertion: { at: number; indent: string }) {
  return {
    title: `Insert ${model}.eval()`,
    edits: [{ from: insertion.at, to: insertion.at, insert: `${insertion.indent}${model}.eval()${py.lines.eol}` }],
    preferred: true,
  };
}

/**
 * Was train() called on purpose for this use: in the same function, which never trains? (Monte Carlo
 * sampling, recomputing batch norm statistics.) A train() before a training loop is not.
 */
function deliberateTrain(py: PyFacts, trainAt: number, use: SyntaxNode): boolean {
  const fn = enclosing(use, 'FunctionDefinition');
  if (!fn || trainAt < fn.from || trainAt > fn.to) return false;
  return !within(py, 'CallExpression', fn, true).some((c) => callFacts(py, c).trainingStep);
}
