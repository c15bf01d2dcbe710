// One measurement of `npm run bench -- data`, in a fresh process so that its peak memory is its own: the engine
// streams the CSV at argv[2] from disk (csvPath, as `dropout-lens train` and the worker do) and trains one epoch.
// Prints one JSON line: the process's RSS before loading, its peak RSS once loaded and at the end, and the times.
import { EngineSession } from '../../src/engine/session';
import { STREAMED_DATA_FILE_LIMIT, streamRegularFile } from '../../src/engine/data/files';
import type { ModelSpec } from '../../src/protocol/modelSpec';

const path = process.argv[2]!;
const spec: ModelSpec = {
  name: 'bench: large CSV',
  seed: 1,
  data: { source: 'csv', path, standardize: true, validation: 0.2 },
  model: {
    input: 3,
    layers: [
      { type: 'dense', units: 8, activation: 'relu' },
      { type: 'dense', units: 2, activation: 'linear' },
    ],
  },
  training: {
    epochs: 1,
    batchSize: 4096,
    optimizer: { kind: 'sgd', lr: 0.05, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0 },
    schedule: { kind: 'constant' },
    loss: 'cross-entropy',
    init: 'he',
  },
  evaluation: { mode: 'eval' },
};

global.gc?.();
const baselineRss = process.memoryUsage().rss;
const start = performance.now();
let readyAt = 0;
let loadedRss = 0;
const session = new EngineSession({
  post: (event) => {
    if (event.type === 'ready') {
      readyAt = performance.now();
      loadedRss = process.resourceUsage().maxRSS * 1024;
    }
    if (event.type === 'error' && event.fatal) {
      process.stdout.write(JSON.stringify({ error: event.message }) + '\n');
      process.exit(1);
    }
    if (event.type === 'done') {
      const peakRss = process.resourceUsage().maxRSS * 1024;
      process.stdout.write(
        JSON.stringify({
          baselineRss,
          loadedRss,
          peakRss,
          loadMs: readyAt - start,
          totalMs: performance.now() - start,
        }) + '\n',
      );
    }
  },
  schedule: (fn) => setImmediate(fn),
  readFile: (file, onChunk) => streamRegularFile(file, STREAMED_DATA_FILE_LIMIT, onChunk),
});
session.handle({ type: 'start', version: 1, spec, csvPath: path, options: { streamHz: 0, boundaryEvery: 0 } });
