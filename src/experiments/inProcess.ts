/**
 * A launcher that runs the engine in this thread (EngineSession, no worker): no parallelism, but no worker
 * start-up either. For tests and small CLI runs; the extension uses worker threads (`workerLauncher`).
 * Kept out of the experiments index so the extension host bundle does not pull the engine in.
 */
import { EngineSession } from '../engine/session';
import type { EngineEvent } from '../protocol/engine';
import type { EngineHandle, Launcher } from './engineRun';

export function inProcessLauncher(): Launcher {
  return (): EngineHandle => {
    const listeners = new Set<(event: EngineEvent) => void>();
    let ended = false;
    const session = new EngineSession({
      post: (event) => {
        if (ended) return;
        if (event.type === 'released') ended = true;
        for (const listener of [...listeners]) listener(event);
      },
      schedule: (fn) => setImmediate(fn),
    });
    return {
      onEvent(listener) {
        listeners.add(listener);
        return { dispose: () => listeners.delete(listener) };
      },
      // Asynchronous like a message port, so a caller's listeners are in place before the first event.
      send: (command) => setImmediate(() => !ended && session.handle(command)),
      release: async () => {
        if (!ended) session.handle({ type: 'release' });
      },
      terminate: async () => {
        if (!ended) session.handle({ type: 'release' });
        ended = true;
      },
    };
  };
}
