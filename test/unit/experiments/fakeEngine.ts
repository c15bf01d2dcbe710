/**
 * A fake engine speaking the worker protocol like src/engine/session.ts does (start, paused stepping with a
 * `step` event per step, resume, stop, `done` with weights, then held: `predict`, `release`), with
 * made-up metrics driven by the dropout in the spec: validation loss is lowest at `bestRate`, the gap
 * shrinks as dropout grows, weights have outliers without dropout. For testing the plumbing only.
 */
import type { EngineCommand, EngineEvent } from '../../../src/protocol/engine';
import type { ModelSpec } from '../../../src/protocol/modelSpec';
import type { EngineHandle, Launcher } from '../../../src/experiments';

export interface FakeOptions {
  bestRate?: number;
  stepsPerEpoch?: number;
  /** Fail every run whose spec has this hidden dropout rate. */
  failAtRate?: number;
  /** Delay per step (ms), to test cancellation. */
  stepDelayMs?: number;
  validationSize?: number;
  /** Validation loss moves by up to this much with the seed, the same for every setting (a shared effect). */
  seedNoise?: number;
  /** ...and by up to this much with the seed and the dropout rate together (noise a paired test sees). */
  pairNoise?: number;
}

/** A fixed pseudo-random value in [-1, 1] for a seed and a rate. */
function jitter(seed: number, rate: number): number {
  const x = Math.sin(seed * 78.233 + rate * 1234.5678 + 0.5) * 43758.5453;
  return 2 * (x - Math.floor(x)) - 1;
}

export interface FakeLauncher extends Launcher {
  started: ModelSpec[];
  maxConcurrent: number;
  commands: EngineCommand['type'][];
}

function dropoutOf(spec: ModelSpec): number {
  const rates = spec.model.layers.flatMap((l) =>
    l.type === 'dropout' ? [l.rate] : l.type === 'dense' && l.dropConnect ? [l.dropConnect] : [],
  );
  return rates.length > 0 ? Math.max(...rates) : 0;
}

export function fakeLauncher(options: FakeOptions = {}): FakeLauncher {
  let running = 0;
  const launcher = (() => {
    const listeners = new Set<(e: EngineEvent) => void>();
    let spec: ModelSpec | undefined;
    let state: 'idle' | 'running' | 'paused' | 'finished' | 'released' = 'idle';
    let step = 0;
    let stopRequested = false;
    const stepsPerEpoch = options.stepsPerEpoch ?? 3;
    const validationSize = options.validationSize ?? 20;
    const emit = (e: EngineEvent) => {
      if (state === 'released' && e.type !== 'released') return;
      for (const l of [...listeners]) l(e);
    };
    const d = () => dropoutOf(spec!);
    const metrics = (epoch: number) => {
      const best = options.bestRate ?? 0.3;
      const progress = 1 - Math.exp(-epoch / 3);
      const noise =
        (options.seedNoise ?? 0) * jitter(spec!.seed, -1) + (options.pairNoise ?? 0) * jitter(spec!.seed, d());
      const valLoss = 0.3 + 2 * (d() - best) ** 2 + 0.5 * (1 - progress) + noise;
      const gap = 0.4 * Math.max(0.02, 0.7 - d()) * progress;
      const trainLoss = valLoss - gap;
      return {
        train: { loss: trainLoss, accuracy: 1 - trainLoss / 2 },
        validation: { loss: valLoss, accuracy: 1 - valLoss / 2 },
        validationTrainMode: { loss: valLoss + d(), accuracy: 1 - valLoss / 2 - d() / 3 },
      };
    };
    const finish = (reason: 'completed' | 'stopped' | 'failed') => {
      if (state === 'finished' || state === 'released') return;
      const epoch = Math.floor(step / stepsPerEpoch);
      const W = new Float32Array(64);
      for (let i = 0; i < W.length; i++) W[i] = Math.sin(i * 12.9898) * 0.5 * (i % 16 === 0 ? 1 + 10 * (0.8 - d()) : 1);
      const done: EngineEvent = {
        type: 'done',
        reason,
        step,
        epoch,
        ...(epoch > 0 ? { final: metrics(epoch) } : {}),
        ...(reason !== 'failed' ? { weights: [{ layer: 0, W, b: new Float32Array(8) }] } : {}),
      };
      state = 'finished';
      running--;
      emit(done);
    };
    const trainStep = () => {
      step++;
      emit({ type: 'step', step, epoch: Math.floor(step / stepsPerEpoch), loss: 1, lr: 0.01, stepsPerSecond: 100 });
      if (step % stepsPerEpoch === 0) {
        const epoch = step / stepsPerEpoch;
        emit({ type: 'epoch', epoch, step, lr: 0.01, ...metrics(epoch) });
        if (options.failAtRate !== undefined && d() === options.failAtRate) {
          emit({ type: 'error', code: 'diverged', message: 'Training diverged (fake).', step, fatal: true });
          finish('failed');
          return;
        }
        if (epoch >= spec!.training.epochs) finish('completed');
      }
    };
    const loop = () => {
      if (state !== 'running') return;
      if (stopRequested) return finish('stopped');
      trainStep();
      if (state === 'running') setTimeout(loop, options.stepDelayMs ?? 0);
    };
    const handle: EngineHandle = {
      onEvent(listener) {
        listeners.add(listener);
        return { dispose: () => listeners.delete(listener) };
      },
      send(command) {
        launcher.commands.push(command.type);
        setImmediate(() => {
          if (state === 'released') return;
          if (state === 'finished' && command.type !== 'predict' && command.type !== 'release') {
            emit({ type: 'error', code: 'invalid-command', message: `"${command.type}": finished`, fatal: false });
            return;
          }
          switch (command.type) {
            case 'start': {
              spec = command.spec;
              launcher.started.push(spec);
              running++;
              launcher.maxConcurrent = Math.max(launcher.maxConcurrent, running);
              emit({
                type: 'ready',
                version: 1,
                layers: [],
                inputDim: spec.model.input ?? 2,
                outputDim: 2,
                task: 'classification',
                trainSize: 20,
                validationSize,
                stepsPerEpoch,
                parameterCount: 72,
              });
              state = command.options?.paused ? 'paused' : 'running';
              if (state === 'paused') emit({ type: 'paused', step: 0 });
              else setImmediate(loop);
              break;
            }
            case 'step':
              if (state !== 'paused') {
                emit({ type: 'error', code: 'invalid-command', message: 'pause first', fatal: false });
                break;
              }
              for (let i = 0; i < (command.count ?? 1) && state === 'paused'; i++) trainStep();
              break;
            case 'resume':
              if (state === 'paused') {
                state = 'running';
                emit({ type: 'resumed', step });
                setImmediate(loop);
              }
              break;
            case 'stop':
              stopRequested = true;
              if (state === 'paused') finish('stopped');
              break;
            case 'predict': {
              if (state !== 'finished') {
                emit({
                  type: 'error',
                  code: 'invalid-command',
                  message: 'not finished',
                  fatal: false,
                  requestId: command.requestId,
                });
                break;
              }
              // Made-up outputs of a 2-class model: a confidence rising over the examples, a spread that
              // grows with the dropout rate (none in eval mode).
              const n = command.inputs ? command.inputs.length / 2 : validationSize;
              const passes = command.passes;
              const spread = command.mode === 'eval' ? 0 : d() * 0.2;
              const perPass = new Float32Array(passes * n * 2);
              for (let t = 0; t < passes; t++)
                for (let i = 0; i < n; i++) {
                  const sure = 0.5 + (0.5 * i) / n;
                  const p0 = Math.min(
                    1,
                    Math.max(0, (i % 3 === 0 ? 1 - sure : sure) + spread * jitter(t, i) * (1 - i / n)),
                  );
                  perPass[(t * n + i) * 2] = p0;
                  perPass[(t * n + i) * 2 + 1] = 1 - p0;
                }
              const mean = new Float32Array(n * 2);
              const variance = new Float32Array(n * 2);
              for (let k = 0; k < n * 2; k++) {
                for (let t = 0; t < passes; t++) mean[k]! += perPass[t * n * 2 + k]! / passes;
                for (let t = 0; t < passes; t++) variance[k]! += (perPass[t * n * 2 + k]! - mean[k]!) ** 2 / passes;
              }
              emit({
                type: 'prediction',
                requestId: command.requestId,
                passes,
                examples: n,
                width: 2,
                mean,
                variance,
                ...(command.output === 'passes' ? { perPass } : {}),
                ...(command.inputs
                  ? {}
                  : {
                      accuracy: command.mode === 'eval' ? 0.78 : 0.8,
                      passAccuracy: Float32Array.from({ length: passes }, (_, t) => 0.7 + 0.01 * (t % 5)),
                    }),
              });
              break;
            }
            case 'release':
              if (state === 'running' || state === 'paused') finish('stopped');
              state = 'released';
              emit({ type: 'released' });
              break;
            default:
              break;
          }
        });
      },
      async release() {
        handle.send({ type: 'release' });
        await new Promise((resolve) => setImmediate(resolve));
      },
      async terminate() {
        if (state === 'running' || state === 'paused') running--;
        state = 'released';
      },
    };
    return handle;
  }) as FakeLauncher;
  launcher.started = [];
  launcher.maxConcurrent = 0;
  launcher.commands = [];
  return launcher;
}
