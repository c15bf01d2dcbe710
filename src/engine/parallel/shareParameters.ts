/**
 * Puts a network's parameters on shared memory: each parameter's values become a view of the shared weights,
 * its gradient a view of this worker's gradient region. Generic over `network.parameters`: whatever layer owns a
 * parameter, the layer's own field that held the array is pointed at the view, so every layer kind is covered as
 * long as it keeps its parameter arrays as its own fields (a layer that does not is refused, never half shared).
 */
import type { Parameter } from '../nn/optim';
import type { SharedChannel } from './sharedMemory';

export interface ShareableNetwork {
  readonly layers: readonly object[];
  readonly parameters: Parameter[];
}

/** `copyValues`: the coordinator moves its initialized weights in; a replica adopts them as they are. */
export function shareParameters(
  net: ShareableNetwork,
  channel: SharedChannel,
  worker: number,
  copyValues: boolean,
): void {
  const lengths = net.parameters.map((p) => p.value.length);
  const expected = channel.sizes.parameterLengths;
  if (lengths.length !== expected.length || lengths.some((n, k) => n !== expected[k]))
    throw new Error(
      `The workers' networks differ: parameter lengths ${lengths.join(', ')} against ${expected.join(', ')}.`,
    );
  net.parameters.forEach((p, k) => {
    const value = channel.weights(k);
    const grad = channel.gradients(worker, k);
    if (copyValues) value.set(p.value);
    grad.set(p.grad);
    if (repoint(net.layers, p.value, value) === 0 || repoint(net.layers, p.grad, grad) === 0)
      throw new Error(
        `Parameter ${k} (${p.value.length} values) is not a field of any layer: its layer cannot train on two workers.`,
      );
    p.value = value;
    p.grad = grad;
  });
}

/** Points every layer field holding `from` at `to`; returns how many it changed. */
function repoint(layers: readonly object[], from: Float32Array, to: Float32Array): number {
  let changed = 0;
  for (const layer of layers) {
    const fields = layer as Record<string, unknown>;
    for (const key of Object.keys(fields))
      if (fields[key] === from) {
        fields[key] = to;
        changed++;
      }
  }
  return changed;
}
