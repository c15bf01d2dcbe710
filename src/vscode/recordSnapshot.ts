/** A saved run as the run panel draws it: the same snapshot a live session sends, read from the record. */
import type { LayerInfo } from '../protocol/engine';
import { isImage, layerOutputShape, shapeSize, type LayerShape } from '../protocol/layerShapes';
import type { LayerSpec, ModelSpec } from '../protocol/modelSpec';
import type { EpochRecord, PanelSnapshot } from '../protocol/webview';
import { interval } from '../experiments/intervals';
import type { RunMember, RunRecord } from '../runs';
import type { Metrics } from '../protocol/engine';

/** Layer shapes follow from the spec (a CSV record without model.input: dense layers set the width). */
export function layersOf(spec: ModelSpec): LayerInfo[] {
  let shape: LayerShape = spec.model.input ?? 0;
  return spec.model.layers.map((layer: LayerSpec, index) => {
    const out = layerOutputShape(layer, shape);
    shape = 'shape' in out ? out.shape : layer.type === 'dense' ? layer.units : shape;
    const rate =
      layer.type === 'dropout' || layer.type === 'dropout2d'
        ? layer.rate
        : (layer.type === 'dense' || layer.type === 'conv2d') && layer.dropConnect
          ? layer.dropConnect
          : undefined;
    return {
      index,
      spec: layer,
      units: shapeSize(shape),
      ...(isImage(shape) ? { shape } : {}),
      mode: 'eval' as const,
      ...(rate !== undefined ? { rate } : {}),
    };
  });
}

/** A member's key without its seed: `rate=0.3/seed=43` -> `rate=0.3`. */
const settingOf = (key: string) => key.replace(/\/seed=\d+$/, '');

/**
 * The first setting of an experiment over seeds (its members `KEY/seed=N`) as one curve: per epoch, the mean
 * over the seeds that reached it, and the 95% interval of the validation metrics. Undefined when the members
 * are not seeds of one setting.
 */
export function seedMeanEpochs(members: readonly RunMember[]): { setting: string; epochs: EpochRecord[] } | undefined {
  const first = members[0];
  if (!first || !/\/seed=\d+$/.test(first.key)) return undefined;
  const setting = settingOf(first.key);
  const seeds = members.filter((m) => m.key !== setting && settingOf(m.key) === setting);
  const longest = seeds.reduce((a, m) => (m.epochs.length > a.epochs.length ? m : a), first);
  const epochs: EpochRecord[] = [];
  for (const e of longest.epochs) {
    const at = seeds.flatMap((m) => m.epochs.filter((x) => x.epoch === e.epoch));
    const mean = (pick: (x: (typeof at)[number]) => Metrics | undefined): Metrics => {
      const loss = interval(at.map((x) => pick(x)?.loss));
      const accuracy = interval(at.map((x) => pick(x)?.accuracy));
      return { loss: loss?.mean ?? Number.NaN, ...(accuracy ? { accuracy: accuracy.mean } : {}) };
    };
    const loss = interval(at.map((x) => x.validation.loss));
    const accuracy = interval(at.map((x) => x.validation.accuracy));
    const validation = mean((x) => x.validation);
    epochs.push({
      epoch: e.epoch,
      lr: e.lr,
      train: mean((x) => x.train),
      validation,
      validationTrainMode: at.some((x) => x.validationTrainMode) ? mean((x) => x.validationTrainMode) : validation,
      ...(loss && loss.n > 1
        ? {
            spread: {
              seeds: loss.n,
              loss: [loss.low, loss.high] as [number, number],
              ...(accuracy && accuracy.n > 1 ? { accuracy: [accuracy.low, accuracy.high] as [number, number] } : {}),
            },
          }
        : {}),
    });
  }
  return { setting, epochs };
}

export function recordSnapshot(record: RunRecord): PanelSnapshot {
  // An experiment's record keeps its trainings as members; over seeds, the panel shows the first setting's
  // mean with its interval.
  const overSeeds = record.epochs.length === 0 && record.members ? seedMeanEpochs(record.members) : undefined;
  const epochs: EpochRecord[] =
    overSeeds?.epochs ??
    record.epochs.map((e) => ({
      ...e,
      validationTrainMode: e.validationTrainMode ?? e.validation,
    }));
  const seedCount = overSeeds?.epochs[0]?.spread?.seeds;
  return {
    runId: record.id,
    name: `${record.config.name} (saved ${record.kind} run${overSeeds ? `, ${overSeeds.setting}: mean${seedCount ? ` of ${seedCount} seeds, 95% band` : ''}` : ''})`,
    status: record.status === 'running' ? 'stopped' : record.status,
    ...(record.message !== undefined
      ? { message: record.message }
      : record.status === 'running'
        ? {
            message:
              'This run ended without closing its record (VS Code closed or the worker was killed); shown up to its last saved epoch.',
          }
        : {}),
    layers: layersOf(record.spec),
    task: record.spec.training.loss === 'mse' ? 'regression' : 'classification',
    inputDim: shapeSize(record.spec.model.input ?? 0),
    epochs,
    totalEpochs: record.spec.training.epochs,
    step: 0,
    stepsPerSecond: 0,
  };
}
