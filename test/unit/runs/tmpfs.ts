// Small tmpfs mounts for fault tests: a full disk (ENOSPC) and a read-only one (EROFS). Mounting needs root on
// Linux (CI runs as root); elsewhere the caller skips with the reason this returns.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Mounted {
  dir: string;
  unmount(): void;
}

/** Mounts a tmpfs of `sizeKb` (read-only with `readOnly`), or answers why it cannot. */
export function mountTmpfs(sizeKb: number, readOnly = false): Mounted | string {
  if (process.platform !== 'linux') return `tmpfs fault tests need Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'tmpfs fault tests need root to mount a file system';
  const dir = mkdtempSync(join(tmpdir(), readOnly ? 'dl-ro-' : 'dl-full-'));
  const options = `size=${sizeKb}k${readOnly ? ',ro' : ''}`;
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { encoding: 'utf8' });
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

/** A mount's reason to skip, for `test(name, { skip }, ...)`: probed once, unmounted at once. */
export function tmpfsSkipReason(): string | false {
  const probe = mountTmpfs(16);
  if (typeof probe === 'string') return probe;
  probe.unmount();
  return false;
}
