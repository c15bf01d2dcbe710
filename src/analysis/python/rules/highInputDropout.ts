/** high-input-dropout: a high rate on the first layer of a sequence that starts at the network's input. */
import { checkInputDropout } from '../../ops';
import type { SequenceRule } from './types';

export const highInputDropout: SequenceRule = {
  id: 'high-input-dropout',
  on: 'sequence',
  check(_py, seq, em) {
    checkInputDropout(em, seq.ops, seq.opts);
  },
};
