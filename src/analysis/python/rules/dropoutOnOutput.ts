/** dropout-on-output: dropout after the last weight layer of a sequence that ends at the network's output. */
import { checkOutputDropout } from '../../ops';
import type { SequenceRule } from './types';

export const dropoutOnOutput: SequenceRule = {
  id: 'dropout-on-output',
  on: 'sequence',
  check(_py, seq, em) {
    checkOutputDropout(em, seq.ops, seq.opts);
  },
};
