/**
 * Incremental analysis of one open document as the user types. A DocumentAnalyzer keeps the last Python
 * syntax tree; edits since then (the shape of VS Code's TextDocumentContentChangeEvent: offset, length
 * replaced, new text) map its fragments to the new text, and lezer reparses only around the edits,
 * reusing the untouched subtrees. The rule passes then run over the new tree, replaying what they produced
 * last time for top-level definitions whose text and inputs are unchanged. No vscode import: the shell
 * keeps one analyzer per open document and hands it the changes.
 */
import { TreeFragment, type Tree } from '@lezer/common';
import { parser } from './python/grammar/parser';
import type { AnalyzeOptions, DocumentEdit } from '../protocol/analysis';
import type { Finding } from '../protocol/findings';
import { isPythonFile } from './files';
import { analyzeWith } from './analyze';
import { PythonCache, type ReuseStats } from './python';

export interface ParseStats {
  /** The tree came from an incremental parse (fragments of the previous tree), not a fresh one. */
  incremental: boolean;
  /** Fragments of the previous tree handed to the parser. */
  fragments: number;
  /**
   * The incremental tree had a syntax error and was replaced by a fresh parse (error recovery with reused
   * fragments can differ from a fresh parse's; `incremental` is then false).
   */
  reparsed: boolean;
  /** Characters of the new text covered by subtrees that are the previous tree's own objects (not reparsed). */
  reusedChars: number;
  length: number;
  parseMs: number;
}

export class DocumentAnalyzer {
  private tree: Tree | null = null;
  /** Length of the text `tree` was parsed from, and the length the recorded edits lead to. */
  private treeLength = 0;
  private expectedLength = 0;
  private fragments: readonly TreeFragment[] = [];
  private broken = false;
  private stats: ParseStats | null = null;
  /** Per-definition results of the last analysis, reused for definitions whose text and inputs are unchanged. */
  private cache = new PythonCache();

  constructor(private fileName: string) {}

  /** How the last analysis got its syntax tree (null before the first analysis or for non-Python files). */
  get lastParse(): ParseStats | null {
    return this.stats;
  }

  /** What the last analysis replayed from the one before (Python only; null before the first). */
  get lastReuse(): ReuseStats | null {
    return isPythonFile(this.fileName) && this.tree ? this.cache.stats : null;
  }

  /** The syntax tree of the last analysed text (Python only). */
  get lastTree(): Tree | null {
    return this.tree;
  }

  /** The document was renamed or changed language: the analyzer picks its parser by name. */
  rename(fileName: string): void {
    if (fileName !== this.fileName) this.reset();
    this.fileName = fileName;
  }

  /** Forget the previous tree: the next analysis parses from scratch. */
  reset(): void {
    this.tree = null;
    this.cache = new PythonCache();
    this.fragments = [];
    this.broken = false;
  }

  /**
   * Records edits made since the last analysis, each relative to the text after the edits before it (VS
   * Code's contentChanges of one event satisfy this: they come sorted from the end of the document).
   */
  edit(changes: readonly DocumentEdit[]): void {
    if (!this.tree || this.broken) return;
    for (const c of changes) {
      if (c.rangeOffset < 0 || c.rangeLength < 0 || c.rangeOffset + c.rangeLength > this.expectedLength) {
        this.broken = true;
        return;
      }
      const insertLength = c.text.length;
      this.fragments = TreeFragment.applyChanges(this.fragments, [
        {
          fromA: c.rangeOffset,
          toA: c.rangeOffset + c.rangeLength,
          fromB: c.rangeOffset,
          toB: c.rangeOffset + insertLength,
        },
      ]);
      this.expectedLength += insertLength - c.rangeLength;
    }
  }

  /** Findings for the document's current text (the text after the recorded edits). */
  analyze(text: string, options: AnalyzeOptions = {}): Finding[] {
    if (!isPythonFile(this.fileName)) {
      this.stats = null;
      return analyzeWith(text, this.fileName, options);
    }
    return analyzeWith(
      text,
      this.fileName,
      options,
      (t) => this.parse(t),
      this.cache,
      (t) => this.parseFresh(t),
    );
  }

  private parse(text: string): Tree {
    const start = performance.now();
    const previous = this.tree;
    // Edits that do not add up to this text (missed events, a reload): parse from scratch.
    const usable = previous !== null && !this.broken && this.expectedLength === text.length;
    const fragments = usable ? this.fragments : [];
    const tree = parser.parse(text, fragments);
    const reused = usable && previous ? reusedLength(previous, tree) : 0;
    this.tree = tree;
    this.treeLength = text.length;
    this.expectedLength = text.length;
    this.fragments = TreeFragment.addTree(tree);
    this.broken = false;
    this.stats = {
      incremental: usable,
      reparsed: false,
      fragments: fragments.length,
      reusedChars: reused,
      length: text.length,
      parseMs: performance.now() - start,
    };
    return tree;
  }

  /** A fresh parse after an incremental one gave a tree with a syntax error (see ParseStats.reparsed). */
  private parseFresh(text: string): Tree | null {
    const first = this.stats;
    if (!first?.incremental) return null;
    const start = performance.now();
    const tree = parser.parse(text);
    this.tree = tree;
    this.fragments = TreeFragment.addTree(tree);
    this.stats = {
      incremental: false,
      reparsed: true,
      fragments: 0,
      reusedChars: 0,
      length: text.length,
      parseMs: first.parseMs + performance.now() - start,
    };
    return tree;
  }

  /** Length of the text the kept tree belongs to (tests). */
  get parsedLength(): number {
    return this.treeLength;
  }
}

/** Characters of `next` covered by subtrees (Tree or TreeBuffer objects) taken over from `prev`. */
function reusedLength(prev: Tree, next: Tree): number {
  const old = new Set<unknown>();
  const collect = (t: Tree): void => {
    for (const c of t.children) {
      old.add(c);
      if (!('buffer' in c)) collect(c);
    }
  };
  collect(prev);
  let total = 0;
  const visit = (t: Tree): void => {
    t.children.forEach((c) => {
      if (old.has(c)) total += c.length;
      else if (!('buffer' in c)) visit(c);
    });
  };
  visit(next);
  return total;
}
