/** A finished run to replay in the tests of the replay session and client: a small MLP, every step streamed. */
import { EngineSession } from '../../../src/engine/session';
import type { EngineEvent, RunIntervention } from '../../../src/protocol/engine';
import type { ModelSpec } from '../../../src/protocol/modelSpec';

export const spec: ModelSpec = {
  name: 'replay session test',
  seed: 5,
  data: { source: 'generator', generator: 'moons', samples: 100, noise: 0.2, validation: 0.2 },
  model: {
    input: 2,
    layers: [
      { type: 'dense', units: 16, activation: 'relu' },
      { type: 'dropout', rate: 0.5, kind: 'bernoulli', scaling: 'inverted' },
      { type: 'dense', units: 2, activation: 'linear' },
    ],
  },
  training: {
    epochs: 8,
    batchSize: 8,
    optimizer: { kind: 'sgd', lr: 0.05, momentum: 0.9, dampening: 0, nesterov: false, weightDecay: 0 },
    schedule: { kind: 'constant' },
    loss: 'cross-entropy',
    init: 'he',
  },
  evaluation: { mode: 'eval' },
};

/** A live run streaming every step, with layer 1 switched to eval for steps 21 to 25. */
export function liveRun() {
  const events: EngineEvent[] = [];
  let clock = 0;
  const queue: (() => void)[] = [];
  const s = new EngineSession({
    post: (e) => events.push(e),
    schedule: (fn) => queue.push(fn),
    now: () => (clock += 1),
  });
  s.handle({ type: 'start', version: 1, spec, options: { streamHz: 1000, paused: true, boundaryEvery: 0 } });
  s.handle({ type: 'step', count: 20 });
  s.handle({ type: 'setMode', layer: 1, mode: 'eval' });
  s.handle({ type: 'step', count: 5 });
  s.handle({ type: 'setMode', layer: 1, mode: 'train' });
  s.handle({ type: 'resume' });
  while (queue.length > 0) queue.shift()!();
  const done = events.find((e): e is Extract<EngineEvent, { type: 'done' }> => e.type === 'done')!;
  const interventions: RunIntervention[] = events.flatMap((e): RunIntervention[] =>
    e.type === 'modes' ? [{ type: 'modes', step: e.step!, layers: e.layers }] : [],
  );
  const masks = new Map(
    events.flatMap((e) => (e.type === 'masks' ? [[e.step, e.layers.map((m) => [...m.bits])] as const] : [])),
  );
  return { done, interventions, masks };
}
