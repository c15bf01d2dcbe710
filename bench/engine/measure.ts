/** Timing: calibrate a window to about `windowSeconds`, then take the median rate over `windows` windows. */
export interface Rate {
  /** Median over the windows, operations per second. */
  readonly perSecond: number;
  /** Every window's rate, sorted. */
  readonly windows: readonly number[];
  readonly opsPerWindow: number;
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : 0.5 * (s[mid - 1]! + s[mid]!);
}

/** Warms `op` up (JIT tiers, buffer allocation: a few calls and at least a fifth of a second, or one slow call) and
 *  returns the calls that fill about `windowSeconds`. */
export function calibrate(op: () => void, windowSeconds: number): number {
  let n = 0;
  const t0 = performance.now();
  while (n < 3 || (performance.now() - t0 < 200 && n < 1e6)) {
    op();
    n++;
    if (performance.now() - t0 > 1000) break;
  }
  const rate = (n * 1000) / (performance.now() - t0);
  return Math.max(1, Math.round(rate * windowSeconds));
}

export function measureRate(op: () => void, windows: number, windowSeconds: number): Rate {
  const opsPerWindow = calibrate(op, windowSeconds);
  const seen: number[] = [];
  for (let w = 0; w < windows; w++) {
    const t0 = performance.now();
    for (let i = 0; i < opsPerWindow; i++) op();
    seen.push((opsPerWindow * 1000) / (performance.now() - t0));
  }
  seen.sort((a, b) => a - b);
  return { perSecond: median(seen), windows: seen, opsPerWindow };
}

/** The p-th percentile (0-100) by nearest rank; NaN for no values. */
export function percentile(values: readonly number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]! : NaN;
}
