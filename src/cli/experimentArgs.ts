/**
 * The experiment commands' arguments: one CONFIG and the flags every command takes (`--json`, `--save`,
 * `--epochs`, `--parallel`, `--seeds`), plus the extra ones each command lists (`--rates`, `--group`,
 * `--fractions`, `--samples`, `--passes`).
 */
import type { LayerGroup } from '../experiments';
import { checkFractions } from '../experiments/datasetSweep';
import { checkRates } from '../experiments/sweep';
import { MAX_EPOCHS, oneOf, parseArgs, shown, wholeNumber, type FlagSpec } from './args';

export interface ExperimentArgs {
  config: string;
  json: boolean;
  save: boolean;
  epochs?: number;
  parallel?: number;
  seeds?: number;
  rates?: number[];
  group?: LayerGroup;
  fractions?: number[];
  samples?: number;
  passes?: number;
}

/** Options only some commands take; each command lists the ones it accepts. */
export type ExtraFlag = '--rates' | '--group' | '--fractions' | '--samples' | '--passes';

/** The most trainings at once `--parallel` allows. */
const MAX_PARALLEL = 256;

const numberList = (
  flag: string,
  check: (values: readonly number[]) => string | undefined,
  expects: string,
): FlagSpec => ({
  expects,
  read: (text) => {
    const values = text.split(',').map((s) => (s.trim() === '' ? Number.NaN : Number(s)));
    const problem = check(values);
    return problem ? { error: `${flag} must be ${expects}, got ${shown(text)}: ${problem}` } : { value: values };
  },
});

const COMMON_FLAGS: [string, FlagSpec][] = [
  ['--json', {}],
  ['--save', {}],
  ['--epochs', wholeNumber('--epochs', 1, MAX_EPOCHS)],
  ['--parallel', wholeNumber('--parallel', 1, MAX_PARALLEL)],
  ['--seeds', wholeNumber('--seeds', 1, 100)],
];

const EXTRA_FLAGS = new Map<ExtraFlag, FlagSpec>([
  ['--samples', wholeNumber('--samples', 2, 1000)],
  ['--passes', wholeNumber('--passes', 2, 1000)],
  ['--rates', numberList('--rates', checkRates, 'comma-separated dropout rates in [0, 1), each once')],
  ['--fractions', numberList('--fractions', checkFractions, 'comma-separated fractions in (0, 1], each once')],
  ['--group', oneOf('--group', ['input', 'hidden', 'all'] as const)],
]);

/** Parses the shared flags and the command's extra ones; returns an error message for bad usage. */
export function parseExperimentArgs(
  args: string[],
  extraFlags: readonly ExtraFlag[],
): ExperimentArgs | { error: string } | 'help' {
  const specs = new Map<string, FlagSpec>([
    ...COMMON_FLAGS,
    ...extraFlags.map((f): [string, FlagSpec] => [f, EXTRA_FLAGS.get(f)!]),
  ]);
  const parsed = parseArgs(args, specs);
  if (parsed === 'help' || 'error' in parsed) return parsed;
  const { flags, positional } = parsed;
  if (positional.length !== 1)
    return {
      error:
        positional.length === 0 ? 'a CONFIG file is needed' : `only one CONFIG file, please (got ${positional.length})`,
    };
  const out: ExperimentArgs = { config: positional[0]!, json: flags.has('--json'), save: flags.has('--save') };
  const put = <K extends keyof ExperimentArgs>(key: K, flag: string) => {
    if (flags.has(flag)) out[key] = flags.get(flag) as ExperimentArgs[K];
  };
  put('epochs', '--epochs');
  put('parallel', '--parallel');
  put('seeds', '--seeds');
  put('rates', '--rates');
  put('group', '--group');
  put('fractions', '--fractions');
  put('samples', '--samples');
  put('passes', '--passes');
  return out;
}
