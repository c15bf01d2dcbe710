/**
 * `npm run fuzz [-- --per-format N] [--format F]`: the fuzz campaign (campaign.ts), 10,000 inputs per format
 * by default. Prints per format the inputs, each kind of failure and the slowest input; exits 1 on any failure.
 */
import { failures, FORMATS, runFormat, type Format } from './campaign';

const args = process.argv.slice(2);
const value = (flag: string): string | undefined => {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
};
const perFormat = Number(value('--per-format') ?? 10_000);
const only = value('--format');
if (!Number.isInteger(perFormat) || perFormat < 1) {
  console.error(`--per-format must be a whole number of at least 1, got ${value('--per-format')}`);
  process.exit(2);
}
if (only !== undefined && !(FORMATS as readonly string[]).includes(only)) {
  console.error(`--format must be one of ${FORMATS.join(', ')}, got ${only}`);
  process.exit(2);
}
const formats = only ? [only as Format] : [...FORMATS];
let failed = 0;
console.log('format        inputs  throws  internal  out-of-range  nondeterministic  incremental  >2s   slowest');
for (const format of formats) {
  const started = Date.now();
  const r = runFormat(format, perFormat);
  failed += failures(r);
  const slowest = `${r.slowest.ms.toFixed(0)} ms (${(r.slowest.bytes / 1000).toFixed(0)} kB, ${r.slowest.mutation})`;
  console.log(
    `${format.padEnd(14)}${String(r.inputs).padEnd(8)}${String(r.throws).padEnd(8)}${String(r.internalErrors).padEnd(10)}` +
      `${String(r.outOfRange).padEnd(14)}${String(r.nondeterministic).padEnd(18)}${String(r.incrementalMismatches).padEnd(13)}` +
      `${String(r.slowOver2s).padEnd(6)}${slowest}   [${((Date.now() - started) / 1000).toFixed(0)} s]`,
  );
  for (const p of r.problems) console.log(`  ${p}`);
}
console.log(failed === 0 ? 'fuzz: no failure' : `fuzz: ${failed} failures`);
process.exit(failed === 0 ? 0 : 1);
