/**
 * If statements the mode walk reads specially: by their condition, a guard on `isinstance(model, nn.Module)`,
 * an `if model.training:`, a test of one of the function's parameters (the caller's choice); by a branch, one
 * that hands the work to calls the analysis cannot follow.
 */
import type { SyntaxNode } from '@lezer/common';
import { callFacts } from './callFacts';
import type { FnInfo, Py } from './context';
import { children, enclosing } from './syntax';
import { findAll, within } from './tree-index';

/**
 * `if isinstance(model, nn.Module): model.eval()` (a helper that also takes plain callables): for a model,
 * the body always runs. Returns that body, when the if has no other branch.
 */
export function moduleGuard(py: Py, kids: SyntaxNode[]): SyntaxNode | null {
  if (kids.some((k) => k.name === 'elif' || k.name === 'else')) return null;
  const cond = kids[1];
  const m = cond ? /^isinstance\(\s*([\w.]+)\s*,\s*(\(?\s*)?[\w.]*Module\b/.exec(py.text(cond)) : null;
  if (!m?.[1] || !py.modelNames.has(m[1])) return null;
  return kids.find((k) => k.name === 'Body') ?? null;
}

/** `if <model>.training:` / `if was_training:` (set from `<model>.training`) with no other branch. */
export function evalIfTraining(py: Py, kids: SyntaxNode[]): { model: string; body: SyntaxNode } | null {
  if (kids.some((k) => k.name === 'elif' || k.name === 'else')) return null;
  const cond = kids[1];
  const body = kids.find((k) => k.name === 'Body');
  if (!cond || !body) return null;
  let text = py.text(cond);
  if (cond.name === 'VariableName') {
    const fn = enclosing(cond, 'FunctionDefinition') ?? py.tree.topNode;
    const set = within(py, 'AssignStatement', fn)
      .map((a) => children(a))
      .filter((k) => k.length === 3 && k[0] && py.text(k[0]) === text && k[2] && k[2].to <= cond.from);
    text = set.length > 0 ? py.text(set.at(-1)![2]) : text;
  }
  const model = /^([\w.]+)\.training$/.exec(text)?.[1];
  return model && py.modelNames.has(model) ? { model, body } : null;
}

/**
 * Does an if's condition test a parameter of the function (that is not a model) as a flag (`if train:`,
 * `if mode == "eval":`)? A parameter passed to a call in the condition (`if len(rows) > 1:`) is data, not
 * the caller's choice of mode.
 */
export function testsParameter(py: Py, kids: SyntaxNode[], fn: FnInfo): boolean {
  const params = new Set(fn.params.filter((p) => p !== 'self' && !py.modelNames.has(p)));
  return kids.some(
    (k, i) =>
      i > 0 &&
      k.name !== 'Body' &&
      findAll(k, VARIABLE_NAMES, true).some((v) => params.has(py.text(v)) && !insideArguments(v, k)),
  );
}

function insideArguments(node: SyntaxNode, top: SyntaxNode): boolean {
  for (let n = node.parent; n && n !== top.parent; n = n.parent) if (n.name === 'ArgList') return true;
  return false;
}

const VARIABLE_NAMES = new Set(['VariableName']);

/** Calls that only report: they never switch a model's mode. */
const REPORTING_CALL = /^(print|pprint|logging\.\w+|warnings\.warn|[\w.]*(log|logger|writer|pbar|progress)\.\w+)$/;

/**
 * A branch that only makes calls the analysis cannot follow (not functions of the file, not models' methods,
 * not reporting): `else: self.hooks.call("on_validation_model_eval")`.
 */
export function delegates(py: Py, block: SyntaxNode[]): boolean {
  const calls = block.filter((s) => s.name !== 'PassStatement' && s.name !== 'Comment');
  return (
    calls.length > 0 &&
    calls.every((s) => {
      const call = s.name === 'ExpressionStatement' ? s.firstChild : null;
      if (call?.name !== 'CallExpression') return false;
      const facts = callFacts(py, call);
      const d = facts.calleeDotted;
      if (!d || facts.objModel || REPORTING_CALL.test(d)) return false;
      return !py.functions.has(d.startsWith('self.') ? d.slice(5) : d);
    })
  );
}
