/**
 * Helpers over the @lezer/python syntax tree: children and bodies, call arguments, literals, parameters,
 * enclosing definitions, and the per-node memo the context caches results in.
 */
import type { SyntaxNode } from '@lezer/common';
import type { Py, Span } from './context';

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

export interface Args {
  positional: SyntaxNode[];
  keywords: Map<string, { name: SyntaxNode; value: SyntaxNode }>;
  node: SyntaxNode;
}

export function args(py: Py, call: SyntaxNode): Args | null {
  return py.argsMemo.of(call, py, argsRaw);
}

function argsRaw(py: Py, call: SyntaxNode): Args | null {
  const list = child(call, 'ArgList');
  if (!list) return null;
  const positional: SyntaxNode[] = [];
  const keywords = new Map<string, { name: SyntaxNode; value: SyntaxNode }>();
  const kids = children(list).filter((k) => k.name !== '(' && k.name !== ')' && k.name !== 'Comment');
  for (let i = 0; i < kids.length; i++) {
    const k = kids[i];
    if (k.name === ',') continue;
    if (k.name === 'VariableName' && kids[i + 1]?.name === 'AssignOp' && kids[i + 2]) {
      keywords.set(py.text(k), { name: k, value: kids[i + 2] });
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

export function literalNumber(py: Py, n: SyntaxNode | undefined | null): number | undefined {
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

export function isTrueLiteral(py: Py, n: SyntaxNode | undefined): boolean {
  return !!n && n.name === 'Boolean' && py.text(n) === 'True';
}
export function isFalseLiteral(py: Py, n: SyntaxNode | undefined): boolean {
  return !!n && n.name === 'Boolean' && py.text(n) === 'False';
}

export function span(n: SyntaxNode): Span {
  return [n.from, n.to];
}

export function enclosing(n: SyntaxNode, name: string): SyntaxNode | null {
  for (let p = n.parent; p; p = p.parent) if (p.name === name) return p;
  return null;
}

export function defName(py: Py, def: SyntaxNode | null): string {
  return def ? py.text(child(def, 'VariableName')) : '';
}

export function forIterable(forStmt: SyntaxNode): SyntaxNode | null {
  const kids = children(forStmt);
  const i = kids.findIndex((k) => k.name === 'in');
  return i >= 0 ? (kids[i + 1] ?? null) : null;
}

export function paramNames(py: Py, fn: SyntaxNode): string[] {
  const list = child(fn, 'ParamList');
  if (!list) return [];
  const out: string[] = [];
  const kids = children(list);
  for (let i = 0; i < kids.length; i++) {
    const k = kids[i];
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

/**
 * A cache per node of one kind (calls; names and member expressions), keyed by the node's end: two calls
 * never end at the same offset (a call ends with its own ")"), nor do two member expressions or names.
 * The start is checked too; a node that shares an end with another falls back to a key of the full range.
 * The entries by end are a typed array indexed by the end offset (a slot into parallel arrays of starts
 * and values; 0 for none), which costs less than a Map of as many entries and allocates no entry objects.
 */
export class NodeMemo<T> {
  /** By end offset: 1 + the entry's index in froms and vals, or 0. */
  private slot = new Int32Array(0);
  private readonly froms: number[] = [];
  private readonly vals: T[] = [];
  private readonly byRange = new Map<number, T>();
  get(n: SyntaxNode): T | undefined {
    const to = n.to;
    const s = to < this.slot.length ? this.slot[to] : 0;
    if (s === 0) return undefined;
    return this.froms[s - 1] === n.from ? this.vals[s - 1] : this.byRange.get(n.from * 16777216 + (to - n.from));
  }
  /** The value kept for `n`, or `compute(ctx, n)` kept for the next ask (a module function: no closure per call). */
  of<C>(n: SyntaxNode, ctx: C, compute: (ctx: C, n: SyntaxNode) => T): T {
    const hit = this.get(n);
    if (hit !== undefined) return hit;
    const v = compute(ctx, n);
    this.set(n, v);
    return v;
  }
  set(n: SyntaxNode, v: T): void {
    const to = n.to;
    if (to >= this.slot.length) {
      const grown = new Int32Array(Math.max(to + 1, this.slot.length * 2, 1024));
      grown.set(this.slot);
      this.slot = grown;
    }
    const s = this.slot[to];
    if (s === 0) {
      this.froms.push(n.from);
      this.vals.push(v);
      this.slot[to] = this.vals.length;
    } else if (this.froms[s - 1] === n.from) this.vals[s - 1] = v;
    else this.byRange.set(n.from * 16777216 + (to - n.from), v);
  }
}
