/**
 * Files read whole from disk (a config's CSV dataset, the config itself): refused with a message when they
 * are not regular files (a FIFO, a device, a socket, a folder) before anything opens them, so that a FIFO
 * named `data.csv` cannot hang a read, and refused when larger than a stated limit, saying why. The file is
 * then opened without blocking and checked again on the open handle, so a file swapped in between is caught.
 */
import { closeSync, constants, fstatSync, openSync, promises as fs, readSync, statSync, type Stats } from 'node:fs';

/**
 * The largest CSV dataset read (bytes). Read whole by a host, it is held as bytes and parsed in chunks; streamed
 * by the engine worker from its path, only its numbers are held (float32, about 2.5 times their size at most).
 */
export const MAX_DATA_FILE_BYTES = 512 * 1024 * 1024;
/** The largest CSV the engine worker streams from its path. */
export const MAX_STREAMED_DATA_FILE_BYTES = 4 * 1024 * 1024 * 1024;
/** The largest model config read (bytes): a config is a few kilobytes; megabytes of one are not a config. */
export const MAX_CONFIG_FILE_BYTES = 8 * 1024 * 1024;

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(1)} GB`;
  if (bytes >= 1024 ** 2) return `${(bytes / 1024 ** 2).toFixed(bytes >= 10 * 1024 ** 2 ? 0 : 1)} MB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(0)} KB`;
  return `${bytes} bytes`;
}

/** What a file that is not a regular file is, in words. */
function kindOf(info: Stats): string | undefined {
  if (info.isFile()) return undefined;
  if (info.isDirectory()) return 'a folder';
  if (info.isFIFO()) return 'a FIFO (named pipe)';
  if (info.isCharacterDevice()) return 'a character device';
  if (info.isBlockDevice()) return 'a block device';
  if (info.isSocket()) return 'a socket';
  return 'not a regular file';
}

export interface FileLimit {
  /** What the file is, for messages: "the dataset", "the config". */
  what: string;
  maxBytes: number;
  /** Why the limit, for the refusal: "it is read into memory whole". */
  why: string;
}

export const DATA_FILE_LIMIT: FileLimit = {
  what: 'the dataset',
  maxBytes: MAX_DATA_FILE_BYTES,
  why: 'a CSV dataset is read into memory whole',
};

export const CONFIG_FILE_LIMIT: FileLimit = {
  what: 'the config',
  maxBytes: MAX_CONFIG_FILE_BYTES,
  why: 'a model config is a few kilobytes of YAML or JSON',
};

/** Why a file of this kind and size is refused (without its path), or undefined when it may be read. */
export function refusal(info: Stats, limit: FileLimit): string | undefined {
  const kind = kindOf(info);
  if (kind !== undefined) return `${limit.what} is ${kind}, not a regular file; Dropout Lens reads only regular files`;
  if (info.size > limit.maxBytes)
    return `${limit.what} is ${formatBytes(info.size)}, more than the ${formatBytes(limit.maxBytes)} Dropout Lens reads (${limit.why})`;
  return undefined;
}

/** `message` names the path; `reason` is the same without it. */
export type ReadResult = { ok: true; bytes: Uint8Array } | { ok: false; message: string; reason: string };

const failed = (path: string, reason: string): { ok: false; message: string; reason: string } => ({
  ok: false,
  message: `${path}: ${reason}`,
  reason,
});

const cannotRead = (limit: FileLimit, error: unknown) =>
  `cannot read ${limit.what} (${(error as NodeJS.ErrnoException).code ?? String(error)})`;

/** Checks a file without opening it: why it cannot or may not be read (without its path), else undefined. */
export async function checkFile(path: string, limit: FileLimit): Promise<string | undefined> {
  try {
    return refusal(await fs.stat(path), limit);
  } catch (error) {
    return cannotRead(limit, error);
  }
}

/** Reads a regular file of at most `limit.maxBytes`; every refusal and failure is a message, never a throw. */
export async function readRegularFile(path: string, limit: FileLimit): Promise<ReadResult> {
  const before = await checkFile(path, limit);
  if (before !== undefined) return failed(path, before);
  let handle: fs.FileHandle;
  try {
    // Non-blocking: should a FIFO have been put there since the check, opening it does not wait for a writer.
    handle = await fs.open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    return failed(path, cannotRead(limit, error));
  }
  try {
    const after = refusal(await handle.stat(), limit);
    if (after !== undefined) return failed(path, after);
    return { ok: true, bytes: await handle.readFile() };
  } catch (error) {
    return failed(path, cannotRead(limit, error));
  } finally {
    await handle.close().catch(() => undefined);
  }
}

export const STREAMED_DATA_FILE_LIMIT: FileLimit = {
  what: 'the dataset',
  maxBytes: MAX_STREAMED_DATA_FILE_BYTES,
  why: 'its numbers are held in memory as float32 arrays, and must fit',
};

/** Bytes read at a time when a file is streamed (small: the parser's text of a chunk stays young garbage). */
const STREAM_CHUNK = 1 << 16;

/**
 * Streams a regular file of at most `limit.maxBytes` to `onChunk`, synchronously, in chunks of 64 KB (the
 * engine worker reads its dataset so: it blocks only the worker). Throws an Error whose message says why
 * when the file is refused or cannot be read; `onChunk` may throw to stop.
 */
export function streamRegularFile(
  path: string,
  limit: FileLimit,
  onChunk: (bytes: Uint8Array, totalBytes: number) => void,
): void {
  const cannot = (error: unknown) => new Error(`${path}: ${cannotRead(limit, error)}`);
  let info: Stats;
  try {
    info = statSync(path);
  } catch (error) {
    throw cannot(error);
  }
  const before = refusal(info, limit);
  if (before !== undefined) throw new Error(`${path}: ${before}`);
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    throw cannot(error);
  }
  try {
    const opened = fstatSync(fd);
    const after = refusal(opened, limit);
    if (after !== undefined) throw new Error(`${path}: ${after}`);
    const buffer = new Uint8Array(STREAM_CHUNK);
    for (;;) {
      let read: number;
      try {
        read = readSync(fd, buffer, 0, buffer.length, null);
      } catch (error) {
        throw cannot(error);
      }
      if (read === 0) break;
      onChunk(buffer.subarray(0, read), opened.size);
    }
  } finally {
    closeSync(fd);
  }
}

/** A regular file's text (UTF-8, BOM dropped), read synchronously; throws with the reason, as streamRegularFile. */
export function readTextSync(path: string, limit: FileLimit): string {
  const decoder = new TextDecoder();
  const parts: string[] = [];
  streamRegularFile(path, limit, (bytes) => parts.push(decoder.decode(bytes, { stream: true })));
  parts.push(decoder.decode());
  return parts.join('');
}
