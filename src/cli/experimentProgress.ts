/**
 * An experiment's progress on stderr: on a TTY one bar redrawn at most every 100 ms, else a line at most every
 * 10%.
 */
import type { ExperimentProgress } from '../experiments';
import { progressBar } from './format';
import type { CliIO } from './io';

export function progressPrinter(
  io: CliIO,
  interactive: boolean,
): { onProgress: (p: ExperimentProgress) => void; end: () => void } {
  let lastDecile = -1;
  let lastDraw = 0;
  let drawn = false;
  return {
    onProgress(p) {
      if (interactive) {
        const now = Date.now();
        if (now - lastDraw < 100 && p.fraction < 1) return;
        lastDraw = now;
        drawn = true;
        io.stderr(
          `\r${progressBar(p.fraction)} ${p.completedRuns}/${p.totalRuns} runs  ${(p.label ?? '').padEnd(24).slice(0, 24)}`,
        );
      } else {
        const decile = Math.floor(p.fraction * 10);
        if (decile === lastDecile) return;
        lastDecile = decile;
        io.stderr(`${progressBar(p.fraction)} ${p.completedRuns}/${p.totalRuns} runs\n`);
      }
    },
    end() {
      if (drawn) io.stderr('\n');
    },
  };
}
