/** The statements of a compound statement's or definition's body, and of a Body, cached per node. */
import type { SyntaxNode } from '@lezer/common';
import type { PyFacts } from './context';
import { body } from './syntax';

/** Statements of a compound statement's or definition's body (cached per node; see body()). */
export function bodyOf(py: PyFacts, n: SyntaxNode): SyntaxNode[] {
  let b = py.bodyMemo.get(n.from);
  if (b === undefined) py.bodyMemo.set(n.from, (b = body(n)));
  return b;
}

/** Children of a Body but its ":" (cached per Body). */
export function blockOf(py: PyFacts, b: SyntaxNode): SyntaxNode[] {
  let out = py.blockMemo.get(b.from);
  if (out === undefined) {
    out = [];
    for (let c = b.firstChild; c; c = c.nextSibling) if (c.name !== ':') out.push(c);
    py.blockMemo.set(b.from, out);
  }
  return out;
}
