/**
 * PyTorch / Keras / TensorFlow analysis over the syntax tree of our Python grammar (grammar/, a fork of @lezer/python) (no regular expressions over
 * source text). Follows import aliases, model classes and variables, mode switches (train/eval), no-grad
 * and validation contexts, and helper functions in the same file.
 *
 * This file is the entry point: it indexes the tree, reports a syntax error, and runs the passes (passes.ts),
 * which fill in the read-only facts (context.ts) the rules read (rules/), with the reuse of the last
 * analysis's results per top-level definition that the pass runner owns (runner.ts, reuse.ts).
 */
import { parser } from './grammar/parser';
import type { SyntaxNode, Tree } from '@lezer/common';
import type { LineMap } from '../text';
import { Py } from './context';
import { indexTree } from './tree-index';
import { runPasses } from './passes';
import { PassRunner } from './runner';
import type { PythonCache } from './cache';
import type { PythonRule } from './rules/types';

export { PythonCache, type ReuseStats } from './cache';
export { PYTHON_RULES } from './rules';

export interface PythonAnalysis {
  findings: import('../../protocol/findings').Finding[];
  comments: { line: number; text: string; own: boolean }[];
  /**
   * The findings are the one parse-error finding: the tree has an error node, or the brackets nest too deep to
   * parse at all (lezer builds trees recursively, so such a text is never handed to the parser).
   */
  syntaxError?: 'tree' | 'nesting';
}

/** CPython's own limit (MAXLEVEL): deeper, its parser refuses the file, and lezer's recovery gets strange. */
const MAX_BRACKETS = 200;

const LINE_END = /[\r\n]/g;

/** Where brackets first nest deeper than MAX_BRACKETS, outside strings and comments, or null. */
function bracketsTooDeep(text: string): number | null {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '#') {
      // A comment ends at any line break (\n, \r\n or a lone \r).
      LINE_END.lastIndex = i;
      const end = LINE_END.exec(text)?.index;
      if (end === undefined) break;
      i = end;
    } else if (c === '"' || c === "'") {
      const quote = text.startsWith(c.repeat(3), i) ? c.repeat(3) : c;
      let j = i + quote.length;
      for (; j < text.length && !text.startsWith(quote, j); j++) {
        if (text[j] === '\\') j++;
        else if (quote.length === 1 && (text[j] === '\n' || text[j] === '\r')) break;
      }
      i = j + quote.length - 1;
    } else if (c === '(' || c === '[' || c === '{') {
      if (++depth > MAX_BRACKETS) return i;
    } else if ((c === ')' || c === ']' || c === '}') && depth > 0) depth--;
  }
  return null;
}

/** Parses (with `parse`, which may be incremental) and analyses. */
export function analyzePython(
  text: string,
  lines: LineMap,
  parse: (text: string) => Tree = (t) => parser.parse(t),
  cache?: PythonCache,
  rules?: readonly PythonRule[],
): PythonAnalysis {
  const deep = bracketsTooDeep(text);
  if (deep !== null) {
    const pos = lines.position(deep);
    return {
      findings: [
        {
          rule: 'parse-error',
          severity: 'warning',
          range: lines.range(deep, deep + 1),
          message: `Python syntax error at line ${pos.line + 1}, column ${pos.character + 1}: brackets nested more than ${MAX_BRACKETS} levels deep (CPython stops there too: "too many nested parentheses"), so the file was not checked for dropout mistakes.`,
          fixes: [],
        },
      ],
      comments: [],
      syntaxError: 'nesting',
    };
  }
  const py = new Py(text, parse(text), lines);
  const runner = new PassRunner(cache);
  // Comments and the first syntax error.
  const error: SyntaxNode | null = indexTree(py);
  const comments = py.comments.map((c) => {
    const pos = lines.position(c.from);
    return { line: pos.line, text: c.text, own: lines.lineText(pos.line).slice(0, pos.character).trim() === '' };
  });
  if (error) {
    const from = error.from;
    const to = Math.max(error.to, Math.min(text.length, from + 1));
    const pos = lines.position(from);
    py.em.findings.push({
      rule: 'parse-error',
      severity: 'warning',
      range: lines.range(from, to),
      message: `Python syntax error at line ${pos.line + 1}, column ${pos.character + 1}: the file does not parse, so it was not checked for dropout mistakes. Diagnostics return once it parses.`,
      fixes: [],
    });
    return { findings: py.em.findings, comments, syntaxError: 'tree' };
  }
  runPasses(py, runner, rules);
  return { findings: py.em.findings, comments };
}
