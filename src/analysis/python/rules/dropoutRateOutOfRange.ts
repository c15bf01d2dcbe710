/** dropout-rate-out-of-range: a drop rate outside [0, 1), written or resolved. */
import { checkRateRange } from '../../ops';
import type { CallRule } from './types';

export const dropoutRateOutOfRange: CallRule = {
  id: 'dropout-rate-out-of-range',
  on: 'call',
  check(_py, _call, made, em) {
    if (made?.rate) checkRateRange(em, made.rate.value, made.rate.at, made.layer.label, made.rate.source);
  },
};
