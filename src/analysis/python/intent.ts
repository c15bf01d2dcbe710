/**
 * Monte Carlo intent: whether a stochastic pass at inference is meant (names and comments say MC,
 * uncertainty, Bayes, ...), which silences the inference-time findings.
 */
import type { SyntaxNode } from '@lezer/common';
import { MC_WORDS } from './vocabulary';
import type { PyFacts } from './context';
import { defName } from './syntax';
import { findAll } from './tree-index';

export function hasMcIntent(py: PyFacts, node: SyntaxNode): boolean {
  // The innermost enclosing definition: its name, comments and identifiers; the classes around it: their names.
  let inner: SyntaxNode | null = null;
  for (let p: SyntaxNode | null = node; p; p = p.parent) {
    if (p.name !== 'FunctionDefinition' && p.name !== 'ClassDefinition') continue;
    if (MC_WORDS.test(defName(py, p)) && (inner === null || p.name === 'ClassDefinition')) return true;
    if (inner !== null) continue;
    inner = p;
    if (defSaysMc(py, p)) return true;
  }
  if (inner?.name === 'FunctionDefinition') return false;
  const line = py.lines.position(node.from).line;
  const from = py.lines.lineStart(Math.max(0, line - 2));
  const to = py.lines.lineEnd(line);
  return commentsIn(py, from, to).some((c) => MC_WORDS.test(c));
}

/** Do a definition's comments or identifiers say MC (once per definition: its text decides)? */
function defSaysMc(py: PyFacts, def: SyntaxNode): boolean {
  const hit = py.mcMemo.get(def);
  if (hit !== undefined) return hit;
  let v = commentsIn(py, def.from, def.to).some((c) => MC_WORDS.test(c));
  if (!v)
    for (const n of findAll(def, NAMES))
      if (MC_WORDS.test(py.text(n))) {
        v = true;
        break;
      }
  py.mcMemo.set(def, v);
  return v;
}

const NAMES = new Set(['VariableName', 'PropertyName']);

function commentsIn(py: PyFacts, from: number, to: number): string[] {
  return py.comments.filter((c) => c.from >= from && c.to <= to).map((c) => c.text);
}
