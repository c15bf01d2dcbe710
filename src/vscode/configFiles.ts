/** Finding, reading and parsing model configs from the workspace. */
import * as vscode from 'vscode';
import { configCore } from './lazyCores';
import type { Finding } from '../protocol/findings';
import type { ModelSpec } from '../protocol/modelSpec';
import {
  CONFIG_FILE_LIMIT,
  DATA_FILE_LIMIT,
  MAX_DATA_FILE_BYTES,
  STREAMED_DATA_FILE_LIMIT,
  checkFile,
  formatBytes,
  readRegularFile,
} from '../engine/data/files';

export const CONFIG_GLOB = '**/*.dropout.{yaml,yml,json}';
const CONFIG_NAME = /\.dropout\.(ya?ml|json)$/i;

export function isModelConfig(uri: vscode.Uri): boolean {
  return CONFIG_NAME.test(uri.path);
}

/** The config in the active editor, else the one visible editor showing a config. */
export function activeConfigUri(): vscode.Uri | undefined {
  const active = vscode.window.activeTextEditor?.document.uri;
  if (active && isModelConfig(active)) return active;
  return vscode.window.visibleTextEditors.map((e) => e.document.uri).find(isModelConfig);
}

/** A config's text: the open document's, else the file's (only a regular file within the config limit). */
export async function readText(uri: vscode.Uri): Promise<string> {
  const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  if (open) return open.getText();
  if (uri.scheme === 'file') {
    const read = await readRegularFile(uri.fsPath, CONFIG_FILE_LIMIT);
    if (!read.ok) throw new Error(read.message);
    return new TextDecoder().decode(read.bytes);
  }
  return new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
}

export type LoadedConfig =
  /**
   * When the config names a CSV: `csvPath`, the checked file for the engine worker to stream (with
   * `{ stream: true }` on disk), or `csvBytes`, the dataset file as read (decoded where it is used).
   */
  | { ok: true; spec: ModelSpec; csvBytes?: Uint8Array; csvPath?: string }
  | { ok: false; problems: Finding[]; message: string };

/**
 * Parses a config and reads its CSV, if any. Errors come back as a precise message, never thrown. With
 * `stream`, a CSV on disk is only checked (a regular file within the streamed limit) and named by path: the
 * engine worker reads it, and the extension host never holds it.
 */
export async function loadConfig(uri: vscode.Uri, options: { stream?: boolean } = {}): Promise<LoadedConfig> {
  let text: string;
  try {
    text = await readText(uri);
  } catch (error) {
    return { ok: false, problems: [], message: error instanceof Error ? error.message : String(error) };
  }
  const { spec, findings } = configCore().parseModelConfig(text, uri.path);
  const errors = findings.filter((f) => f.severity === 'error');
  if (!spec || errors.length > 0) {
    const first = errors[0];
    const where = first ? ` (line ${first.range.start.line + 1}: ${first.message})` : '';
    return {
      ok: false,
      problems: errors,
      message: `The model config ${vscode.workspace.asRelativePath(uri)} is invalid${where}.`,
    };
  }
  if (spec.data.source !== 'csv') return { ok: true, spec };
  const csvUri = vscode.Uri.joinPath(uri, '..', spec.data.path);
  if (options.stream && csvUri.scheme === 'file') {
    const problem = await checkFile(csvUri.fsPath, { ...STREAMED_DATA_FILE_LIMIT, what: 'it' });
    if (problem === undefined) return { ok: true, spec, csvPath: csvUri.fsPath };
    return {
      ok: false,
      problems: [],
      message: `Cannot read the dataset ${vscode.workspace.asRelativePath(csvUri)} named by ${vscode.workspace.asRelativePath(uri)}: ${problem}`,
    };
  }
  const read = await readDataset(csvUri);
  if (read.ok) return { ok: true, spec, csvBytes: read.bytes };
  return {
    ok: false,
    problems: [],
    message: `Cannot read the dataset ${vscode.workspace.asRelativePath(csvUri)} named by ${vscode.workspace.asRelativePath(uri)}: ${read.message}`,
  };
}

/**
 * A dataset's bytes, read only when it is a regular file within the stated size limit (a FIFO, a device or a
 * folder is refused before it is opened, so it cannot hang the extension host).
 */
async function readDataset(uri: vscode.Uri): Promise<{ ok: true; bytes: Uint8Array } | { ok: false; message: string }> {
  if (uri.scheme === 'file') {
    const read = await readRegularFile(uri.fsPath, { ...DATA_FILE_LIMIT, what: 'it' });
    // The caller names the path, relative to the workspace.
    return read.ok ? read : { ok: false, message: read.reason };
  }
  try {
    const info = await vscode.workspace.fs.stat(uri);
    if ((info.type & vscode.FileType.File) === 0)
      return {
        ok: false,
        message: `it is ${info.type & vscode.FileType.Directory ? 'a folder, not a regular file' : 'not a regular file'}; Dropout Lens reads only regular files`,
      };
    if (info.size > MAX_DATA_FILE_BYTES)
      return {
        ok: false,
        message: `it is ${formatBytes(info.size)}, more than the ${formatBytes(MAX_DATA_FILE_BYTES)} Dropout Lens reads (${DATA_FILE_LIMIT.why})`,
      };
    return { ok: true, bytes: await vscode.workspace.fs.readFile(uri) };
  } catch (error) {
    return { ok: false, message: error instanceof Error ? error.message : String(error) };
  }
}
