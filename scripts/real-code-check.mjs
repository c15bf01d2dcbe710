// Re-runs the real-code measurement of docs/real-code.md against the hand-judged findings listed there.
//
//   node scripts/real-code-check.mjs [REAL_DIR]     (default /work/real: one exported repository per folder,
//                                                    named owner__name, as the table names them)
//
// For every repository of the table it lints the folder (lint --format json) and compares the findings with
// the judged ones (same file, cell, line and rule): true and false positives still reported or gone,
// debatable ones, and findings nobody has judged yet, which need reading before the precision can be quoted.
// The repositories' code is never part of the project; only their paths and our verdicts are.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const realDir = process.argv[2] ?? '/work/real';
const doc = readFileSync(join(root, 'docs/real-code.md'), 'utf8');

/** judged: key `repo|location|rule` -> verdict (TP, FP, DEB) */
const judged = new Map();
/** Judged findings that a parse bug hides today: newly visible when reported, never "gone" when absent. */
const hidden = new Set();
const repos = new Set();
let inHidden = false;
for (const line of doc.split('\n')) {
  if (line.startsWith('## ')) inHidden = /hidden/i.test(line);
  const m = /^\| \d+ \| ([^|]+) \| `([^`]+)` \| ([\w-]+) \| (TP|FP|DEB) \|/.exec(line);
  if (!m) continue;
  const [, repo, location, rule, verdict] = m;
  judged.set(`${repo.trim()}|${location}|${rule}`, verdict);
  if (inHidden) hidden.add(`${repo.trim()}|${location}|${rule}`);
  repos.add(repo.trim());
}
if (judged.size === 0) throw new Error('no judged findings found in docs/real-code.md');

const totals = { TP: 0, FP: 0, DEB: 0, new: 0, gone: { TP: 0, FP: 0, DEB: 0 }, parse: 0, unhidden: 0 };
const unjudged = [];
for (const repo of [...repos].sort()) {
  const folder = join(realDir, repo);
  if (!existsSync(folder)) {
    console.log(`${repo}: not found under ${realDir}, skipped`);
    continue;
  }
  let out;
  try {
    out = execFileSync(process.execPath, [join(root, 'bin/dropout-lens.js'), 'lint', '--format', 'json', folder], {
      encoding: 'utf8',
      maxBuffer: 1 << 28,
    });
  } catch (e) {
    // Exit code 1 means an error-severity finding: the JSON is still on stdout.
    out = /** @type {{ stdout: string }} */ (e).stdout;
  }
  const findings = JSON.parse(out);
  const seen = new Set();
  const counts = { TP: 0, FP: 0, DEB: 0, new: 0, parse: 0 };
  for (const f of findings) {
    if (f.rule === 'parse-error') {
      counts.parse++;
      continue;
    }
    const path = String(f.file).split(`${folder}/`).pop();
    const location = `${path}${f.cell ? ` cell ${f.cell}` : ''}:${f.line}`;
    const key = `${repo}|${location}|${f.rule}`;
    const verdict = judged.get(key);
    seen.add(key);
    if (hidden.has(key)) totals.unhidden++;
    if (verdict) counts[verdict]++;
    else {
      counts.new++;
      unjudged.push(`${repo} ${location} ${f.rule}: ${f.message}`);
    }
  }
  for (const [key, verdict] of judged)
    if (key.startsWith(`${repo}|`) && !seen.has(key) && !hidden.has(key)) totals.gone[verdict]++;
  for (const k of ['TP', 'FP', 'DEB', 'new']) totals[k] += counts[k];
  totals.parse += counts.parse;
  console.log(
    `${repo}: ${counts.TP} TP, ${counts.FP} FP, ${counts.DEB} debatable still reported; ${counts.new} not judged yet; ${counts.parse} parse-error`,
  );
}
const precision = totals.TP + totals.FP > 0 ? totals.TP / (totals.TP + totals.FP) : 1;
console.log(
  `\njudged findings still reported: ${totals.TP} TP, ${totals.FP} FP, ${totals.DEB} debatable (precision over them ${precision.toFixed(2)})`,
);
console.log(
  `judged findings gone: ${totals.gone.TP} TP (recall lost), ${totals.gone.FP} FP, ${totals.gone.DEB} debatable`,
);
console.log(`judged findings hidden by the notebook parse bug and now visible: ${totals.unhidden} of ${hidden.size}`);
console.log(`parse-error findings: ${totals.parse}`);
if (unjudged.length > 0) {
  console.log(`\n${unjudged.length} findings not judged yet (read them before quoting a precision):`);
  for (const u of unjudged) console.log(`  ${u}`);
}
