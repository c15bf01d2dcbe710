/**
 * The validation split on the host, exactly as the engine builds it (same loader, seed and standardization):
 * the points an experiment's report draws and the labels its per-pass figures are scored against.
 */
import type { ModelSpec } from '../protocol/modelSpec';
import { loadDataset, type CsvSource } from '../engine/data';
import { STREAMED_DATA_FILE_LIMIT, streamRegularFile } from '../engine/data/files';

/** The CSV as loadDataset takes it: the text, or the file at the path streamed into blocks here. */
function csvSource(csv: { csvText?: string; csvPath?: string }): CsvSource | undefined {
  if (csv.csvText !== undefined || csv.csvPath === undefined) return csv.csvText;
  const path = csv.csvPath;
  return (sink) => streamRegularFile(path, STREAMED_DATA_FILE_LIMIT, (bytes) => sink.pushBytes(bytes));
}

/** The validation split, or undefined when the data cannot be loaded here. */
export function validationData(
  spec: ModelSpec,
  csv: { csvText?: string; csvPath?: string } = {},
): { x: Float32Array; y: Float32Array; n: number; inputDim: number; classes: number } | undefined {
  try {
    const data = loadDataset(spec.data, spec.seed, csvSource(csv));
    return { ...data.validation, inputDim: data.inputDim, classes: data.classes };
  } catch {
    return undefined;
  }
}
