// Data files are read only when they are regular files within their limit: a FIFO (a real one, mkfifo), a
// device, a folder and a file over the limit are refused with a message, and nothing hangs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DATA_FILE_LIMIT,
  MAX_DATA_FILE_BYTES,
  checkFile,
  formatBytes,
  readRegularFile,
} from '../../../src/engine/data/files';

const hasMkfifo = process.platform !== 'win32' && spawnSync('mkfifo', ['--version']).status === 0;

test('a regular file is read whole', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dl-datafile-'));
  try {
    const file = join(dir, 'data.csv');
    await writeFile(file, 'a,b\n1,2\n');
    const read = await readRegularFile(file, DATA_FILE_LIMIT);
    assert.ok(read.ok);
    assert.equal(new TextDecoder().decode(read.bytes), 'a,b\n1,2\n');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test(
  'a FIFO named data.csv is refused before it is opened: no hang, a message',
  { skip: hasMkfifo ? false : 'mkfifo is not available here', timeout: 10_000 },
  async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dl-fifo-'));
    try {
      const fifo = join(dir, 'data.csv');
      assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
      const read = await readRegularFile(fifo, DATA_FILE_LIMIT);
      assert.equal(read.ok, false);
      if (!read.ok) {
        assert.equal(read.message, `${fifo}: ${read.reason}`);
        assert.match(read.reason, /the dataset is a FIFO \(named pipe\), not a regular file/);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
);

test('a device, a folder and a missing file are refused with what they are', async () => {
  if (process.platform !== 'win32') {
    const device = await readRegularFile('/dev/zero', DATA_FILE_LIMIT);
    assert.ok(!device.ok && /a character device, not a regular file/.test(device.reason));
  }
  const folder = await readRegularFile(tmpdir(), DATA_FILE_LIMIT);
  assert.ok(!folder.ok && /a folder, not a regular file/.test(folder.reason));
  const missing = await checkFile(join(tmpdir(), 'dl-no-such-file.csv'), DATA_FILE_LIMIT);
  assert.match(missing ?? '', /cannot read the dataset \(ENOENT\)/);
});

test('a file over the stated limit is refused, saying its size, the limit and why', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dl-big-'));
  try {
    const file = join(dir, 'big.csv');
    await writeFile(file, '');
    await truncate(file, MAX_DATA_FILE_BYTES + 1); // sparse: no disk used
    const read = await readRegularFile(file, DATA_FILE_LIMIT);
    assert.equal(read.ok, false);
    if (!read.ok)
      assert.equal(
        read.reason,
        `the dataset is ${formatBytes(MAX_DATA_FILE_BYTES + 1)}, more than the 512 MB Dropout Lens reads (a CSV dataset is read into memory whole)`,
      );
    const small = await readRegularFile(file, { what: 'the file', maxBytes: 10, why: 'a test' });
    assert.ok(!small.ok && /more than the 10 bytes Dropout Lens reads \(a test\)/.test(small.reason));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
