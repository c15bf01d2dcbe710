/**
 * The analysis core: findings for Python (PyTorch, Keras, TensorFlow), Keras model JSON and model configs.
 * Pure functions over text; never throws (a file that does not parse gets one finding).
 */
import type { Tree } from '@lezer/common';
import type { AnalyzeOptions } from '../protocol/analysis';
import type { Finding } from '../protocol/findings';
import { isConfigFile, isPythonFile, looksLikeKerasJson } from './files';
import { analyzeConfig } from './configRules';
import { analyzeKerasJson } from './keras';
import { Emitter } from './ops';
import { analyzePython, type PythonCache } from './python';
import { LineMap } from './text';

export { isAnalyzable, isPythonFile } from './files';
export { RULES, RULE_INFO, type RuleInfo } from './rules';
export { parseModelConfig } from './config';
export { DocumentAnalyzer, type ParseStats } from './session';
export type { AnalyzeOptions, DocumentEdit } from '../protocol/analysis';

const MAX_BYTES = 5_000_000;

interface Comment {
  line: number;
  text: string;
  /** The comment is alone on its line. */
  own: boolean;
}

function parseSuppression(comment: string): { file: boolean; rules: Set<string> | 'all' } | null {
  const m = /dropout-lens:\s*ignore(-file)?\s*(?:\[([^\]]*)\])?/.exec(comment);
  if (!m) return null;
  const rules = m[2] === undefined ? 'all' : new Set(m[2].split(',').map((s) => s.trim()).filter(Boolean));
  return { file: !!m[1], rules };
}

function matches(rules: Set<string> | 'all', rule: string): boolean {
  return rules === 'all' || rules.has(rule);
}

/** Line comments of YAML/JSON-ish text (for suppressions in configs). */
function hashComments(lines: LineMap): Comment[] {
  const out: Comment[] = [];
  for (let i = 0; i < lines.lineCount; i++) {
    const t = lines.lineText(i);
    const k = t.indexOf('# dropout-lens:');
    const k2 = k >= 0 ? k : t.indexOf('#dropout-lens:');
    if (k2 >= 0) out.push({ line: i, text: t.slice(k2), own: t.slice(0, k2).trim() === '' });
  }
  return out;
}

function applySuppressions(findings: Finding[], comments: Comment[]): Finding[] {
  const fileLevel: (Set<string> | 'all')[] = [];
  const byLine = new Map<number, { rules: Set<string> | 'all'; own: boolean }[]>();
  for (const c of comments) {
    const s = parseSuppression(c.text);
    if (!s) continue;
    if (s.file) fileLevel.push(s.rules);
    else {
      const list = byLine.get(c.line) ?? [];
      list.push({ rules: s.rules, own: c.own });
      byLine.set(c.line, list);
    }
  }
  if (fileLevel.length === 0 && byLine.size === 0) return findings;
  return findings.filter((f) => {
    if (f.rule === 'parse-error') return true;
    if (fileLevel.some((r) => matches(r, f.rule))) return false;
    const line = f.range.start.line;
    if ((byLine.get(line) ?? []).some((s) => matches(s.rules, f.rule))) return false;
    if ((byLine.get(line - 1) ?? []).some((s) => s.own && matches(s.rules, f.rule))) return false;
    return true;
  });
}

/** Where a Python file's syntax tree comes from: a fresh parse unless a session parses incrementally. */
export type PythonParse = (text: string) => Tree;
/** A fresh parse of the text, or null when the tree `parse` gave is one already. */
export type FreshParse = (text: string) => Tree | null;

function analyzeRaw(text: string, fileName: string, parse?: PythonParse, cache?: PythonCache, fresh?: FreshParse): Finding[] {
  const lines = new LineMap(text);
  if (isConfigFile(fileName)) return applySuppressions(analyzeConfig(text, fileName), hashComments(lines));
  if (isPythonFile(fileName)) {
    let result = analyzePython(text, lines, parse ? parse(text) : undefined, cache);
    // Lezer's error recovery may place errors differently when it reuses fragments: a tree with a syntax
    // error is parsed again from scratch, so the parse-error finding is where a cold analysis puts it.
    const again = result.syntaxError && fresh ? fresh(text) : null;
    if (again) result = analyzePython(text, lines, again, cache);
    return applySuppressions(result.findings, result.comments);
  }
  if (/\.json$/i.test(fileName)) {
    if (!looksLikeKerasJson(text)) return [];
    const em = new Emitter(lines);
    analyzeKerasJson(text, em);
    return em.findings;
  }
  return [];
}

export function analyzeDocument(text: string, fileName: string, options: AnalyzeOptions = {}): Finding[] {
  return analyzeWith(text, fileName, options);
}

/**
 * analyzeDocument, with the Python syntax tree from `parse` (and from `fresh` when that tree has a syntax
 * error) and, with `cache`, reusing what the previous analysis of the same document computed for unchanged
 * definitions (see DocumentAnalyzer in ./session).
 */
export function analyzeWith(text: string, fileName: string, options: AnalyzeOptions = {}, parse?: PythonParse, cache?: PythonCache, fresh?: FreshParse): Finding[] {
  let findings: Finding[];
  try {
    if (text.length > MAX_BYTES) return [];
    findings = analyzeRaw(text, fileName, parse, cache, fresh);
  } catch (error) {
    findings = [
      {
        rule: 'parse-error',
        severity: 'warning',
        range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
        message: `Dropout Lens could not analyse this file (${error instanceof Error ? error.message : String(error)}); no dropout checks ran.`,
        fixes: [],
      },
    ];
  }
  const { rules = {}, severities = {} } = options;
  return findings
    .filter((f) => rules[f.rule] !== false)
    .map((f) => (severities[f.rule] ? { ...f, severity: severities[f.rule]! } : f))
    .sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character);
}
