/**
 * `dropout-lens`: the product's cores from a terminal. The benchmarks are not here: they are development tools
 * (`npm run bench`, bench/), and the shipped CLI imports nothing from bench/. Each subcommand lives in its own module and is
 * loaded only when asked for. Exit codes: 0 success, 1 findings of error severity or a failed run, 2 bad usage.
 */
import { shown } from './args';
import type { CliIO } from './io';

type Subcommand = (args: string[], io: CliIO) => Promise<number>;

// Subcommands load on demand with require(): it works in the webpack bundle and from sources under tsx alike.

const experiments = () => require('./experiments') as typeof import('./experiments');

// A Map, not an object: the command is the user's word, and `constructor` or `__proto__` must be unknown words.
const SUBCOMMANDS = new Map<string, { summary: string; load: () => Subcommand }>(
  Object.entries({
    lint: {
      summary:
        'lint PATH... [--format text|json|sarif]   find dropout mistakes in Python, Keras JSON and model configs',
      load: () => (require('./lint') as typeof import('./lint')).runLint,
    },
    train: {
      summary: 'train CONFIG [--json] [--epochs N]          train a model config, print per-epoch metrics',
      load: () => (require('./train') as typeof import('./train')).runTrain,
    },
    compare: {
      summary: 'compare CONFIG [--json]                     with vs without dropout, same data and seed',
      load: () => experiments().runCompare,
    },
    sweep: {
      summary: 'sweep CONFIG [--rates 0,0.1,..] [--group input|hidden|all] [--json]   dropout-rate sweep',
      load: () => experiments().runSweep,
    },
    'size-sweep': {
      summary: 'size-sweep CONFIG [--fractions 0.125,..,1] [--json]   dataset-size sweep, with vs without dropout',
      load: () => experiments().runSizeSweep,
    },
    mc: {
      summary: 'mc CONFIG [--samples N] [--json]            Monte Carlo dropout uncertainty',
      load: () => experiments().runMc,
    },
    probe: {
      summary:
        'probe [--out DIR] [--json] -- PYTHON SCRIPT.py ARGS...   run your PyTorch script under the runtime probe',
      load: () => (require('./probe') as typeof import('./probe')).runProbe,
    },
    'forgot-eval': {
      summary: 'forgot-eval CONFIG [--passes N] [--json]    what forgetting model.eval() reports',
      load: () => experiments().runForgotEval,
    },
  }),
);

export function usage(): string {
  return [
    'Usage: dropout-lens <command> [options]',
    '',
    'Commands:',
    ...[...SUBCOMMANDS.values()].map((s) => `  ${s.summary}`),
    '',
    "Run `dropout-lens <command> --help` for a command's options.",
  ].join('\n');
}

export async function main(argv: string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(usage() + '\n');
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v') {
    io.stdout(`${VERSION}\n`);
    return 0;
  }
  const subcommand = SUBCOMMANDS.get(name);
  if (!subcommand) {
    const what = name.startsWith('-') && name !== '-' ? `unknown option ${shown(name)}` : `unknown command "${name}"`;
    io.stderr(`dropout-lens: ${what}\n\n${usage()}\n`);
    return 2;
  }
  return subcommand.load()(rest, io);
}

declare const __DROPOUT_LENS_VERSION__: string | undefined;
const VERSION = typeof __DROPOUT_LENS_VERSION__ === 'string' ? __DROPOUT_LENS_VERSION__ : '0.1.0';
