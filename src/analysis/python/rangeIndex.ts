import type { SyntaxNode } from '@lezer/common';

/**
 * Nodes of an indexed type in document (pre-order) order, with their ranges and the innermost enclosing
 * definition (function, class or lambda), so that "every call under this node" is a binary search over
 * one array instead of a walk of the subtree.
 */
export class RangeIndex {
  readonly nodes: SyntaxNode[] = [];
  readonly from: number[] = [];
  readonly to: number[] = [];
  /** Index into Defs of the innermost enclosing definition, or -1. */
  readonly def: number[] = [];
  add(node: SyntaxNode, from: number, to: number, def: number): void {
    this.nodes.push(node);
    this.from.push(from);
    this.to.push(to);
    this.def.push(def);
  }
}

export interface Defs {
  from: number[];
  to: number[];
}
