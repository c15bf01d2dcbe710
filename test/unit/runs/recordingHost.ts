// Stands in for the extension host in the "host restart" test: a separate Node process that trains a model
// in a real engine worker thread and records the run with the real RunWriter, the way experiments do
// (`trainPlans` with a writer). It prints `epoch N` when the engine reports an epoch and `saved N` each time
// a record with N epochs has been renamed into place, so the test knows what reached the disk before it
// SIGKILLs this process. Usage: node --import tsx recordingHost.ts FOLDER
import { join } from 'node:path';
import { trainPlans, workerLauncher } from '../../../src/experiments';
import { nodeFileSystem, RunStore, type RunFileSystem } from '../../../src/runs';
import { longRunSpec } from './longRun';

const folder = process.argv[2];
if (!folder) throw new Error('usage: recordingHost.ts FOLDER');

const spec = longRunSpec('killed host', 3);

// The real file system, reporting each completed save (the epochs of the record just renamed into place).
const epochsOf = new Map<string, number>();
const reporting: RunFileSystem = {
  ...nodeFileSystem,
  writeFile: async (path, text) => {
    epochsOf.set(path, (JSON.parse(text) as { epochs: unknown[] }).epochs.length);
    await nodeFileSystem.writeFile(path, text);
  },
  rename: async (from, to) => {
    await nodeFileSystem.rename(from, to);
    process.stdout.write(`saved ${epochsOf.get(from)}\n`);
    epochsOf.delete(from);
  },
};

const root = join(__dirname, '..', '..', '..');

async function main(): Promise<void> {
  const writer = await new RunStore(folder!, reporting).create({ kind: 'train', spec, config: { name: spec.name } });
  process.stdout.write(`run ${writer.id}\n`);
  let reported = 0;
  const onProgress = (p: { completedEpochs: number }) => {
    if (p.completedEpochs > reported) process.stdout.write(`epoch ${(reported = p.completedEpochs)}\n`);
  };
  await trainPlans(
    [{ key: 'train', label: 'training', spec }],
    { launcher: workerLauncher(root), writer, onProgress },
    true,
  );
}

void main();
