// Every diagnostic's `code` links to its rule's README section (#<rule-id>): each rule must have one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RULES } from '../../../src/analysis';

test('README: a section for every rule id, in the order of the rule table', () => {
  const readme = readFileSync(join(import.meta.dirname, '../../../README.md'), 'utf8');
  const headings = [...readme.matchAll(/^### `([a-z0-9-]+)`$/gm)].map((m) => m[1]);
  assert.deepEqual(
    headings,
    RULES.map((r) => r.id),
  );
});
