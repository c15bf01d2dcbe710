/** Fuzz: random, truncated and mutated inputs in every format; the analyzer never throws and never hangs. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeDocument } from '../../../src/analysis';
import { parseModelConfig } from '../../../src/analysis/config';
import { SeededRandom } from '../../../src/engine/random';

const DIR = join(__dirname, '../../fixtures/analysis');
const seeds = readdirSync(DIR)
  .filter((f) => !f.endsWith('.expect'))
  .map((f) => ({ name: f, text: readFileSync(join(DIR, f), 'utf8') }));

function rng(seed: number): () => number {
  const random = new SeededRandom(seed);
  return () => random.uniform();
}

const TOKENS = [
  '(',
  ')',
  '[',
  ']',
  '{',
  '}',
  ':',
  ',',
  '\n',
  '    ',
  '"',
  "'",
  '#',
  'model.eval()',
  'nn.Dropout(',
  'F.dropout(x',
  'with torch.no_grad():',
  'for x in val_loader:',
  'class A(nn.Module):',
  'def forward(self, x):',
  'return',
  'training=True',
  '- dropout: ',
  'dense: ',
  '1.5',
  '-0.2',
  '0.9',
  '"class_name"',
  '"layers"',
  '\\',
  '\t',
  '\u0000',
  '\ud800',
  '𝜋',
  'keep_prob=',
  '=',
  '.',
  'self.',
  'lambda',
  '@',
  '*',
  '**',
];
const NAMES = ['a.py', 'a.dropout.yaml', 'a.dropout.json', 'model.json', 'a.dropout.yml'];

test('fuzz: thousands of random, truncated and mutated inputs never throw', () => {
  const rand = rng(1234);
  const started = Date.now();
  let runs = 0;
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)]!;
  let slowest = 0;
  for (let i = 0; i < 2000; i++) {
    const seed = pick(seeds);
    let text = seed.text;
    const kind = i % 4;
    if (kind === 0) text = text.slice(0, Math.floor(rand() * text.length));
    else if (kind === 1) {
      const chars = text.split('');
      for (let k = 0; k < 1 + rand() * 8; k++) {
        const at = Math.floor(rand() * (chars.length + 1));
        const op = rand();
        if (op < 0.33) chars.splice(at, 1);
        else if (op < 0.66) chars.splice(at, 0, pick(TOKENS));
        else chars.splice(at, 0, ...chars.slice(Math.floor(rand() * chars.length), Math.floor(rand() * chars.length)));
      }
      text = chars.join('');
    } else if (kind === 2) {
      text = Array.from({ length: Math.floor(rand() * 80) }, () => pick(TOKENS)).join(rand() < 0.5 ? '' : ' ');
    } else {
      const lines = text.split('\n');
      lines.splice(Math.floor(rand() * lines.length), Math.floor(rand() * 4));
      text = lines.join('\n');
    }
    const name = rand() < 0.7 ? seed.name : pick(NAMES);
    const t0 = performance.now();
    const findings = analyzeDocument(text, name);
    slowest = Math.max(slowest, performance.now() - t0);
    assert.ok(Array.isArray(findings));
    const internal = findings.find((f) => f.message.includes('could not analyse'));
    assert.equal(
      internal,
      undefined,
      `internal error on ${name}: ${internal?.message}\n${JSON.stringify(text.slice(0, 300))}`,
    );
    for (const f of findings)
      assert.ok(f.range.start.line >= 0 && f.range.end.line >= f.range.start.line, `${name}: bad range`);
    if (/\.dropout\./.test(name)) parseModelConfig(text, name);
    runs++;
  }
  // Pathological nesting.
  for (const text of [
    '('.repeat(5000),
    '['.repeat(3000) + ']'.repeat(10),
    'if x:\n' + Array.from({ length: 200 }, (_, d) => ' '.repeat(d + 1) + 'for a in b:\n').join(''),
    '{"class_name": "Sequential", "config": {"layers": [' + '{"layers": ['.repeat(500),
  ]) {
    for (const name of NAMES) analyzeDocument(text, name);
    runs++;
  }
  const ms = Date.now() - started;
  console.log(`fuzz: ${runs} inputs in ${ms} ms, slowest ${slowest.toFixed(1)} ms`);
  // A hang detector, not a speed target (the analysis benchmark owns speed): no input may take seconds.
  assert.ok(slowest < 5000, `an input took ${slowest} ms`);
});

test('absurdly deep configs and Keras JSON: one clear finding, the same on every call, never a stack overflow', () => {
  const cases: [string, string, RegExp][] = [
    ['deep.dropout.yaml', 'layers: ' + '['.repeat(20_000) + '\n', /nested more than 64 levels deep/],
    ['deep.dropout.json', '{"layers": ' + '['.repeat(20_000) + '}', /nested more than 64 levels deep/],
    [
      'blocks.dropout.yaml',
      Array.from({ length: 400 }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n'),
      /nested more than 64/,
    ],
    ['model.json', '{"class_name": "Sequential", "layers": ' + '['.repeat(20_000) + '}', /nested more than 400 levels/],
  ];
  for (const [name, text, message] of cases) {
    const first = analyzeDocument(text, name);
    assert.equal(first.length, 1, name);
    assert.match(first[0]!.message, message, name);
    assert.doesNotMatch(first[0]!.message, /call stack/i, name);
    for (let i = 0; i < 3; i++) assert.deepEqual(analyzeDocument(text, name), first, `${name}, call ${i + 2}`);
  }
});
