import type { Position, Range } from '../protocol/findings';

/** Maps UTF-16 offsets of one text to 0-based line/character positions. */
export class LineMap {
  private readonly starts: number[] = [0];
  constructor(readonly text: string) {
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) this.starts.push(i + 1);
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
    return { line: lo, character: o - this.starts[lo]! };
  }
  range(from: number, to: number): Range {
    return { start: this.position(from), end: this.position(Math.max(from, to)) };
  }
  lineStart(line: number): number {
    return this.starts[Math.max(0, Math.min(line, this.starts.length - 1))]!;
  }
  lineEnd(line: number): number {
    const next = (this.starts[line + 1] ?? this.text.length + 1) - 1;
    return next > 0 && this.text.charCodeAt(next - 1) === 13 ? next - 1 : next;
  }
  lineText(line: number): string {
    return this.text.slice(this.lineStart(line), this.lineEnd(line));
  }
  offset(pos: Position): number {
    return Math.min(this.lineStart(pos.line) + pos.character, this.lineEnd(pos.line));
  }
}
