/**
 * Valid Python always parses: the syntax corpus (every construct of Python 3.8–3.11) and generated
 * real-looking programs are first checked by CPython's own parser (Debian's python3, `ast.parse`), then
 * must give our grammar no error node and the analysis no `parse-error`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parser } from '../../../src/analysis/python/grammar/parser';
import { analyzeDocument } from '../../../src/analysis';
import { SeededRandom } from '../../../src/engine/random';

const DIR = join(__dirname, '../../fixtures/python-syntax');
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

/** CPython's verdict on each source: null when `ast.parse` accepts it, else its error. */
function cpythonErrors(sources: string[]): (string | null)[] {
  const script =
    'import ast, json, sys\n' +
    'out = []\n' +
    'for src in json.load(sys.stdin):\n' +
    '    try:\n' +
    '        ast.parse(src)\n' +
    '        out.append(None)\n' +
    '    except SyntaxError as e:\n' +
    '        out.append(f"line {e.lineno}: {e.msg}")\n' +
    'print(json.dumps(out))\n';
  const run = spawnSync(PYTHON, ['-c', script], { input: JSON.stringify(sources), encoding: 'utf8' });
  assert.equal(run.status, 0, `${PYTHON} could not check the sources: ${run.error?.message ?? run.stderr}`);
  return JSON.parse(run.stdout) as (string | null)[];
}

/** Where our grammar first fails on `text`, as "line N: <line>", or null. */
function firstError(text: string): string | null {
  let at = -1;
  parser.parse(text).iterate({
    enter: (n) => {
      if (at < 0 && n.type.isError) at = n.from;
      return at < 0;
    },
  });
  if (at < 0) return null;
  const line = text.slice(0, at).split(/\r\n|\r|\n/).length;
  return `line ${line}: ${text.split(/\r\n|\r|\n/)[line - 1]}`;
}

const corpus = readdirSync(DIR)
  .filter((f) => f.endsWith('.py'))
  .sort()
  .map((name) => ({ name, text: readFileSync(join(DIR, name), 'utf8') }));

test('every file of the syntax corpus is valid Python, and parses without an error node or a parse-error', () => {
  assert.ok(corpus.length >= 6);
  cpythonErrors(corpus.map((f) => f.text)).forEach((err, i) => assert.equal(err, null, `${corpus[i]!.name}`));
  for (const { name, text } of corpus) {
    assert.equal(firstError(text), null, name);
    const findings = analyzeDocument(text, name);
    assert.deepEqual(
      findings.filter((f) => f.rule === 'parse-error').map((f) => f.message),
      [],
      name,
    );
  }
});

// Pieces of real-looking programs: blocks nest, statements are written in the forms the corpus covers.
const SIMPLE = [
  'x = 1. - p',
  'scale = 100. * i / n',
  'a, *rest = items',
  'total += 1.',
  'print = log.info',
  'value = yield',
  'yield',
  'yield from gen()',
  'out = f(*args, key=1., **kw)',
  'head = batch[*idx]',
  'y = x if x else 0.',
  'z = [v for v in vals if (w := v) > 0]',
  'loss = criterion(model(xb), yb)',
  'optimizer.step()',
  'del cache[key]',
  'assert ok, "message"',
  'pass',
  'model.eval()',
  'fn = lambda a, /, b=2.: a + b',
  'msg = f"{name!r:>{width}} {1.:.2f}"',
  'raise ValueError("bad") from None',
];
const OPENERS = [
  'if flag:',
  'while n > 0:',
  'for epoch in range(3):',
  'for item in *head, *tail:',
  'with torch.no_grad():',
  'with (open(a) as fa, open(b) as fb):',
  'with (\n{i}    open(a) as fa,\n{i}    open(b),\n{i}):',
  'with ctx() as self.state:',
  'try:',
  'def step(model, /, batch, *, lr=1.):',
  'async def fetch(url):',
  'class Block(nn.Module):',
  '@decorators[0].register\n{i}def handler():',
  '@contextmanager\n{i}def evaluating(model):',
  'match command:\n{i}    case Point(x=0.) | str() as p:',
];
// Blank lines, and comments at any indentation (they open no block).
const FILLERS = ['', '# a comment', '        # a deeper comment', '  '];

function program(r: () => number, depth: number, indent: string, lines: string[]): void {
  const count = 1 + Math.floor(r() * 5);
  for (let i = 0; i < count; i++) {
    const roll = r();
    if (roll < 0.15) {
      lines.push(FILLERS[Math.floor(r() * FILLERS.length)]!);
    }
    if (depth < 4 && roll > 0.55) {
      const opener = OPENERS[Math.floor(r() * OPENERS.length)]!.replaceAll('{i}', indent);
      lines.push(indent + opener);
      // A case clause sits one level inside its match statement, so its body is two levels in.
      program(r, depth + 1, indent + (opener.startsWith('match') ? '        ' : '    '), lines);
      if (opener === 'try:') {
        lines.push(indent + 'except* ValueError:');
        lines.push(indent + '    pass');
      }
    } else {
      lines.push(indent + SIMPLE[Math.floor(r() * SIMPLE.length)]!);
    }
  }
}

function generate(seed: number): string {
  const random = new SeededRandom(seed);
  const r = (): number => random.uniform();
  const lines: string[] = [];
  // The whole program is a generator function's body, so that `yield` is legal wherever it lands.
  lines.push('def main():');
  program(r, 1, '    ', lines);
  const eol = ['\n', '\r\n', '\r'][Math.floor(r() * 3)]!;
  return lines.join(eol) + eol;
}

test('generated programs that CPython accepts parse without an error node', () => {
  const sources = Array.from({ length: 300 }, (_, i) => generate(i + 1));
  const verdicts = cpythonErrors(sources);
  const valid = sources.filter((_, i) => verdicts[i] === null);
  // The generator writes valid Python nearly always; the check guards against a test that checks nothing.
  assert.ok(valid.length >= 250, `${valid.length} of ${sources.length} generated programs are valid Python`);
  for (const text of valid) assert.equal(firstError(text), null, text);
});
