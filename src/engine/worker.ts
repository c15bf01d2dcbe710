/**
 * The worker_threads entry: a thin adapter from the thread's message port to EngineSession.
 * The host also raises a shared interrupt flag with every stop or pause, so the training slice ends after
 * the current step instead of at the end of its time budget. A finished session keeps the thread until
 * `release` (or the host terminates it).
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { EngineCommand } from '../protocol/engine';
import { STREAMED_DATA_FILE_LIMIT, streamRegularFile } from './data/files';
import { EngineSession } from './session';

const port = parentPort;
if (!port) throw new Error('worker.ts runs as a worker thread: start it with new Worker(...)');

const shared = (workerData as { interrupt?: unknown } | null)?.interrupt;
const interrupt = shared instanceof SharedArrayBuffer ? new Int32Array(shared) : undefined;

const session = new EngineSession({
  post: (event, transfer) => port.postMessage(event, transfer ?? []),
  schedule: (fn) => setImmediate(fn),
  interrupted: () => (interrupt ? Atomics.load(interrupt, 0) !== 0 : false),
  // A dataset named by path: streamed from disk into float32 blocks (a regular file within its limit only).
  readFile: (path, onChunk) => streamRegularFile(path, STREAMED_DATA_FILE_LIMIT, onChunk),
});

port.on('message', (command: EngineCommand) => {
  if (interrupt && (command.type === 'stop' || command.type === 'pause')) Atomics.store(interrupt, 0, 0);
  session.handle(command);
  // Released: nothing is left to answer, so the thread ends (its `released` event is posted first).
  if (command.type === 'release') port.close();
});
