/**
 * The harness every experiment command shares: flag parsing, config loading, `--save`, Ctrl-C, progress, the
 * result on stdout (a summary, or JSON with `--json`) and the exit code: 0 success, 1 a failed run (or an
 * unreadable config), 2 bad usage.
 */
import type { ExperimentOptions, ExperimentStatus, Launcher } from '../experiments';
import type { ModelSpec } from '../protocol/modelSpec';
import { checkRunsFolder, RunStore, type RunFileSystem, type RunSaveError, type RunWriter } from '../runs';
import type { RunKind } from '../runs/format';
import { parseExperimentArgs, type ExperimentArgs, type ExtraFlag } from './experimentArgs';
import { progressPrinter } from './experimentProgress';
import type { CliIO } from './io';

/** What the commands need from outside; tests replace it. */
export interface ExperimentCliDeps {
  launcher(): Launcher;
  loadConfig(path: string): Promise<{ spec: ModelSpec; csvText?: string; csvPath?: string } | { error: string }>;
  runsFolder(): string;
  /** Where runs are written (tests fake a full disk); default node:fs. */
  fileSystem?: RunFileSystem;
  /** A TTY redraws one progress line; otherwise progress is printed at most every 10%. */
  interactive: boolean;
}

/** SIGINT stops the trainings; the result then reports `stopped`. */
function withInterrupt<T>(run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.once('SIGINT', onSigint);
  return run(controller.signal).finally(() => process.off('SIGINT', onSigint));
}

/** One experiment command: its name, the run kind it saves, its usage and extra flags, how it runs and reports. */
export interface ExperimentCommand<R extends { status: ExperimentStatus; message?: string }> {
  name: string;
  kind: RunKind;
  usage: string;
  flags: readonly ExtraFlag[];
  run(spec: ModelSpec, options: ExperimentOptions, parsed: ExperimentArgs): Promise<R>;
  json(result: R, configPath?: string): Record<string, unknown>;
  /** The summary printed on stdout without `--json`. */
  text(result: R): string;
}

/** Parse, load the config, train (Ctrl-C stops), print the result, and answer with the exit code. */
export async function runExperimentCommand<R extends { status: ExperimentStatus; message?: string }>(
  command: ExperimentCommand<R>,
  args: string[],
  io: CliIO,
  deps: ExperimentCliDeps,
): Promise<number> {
  const parsed = parseExperimentArgs(args, command.flags);
  if (parsed === 'help') {
    io.stdout(command.usage);
    return 0;
  }
  if ('error' in parsed) {
    io.stderr(`dropout-lens ${command.name}: ${parsed.error}\n\n${command.usage}`);
    return 2;
  }
  const fail = (message: string) => io.stderr(`dropout-lens ${command.name}: ${message}\n`);
  // Before any long work (reading a large CSV, training): can the run be saved where --save puts it?
  const folder = parsed.save ? deps.runsFolder() : undefined;
  if (folder !== undefined) {
    const problem = await checkRunsFolder(folder, deps.fileSystem);
    if (problem) {
      fail(`cannot save the run (--save): ${problem.message}`);
      return 1;
    }
  }
  const loaded = await deps.loadConfig(parsed.config);
  if ('error' in loaded) {
    io.stderr(`${loaded.error}\n`);
    return 1;
  }
  let writer: RunWriter | undefined;
  if (folder !== undefined) {
    // Every failed write is reported as it happens; the same reason for the same file once.
    const told = new Set<string>();
    const onError = (error: RunSaveError) => {
      const key = `${error.path}\0${error.code ?? error.reason}`;
      if (told.has(key)) return;
      told.add(key);
      if (deps.interactive) io.stderr('\n');
      fail(`saving the run failed: ${error.message}`);
    };
    try {
      writer = await new RunStore(folder, deps.fileSystem).create({
        kind: command.kind,
        spec: loaded.spec,
        config: { name: loaded.spec.name, path: parsed.config },
        onError,
      });
    } catch (error) {
      fail(`cannot save the run (--save): ${error instanceof Error ? error.message : String(error)}`);
      return 1;
    }
  }
  const progress = progressPrinter(io, deps.interactive);
  let result: R;
  try {
    result = await withInterrupt((signal) =>
      command.run(
        loaded.spec,
        {
          launcher: deps.launcher(),
          signal,
          onProgress: progress.onProgress,
          ...(loaded.csvText !== undefined ? { csvText: loaded.csvText } : {}),
          ...(loaded.csvPath !== undefined ? { csvPath: loaded.csvPath } : {}),
          ...(parsed.epochs !== undefined ? { epochs: parsed.epochs } : {}),
          ...(parsed.parallel !== undefined ? { maxParallel: parsed.parallel } : {}),
          ...(parsed.seeds !== undefined ? { seeds: parsed.seeds } : {}),
          ...(writer ? { writer } : {}),
        },
        parsed,
      ),
    );
  } catch (error) {
    // Not a usage error: an experiment that could not run (a dataset unreadable since it was checked...). Its
    // message, never a stack; the run it leaves is ended as failed.
    progress.end();
    const message = error instanceof Error ? error.message : String(error);
    if (writer) {
      await writer.finish('failed', { message });
      await writer.close();
    }
    fail(`failed: ${message}`);
    return 1;
  }
  progress.end();
  // Saved means the final record is on disk: written, flushed and renamed into place.
  const saved = writer ? await writer.close() : undefined;
  if (parsed.json) io.stdout(JSON.stringify(command.json(result, parsed.config), null, 2) + '\n');
  else {
    io.stdout(command.text(result));
    if (saved?.saved)
      io.stdout(
        `saved: ${saved.file}${saved.failures.length > 0 ? ` (after ${saved.failures.length} failed write${saved.failures.length === 1 ? '' : 's'}, reported above)` : ''}\n`,
      );
  }
  if (result.status !== 'completed') fail(`${result.status}: ${result.message ?? ''}`);
  if (saved && !saved.saved) {
    fail(`the run was not saved: ${saved.error.message}`);
    return 1;
  }
  return result.status === 'completed' ? 0 : 1;
}
