import type { SyntaxNode } from '@lezer/common';

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
    const s = this.slot[to] ?? 0;
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
    const s = this.slot[to] ?? 0;
    if (s === 0) {
      this.froms.push(n.from);
      this.vals.push(v);
      this.slot[to] = this.vals.length;
    } else if (this.froms[s - 1] === n.from) this.vals[s - 1] = v;
    else this.byRange.set(n.from * 16777216 + (to - n.from), v);
  }
}
