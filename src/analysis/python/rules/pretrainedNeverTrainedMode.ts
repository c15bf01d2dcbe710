/**
 * pretrained-never-trained-mode: a model from from_pretrained() (in eval mode) fine-tuned without train(),
 * unless a Hugging Face / Lightning Trainer, which switches the mode itself, is handed it.
 */
import { afterLine } from '../insertions';
import { span } from '../syntax';
import type { FlowRule } from './types';

export const pretrainedNeverTrainedMode: FlowRule = {
  id: 'pretrained-never-trained-mode',
  on: 'flow',
  trainingStep(py, { models }, em) {
    for (const { model, state: st } of models) {
      if (st.origin?.kind !== 'pretrained' || py.hfTrainerModels.has(model)) continue;
      const ins = afterLine(py, st.origin.node);
      em.emit(
        'pretrained-never-trained-mode',
        span(st.origin.node),
        `from_pretrained() returns ${model} in eval mode, and it is trained here without ${model}.train(): dropout never runs during fine-tuning, so the model is not regularized. Call ${model}.train() before the training loop.`,
        ins
          ? [
              {
                title: `Insert ${model}.train()`,
                edits: [{ from: ins.at, to: ins.at, insert: `${ins.indent}${model}.train()${py.lines.eol}` }],
                preferred: true,
              },
            ]
          : [],
      );
    }
  },
};
