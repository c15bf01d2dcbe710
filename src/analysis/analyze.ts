/**
 * One analysis of one document: findings for Python, Keras model JSON and model configs. Never throws (a file
 * that cannot be analysed gets one finding).
 */
import type { Tree } from '@lezer/common';
import type { AnalyzeOptions } from '../protocol/analysis';
import type { Finding } from '../protocol/findings';
import { isConfigFile, isPythonFile, looksLikeKerasJson } from './files';
import { analyzeConfig } from './configRules';
import { analyzeKerasJson } from './keras';
import { Emitter } from './ops';
import { analyzePython, type PythonCache } from './python';
import { applySuppressions, hashComments, withSuppressionFixes } from './suppressions';
import { LineMap } from './text';

const MAX_BYTES = 5_000_000;

/** Where a Python file's syntax tree comes from: a fresh parse unless a session parses incrementally. */
export type PythonParse = (text: string) => Tree;
/** A fresh parse of the text, or null when the tree `parse` gave is one already. */
export type FreshParse = (text: string) => Tree | null;

function analyzeRaw(
  text: string,
  fileName: string,
  parse?: PythonParse,
  cache?: PythonCache,
  fresh?: FreshParse,
): Finding[] {
  const lines = new LineMap(text);
  if (isConfigFile(fileName)) {
    const findings = applySuppressions(analyzeConfig(text, fileName), hashComments(lines));
    // JSON has no comments to suppress with.
    return /\.json$/i.test(fileName) ? findings : withSuppressionFixes(findings, lines, 'yaml');
  }
  if (isPythonFile(fileName)) {
    let result = analyzePython(text, lines, parse, cache);
    // Lezer's error recovery may place errors differently when it reuses fragments: a tree with a syntax
    // error is parsed again from scratch, so the parse-error finding is where a cold analysis puts it.
    const again = result.syntaxError === 'tree' && fresh ? fresh(text) : null;
    if (again) result = analyzePython(text, lines, () => again, cache);
    return withSuppressionFixes(applySuppressions(result.findings, result.comments), lines, 'python');
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
/** Past this size a file is not analysed (generated code or data), and says so rather than look clean. */
function tooLarge(text: string): Finding {
  const mb = (text.length / 1_000_000).toFixed(1);
  return {
    rule: 'parse-error',
    severity: 'warning',
    range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
    message: `This file is ${mb} MB: Dropout Lens analyses files up to ${MAX_BYTES / 1_000_000} MB, so no dropout checks ran.`,
    fixes: [],
  };
}

export function analyzeWith(
  text: string,
  fileName: string,
  options: AnalyzeOptions = {},
  parse?: PythonParse,
  cache?: PythonCache,
  fresh?: FreshParse,
): Finding[] {
  let findings: Finding[];
  try {
    findings = text.length > MAX_BYTES ? [tooLarge(text)] : analyzeRaw(text, fileName, parse, cache, fresh);
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
