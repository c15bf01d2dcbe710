/**
 * Where a fix inserts a line: before a statement, after one, or at the start of a body.
 */
import type { SyntaxNode } from '@lezer/common';
import type { PyFacts } from './context';
import { body } from './syntax';

export function enclosingStatement(n: SyntaxNode): SyntaxNode {
  let s = n;
  while (s.parent && s.parent.name !== 'Body' && s.parent.name !== 'Script') s = s.parent;
  return s;
}

export function lineInsertion(py: PyFacts, stmt: SyntaxNode): { at: number; indent: string } | null {
  const line = py.lines.position(stmt.from).line;
  const start = py.lines.lineStart(line);
  const prefix = py.src.slice(start, stmt.from);
  if (prefix.trim() !== '') return null;
  return { at: start, indent: prefix };
}

export function afterLine(py: PyFacts, stmt: SyntaxNode): { at: number; indent: string } | null {
  const s = enclosingStatement(stmt);
  const line = py.lines.position(s.from).line;
  const start = py.lines.lineStart(line);
  const prefix = py.src.slice(start, s.from);
  if (prefix.trim() !== '') return null;
  const endLine = py.lines.position(s.to).line;
  const at = py.lines.lineEnd(endLine);
  if (at >= py.src.length) return { at: py.src.length, indent: py.lines.eol + prefix };
  return { at: py.lines.lineStart(endLine + 1), indent: prefix };
}

export function bodyInsertion(py: PyFacts, def: SyntaxNode): { at: number; indent: string } | null {
  const stmts = body(def);
  let first = stmts[0];
  if (!first) return null;
  // After a docstring.
  if (
    def.name === 'FunctionDefinition' &&
    first.name === 'ExpressionStatement' &&
    first.firstChild?.name === 'String' &&
    stmts[1]
  )
    first = stmts[1];
  return lineInsertion(py, first);
}
