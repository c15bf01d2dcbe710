/** dropout-before-batchnorm: a dropout that feeds batch normalization directly, in any layer sequence. */
import { checkDropoutBeforeBatchnorm } from '../../ops';
import type { SequenceRule } from './types';

export const dropoutBeforeBatchnorm: SequenceRule = {
  id: 'dropout-before-batchnorm',
  on: 'sequence',
  check(_py, seq, em) {
    checkDropoutBeforeBatchnorm(em, seq.ops, seq.opts);
  },
};
