/** `dropout-lens train CONFIG [--json] [--epochs N]`: the engine in this process, a progress bar, a summary. */
import { dirname, resolve } from 'node:path';
import { parseModelConfig } from '../analysis/config';
import { EngineSession } from '../engine/session';
import type { EngineEvent } from '../protocol/engine';
import type { ModelSpec } from '../protocol/modelSpec';
import type { EpochRecord } from '../protocol/webview';
import {
  CONFIG_FILE_LIMIT,
  DATA_FILE_LIMIT,
  STREAMED_DATA_FILE_LIMIT,
  checkFile,
  formatBytes,
  readRegularFile,
  streamRegularFile,
} from '../engine/data/files';
import { MAX_EPOCHS, oneOf, parseArgs, wholeNumber, type FlagSpec } from './args';
import { parseWorkerSetting } from '../engine/parallel/choice';
import type { WorkerSetting } from '../protocol/engine';
import { threadReplicas } from '../session/replicaWorkers';
import { fixed, percent, progressBar, table, toJson } from './format';
import type { CliIO } from './io';

const USAGE = `Usage: dropout-lens train CONFIG [--json] [--epochs N] [--workers auto|1|2]

Trains the model config in this process and prints its metrics per epoch.
  --epochs N      override the config's epochs (1 to ${MAX_EPOCHS})
  --workers W     engine workers sharing each step: auto (default: two for big models), 1 or 2
  --json          print the engine's events as JSON lines on stdout
`;

const TRAIN_FLAGS = new Map<string, FlagSpec>([
  ['--json', {}],
  ['--epochs', wholeNumber('--epochs', 1, MAX_EPOCHS)],
  ['--workers', oneOf('--workers', ['auto', '1', '2'])],
]);

/**
 * Reads and parses a config and its CSV. Returns a precise message instead of throwing. Neither file is opened
 * unless it is a regular file within its size limit (a FIFO named data.csv is refused, it cannot hang). With
 * `streamCsv`, the CSV is only checked and its path returned, for an engine that streams it from disk.
 */
export async function loadConfigFile(
  path: string,
  options: { streamCsv?: boolean } = {},
): Promise<{ spec: ModelSpec; csvText?: string; csvPath?: string } | { error: string }> {
  const config = await readRegularFile(path, CONFIG_FILE_LIMIT);
  if (!config.ok) return { error: config.message };
  const text = new TextDecoder().decode(config.bytes);
  const { spec, findings } = parseModelConfig(text, path);
  const errors = findings.filter((f) => f.severity === 'error');
  if (!spec || errors.length > 0) {
    return {
      error:
        errors
          .map((f) => `${path}:${f.range.start.line + 1}:${f.range.start.character + 1}: ${f.rule}: ${f.message}`)
          .join('\n') || `${path}: not a valid model config`,
    };
  }
  if (spec.data.source !== 'csv') return { spec };
  const csvPath = resolve(dirname(path), spec.data.path);
  const what = 'the dataset named in data.csv';
  if (options.streamCsv) {
    const problem = await checkFile(csvPath, { ...STREAMED_DATA_FILE_LIMIT, what });
    return problem === undefined ? { spec, csvPath } : { error: `${path}: ${csvPath}: ${problem}` };
  }
  const csv = await readRegularFile(csvPath, { ...DATA_FILE_LIMIT, what });
  if (!csv.ok) return { error: `${path}: ${csv.message}` };
  return { spec, csvText: new TextDecoder().decode(csv.bytes) };
}

/** The dataset of an in-process training: its text, or its path for the engine to stream. */
export type CsvInput = { csvText: string } | { csvPath: string } | undefined;

/** Runs one training session in this process; resolves with its events' `done`. */
export function trainInProcess(
  spec: ModelSpec,
  csv: CsvInput,
  onEvent: (event: EngineEvent) => void,
  signal?: AbortSignal,
  workers: WorkerSetting = 'auto',
): Promise<Extract<EngineEvent, { type: 'done' }>> {
  return new Promise((resolveDone) => {
    const session = new EngineSession({
      post: (event) => {
        onEvent(event);
        if (event.type === 'done') resolveDone(event);
      },
      schedule: (fn) => setImmediate(fn),
      readFile: (file, onChunk) => streamRegularFile(file, STREAMED_DATA_FILE_LIMIT, onChunk),
      replicas: threadReplicas(),
    });
    signal?.addEventListener('abort', () => session.handle({ type: 'stop' }), { once: true });
    session.handle({
      type: 'start',
      version: 1,
      spec,
      ...csv,
      options: { streamHz: 0, boundaryEvery: 0, workers },
    });
  });
}

export async function runTrain(args: string[], io: CliIO): Promise<number> {
  const parsed = parseArgs(args, TRAIN_FLAGS);
  if (parsed === 'help') {
    io.stdout(USAGE);
    return 0;
  }
  const problem =
    'error' in parsed
      ? parsed.error
      : parsed.positional.length !== 1
        ? parsed.positional.length === 0
          ? 'a CONFIG file is needed'
          : `only one CONFIG file, please (got ${parsed.positional.length})`
        : undefined;
  if (problem !== undefined || 'error' in parsed) {
    io.stderr(`dropout-lens train: ${problem}\n\n${USAGE}`);
    return 2;
  }
  const json = parsed.flags.has('--json');
  const epochs = parsed.flags.get('--epochs') as number | undefined;
  const workers = parseWorkerSetting(parsed.flags.get('--workers')) ?? 'auto';
  // The engine streams the CSV from disk: this process never holds the file's text.
  const loaded = await loadConfigFile(parsed.positional[0]!, { streamCsv: true });
  if ('error' in loaded) {
    io.stderr(`${loaded.error}\n`);
    return 1;
  }
  const spec: ModelSpec = epochs ? { ...loaded.spec, training: { ...loaded.spec.training, epochs } } : loaded.spec;
  const epochRows: EpochRecord[] = [];
  let loadingShown = false;
  let failure: string | undefined;
  const abort = new AbortController();
  const onSigint = () => abort.abort();
  process.once('SIGINT', onSigint);
  const done = await trainInProcess(
    spec,
    loaded.csvPath !== undefined ? { csvPath: loaded.csvPath } : undefined,
    (event) => {
      if (json) io.stdout(toJson(event) + '\n');
      if (event.type === 'loading' && !json)
        io.stderr(`\r${progressBar(event.fraction)} reading the dataset (${formatBytes(event.totalBytes)})`);
      if (event.type === 'ready' && !json && loadingShown) io.stderr('\n');
      if (event.type === 'ready' && !json && event.workers !== undefined)
        io.stderr(`training on ${event.workers} engine workers (each batch split between them)\n`);
      if (event.type === 'loading') loadingShown = true;
      if (event.type === 'epoch') {
        epochRows.push(event);
        if (!json)
          io.stderr(
            `\r${progressBar(event.epoch / spec.training.epochs)} epoch ${event.epoch}/${spec.training.epochs}  loss ${fixed(event.train.loss)}  val ${fixed(event.validation.loss)}`,
          );
      }
      if (event.type === 'error' && event.fatal) failure = event.message;
    },
    abort.signal,
    workers,
  );
  process.off('SIGINT', onSigint);
  if (!json) {
    io.stderr('\n');
    if (epochRows.length > 0) io.stdout(summary(spec, epochRows));
  }
  if (done.reason === 'failed') {
    io.stderr(`${spec.name}: training failed: ${failure ?? 'unknown error'}\n`);
    return 1;
  }
  return 0;
}

function summary(spec: ModelSpec, rows: EpochRecord[]): string {
  // Long runs show every k-th epoch and always the last one.
  const every = Math.max(1, Math.ceil(rows.length / 20));
  const shown = rows.filter((_row, i) => (i + 1) % every === 0 || i === rows.length - 1);
  const last = rows.at(-1)!;
  const gap = last.validation.loss - last.train.loss;
  return (
    `\n${spec.name} (seed ${spec.seed})\n` +
    table(
      ['epoch', 'train loss', 'train acc', 'val loss', 'val acc', 'val loss (train mode)', 'val acc (train mode)'],
      shown.map((r) => [
        String(r.epoch),
        fixed(r.train.loss),
        percent(r.train.accuracy),
        fixed(r.validation.loss),
        percent(r.validation.accuracy),
        fixed(r.validationTrainMode.loss),
        percent(r.validationTrainMode.accuracy),
      ]),
    ) +
    `generalization gap (val loss − train loss): ${fixed(gap)}\n`
  );
}
