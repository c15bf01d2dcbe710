/** What the mode flow needs of each call (callee, arguments, the model it runs or switches, a training step), memoized. */
import type { SyntaxNode } from '@lezer/common';
import type { PyFacts } from './context';
import type { CallFacts } from './facts';
import { modelOf, sameModelBase } from './models';
import { dotted } from './names';
import { args } from './syntax';

function isTrainingStep(py: PyFacts, call: SyntaxNode): boolean {
  const callee = call.firstChild;
  if (callee?.name !== 'MemberExpression') return false;
  const m = py.text(callee.lastChild);
  if (m === 'backward') return true;
  if (m === 'step') {
    const obj = py.text(callee.firstChild);
    return /optim|^opt$|^opt_|_opt$|optimizer/i.test(obj) && !/sched/i.test(obj);
  }
  return false;
}

export function callFacts(py: PyFacts, call: SyntaxNode): CallFacts {
  const hit = py.factsMemo.get(call);
  if (hit !== undefined) return hit;
  const callee = call.firstChild;
  let method: string | null = null;
  let objModel: string | null = null;
  if (callee && callee.name === 'MemberExpression') {
    method = py.text(callee.lastChild);
    const obj = callee.firstChild;
    // `model.to(device).train()`: the chain returns the model itself.
    objModel = modelOf(py, obj) ?? (obj?.name === 'CallExpression' ? sameModelBase(py, obj) : null);
  }
  const f: CallFacts = {
    callee,
    args: callee ? args(py, call) : null,
    method,
    objModel,
    trainingStep: callee ? isTrainingStep(py, call) : false,
    calleeModel: callee ? modelOf(py, callee) : null,
    calleeDotted: callee ? dotted(py, callee) : null,
  };
  py.factsMemo.set(call, f);
  return f;
}
