import type { ModelSpec } from '../../../src/protocol/modelSpec';

/**
 * A training far longer than any test waits for (it is killed mid-run), with epochs slow enough that each
 * is saved before the next ends: two moons, 1,500 samples, a 64-unit MLP with dropout.
 */
export function longRunSpec(name: string, seed: number): ModelSpec {
  return {
    name,
    seed,
    data: { source: 'generator', generator: 'moons', samples: 1500, noise: 0.25, validation: 0.3 },
    model: {
      input: 2,
      layers: [
        { type: 'dense', units: 64, activation: 'relu' },
        { type: 'dropout', rate: 0.3, kind: 'bernoulli', scaling: 'inverted' },
        { type: 'dense', units: 64, activation: 'relu' },
        { type: 'dense', units: 2, activation: 'linear' },
      ],
    },
    training: {
      epochs: 10_000,
      batchSize: 16,
      optimizer: { kind: 'sgd', lr: 0.05, momentum: 0.9, dampening: 0, nesterov: false, weightDecay: 0 },
      schedule: { kind: 'constant' },
      loss: 'cross-entropy',
      init: 'he',
    },
    evaluation: { mode: 'eval' },
  };
}
