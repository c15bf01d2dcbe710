/**
 * The Python rules' registry (src/analysis/python/rules): one file per rule, each registered once, each
 * emitting its own rule only and independent of the others, and a rule added by a file and a registry line
 * runs on the facts like the others.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { RuleId } from '../../../src/protocol/findings';
import { RULES } from '../../../src/analysis/rules';
import { LineMap } from '../../../src/analysis/text';
import { analyzePython, PYTHON_RULES } from '../../../src/analysis/python';
import type { CallRule, PythonRule } from '../../../src/analysis/python/rules/types';

const RULES_DIR = join(__dirname, '../../../src/analysis/python/rules');
const FIXTURES = join(__dirname, '../../fixtures/analysis');
/** Files of the rules folder that are not a rule: the registry, the rule types, a finding two rules share. */
const NOT_RULES = new Set(['index.ts', 'types.ts', 'functionalFlagFinding.ts']);

function analyze(text: string, rules?: readonly PythonRule[]) {
  return analyzePython(text, new LineMap(text), undefined, undefined, rules).findings;
}

const key = (f: { rule: string; range: { start: { line: number; character: number } } }) =>
  `${f.rule}@${f.range.start.line}:${f.range.start.character}`;

test('every registered Python rule is a known static rule, registered once', () => {
  const ids = PYTHON_RULES.map((r) => r.id);
  assert.equal(new Set(ids).size, ids.length, `duplicate ids: ${ids.join(', ')}`);
  for (const id of ids) {
    const info = RULES.find((r) => r.id === id);
    assert.ok(info, `${id} is not in src/analysis/rules.ts`);
    assert.ok(!info.runtimeOnly, `${id} is a runtime-only rule`);
  }
});

test('each rule file exports exactly one rule, and the registry holds it', async () => {
  const files = readdirSync(RULES_DIR).filter((f) => f.endsWith('.ts') && !NOT_RULES.has(f));
  assert.equal(files.length, PYTHON_RULES.length, `rule files ${files.join(', ')}`);
  for (const file of files) {
    const mod = (await import(join(RULES_DIR, file))) as Record<string, unknown>;
    const rules = Object.values(mod).filter(
      (v): v is PythonRule => typeof v === 'object' && v !== null && 'id' in v && 'on' in v,
    );
    assert.equal(rules.length, 1, `${file} exports ${rules.length} rules`);
    assert.ok(PYTHON_RULES.includes(rules[0]!), `${file}: ${rules[0]!.id} is not registered`);
  }
});

test('each rule emits only its own findings, and alone finds what it finds among all the others', () => {
  const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.py'));
  assert.ok(files.length >= 100, `only ${files.length} Python fixtures`);
  const reported = new Set<string>();
  for (const file of files) {
    const text = readFileSync(join(FIXTURES, file), 'utf8');
    const all = analyze(text).filter((f) => f.rule !== 'parse-error');
    const alone: string[] = [];
    for (const rule of PYTHON_RULES) {
      const own = analyze(text, [rule]).filter((f) => f.rule !== 'parse-error');
      for (const f of own) assert.equal(f.rule, rule.id, `${file}: ${rule.id} emitted ${f.rule}`);
      alone.push(...own.map(key));
    }
    assert.deepEqual(alone.sort(), all.map(key).sort(), file);
    for (const f of all) reported.add(f.rule);
  }
  // The corpus exercises every registered rule.
  for (const rule of PYTHON_RULES) assert.ok(reported.has(rule.id), `no fixture reports ${rule.id}`);
});

test('a rule added to the rules runs on the facts like the registered ones', () => {
  const namedRates: CallRule = {
    id: 'test-named-rate' as RuleId,
    on: 'call',
    check(py, call, made, em) {
      if (false as boolean) {
        // @ts-expect-error rules read facts, they never write them
        py.modelNames.add('x');
      }
      const via = made?.rate?.source?.via;
      // Call rules run in the creations pass: the classes are known, the models not yet (see passes.ts).
      if (via && py.classes.has('Net') && py.modelNames.size === 0)
        em.emit(this.id, [call.from, call.to], `${made.layer.label}: ${via}`);
    },
  };
  const text = [
    'import torch.nn as nn',
    'RATE = 0.3',
    'class Net(nn.Module):',
    '    def __init__(self):',
    '        super().__init__()',
    '        self.drop = nn.Dropout(RATE)',
    '        self.fc = nn.Linear(4, 2)',
    'net = Net()',
    '',
  ].join('\n');
  const findings = analyze(text, [...PYTHON_RULES, namedRates]).filter((f) => f.rule === namedRates.id);
  assert.equal(findings.length, 1);
  assert.equal(findings[0]!.range.start.line, 5);
  assert.match(findings[0]!.message, /RATE/);
  assert.equal(analyze(text).filter((f) => f.rule === namedRates.id).length, 0);
});
