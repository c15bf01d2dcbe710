import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RUN_FORMAT, ProbeTail, packMask, probeFindings, probeSnapshot, type ProbeRunRecord } from '../../../src/runs';

const run = (status: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    format: RUN_FORMAT,
    id: 'r1',
    kind: 'probe',
    config: { name: 'train.py' },
    createdAt: '2026-12-07T01:00:00.000Z',
    updatedAt: `2026-12-07T01:00:0${status === 'running' ? 1 : 2}.000Z`,
    status,
    epochs: [],
    probe: { argv: ['train.py'], python: 'python3' },
    ...extra,
  });
const line = (r: Record<string, unknown>) => JSON.stringify(r) + '\n';
const header = (rank: number) => line({ t: 'header', format: 'dropout-lens/probe@1', rank, world: 2 });
const model = line({
  t: 'model',
  root: 'Net',
  modules: [
    { name: 'bn', kind: 'BatchNorm' },
    { name: 'drop', kind: 'Dropout', p: 0.5, file: '/w/train.py', line: 9 },
  ],
});
const fwd = (step: number, mask: string, training = 1) =>
  line({
    t: 'fwd',
    step,
    time: 100 + step,
    modes: { bn: training, drop: training },
    calls: [{ name: 'drop', kind: 'Dropout', p: 0.5, training: training === 1, drop: 0.5, mask }],
  });

test('packMask: LSB first, 1 kept; a unit whose input was already zero (.) is drawn as kept', () => {
  assert.deepEqual([...packMask('10.0000011')], [0b101, 0b11]);
});

test('a probe run followed while it runs: rows per module and rank, masks per sampled step, modes, findings', () => {
  const folder = mkdtempSync(join(tmpdir(), 'dl-probe-tail-'));
  try {
    writeFileSync(join(folder, 'run.json'), run('running'));
    writeFileSync(join(folder, 'rank-0.ndjson'), header(0) + model + fwd(0, '1010') + fwd(2, '0101'));
    writeFileSync(join(folder, 'rank-1.ndjson'), header(1) + model + fwd(0, '1100').slice(0, 30)); // being written
    const tail = new ProbeTail(folder);
    assert.equal(tail.poll(), true);
    const record = tail.record!;
    let snap = probeSnapshot(record, tail.ranks());
    assert.deepEqual(
      snap.layers.map((l) => [l.name, l.rate, l.mode]),
      [
        ['drop (rank 0)', 0.5, 'train'],
        ['drop (rank 1)', 0.5, 'train'],
      ],
    );
    assert.equal(snap.status, 'running');
    assert.equal(snap.step, 2);
    assert.deepEqual(
      snap.recent!.map((e) => (e.type === 'masks' ? e.layers.map((m) => [m.layer, [...m.bits]]) : [])),
      [[[0, [0b0101]]], [[0, [0b1010]]]],
    );
    // The cut record completes, a finding arrives, the model goes to eval.
    appendFileSync(join(folder, 'rank-1.ndjson'), fwd(0, '1100').slice(30) + fwd(2, '0011', 0));
    appendFileSync(
      join(folder, 'rank-1.ndjson'),
      line({ t: 'finding', rule: 'missing-eval', file: '/w/train.py', line: 20, message: 'observed at run time: …' }),
    );
    assert.equal(tail.poll(), true);
    snap = probeSnapshot(tail.record!, tail.ranks());
    assert.equal(snap.layers[1]!.mode, 'eval');
    assert.equal(snap.recent!.at(-1)!.type, 'masks');
    assert.deepEqual(
      probeFindings(tail.record!, tail.ranks()).map((f) => [f.rule, f.line, f.rank]),
      [['missing-eval', 20, 1]],
    );
    assert.equal(tail.poll(), false, 'nothing new');
    // Rotation: the old part becomes .1 and a new file starts with the header again.
    appendFileSync(join(folder, 'rank-0.ndjson'), fwd(4, '1111'));
    renameSync(join(folder, 'rank-0.ndjson'), join(folder, 'rank-0.ndjson.1'));
    writeFileSync(join(folder, 'rank-0.ndjson'), header(0));
    assert.equal(tail.poll(), true);
    snap = probeSnapshot(tail.record!, tail.ranks());
    assert.equal(snap.step, 4);
    // The run ends: its summary's findings are the run's.
    const summary = { kind: 'probe', ranks: 2, steps: 4, modules: [], findings: [] };
    writeFileSync(join(folder, 'run.json'), run('completed', { summary }));
    assert.equal(tail.poll(), true);
    assert.equal((tail.record as ProbeRunRecord).status, 'completed');
    assert.deepEqual(probeFindings(tail.record!, tail.ranks()), []);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});

test('the end of a run between sampled steps: the summaries give the step count and each layer last mode', () => {
  const folder = mkdtempSync(join(tmpdir(), 'dl-probe-tail-'));
  try {
    // Sampled steps 0 and 4 only, in train mode; the run went on to step 7 and ended with a validation in eval.
    writeFileSync(join(folder, 'run.json'), run('running'));
    const drop = (mode: string) => ({ name: 'drop', kind: 'Dropout', p: 0.5, trainCalls: 8, evalCalls: 1, mode });
    const records = header(0) + model + fwd(0, '1010') + fwd(4, '0101');
    writeFileSync(join(folder, 'rank-0.ndjson'), records + line({ t: 'summary', steps: 6, modules: [drop('train')] }));
    const tail = new ProbeTail(folder);
    tail.poll();
    let snap = probeSnapshot(tail.record!, tail.ranks());
    assert.equal(snap.step, 6, "a running run: the rank's latest summary record");
    assert.equal(snap.layers[0]!.mode, 'train');
    const summary = { kind: 'probe', ranks: 1, steps: 7, modules: [{ ...drop('eval'), rank: 0 }], findings: [] };
    writeFileSync(join(folder, 'run.json'), run('completed', { summary }));
    tail.poll();
    snap = probeSnapshot(tail.record!, tail.ranks());
    assert.deepEqual([snap.step, snap.layers[0]!.mode], [7, 'eval']);
    assert.equal(snap.recent!.length, 2, 'the masks are still those of the sampled steps');
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});
