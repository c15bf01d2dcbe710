import type { Position, Range } from '../protocol/findings';

/** A byte-order mark, which editors and Python drop: a file read from disk loses it before analysis. */
export function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

const LINE_BREAK = /\r\n?|\n/g;

/** Where a YAML or JSON text first nests deeper than `limit` (brackets, or block indentation), or null. */
export function tooDeep(text: string, limit: number): { depth: number; at: number } | null {
  let depth = 0;
  let quote = '';
  let comment = false;
  const indents: number[] = [];
  let lineStart = true;
  let indent = 0;
  // Brackets counted everywhere, strings and comments too: where quotes are unbalanced, the parser may read as
  // brackets what this scan took for a string, so no text gets past with thousands of them.
  let rawDepth = 0;
  const rawLimit = 4 * limit;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '[' || c === '{') {
      if (++rawDepth > rawLimit) return { depth: rawDepth, at: i };
    } else if ((c === ']' || c === '}') && rawDepth > 0) rawDepth--;
    if (c === '\n' || c === '\r') {
      comment = false;
      lineStart = true;
      indent = 0;
      if (quote === "'") quote = '';
      continue;
    }
    if (lineStart) {
      if (c === ' ' || c === '-') {
        indent++;
        continue;
      }
      lineStart = false;
      if (c !== '#' && depth === 0) {
        while (indents.length > 0 && indents.at(-1)! >= indent) indents.pop();
        indents.push(indent);
        if (indents.length > limit) return { depth: indents.length, at: i };
      }
    }
    if (comment) continue;
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = '';
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === '#') comment = true;
    else if (c === '[' || c === '{') {
      depth++;
      if (depth + indents.length > limit) return { depth: depth + indents.length, at: i };
    } else if ((c === ']' || c === '}') && depth > 0) depth--;
  }
  return null;
}

/**
 * The text with each lone `\r` made `\n`, for parsers that do not take it as a line end (the yaml package):
 * offsets are unchanged, so their ranges still fit the original text.
 */
export function withoutLoneCR(text: string): string {
  return text.replace(/\r(?!\n)/g, '\n');
}

/**
 * Maps UTF-16 offsets of one text to 0-based line/character positions. Lines end at `\r\n`, `\n` or a lone
 * `\r`, as in VS Code and Python.
 */
export class LineMap {
  private readonly starts: number[] = [0];
  /** The text's first line break, for inserted lines (`\n` when it has none). */
  readonly eol: string;
  constructor(readonly text: string) {
    let eol: string | undefined;
    for (const m of text.matchAll(LINE_BREAK)) {
      eol ??= m[0];
      this.starts.push(m.index + m[0].length);
    }
    this.eol = eol ?? '\n';
  }
  get lineCount(): number {
    return this.starts.length;
  }
  position(offset: number): Position {
    const o = Math.max(0, Math.min(offset, this.text.length));
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= o) lo = mid;
      else hi = mid - 1;
    }
    // An offset inside a two-character line break (\r\n) is the end of its line.
    return { line: lo, character: Math.min(o, this.lineEnd(lo)) - this.starts[lo]! };
  }
  range(from: number, to: number): Range {
    return { start: this.position(from), end: this.position(Math.max(from, to)) };
  }
  lineStart(line: number): number {
    return this.starts[Math.max(0, Math.min(line, this.starts.length - 1))]!;
  }
  lineEnd(line: number): number {
    const next = this.starts[line + 1];
    if (next === undefined) return this.text.length;
    // The line break before the next line: one character, or two for \r\n.
    return next >= 2 && this.text.charCodeAt(next - 1) === 10 && this.text.charCodeAt(next - 2) === 13
      ? next - 2
      : next - 1;
  }
  lineText(line: number): string {
    return this.text.slice(this.lineStart(line), this.lineEnd(line));
  }
  offset(pos: Position): number {
    return Math.min(this.lineStart(pos.line) + pos.character, this.lineEnd(pos.line));
  }
}
