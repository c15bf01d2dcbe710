/**
 * The models a training step (a backward() or an optimizer's step()) can be training: those a helper trains
 * through its parameters, those switched to train() and run near the step, and not those frozen before it.
 */
import type { SyntaxNode } from '@lezer/common';
import { callFacts } from './callFacts';
import type { FnInfo, Py } from './context';
import { dotted } from './names';
import { enclosing } from './syntax';
import { findAll, within } from './tree-index';

/**
 * The models a training step of a function that trains a model parameter can train: its model parameters
 * and the models its text names (a global `net` it never mentions is trained elsewhere). Undefined when no
 * model parameter is run: a step there may train a global model through a global optimizer.
 */
export function trainedByFunction(py: Py, fn: FnInfo): string[] | undefined {
  const runs = new Set(within(py, 'CallExpression', fn.node).map((c) => callFacts(py, c).calleeModel));
  const params = fn.params.filter((p) => py.modelNames.has(p) && runs.has(p));
  if (params.length === 0) return undefined;
  const named = new Set(findAll(fn.node, NAMES_AND_MEMBERS, true).map((n) => py.text(n)));
  return [...new Set([...params, ...[...py.modelNames].filter((m) => named.has(m))])];
}

const NAMES_AND_MEMBERS = new Set(['VariableName', 'MemberExpression']);

/**
 * The model's weights are frozen where this backward() runs (`p.requires_grad = False` over its parameters,
 * or `model.requires_grad_(False)`): the gradient is for something else (inputs sampled by MCMC, an
 * adversarial example), and the model is not trained.
 */
export function frozenAround(py: Py, model: string, call: SyntaxNode): boolean {
  const scope = enclosing(call, 'FunctionDefinition') ?? py.tree.topNode;
  // Where the scope first freezes the model, found once per scope and model (a file has many steps).
  const key = `${scope.from}:${model}`;
  let at = py.frozenAt.get(key);
  if (at === undefined) {
    const text = py.src.slice(scope.from, scope.to);
    const m = model.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const loop = new RegExp(
      `for\\s+(\\w+)\\s+in\\s+${m}\\.parameters\\(\\)\\s*:[^\\n]*\\n?\\s*\\1\\.requires_grad\\s*=\\s*False`,
    ).exec(text);
    const call_ = new RegExp(`${m}\\.requires_grad_\\(\\s*False\\s*\\)`).exec(text);
    const first = Math.min(loop?.index ?? Infinity, call_?.index ?? Infinity);
    at = first === Infinity ? Infinity : scope.from + first;
    py.frozenAt.set(key, at);
  }
  return at < call.from;
}

/**
 * Is the model trained where this node is, though its optimizer is built elsewhere: switched to train() and
 * called in the same function (a frozen teacher is switched to eval() only).
 */
export function trainedHere(py: Py, model: string, node: SyntaxNode): boolean {
  const scope = enclosing(node, 'FunctionDefinition') ?? py.tree.topNode;
  const switched = within(py, 'CallExpression', scope, true).some((c) => {
    const facts = callFacts(py, c);
    return facts.method === 'train' && facts.objModel === model && (facts.args?.positional.length ?? 0) === 0;
  });
  return switched && usedNear(py, model, node);
}

/** Is the model called in the same function (or module-level code) as this node? */
export function usedNear(py: Py, model: string, node: SyntaxNode): boolean {
  const scope = enclosing(node, 'FunctionDefinition') ?? py.tree.topNode;
  return within(py, 'CallExpression', scope, true).some((c) => {
    const d = dotted(py, c.firstChild);
    return d === model || d === `${model}.forward`;
  });
}
