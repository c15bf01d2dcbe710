/**
 * Two workers' data-parallel step computed in one thread: what a replay of a two-worker run trains on. The
 * coordinator keeps the first rows of every batch as DataParallel does; the second worker's rows go through a
 * ReplicaNetwork of this thread, over the coordinator's own weight arrays, with its own mask stream, batch-norm
 * statistics and gradients; its gradients are then added to the coordinator's in the same fixed order. The two
 * halves never read each other's buffers, so running them one after the other gives the floats that running them
 * at once on two threads gave, bit for bit, and this thread can checkpoint the second worker's state too.
 */
import { shapeSize } from '../../protocol/layerShapes';
import { restoreRunning, saveRunning, type SplitState } from '../checkpoint';
import { selectKernels } from '../kernels';
import type { MatmulKernels } from '../kernels/types';
import type { Parameter } from '../nn/optim';
import { addGradient, coordinatorRows } from './reduce';
import { ReplicaNetwork } from './replicaNetwork';
import { pointParameters, type ShareableNetwork } from './shareParameters';
import type { BatchSplit, MirroredLayer, ParallelModel } from './types';

export class SerialSplit implements BatchSplit {
  readonly workers = 2;
  private replica: ReplicaNetwork | undefined;
  private inputs = new Float32Array(0);
  private targets = new Float32Array(0);
  private rows = 0;
  private share = 0;

  /** `kernels`: the second worker's own (a replica thread selects its own kernels the same way). */
  constructor(private readonly kernels: MatmulKernels = selectKernels()) {}

  ownRows(batch: number): number {
    return coordinatorRows(batch);
  }

  attach(net: ShareableNetwork, model: ParallelModel): void {
    if (this.replica) throw new Error('The split is attached once.');
    const maxRows = Math.max(1, model.maxBatch - this.ownRows(model.maxBatch));
    const replica = new ReplicaNetwork({ ...model, workers: this.workers, rank: 1, maxRows }, this.kernels);
    pointParameters(
      replica.net,
      net.parameters.map((p) => p.value),
    );
    this.replica = replica;
    this.inputs = new Float32Array(maxRows * shapeSize(model.input));
    this.targets = new Float32Array(maxRows * (model.task === 'classification' ? 1 : model.outputDim));
  }

  startStep(
    x: Float32Array,
    y: Float32Array,
    batch: number,
    inputDim: number,
    targetWidth: number,
    layers: readonly MirroredLayer[],
  ): void {
    const replica = this.attached();
    const own = this.ownRows(batch);
    this.rows = batch - own;
    if (this.rows === 0) return;
    // Copied now, as a replica thread's rows are: the coordinator's pass may not touch what this worker reads.
    for (let i = 0, n = this.rows * inputDim, from = own * inputDim; i < n; i++) this.inputs[i] = x[from + i]!;
    for (let i = 0, n = this.rows * targetWidth, from = own * targetWidth; i < n; i++) this.targets[i] = y[from + i]!;
    this.share = this.rows / batch;
    replica.mirror(
      (i) => (layers[i]!.mode === 'eval' ? 'eval' : 'train'),
      (i) => layers[i]!.rate ?? 0,
    );
  }

  finishStep(parameters: readonly Parameter[]): { rows: number; loss: number; correct: number } {
    const replica = this.attached();
    const rows = this.rows;
    if (rows === 0) return { rows, loss: 0, correct: 0 };
    const result = replica.step(this.inputs, this.targets, rows, this.share);
    const grads = replica.net.parameters;
    for (let k = 0; k < parameters.length; k++) addGradient(parameters[k]!.grad, grads[k]!.grad);
    return { rows, loss: result.loss, correct: result.correct };
  }

  release(): void {}

  readonly saveState = (): SplitState => {
    const replica = this.attached();
    return { running: saveRunning(replica.net), random: replica.random.saveState() };
  };

  readonly restoreState = (state: SplitState): void => {
    const replica = this.attached();
    restoreRunning(replica.net, state.running);
    replica.random.restoreState(state.random);
  };

  private attached(): ReplicaNetwork {
    if (!this.replica) throw new Error('The split has no second worker yet: attach it to a network first.');
    return this.replica;
  }
}
