/**
 * The analysis worker as the extension host uses it: findings equal an in-process analysis, an open
 * document's edits keep its incremental analyzer right, and a crashed process fails its requests with a
 * clear error, after which the next request is answered by a new process.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeDocument } from '../../../src/analysis';
import { AnalysisWorker, locateAnalysisWorker } from '../../../src/session/analysisWorker';

const ROOT = join(__dirname, '..', '..', '..');
const MISSING_EVAL = readFileSync(join(ROOT, 'examples', 'pytorch', 'train_missing_eval.py'), 'utf8');
const rules = (findings: { rule: string }[]): string[] => findings.map((f) => f.rule);

test('a one-off analysis in the worker equals the in-process one, for Python and a model config', async () => {
  const worker = new AnalysisWorker(locateAnalysisWorker(ROOT));
  try {
    assert.deepEqual(
      await worker.analyze({ fileName: 'train.py', text: MISSING_EVAL }),
      analyzeDocument(MISSING_EVAL, 'train.py'),
    );
    assert.ok(rules(await worker.analyze({ fileName: 'train.py', text: MISSING_EVAL })).includes('missing-eval'));
    const config = 'data:\n  generator: moons\nmodel:\n  layers:\n    - dense: 8\n    - dense: 2\n    - dropout: 0.5\n';
    assert.deepEqual(
      await worker.analyze({ fileName: 'm.dropout.yaml', text: config }),
      analyzeDocument(config, 'm.dropout.yaml'),
    );
    const options = { rules: { 'missing-eval': false } };
    assert.ok(
      !rules(await worker.analyze({ fileName: 'train.py', text: MISSING_EVAL, options })).includes('missing-eval'),
      'settings reach the worker',
    );
  } finally {
    await worker.dispose();
  }
});

test('an open document: edits sent with each request keep the kept tree in step with the text', async () => {
  const worker = new AnalysisWorker(locateAnalysisWorker(ROOT));
  try {
    const document = 'file:///train.py';
    let text = MISSING_EVAL;
    await worker.analyze({ document, fileName: 'train.py', text });
    // A same-length edit: only the edits (not the length) tell the worker the text changed.
    const at = text.indexOf('Dropout(0.5)') + 'Dropout('.length;
    const edits = [{ rangeOffset: at, rangeLength: 3, text: '1.5' }];
    text = text.slice(0, at) + '1.5' + text.slice(at + 3);
    const edited = await worker.analyze({ document, fileName: 'train.py', edits, text });
    assert.deepEqual(edited, analyzeDocument(text, 'train.py'));
    assert.ok(rules(edited).includes('dropout-rate-out-of-range'));
    const undo = { rangeOffset: at, rangeLength: 3, text: '0.5' };
    text = text.slice(0, at) + '0.5' + text.slice(at + 3);
    const after = await worker.analyze({ document, fileName: 'train.py', edits: [undo], text });
    assert.deepEqual(after, analyzeDocument(text, 'train.py'));
    assert.ok(!rules(after).includes('dropout-rate-out-of-range'));
  } finally {
    await worker.dispose();
  }
});

test('a crashed worker fails what it held with a clear error; the next request gets a new process', async () => {
  const worker = new AnalysisWorker(locateAnalysisWorker(ROOT));
  try {
    await worker.analyze({ document: 'a', fileName: 'a.py', text: MISSING_EVAL });
    const held = worker.analyze({ document: 'a', fileName: 'a.py', text: MISSING_EVAL });
    await worker.kill();
    await assert.rejects(held, /The analysis worker stopped .*the next analysis starts a new one/);
    assert.equal(worker.crashes, 1);
    assert.deepEqual(
      await worker.analyze({ document: 'a', fileName: 'a.py', text: MISSING_EVAL }),
      analyzeDocument(MISSING_EVAL, 'a.py'),
    );
  } finally {
    await worker.dispose();
  }
  await assert.rejects(worker.analyze({ fileName: 'a.py', text: '' }), /shut down/);
});

test('the analysis runs in a process of its own: a crash there leaves this process alive and is reported once', async () => {
  const crashes: string[] = [];
  const worker = new AnalysisWorker(locateAnalysisWorker(ROOT), (message) => crashes.push(message));
  try {
    await worker.analyze({ fileName: 'a.py', text: MISSING_EVAL });
    const pid = worker.pid;
    assert.ok(pid !== undefined && pid !== process.pid, 'a child process, not a thread of this one');
    // What an out-of-memory abort or a stack overflow would do to it: the process ends, hard.
    process.kill(pid, 'SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(crashes.length, 1);
    assert.match(crashes[0]!, /The analysis worker stopped \(signal SIGKILL\)/);
    assert.deepEqual(
      await worker.analyze({ fileName: 'a.py', text: MISSING_EVAL }),
      analyzeDocument(MISSING_EVAL, 'a.py'),
    );
    assert.notEqual(worker.pid, pid);
  } finally {
    await worker.dispose();
  }
});
