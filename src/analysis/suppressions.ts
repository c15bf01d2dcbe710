/**
 * Inline suppressions: `# dropout-lens: ignore[rule-id]` at the end of a line or alone on the line above,
 * `# dropout-lens: ignore-file[rule-id]` anywhere; without brackets, every rule. Also the quick fix that
 * writes one.
 */
import type { Finding, Fix } from '../protocol/findings';
import type { LineMap } from './text';

export interface Comment {
  line: number;
  text: string;
  /** The comment is alone on its line. */
  own: boolean;
}

function parseSuppression(comment: string): { file: boolean; rules: Set<string> | 'all' } | null {
  const m = /dropout-lens:\s*ignore(-file)?\s*(?:\[([^\]]*)\])?/.exec(comment);
  if (!m) return null;
  const rules =
    m[2] === undefined
      ? 'all'
      : new Set(
          m[2]
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean),
        );
  return { file: !!m[1], rules };
}

function matches(rules: Set<string> | 'all', rule: string): boolean {
  return rules === 'all' || rules.has(rule);
}

/** Line comments of YAML/JSON-ish text (for suppressions in configs). */
export function hashComments(lines: LineMap): Comment[] {
  const out: Comment[] = [];
  for (let i = 0; i < lines.lineCount; i++) {
    const t = lines.lineText(i);
    const k = t.indexOf('# dropout-lens:');
    const k2 = k >= 0 ? k : t.indexOf('#dropout-lens:');
    if (k2 >= 0) out.push({ line: i, text: t.slice(k2), own: t.slice(0, k2).trim() === '' });
  }
  return out;
}

export function applySuppressions(findings: Finding[], comments: Comment[]): Finding[] {
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

/** Rules a suppression cannot hide: a file that does not parse, or a config that cannot train. */
const UNSUPPRESSIBLE = new Set(['parse-error', 'invalid-config']);

/** Each finding also offers "Ignore RULE on this line": a comment alone on the line above it. */
export function withSuppressionFixes(findings: Finding[], lines: LineMap, language: 'python' | 'yaml'): Finding[] {
  return findings.map((f) => {
    if (UNSUPPRESSIBLE.has(f.rule)) return f;
    const fix = suppressionFix(lines, f.range.start.line, f.rule, language);
    return fix ? { ...f, fixes: [...f.fixes, fix] } : f;
  });
}

function suppressionFix(lines: LineMap, line: number, rule: string, language: 'python' | 'yaml'): Fix | null {
  const title = `Ignore ${rule} on this line`;
  const above = line > 0 ? lines.lineText(line - 1) : '';
  // A suppression comment already alone above the line: the rule joins its list.
  const existing = /^(?<head>\s*#\s*dropout-lens:\s*ignore\[)(?<list>[^\]]*)\]\s*$/.exec(above)?.groups;
  if (existing?.head !== undefined && existing.list !== undefined) {
    const at = lines.lineStart(line - 1) + existing.head.length + existing.list.length;
    const position = lines.position(at);
    const newText = existing.list.trim() === '' ? rule : `, ${rule}`;
    return { title, edits: [{ range: { start: position, end: position }, newText }] };
  }
  // A Python line continued with a backslash cannot take a comment line in between.
  if (language === 'python' && /\\\s*$/.test(above)) return null;
  const indent = /^[ \t]*/.exec(lines.lineText(line))![0];
  const eol = lines.eol;
  const start = { line, character: 0 };
  return {
    title,
    edits: [{ range: { start, end: start }, newText: `${indent}# dropout-lens: ignore[${rule}]${eol}` }],
  };
}
