/**
 * A replica worker's side of data-parallel training: the same network as the coordinator's, over the shared
 * weights, taking forward and backward passes over the rows it is handed and leaving its gradients in its shared
 * region. It never updates the weights: the coordinator steps the optimizer once, on the reduced gradients.
 * Blocks on Atomics between steps, so it runs in a thread of its own (a worker_threads worker or a Web Worker).
 */
import { selectKernels } from '../kernels';
import { meanSquaredError, softmaxCrossEntropy } from '../nn/loss';
import { Network } from '../nn/network';
import { SeededRandom } from '../random';
import { workerSeed } from './seeds';
import { ReplicaState, SharedChannel, sharedLayout } from './sharedMemory';
import { scaleGradient } from './reduce';
import { shareParameters } from './shareParameters';
import type { ReplicaInit } from './types';

/** Serves steps until told to quit; a failure is recorded in the shared memory for the coordinator to report. */
export function serveReplica(init: ReplicaInit): void {
  const channel = new SharedChannel(init.buffer, sharedLayout(init.sizes), init.sizes);
  try {
    const { maxRows } = init.sizes;
    const net = new Network(init.layers, init.inputDim, maxRows, selectKernels());
    const shared = net as unknown as { layers: object[]; parameters: typeof net.parameters };
    shareParameters(shared, channel, init.rank, false);
    const random = new SeededRandom(workerSeed(init.seed, init.workers, init.rank));
    const grad = new Float32Array(maxRows * init.outputDim);
    const result = { loss: 0, correct: 0 };
    channel.markReady();
    let seq = 0;
    for (;;) {
      const command = channel.nextCommand(seq);
      if (command === 'quit') return;
      seq = command.seq;
      const rows = command.rows;
      if (!(rows >= 1 && rows <= maxRows)) throw new RangeError(`A step of ${rows} rows (at most ${maxRows}).`);
      net.layers.forEach((l, i) => {
        l.mode = channel.modes[i] === 1 ? 'eval' : 'train';
        if ('rate' in l) l.rate = channel.rates[i]!;
      });
      const out = net.forward(channel.inputs, rows, 'own', random, true);
      if (init.task === 'classification') softmaxCrossEntropy(out, channel.targets, rows, init.outputDim, grad, result);
      else meanSquaredError(out, channel.targets, rows * init.outputDim, grad, result);
      scaleGradient(grad, rows * init.outputDim, channel.results[2]!);
      net.backward(grad, rows);
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
