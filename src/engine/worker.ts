/**
 * The worker_threads entry: a thin adapter from the thread's message port to EngineSession.
 * The host also raises a shared interrupt flag with every stop or pause, so the training slice ends after
 * the current step instead of at the end of its time budget. A finished session keeps the thread until
 * `release` (or the host terminates it).
 * Started with the role `replica` (by a session training on two workers), it serves that session's steps instead.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { EngineCommand, EngineEvent } from '../protocol/engine';
import { isReplicaWorkerData, threadReplicas } from '../session/replicaWorkers';
import { STREAMED_DATA_FILE_LIMIT, streamRegularFile } from './data/files';
import { serveReplica } from './parallel/replica';
import { ReplicaState, SharedChannel, sharedLayout } from './parallel/sharedMemory';
import { ReplaySession } from './replaySession';
import { EngineSession } from './session';

const port = parentPort;
if (!port) throw new Error('worker.ts runs as a worker thread: start it with new Worker(...)');

if (isReplicaWorkerData(workerData)) {
  const { init } = workerData;
  // process.exit() from anywhere in this thread still tells the coordinator, instead of leaving it waiting.
  process.on('exit', (code) =>
    new SharedChannel(init.buffer, sharedLayout(init.sizes), init.sizes).markFailed(
      `its thread exited (exit code ${code})`,
      ReplicaState.Exited,
    ),
  );
  serveReplica(init);
} else {
  const shared = (workerData as { interrupt?: unknown } | null)?.interrupt;
  const interrupt = shared instanceof SharedArrayBuffer ? new Int32Array(shared) : undefined;

  const host = {
    post: (event: EngineEvent, transfer?: ArrayBuffer[]) => port.postMessage(event, transfer ?? []),
    schedule: (fn: () => void) => setImmediate(fn),
    interrupted: () => (interrupt ? Atomics.load(interrupt, 0) !== 0 : false),
    // A dataset named by path: streamed from disk into float32 blocks (a regular file within its limit only).
    readFile: (path: string, onChunk: (bytes: Uint8Array, totalBytes: number) => void) =>
      streamRegularFile(path, STREAMED_DATA_FILE_LIMIT, onChunk),
  };
  const session = new EngineSession({ ...host, replicas: threadReplicas() });
  /** A finished run's replay (`replay`, `seek`), made on its first command. */
  let replay: ReplaySession | undefined;

  port.on('message', (command: EngineCommand) => {
    if (interrupt && (command.type === 'stop' || command.type === 'pause')) Atomics.store(interrupt, 0, 0);
    if (command.type === 'replay' || command.type === 'seek') (replay ??= new ReplaySession(host)).handle(command);
    else {
      session.handle(command);
      // Released: nothing is left to answer, so the thread ends (its `released` event is posted first).
      if (command.type === 'release') port.close();
    }
  });
}
