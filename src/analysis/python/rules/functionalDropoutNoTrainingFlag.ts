/**
 * functional-dropout-no-training-flag: `F.dropout` in a module without `training=self.training` (or with
 * `training=True`): its default keeps it on after `model.eval()`. On attention weights the same mistake is
 * attention-dropout-in-eval's.
 */
import { functionalFlagOf } from '../functionalDropout';
import { reportFunctionalFlag } from './functionalFlagFinding';
import type { CallRule } from './types';

export const functionalDropoutNoTrainingFlag: CallRule = {
  id: 'functional-dropout-no-training-flag',
  on: 'call',
  check(py, call, made, em) {
    if (made?.layer.framework !== 'functional') return;
    const flag = functionalFlagOf(py, call);
    if (flag && !flag.onAttention) reportFunctionalFlag(py, em, this.id, made.layer.label, call, flag);
  },
};
