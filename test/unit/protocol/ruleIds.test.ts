// One vocabulary of rule ids: the static rules, the runtime probe's findings (python/dropout_lens/findings.py)
// and the settings a user switches them with (package.json) all name the ids of RULE_IDS.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RULES } from '../../../src/analysis';
import { RULE_IDS } from '../../../src/protocol/findings';

const root = join(import.meta.dirname, '../../..');

/** The ids in python/dropout_lens/findings.py's RULES tuple. */
function probeRuleIds(): string[] {
  const text = readFileSync(join(root, 'python', 'dropout_lens', 'findings.py'), 'utf8');
  const tuple = /^RULES = \(([^)]*)\)/m.exec(text);
  assert.ok(tuple?.[1], 'findings.py has a RULES tuple');
  return [...tuple[1].matchAll(/"([a-z0-9-]+)"/g)].map((m) => m[1]!);
}

test('rule ids: RULES has exactly the ids of RULE_IDS, in order', () => {
  assert.deepEqual(
    RULES.map((r) => r.id),
    [...RULE_IDS],
  );
});

test('rule ids: every rule the runtime probe reports is a rule id; the run-time-only ones say so', () => {
  const probe = probeRuleIds();
  assert.ok(probe.length >= 5);
  for (const id of probe) assert.ok((RULE_IDS as readonly string[]).includes(id), `${id} is not in RULE_IDS`);
  assert.deepEqual(
    RULES.filter((r) => r.runtimeOnly).map((r) => r.id),
    ['dropout-never-active', 'identical-masks-across-ranks'],
  );
  for (const r of RULES.filter((r) => r.runtimeOnly)) assert.ok(probe.includes(r.id), `${r.id}: the probe reports it`);
});

test('rule ids: package.json has a switch and a severity for every rule but invalid-config and parse-error', () => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    contributes: {
      configuration: { properties: Record<string, { properties: Record<string, { default: unknown }> }> };
    };
  };
  const settings = pkg.contributes.configuration.properties;
  const switchable = RULES.filter((r) => r.id !== 'invalid-config' && r.id !== 'parse-error');
  assert.deepEqual(
    Object.keys(settings['dropoutLens.diagnostics.rules']!.properties),
    switchable.map((r) => r.id),
  );
  const severities = settings['dropoutLens.diagnostics.severity']!.properties;
  assert.deepEqual(
    Object.keys(severities),
    switchable.map((r) => r.id),
  );
  for (const r of switchable) assert.equal(severities[r.id]!.default, r.severity, `${r.id}'s default severity`);
});
