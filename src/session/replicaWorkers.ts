/**
 * Replica workers for data-parallel training, as worker_threads: the engine worker's own entry started again
 * with the role `replica` (see src/engine/worker.ts). A replica runs the very code its coordinator runs: the
 * bundle from a bundle, the TypeScript sources from the sources (a built bundle may be older than they are).
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { ReplicaHost, ReplicaInit } from '../engine/parallel/types';
import { RUNNING_FROM_BUNDLE, projectRoot, sourceWorkerEntry, workerEntry, type WorkerLocation } from './projectRoot';

/** What a replica thread finds in its workerData. */
export interface ReplicaWorkerData {
  role: 'replica';
  init: ReplicaInit;
}

export function isReplicaWorkerData(data: unknown): data is ReplicaWorkerData {
  return typeof data === 'object' && data !== null && (data as { role?: unknown }).role === 'replica';
}

export function locateReplicaWorker(root: string = projectRoot()): WorkerLocation {
  return RUNNING_FROM_BUNDLE
    ? workerEntry(root, 'worker.js', 'src/engine/worker.ts')
    : sourceWorkerEntry(root, 'src/engine/worker.ts');
}

/** Replicas as worker threads of this process, at `location`; the cores are what this process may use. */
export function threadReplicas(location?: WorkerLocation): ReplicaHost {
  return {
    cores: availableParallelism(),
    spawn: (init) => {
      const where = location ?? locateReplicaWorker();
      const data: ReplicaWorkerData = { role: 'replica', init };
      const worker = new Worker(where.file, { eval: where.eval ?? false, workerData: data });
      // A replica never keeps its process alive: it only serves a coordinator, which releases it when done.
      worker.unref();
      let ended = false;
      const listeners: ((message: string) => void)[] = [];
      const end = (message: string) => {
        if (ended) return;
        ended = true;
        for (const listener of listeners) listener(message);
      };
      worker.on('error', (error) => end(`it crashed: ${error.message}`));
      worker.on('exit', (code) => end(`its thread exited (exit code ${code})`));
      return {
        onExit: (listener) => void listeners.push(listener),
        terminate: () => {
          ended = true;
          void worker.terminate();
        },
      };
    },
  };
}
