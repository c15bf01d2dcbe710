/**
 * Puts a network's parameters on other arrays: shared memory for a replica thread (each parameter's values a view
 * of the shared weights, its gradient a view of this worker's gradient region), or the coordinator's own weights
 * for a split in one thread. Generic over `network.parameters`: whatever layer owns a parameter, the layer's own
 * field that held the array is pointed at the new one, so every layer kind is covered as long as it keeps its
 * parameter arrays as its own fields (a layer that does not is refused, never half moved).
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
  const values = channel.sizes.parameterLengths.map((_, k) => channel.weights(k));
  const grads = channel.sizes.parameterLengths.map((_, k) => channel.gradients(worker, k));
  checkLengths(net, values);
  net.parameters.forEach((p, k) => {
    if (copyValues) values[k]!.set(p.value);
    grads[k]!.set(p.grad);
  });
  pointParameters(net, values, grads);
}

/** Points parameter k's values (and every layer field holding them) at `values[k]`; its gradient at `grads[k]`, if given. */
export function pointParameters(net: ShareableNetwork, values: Float32Array[], grads?: Float32Array[]): void {
  checkLengths(net, values);
  net.parameters.forEach((p, k) => {
    const value = values[k]!;
    const grad = grads?.[k] ?? p.grad;
    if (repoint(net.layers, p.value, value) === 0 || repoint(net.layers, p.grad, grad) === 0)
      throw new Error(
        `Parameter ${k} (${p.value.length} values) is not a field of any layer: its layer cannot train on two workers.`,
      );
    p.value = value;
    p.grad = grad;
  });
}

function checkLengths(net: ShareableNetwork, values: readonly Float32Array[]): void {
  const lengths = net.parameters.map((p) => p.value.length);
  if (lengths.length !== values.length || lengths.some((n, k) => n !== values[k]!.length))
    throw new Error(
      `The workers' networks differ: parameter lengths ${lengths.join(', ')} against ${values.map((v) => v.length).join(', ')}.`,
    );
}

/** Points every layer field holding `from` at `to`; returns how many it found. */
function repoint(layers: readonly object[], from: Float32Array, to: Float32Array): number {
  let found = 0;
  for (const layer of layers) {
    const fields = layer as Record<string, unknown>;
    for (const key of Object.keys(fields))
      if (fields[key] === from) {
        fields[key] = to;
        found++;
      }
  }
  return found;
}
