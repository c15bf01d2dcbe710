/** The usage texts of the experiment commands (`--help`, and after a usage error), with the options they share. */
import { DEFAULT_FRACTIONS } from '../experiments/datasetSweep';
import { DEFAULT_SEEDS } from '../experiments/intervals';
import { DEFAULT_RUNS_FOLDER } from '../runs';

/** The options every experiment command takes, at the end of its usage. */
const COMMON_OPTIONS = `  --seeds N       seeds per point, 1 to 100 (default ${DEFAULT_SEEDS}): the config's seed and the next
                  ones; results are means with 95% t-intervals over them
  --epochs N      override the config's epochs (1 to 100000)
  --parallel N    trainings at once, 1 to 256 (default: one per CPU core)
  --save          save the experiment under ${DEFAULT_RUNS_FOLDER} in the current folder
  --json          print the result as JSON on stdout
`;

export const SWEEP_USAGE = `Usage: dropout-lens sweep CONFIG [--rates 0,0.1,...,0.8] [--group input|hidden|all] [--seeds N] [--epochs N] [--parallel N] [--save] [--json]

Trains the model per dropout rate (default 0 to 0.8 in steps of 0.1) on the chosen layer group (default
hidden), on each seed, in parallel, and reports validation loss and accuracy per rate (mean and 95%
interval over the seeds), the best rate (lowest mean validation loss), the rates a paired t-test over the
seeds cannot tell from it, and the overfitting/underfitting regions around it.
  --rates LIST    comma-separated rates in [0, 1)
  --group G       input: dropout before the first dense or conv2d layer; hidden: after hidden layers; all: both
${COMMON_OPTIONS}`;

export const COMPARE_USAGE = `Usage: dropout-lens compare CONFIG [--seeds N] [--epochs N] [--parallel N] [--save] [--json]

Trains the model on the same data and seeds with its dropout and with every rate at 0 (and DropConnect
off), and reports final training/validation loss and accuracy, the generalization gap (means and 95%
intervals over the seeds, and whether the change is beyond the noise), and how evenly each model spreads
its weights.
${COMMON_OPTIONS}`;

export const SIZE_SWEEP_USAGE = `Usage: dropout-lens size-sweep CONFIG [--fractions ${DEFAULT_FRACTIONS.join(',')}] [--seeds N] [--epochs N] [--parallel N] [--save] [--json]

Trains the model with and without dropout on growing subsets of the data (same seeds), and reports per
size how much dropout helps: validation loss without dropout minus with it (positive: it helps; mean and
95% interval over the seeds, paired), the
size where it helps most and the size from which it stops helping. A config without dropout gets 0.5
after each hidden layer for the "with dropout" runs.
  --fractions LIST  comma-separated fractions of the data in (0, 1]
${COMMON_OPTIONS}`;

export const MC_USAGE = `Usage: dropout-lens mc CONFIG [--samples N] [--seeds N] [--epochs N] [--save] [--json]

Trains the model, then makes N stochastic passes over the validation data with dropout on (Monte Carlo
dropout), and reports the mean variance of the predictions, the accuracy of the Monte Carlo mean against
the deterministic eval-mode pass (means and 95% intervals over the seeds), and the samples the model
(first seed) is least sure of.
  --samples N     stochastic passes, 2 to 1000 (default: the config's evaluation.mcSamples, else 30)
${COMMON_OPTIONS}`;

export const FORGOT_EVAL_USAGE = `Usage: dropout-lens forgot-eval CONFIG [--passes N] [--seeds N] [--epochs N] [--save] [--json]

Trains the model, then evaluates it in eval mode (correct) and in train mode (dropout still on: what a
loop that forgot model.eval() reports), means and 95% intervals over the seeds, and how much single
train-mode passes (first seed) disagree with each other: the accuracy each reports, the predictions that
flip between passes.
  --passes N      single train-mode passes, 2 to 1000 (default 10)
${COMMON_OPTIONS}`;
