/**
 * The passes of the Python analysis, in the order they run. Each adds facts that the passes after it (and the
 * rules) read: none reads a fact of a later pass. Between them the runner keys the stages of global facts
 * (k1, k2; k3 inside the flow pass), so that a pass whose inputs are unchanged replays each unchanged unit's
 * results instead of computing them (see runner.ts and reuse.ts). The rules run inside the passes that find
 * what they look at, in the order of the registry (rules/index.ts).
 */
import type { Py } from './context';
import { collectImports, detectTf1Style } from './imports';
import { collectClasses } from './classes';
import { collectFunctions } from './functions';
import { collectConstants } from './values';
import { checkCreations } from './creations';
import { analyzeChains } from './chains';
import { collectModels } from './models';
import { analyzeFlow } from './flow';
import { globalKey1, globalKey2 } from './reuse';
import type { PassRunner } from './runner';
import { PYTHON_RULES } from './rules';
import type { CallRule, FlowRule, ModuleRule, PythonRule, SequenceRule } from './rules/types';

/** The rules by what they look at, each list in registry order. */
interface RuleSets {
  readonly call: readonly CallRule[];
  readonly sequence: readonly SequenceRule[];
  readonly flow: readonly FlowRule[];
  readonly module: readonly ModuleRule[];
}

function ruleSets(rules: readonly PythonRule[]): RuleSets {
  return {
    call: rules.filter((r): r is CallRule => r.on === 'call'),
    sequence: rules.filter((r): r is SequenceRule => r.on === 'sequence'),
    flow: rules.filter((r): r is FlowRule => r.on === 'flow'),
    module: rules.filter((r): r is ModuleRule => r.on === 'module'),
  };
}

const REGISTERED = ruleSets(PYTHON_RULES);

interface Pass {
  readonly name: string;
  run(py: Py, runner: PassRunner, rules: RuleSets): void;
}

export const PASSES: readonly Pass[] = [
  // Import aliases, torch / Keras use, TF1 style.
  {
    name: 'imports',
    run: (py) => {
      collectImports(py);
      detectTf1Style(py);
    },
  },
  // The top-level statements the cache is kept by.
  { name: 'units', run: (py, runner) => runner.buildUnits(py) },
  // Model classes: frameworks, attribute layers, sensitivity, submodules.
  { name: 'classes', run: (py, runner) => collectClasses(py, runner) },
  // The function table (names, parameters, classes, MC intent, inference functions).
  { name: 'functions', run: (py) => collectFunctions(py) },
  // Module-level constants; from here names qualify for good.
  {
    name: 'constants',
    run: (py) => {
      collectConstants(py);
      py.frozen = true;
    },
  },
  {
    name: 'stage k1',
    // A class name defined twice: forward() of the second reads the first's attributes (see analyzeChains).
    run: (py, runner) => runner.settle('k1', () => globalKey1(py), !runner.duplicateClass(py)),
  },
  // What each call creates (dropout rates resolved), and the call rules.
  {
    name: 'creations',
    run: (py, runner, rules) =>
      checkCreations(py, runner, (call, made) => {
        for (const rule of rules.call) rule.check(py, call, made, py.em);
      }),
  },
  // Layer sequences from input to output, and the sequence rules.
  {
    name: 'chains',
    run: (py, runner, rules) =>
      analyzeChains(py, runner, (seq) => {
        for (const rule of rules.sequence) rule.check(py, seq, py.em);
      }),
  },
  // Which names are models, their sensitivity, trained and Trainer-handled models.
  { name: 'models', run: (py, runner) => collectModels(py, runner) },
  { name: 'stage k2', run: (py, runner) => runner.settle('k2', () => globalKey2(py)) },
  // Function summaries, call sites, the module's mode flow, then each function's, with the flow rules.
  { name: 'flow', run: (py, runner, rules) => analyzeFlow(py, runner, rules.flow) },
  // Not cached: they read models across units (mc-dropout-flips-batchnorm: train() calls are few).
  {
    name: 'module rules',
    run: (py, _runner, rules) => {
      for (const rule of rules.module) rule.check(py, py.em);
    },
  },
];

/**
 * Runs every pass over an indexed, parsed document with the registered rules (or others, for tests), then
 * keeps what the cache reuses next time. A cache is only ever used with one set of rules.
 */
export function runPasses(py: Py, runner: PassRunner, rules: readonly PythonRule[] = PYTHON_RULES): void {
  const sets = rules === PYTHON_RULES ? REGISTERED : ruleSets(rules);
  for (const pass of PASSES) pass.run(py, runner, sets);
  runner.save();
}
