/**
 * Finding nodes in the syntax tree: a walk of a subtree (findAll), and the per-analysis index of the tree
 * (one walk of it): nodes by type, the comments, and for calls, assignments and member expressions their
 * ranges with the innermost enclosing definition, so that "every call under this node" is a binary search.
 */
import type { SyntaxNode } from '@lezer/common';
import type { Py, PyFacts } from './context';
import { RangeIndex } from './rangeIndex';

export const DEFS = new Set(['FunctionDefinition', 'ClassDefinition', 'LambdaExpression']);

/** Every node of a subtree of the given type names (iterative; skipDefs: not inside nested definitions). */
export function findAll(root: SyntaxNode, names: Set<string>, skipDefs = false): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  const c = root.cursor();
  let depth = 0;
  for (;;) {
    if (names.has(c.name)) out.push(c.node);
    const enter = !(skipDefs && depth > 0 && DEFS.has(c.name));
    if (enter && c.firstChild()) {
      depth++;
      continue;
    }
    for (;;) {
      if (depth === 0) return out;
      if (c.nextSibling()) break;
      c.parent();
      depth--;
    }
  }
}

const INDEXED = new Set([
  'CallExpression',
  'AssignStatement',
  'FunctionDefinition',
  'ClassDefinition',
  'ImportStatement',
  'MemberExpression',
  'Comment',
]);
/** Indexed types that within() answers from a RangeIndex. */
const RANGED = new Set(['CallExpression', 'AssignStatement', 'MemberExpression']);

export function all(py: PyFacts, name: string): readonly SyntaxNode[] {
  return py.index.get(name) ?? [];
}

/**
 * The indexed nodes under root (root included), in pre-order, like a walk of the subtree would find them;
 * skipDefs: not inside definitions nested below root. Ranges nest in a syntax tree, so the nodes within
 * root's range are its descendants (a definition never shares its range with a child).
 */
export function within(py: PyFacts, name: string, root: SyntaxNode, skipDefs = false): SyntaxNode[] {
  const ix = py.ranges.get(name);
  if (!ix) return findAll(root, new Set([name]), skipDefs);
  const rf = root.from;
  const rt = root.to;
  const froms = ix.from;
  let lo = 0;
  let hi = froms.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (froms[mid]! < rf) lo = mid + 1;
    else hi = mid;
  }
  const out: SyntaxNode[] = [];
  const rootIsDef = DEFS.has(root.name);
  const defs = py.defs;
  // The four arrays of a RangeIndex have one entry per node, and ix.def holds indexes into py.defs (or -1).
  for (let i = lo; i < froms.length && froms[i]! <= rt; i++) {
    if (ix.to[i]! > rt) continue;
    if (skipDefs) {
      const d = ix.def[i]!;
      if (d >= 0) {
        const df = defs.from[d]!;
        const dt = defs.to[d]!;
        if (df >= rf && dt <= rt && !(rootIsDef && df === rf && dt === rt)) continue;
      }
    }
    out.push(ix.nodes[i]!);
  }
  return out;
}

/** Indexes the tree into py (one walk); returns the first syntax error node, or null. */
export function indexTree(py: Py): SyntaxNode | null {
  const text = py.src;
  // Comments and the first syntax error.
  let error: SyntaxNode | null = null;
  const cursor = py.tree.cursor();
  // Open definitions (innermost last), to give every ranged node its innermost enclosing definition.
  const openDefs: number[] = [];
  const defs = py.defs;
  const closeDefsBefore = (from: number) => {
    for (let top = openDefs.at(-1); top !== undefined && defs.to[top]! <= from; top = openDefs.at(-1)) openDefs.pop();
  };
  do {
    const name = cursor.name;
    if (cursor.type.isError && !error) error = cursor.node;
    if (INDEXED.has(name)) {
      const from = cursor.from;
      const to = cursor.to;
      closeDefsBefore(from);
      let list = py.index.get(name);
      if (!list) py.index.set(name, (list = []));
      const node = cursor.node;
      list.push(node);
      if (RANGED.has(name)) {
        let ix = py.ranges.get(name);
        if (!ix) py.ranges.set(name, (ix = new RangeIndex()));
        ix.add(node, from, to, openDefs.at(-1) ?? -1);
      }
      if (name === 'Comment') py.comments.push({ from, to, text: text.slice(from, to) });
      else if (name === 'FunctionDefinition' || name === 'ClassDefinition') {
        openDefs.push(defs.from.length);
        defs.from.push(from);
        defs.to.push(to);
      }
    } else if (name === 'LambdaExpression') {
      const from = cursor.from;
      closeDefsBefore(from);
      openDefs.push(defs.from.length);
      defs.from.push(from);
      defs.to.push(cursor.to);
    } else if (name === 'VariableName' && !py.sawKeepProb && text.startsWith('keep_prob', cursor.from))
      py.sawKeepProb = true;
  } while (cursor.next());
  return error;
}
