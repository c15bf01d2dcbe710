/** A saved run as the run panel draws it: the same snapshot a live session sends, read from the record. */
import type { LayerInfo } from '../protocol/engine';
import type { LayerSpec, ModelSpec } from '../protocol/modelSpec';
import type { EpochRecord, PanelSnapshot } from '../protocol/webview';
import type { RunRecord } from '../runs';

/** Layer widths follow from the spec: dense layers set the width, the others keep their input's. */
export function layersOf(spec: ModelSpec): LayerInfo[] {
  let width = spec.model.input ?? 0;
  return spec.model.layers.map((layer: LayerSpec, index) => {
    if (layer.type === 'dense') width = layer.units;
    const rate =
      layer.type === 'dropout'
        ? layer.rate
        : layer.type === 'dense' && layer.dropConnect
          ? layer.dropConnect
          : undefined;
    return { index, spec: layer, units: width, mode: 'eval' as const, ...(rate !== undefined ? { rate } : {}) };
  });
}

export function recordSnapshot(record: RunRecord): PanelSnapshot {
  const epochs: EpochRecord[] = record.epochs.map((e) => ({
    ...e,
    validationTrainMode: e.validationTrainMode ?? e.validation,
  }));
  return {
    runId: record.id,
    name: `${record.config.name} (saved ${record.kind} run)`,
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
    inputDim: record.spec.model.input ?? 0,
    epochs,
    totalEpochs: record.spec.training.epochs,
    step: 0,
    stepsPerSecond: 0,
  };
}
