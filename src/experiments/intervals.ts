/**
 * Statistics over seeds, the one implementation every experiment, the CLI and the reports use: the mean of a
 * measurement repeated over seeds, its 95% t-interval, and a paired comparison of two settings trained on
 * the same seeds. Pure: no engine, no vscode.
 *
 * Why paired: every setting of an experiment (each rate of a sweep, each arm of a comparison) trains on the
 * same list of seeds, and a seed fixes the data split, the initial weights and the masks' stream. Much of the
 * spread over seeds is shared by all settings (an easy split is easy for every rate), so comparing the
 * per-seed differences is more sensitive, and more honest, than checking whether two intervals overlap.
 */

/** The 97.5% quantile of Student's t for 1 to 30 degrees of freedom (two-sided 95%). */
const T975: readonly number[] = [
  12.706204736, 4.30265273, 3.182446305, 2.776445105, 2.570581836, 2.446911851, 2.364624252, 2.306004135, 2.262157163,
  2.228138852, 2.20098516, 2.17881283, 2.160368656, 2.144786688, 2.131449546, 2.119905299, 2.109815578, 2.10092204,
  2.093024054, 2.085963447, 2.079613845, 2.073873068, 2.06865761, 2.063898562, 2.059538553, 2.055529439, 2.051830516,
  2.048407142, 2.045229642, 2.042272456,
];

/** The standard normal's 97.5% quantile. */
const Z975 = 1.959963984540054;

/**
 * Student's t 97.5% quantile for `df` degrees of freedom: a table up to 30, above it the Cornish-Fisher
 * expansion around the normal quantile (Abramowitz & Stegun 26.7.5), good to 1e-7 there.
 */
export function tQuantile975(df: number): number {
  if (!Number.isInteger(df) || df < 1)
    throw new RangeError(`degrees of freedom must be a whole number ≥ 1 (got ${df})`);
  const tabled = T975[df - 1];
  if (tabled !== undefined) return tabled;
  const z = Z975;
  const z2 = z * z;
  const g1 = (z * (z2 + 1)) / 4;
  const g2 = (z * ((5 * z2 + 16) * z2 + 3)) / 96;
  const g3 = (z * (((3 * z2 + 19) * z2 + 17) * z2 - 15)) / 384;
  const g4 = (z * ((((79 * z2 + 776) * z2 + 1482) * z2 - 1920) * z2 - 945)) / 92160;
  return z + g1 / df + g2 / df ** 2 + g3 / df ** 3 + g4 / df ** 4;
}

/** A measurement over seeds: its mean and 95% t-interval, and the values it came from (in seed order). */
export interface Interval {
  mean: number;
  /** Lower end of the 95% interval of the mean; the mean itself when there is one value. */
  low: number;
  high: number;
  /** Sample standard deviation (n - 1); 0 with one value. */
  sd: number;
  /** Values that went in (finite ones). */
  n: number;
  values: number[];
}

/** Mean and 95% t-interval of the finite values; undefined when there are none. */
export function interval(values: readonly (number | undefined)[]): Interval | undefined {
  const v = values.filter((x): x is number => x !== undefined && Number.isFinite(x));
  const n = v.length;
  if (n === 0) return undefined;
  const mean = v.reduce((a, b) => a + b, 0) / n;
  if (n === 1) return { mean, low: mean, high: mean, sd: 0, n, values: v };
  const sd = Math.sqrt(v.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1));
  const half = (tQuantile975(n - 1) * sd) / Math.sqrt(n);
  return { mean, low: mean - half, high: mean + half, sd, n, values: v };
}

/** Whether two intervals overlap (a coarse check; `paired` is the one the experiments use). */
export function overlaps(a: Interval, b: Interval): boolean {
  return a.low <= b.high && b.low <= a.high;
}

/** A paired comparison over seeds: the interval of the per-seed difference a - b. */
export interface PairedDifference extends Interval {
  /**
   * True when the 95% interval of the difference contains 0: the two cannot be told apart at these seeds.
   * Also true with fewer than two pairs (nothing can be concluded), unless the one difference is exactly 0.
   */
  withinNoise: boolean;
}

/**
 * The per-seed differences `a[i] - b[i]` (pairs where either is missing or not finite are dropped) and
 * whether their 95% interval contains 0. Undefined when no pair is complete.
 */
export function paired(
  a: readonly (number | undefined)[],
  b: readonly (number | undefined)[],
): PairedDifference | undefined {
  const diffs: number[] = [];
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x !== undefined && y !== undefined && Number.isFinite(x) && Number.isFinite(y)) diffs.push(x - y);
  }
  const d = interval(diffs);
  if (!d) return undefined;
  const withinNoise = d.n < 2 ? true : d.low <= 0 && d.high >= 0;
  return { ...d, withinNoise };
}

/** The seeds an experiment trains: the config's seed, then the next ones (`count` in all). */
export function seedList(base: number, count: number): number[] {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`seeds must be a whole number ≥ 1 (got ${count})`);
  return Array.from({ length: count }, (_, i) => (base + i) >>> 0);
}

/** The default number of seeds per point. */
export const DEFAULT_SEEDS = 5;

/** "0.4213 ± 0.0120" style text for an interval (half-width; no ± with one seed). */
export function formatInterval(i: Interval | undefined, digits = 4, scale = 1): string {
  if (!i) return '-';
  const m = (i.mean * scale).toFixed(digits);
  if (i.n < 2) return m;
  return `${m} ± ${(((i.high - i.low) / 2) * scale).toFixed(digits)}`;
}
