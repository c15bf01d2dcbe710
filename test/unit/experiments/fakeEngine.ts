/**
 * A fake engine speaking the worker protocol like src/engine/session.ts does (start, paused stepping with a
 * `step` event per step, resume, stop, mcInference with at least 2 passes, `done` with weights), with
 * made-up metrics driven by the dropout in the spec: validation loss is lowest at `bestRate`, the gap
 * shrinks as dropout grows, weights have outliers without dropout. For testing the plumbing only.
 */
import type { EngineCommand, EngineEvent } from '../../../src/protocol/engine';
import { shapeSize } from '../../../src/protocol/layerShapes';
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
    let state: 'idle' | 'running' | 'paused' | 'finished' = 'idle';
    let step = 0;
    let stopRequested = false;
    const stepsPerEpoch = options.stepsPerEpoch ?? 3;
    const validationSize = options.validationSize ?? 20;
    const emit = (e: EngineEvent) => {
      if (state === 'finished' && e.type !== 'done') return;
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
      if (state === 'finished') return;
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
          if (state === 'finished') return;
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
                inputDim: shapeSize(spec.model.input ?? 2),
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
            case 'mcInference': {
              if (command.samples < 2) {
                emit({ type: 'error', code: 'invalid-command', message: 'needs 2 passes', fatal: false });
                break;
              }
              const n = validationSize;
              const mean = new Float32Array(n);
              const variance = new Float32Array(n);
              const meanProbs = new Float32Array(n * 2);
              for (let i = 0; i < n; i++) {
                mean[i] = 0.5 + (0.5 * i) / n;
                variance[i] = d() * (1 - i / n) * 0.05;
                meanProbs[2 * i] = i % 3 === 0 ? 1 - mean[i]! : mean[i]!;
                meanProbs[2 * i + 1] = 1 - meanProbs[2 * i]!;
              }
              emit({
                type: 'mcResult',
                requestId: command.requestId,
                samples: command.samples,
                mean,
                variance,
                meanProbs,
                mcAccuracy: 0.8,
                evalAccuracy: 0.78,
              });
              break;
            }
            default:
              break;
          }
        });
      },
      async terminate() {
        if (state !== 'finished') {
          state = 'finished';
          running--;
        }
      },
    };
    return handle;
  }) as FakeLauncher;
  launcher.started = [];
  launcher.maxConcurrent = 0;
  launcher.commands = [];
  return launcher;
}
