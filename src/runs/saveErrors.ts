/**
 * Why a run could not be saved, in words: every failed write of the run store becomes a `RunSaveError` that
 * names the path it failed on and the reason (a full disk, a read-only file system, a permission), so the
 * CLI and VS Code can say so instead of printing a stack or calling the run saved.
 */

const REASONS = new Map<string, string>([
  ['ENOSPC', 'no space left on the device'],
  ['EDQUOT', 'the disk quota is exceeded'],
  ['EROFS', 'the file system is read-only'],
  ['EACCES', 'permission denied'],
  ['EPERM', 'operation not permitted'],
  ['ENOENT', 'the folder does not exist'],
  ['ENOTDIR', 'a part of the path is a file, not a folder'],
  ['EISDIR', 'a folder is in the way'],
  ['EEXIST', 'a file is in the way'],
  ['EMFILE', 'too many open files'],
  ['ENFILE', 'too many open files'],
  ['EIO', 'an input/output error of the device'],
  ['EFBIG', 'the file is too large for the file system'],
  ['ENAMETOOLONG', 'the path is too long'],
]);

export class RunSaveError extends Error {
  override readonly name = 'RunSaveError';
  constructor(
    /** The file or folder the write failed on. */
    readonly path: string,
    /** The system error code (ENOSPC, EROFS, EACCES...), when there is one. */
    readonly code: string | undefined,
    /** The reason in words. */
    readonly reason: string,
  ) {
    super(`cannot write ${path}: ${reason}${code !== undefined ? ` (${code})` : ''}`);
  }
}

/** The error of a failed write as a `RunSaveError` naming `path` (the file the caller was writing). */
export function saveErrorOf(error: unknown, path: string): RunSaveError {
  if (error instanceof RunSaveError) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const known = typeof code === 'string' ? REASONS.get(code) : undefined;
  const reason = known ?? (error instanceof Error ? error.message : String(error));
  return new RunSaveError(path, typeof code === 'string' ? code : undefined, reason);
}
