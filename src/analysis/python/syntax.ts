/**
 * Helpers over the syntax tree of our Python grammar (grammar/, a fork of @lezer/python): children and bodies, call arguments, literals, parameters,
 * enclosing definitions, and the per-node memo the context caches results in.
 */
import type { SyntaxNode } from '@lezer/common';
import type { PyFacts } from './context';
import type { Span } from './facts';
import type { Args } from './facts';

export function children(n: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let c = n.firstChild; c; c = c.nextSibling) out.push(c);
  return out;
}

export function child(n: SyntaxNode, name: string): SyntaxNode | null {
  for (let c = n.firstChild; c; c = c.nextSibling) if (c.name === name) return c;
  return null;
}

export function body(n: SyntaxNode): SyntaxNode[] {
  const b = child(n, 'Body');
  return b ? children(b).filter((c) => c.name !== ':' && !c.type.isError && c.name !== 'Comment') : [];
}

export function args(py: PyFacts, call: SyntaxNode): Args | null {
  return py.argsMemo.of(call, py, argsRaw);
}

function argsRaw(py: PyFacts, call: SyntaxNode): Args | null {
  const list = child(call, 'ArgList');
  if (!list) return null;
  const positional: SyntaxNode[] = [];
  const keywords = new Map<string, { name: SyntaxNode; value: SyntaxNode }>();
  const kids = children(list).filter((k) => k.name !== '(' && k.name !== ')' && k.name !== 'Comment');
  for (let i = 0; i < kids.length; i++) {
    const k = kids[i]!;
    if (k.name === ',') continue;
    const value = kids[i + 2];
    if (k.name === 'VariableName' && kids[i + 1]?.name === 'AssignOp' && value) {
      keywords.set(py.text(k), { name: k, value });
      i += 2;
      continue;
    }
    if (k.name === '*' || k.name === '**') {
      i++;
      continue;
    }
    positional.push(k);
  }
  return { positional, keywords, node: list };
}

export function literalNumber(py: PyFacts, n: SyntaxNode | undefined | null): number | undefined {
  if (!n) return undefined;
  if (n.name === 'Number') {
    const t = py.text(n).replace(/_/g, '');
    const v = Number(t);
    return Number.isFinite(v) ? v : undefined;
  }
  if (n.name === 'UnaryExpression') {
    const kids = children(n);
    if (kids.length === 2 && (py.text(kids[0]) === '-' || py.text(kids[0]) === '+')) {
      const v = literalNumber(py, kids[1]);
      return v === undefined ? undefined : py.text(kids[0]) === '-' ? -v : v;
    }
  }
  if (n.name === 'ParenthesizedExpression') return literalNumber(py, children(n)[1]);
  return undefined;
}

export function isTrueLiteral(py: PyFacts, n: SyntaxNode | undefined): boolean {
  return !!n && n.name === 'Boolean' && py.text(n) === 'True';
}
export function isFalseLiteral(py: PyFacts, n: SyntaxNode | undefined): boolean {
  return !!n && n.name === 'Boolean' && py.text(n) === 'False';
}

export function span(n: SyntaxNode): Span {
  return [n.from, n.to];
}

export function enclosing(n: SyntaxNode, name: string): SyntaxNode | null {
  for (let p = n.parent; p; p = p.parent) if (p.name === name) return p;
  return null;
}

export function defName(py: PyFacts, def: SyntaxNode | null | undefined): string {
  return def ? py.text(child(def, 'VariableName')) : '';
}

export function forIterable(forStmt: SyntaxNode): SyntaxNode | null {
  const kids = children(forStmt);
  const i = kids.findIndex((k) => k.name === 'in');
  return i >= 0 ? (kids[i + 1] ?? null) : null;
}

export function paramNames(py: PyFacts, fn: SyntaxNode): string[] {
  const list = child(fn, 'ParamList');
  if (!list) return [];
  const out: string[] = [];
  const kids = children(list);
  for (const [i, k] of kids.entries()) {
    if (
      k.name === 'VariableName' &&
      kids[i - 1]?.name !== 'AssignOp' &&
      kids[i - 1]?.name !== ':' &&
      kids[i - 1]?.name !== 'TypeDef'
    )
      out.push(py.text(k));
  }
  return out;
}

/** Node objects are made afresh on each access: the same node has the same type and range. */
export function sameNode(a: SyntaxNode, b: SyntaxNode): boolean {
  return a.from === b.from && a.to === b.to && a.name === b.name;
}
