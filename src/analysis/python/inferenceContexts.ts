/**
 * Where code runs at inference: inside a gradient-free block (`with torch.no_grad():`) that does not feed a
 * training step, or in a loop over validation data that takes none.
 */
import type { SyntaxNode } from '@lezer/common';
import { callFacts } from './callFacts';
import type { Py } from './context';
import { qualify } from './names';
import { args, children, forIterable, isFalseLiteral } from './syntax';
import { findAll } from './tree-index';
import { VAL_ITER } from './vocabulary';

/** The gradient-free context a with statement enters, as the user wrote it (`torch.no_grad()`), or null. */
export function noGradContext(py: Py, withStmt: SyntaxNode): string | null {
  for (const c of children(withStmt)) {
    if (c.name === 'Body') break;
    if (c.name !== 'CallExpression') continue;
    const q = qualify(py, c.firstChild) ?? '';
    if (q === 'torch.no_grad' || q === 'torch.inference_mode' || q === 'torch.autograd.no_grad') return py.text(c);
    if (q === 'torch.set_grad_enabled' || q === 'torch.autograd.set_grad_enabled') {
      const a = args(py, c);
      if (a && isFalseLiteral(py, a.positional[0])) return py.text(c);
    }
  }
  return null;
}

/**
 * A gradient-free block that makes inputs for the training step after it in the same iteration (a GAN's
 * fakes for the discriminator, a teacher's targets): part of training, not an evaluation. It is one of the
 * loop body's own statements, before a training step of that body; validation every N steps sits in an if.
 */
export function feedsTrainingStep(py: Py, withStmt: SyntaxNode): boolean {
  const body = withStmt.parent;
  const loop = body?.parent;
  if (body?.name !== 'Body' || (loop?.name !== 'ForStatement' && loop?.name !== 'WhileStatement')) return false;
  for (const stmt of children(body)) {
    if (stmt.from <= withStmt.from) continue;
    if (stmt.name === 'ForStatement' || stmt.name === 'WhileStatement') continue;
    const calls = stmt.name === 'ExpressionStatement' || stmt.name === 'AssignStatement' ? findAll(stmt, CALLS) : [];
    if (calls.some((c) => callFacts(py, c).trainingStep)) return true;
  }
  return false;
}

const CALLS = new Set(['CallExpression']);

export function isValLoop(py: Py, forStmt: SyntaxNode): boolean {
  const iter = forIterable(forStmt);
  if (!iter) return false;
  // A loop that takes training steps trains, whatever its data is called (`valid_len_shards`).
  if (findAll(forStmt, CALLS).some((c) => callFacts(py, c).trainingStep)) return false;
  for (const v of findAll(iter, new Set(['VariableName', 'PropertyName']))) {
    const t = py.text(v);
    if (VAL_ITER.test(t) && !/train/i.test(t)) return true;
  }
  return iter.name === 'VariableName' && VAL_ITER.test(py.text(iter));
}
