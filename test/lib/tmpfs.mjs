// Small tmpfs mounts for the fault checks of the script-style suites: a full disk (ENOSPC) and a read-only one
// (EROFS). Mounting needs root on Linux (CI runs as root); elsewhere mountTmpfs answers why, and the check is
// skipped with that reason. (test/unit/runs/tmpfs.ts is the same for the unit tests.)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Mounts a tmpfs of `sizeKb` (read-only with `readOnly`): `{ dir, unmount }`, or a string saying why not. */
export function mountTmpfs(sizeKb, readOnly = false) {
  if (process.platform !== 'linux') return `tmpfs fault checks need Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'tmpfs fault checks need root to mount a file system';
  const dir = mkdtempSync(join(tmpdir(), readOnly ? 'dl-ro-' : 'dl-full-'));
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeKb}k${readOnly ? ',ro' : ''}`, 'tmpfs', dir], {
    encoding: 'utf8',
  });
  if (r.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    return `cannot mount a tmpfs here: ${(r.stderr || r.error?.message || `exit ${r.status}`).trim()}`;
  }
  return {
    dir,
    unmount() {
      spawnSync('umount', [dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
