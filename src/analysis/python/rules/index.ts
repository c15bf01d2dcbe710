/**
 * The Python rules, one file each, in the order they run on the same facts (which decides the order of
 * findings at the same place). Adding a rule: a file that exports a rule of ./types, and a line here.
 */
import type { PythonRule } from './types';
import { missingEval } from './missingEval';
import { missingTrainAfterEval } from './missingTrainAfterEval';
import { pretrainedNeverTrainedMode } from './pretrainedNeverTrainedMode';
import { dropoutRateOutOfRange } from './dropoutRateOutOfRange';
import { keepProbConfusion } from './keepProbConfusion';
import { tf1KeepProbApi } from './tf1KeepProbApi';
import { tf1DropoutNoTraining } from './tf1DropoutNoTraining';
import { functionalDropoutNoTrainingFlag } from './functionalDropoutNoTrainingFlag';
import { attentionDropoutInEval } from './attentionDropoutInEval';
import { trainingTrueAtInference } from './trainingTrueAtInference';
import { rnnDropoutSingleLayer } from './rnnDropoutSingleLayer';
import { dropoutBeforeBatchnorm } from './dropoutBeforeBatchnorm';
import { highInputDropout } from './highInputDropout';
import { dropoutOnOutput } from './dropoutOnOutput';
import { mcDropoutFlipsBatchnorm } from './mcDropoutFlipsBatchnorm';

export const PYTHON_RULES: readonly PythonRule[] = [
  missingEval,
  missingTrainAfterEval,
  pretrainedNeverTrainedMode,
  dropoutRateOutOfRange,
  keepProbConfusion,
  tf1KeepProbApi,
  tf1DropoutNoTraining,
  functionalDropoutNoTrainingFlag,
  attentionDropoutInEval,
  trainingTrueAtInference,
  rnnDropoutSingleLayer,
  dropoutBeforeBatchnorm,
  highInputDropout,
  dropoutOnOutput,
  mcDropoutFlipsBatchnorm,
];
