/**
 * A replica worker's side of data-parallel training: a ReplicaNetwork over the shared weights, serving the
 * coordinator's steps through shared memory and leaving its gradients in its shared region. It never updates the
 * weights: the coordinator steps the optimizer once, on the reduced gradients. Blocks on Atomics between steps,
 * so it runs in a thread of its own (a worker_threads worker or a Web Worker).
 */
import { selectKernels } from '../kernels';
import { ReplicaNetwork } from './replicaNetwork';
import { ReplicaState, SharedChannel, sharedLayout } from './sharedMemory';
import { shareParameters } from './shareParameters';
import type { ReplicaInit } from './types';

/** Serves steps until told to quit; a failure is recorded in the shared memory for the coordinator to report. */
export function serveReplica(init: ReplicaInit): void {
  const channel = new SharedChannel(init.buffer, sharedLayout(init.sizes), init.sizes);
  try {
    const replica = new ReplicaNetwork({ ...init, maxRows: init.sizes.maxRows }, selectKernels());
    shareParameters(replica.net, channel, init.rank, false);
    const mode = (i: number) => (channel.modes[i] === 1 ? 'eval' : 'train');
    const rate = (i: number) => channel.rates[i]!;
    channel.markReady();
    let seq = 0;
    for (;;) {
      const command = channel.nextCommand(seq);
      if (command === 'quit') return;
      seq = command.seq;
      replica.mirror(mode, rate);
      const result = replica.step(channel.inputs, channel.targets, command.rows, channel.results[2]!);
      channel.results[0] = result.loss;
      channel.results[1] = result.correct;
      channel.answer(seq);
    }
  } catch (error) {
    channel.markFailed(error instanceof Error ? error.message : String(error));
  } finally {
    if (channel.state === ReplicaState.Ready) channel.markFailed('it stopped', ReplicaState.Exited);
  }
}
