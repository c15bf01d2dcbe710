import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RUN_FORMAT, RunStore, parseProbeRecords, parseProbeRun } from '../../../src/runs';

const probeRun = (id: string, extra: Record<string, unknown> = {}) => ({
  format: RUN_FORMAT,
  id,
  kind: 'probe',
  config: { name: 'train.py', path: '/w/train.py' },
  createdAt: '2026-12-07T01:00:00.000Z',
  updatedAt: '2026-12-07T01:00:05.000Z',
  status: 'completed',
  epochs: [],
  probe: { argv: ['train.py'], python: '/usr/bin/python3' },
  ...extra,
});

test('a probe run folder (<id>/run.json) is listed as a run of kind probe; a folder without run.json is a problem', async () => {
  const folder = await mkdtemp(join(tmpdir(), 'dl-probe-runs-'));
  try {
    const id = '2026-12-07T01-00-00-000Z-probe-abcd';
    await mkdir(join(folder, id));
    await writeFile(join(folder, id, 'run.json'), JSON.stringify(probeRun(id)));
    await writeFile(join(folder, id, 'rank-0.ndjson'), '{"t":"header"}\n');
    await mkdir(join(folder, 'stray'));
    const store = new RunStore(folder);
    const { runs, problems } = await store.list();
    assert.equal(runs.length, 1);
    assert.equal(runs[0]!.kind, 'probe');
    assert.equal(runs[0]!.name, 'train.py');
    assert.equal(runs[0]!.file, join(folder, id, 'run.json'));
    assert.deepEqual(
      problems.map((p) => p.file),
      [join(folder, 'stray')],
    );
    const read = await store.readProbe(id);
    assert.ok(read.ok);
    assert.equal(read.record.probe.python, '/usr/bin/python3');
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
});

test('a probe run with a malformed summary or status is refused with a message', () => {
  assert.deepEqual(parseProbeRun(JSON.stringify(probeRun('x', { status: 'exploded' }))), {
    ok: false,
    message: 'unknown status "exploded"',
  });
  assert.equal(parseProbeRun(JSON.stringify(probeRun('x', { summary: { kind: 'probe' } }))).ok, false);
  assert.equal(parseProbeRun('{').ok, false);
});

test('probe records: a last line cut by a kill and damaged lines are dropped; the rotated file comes first', () => {
  const rotated = '{"t":"header","n":1}\n{"t":"fwd","step":0}\n';
  const current = '{"t":"header","n":2}\nnot json\n[1]\n{"t":"fwd","step":4}\n{"t":"fwd","st';
  const records = parseProbeRecords(rotated, current);
  assert.deepEqual(
    records.map((r) => r['n'] ?? r['step']),
    [1, 0, 2, 4],
  );
});
