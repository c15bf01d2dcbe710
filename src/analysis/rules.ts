import type { RuleId, Severity } from '../protocol/findings';

export interface RuleInfo {
  id: RuleId;
  title: string;
  severity: Severity;
  description: string;
  /** Observed only while the user's script runs, by the runtime probe (python/dropout_lens); never statically. */
  runtimeOnly?: true;
}

export const RULES: readonly RuleInfo[] = [
  {
    id: 'missing-eval',
    title: 'Model evaluated in train mode',
    severity: 'error',
    description:
      'A model with dropout or batch norm is used for validation, testing or inference (a no_grad/inference_mode block, a validate/evaluate/test/predict function, a loop over a validation or test loader, a config evaluating in train mode) while it may still be in train mode: dropout keeps dropping units and batch norm uses batch statistics, so metrics are noisy and pessimistic. Call model.eval() first (Monte Carlo dropout, declared explicitly, is not flagged).',
  },
  {
    id: 'missing-train-after-eval',
    title: 'Training continues in eval mode',
    severity: 'warning',
    description:
      'A training loop switches the model to eval mode for validation and never back to train mode, so from the second epoch on dropout is off and batch norm statistics are frozen: the model trains without regularization. Call model.train() at the start of each training epoch.',
  },
  {
    id: 'functional-dropout-no-training-flag',
    title: 'Functional dropout without training flag',
    severity: 'error',
    description:
      'torch.nn.functional.dropout (and dropout1d/2d/3d, alpha_dropout) defaults to training=True: inside a module it keeps dropping units after model.eval(). Pass training=self.training, or use an nn.Dropout module.',
  },
  {
    id: 'dropout-on-output',
    title: 'Dropout on the network output',
    severity: 'warning',
    description:
      'Dropout after the last weight layer (or between it and the final activation) randomly zeroes the predictions themselves (logits or probabilities) during training, which adds noise to the loss without regularizing any learned features. Remove it or move it before the last weight layer.',
  },
  {
    id: 'dropout-rate-out-of-range',
    title: 'Dropout rate outside [0, 1)',
    severity: 'error',
    description:
      'A dropout rate is a drop probability in [0, 1). A negative rate or a rate of 1 or more raises an error or drops every unit.',
  },
  {
    id: 'keep-prob-confusion',
    title: 'Keep probability used as a drop rate',
    severity: 'warning',
    description:
      'A rate of 0.8 or more is most likely a keep probability (TensorFlow 1 convention) passed where PyTorch/Keras expect a drop rate: 80-95% of units are dropped instead of 5-20%. Use 1 - p.',
  },
  {
    id: 'high-input-dropout',
    title: 'High dropout on the input features',
    severity: 'warning',
    description:
      'Dropout above about 0.2 on the raw input features destroys a large share of the signal every step (the original dropout paper used 0.2 on inputs, 0.5 on hidden units). Lower the input rate or drop it.',
  },
  {
    id: 'dropout-before-batchnorm',
    title: 'Dropout directly before batch normalization',
    severity: 'warning',
    description:
      'Batch normalization right after dropout learns running statistics under dropout noise; at inference dropout is off and the variance differs (variance shift), which hurts accuracy. Put dropout after batch normalization (or after the activation that follows it).',
  },
  {
    id: 'training-true-at-inference',
    title: 'training=True at inference',
    severity: 'warning',
    description:
      'Calling a Keras model or Dropout layer with training=True keeps dropout on at inference, so predictions are random. Use training=False (or omit it), unless Monte Carlo dropout is intended, which should then be explicit (name or comment it).',
  },
  {
    id: 'tf1-keep-prob-api',
    title: 'TensorFlow 1 keep_prob dropout API',
    severity: 'warning',
    description:
      'tf.nn.dropout takes a drop rate since TensorFlow 2; keep_prob (or a positional keep probability in TF1-style code) is removed or reads as a drop rate. Use rate = 1 - keep_prob.',
  },
  {
    id: 'pretrained-never-trained-mode',
    title: 'Pretrained model trained in eval mode',
    severity: 'warning',
    description:
      'from_pretrained() returns a model in eval mode; training it without calling model.train() means dropout never runs during fine-tuning. Call model.train() before the training loop.',
  },
  {
    id: 'rnn-dropout-single-layer',
    title: 'Recurrent dropout with a single layer',
    severity: 'warning',
    description:
      'nn.LSTM, nn.GRU and nn.RNN apply dropout= only between stacked layers; with num_layers=1 (the default) it never drops anything. Stack layers or add an nn.Dropout on the output.',
  },
  {
    id: 'attention-dropout-in-eval',
    title: 'Attention dropout on in eval mode',
    severity: 'warning',
    description:
      'scaled_dot_product_attention(dropout_p=...) knows no train/eval mode, and F.dropout on attention weights defaults to training=True: either way model.eval() leaves attention dropout on. Gate the rate on self.training.',
  },
  {
    id: 'mc-dropout-flips-batchnorm',
    title: 'Monte Carlo dropout through model.train() with batch norm',
    severity: 'warning',
    description:
      "Sampling with model.train() also puts batch norm in train mode: it normalises with each batch's statistics and updates its running ones. Call model.eval(), then switch on only the dropout modules.",
  },
  {
    id: 'tf1-dropout-no-training',
    title: 'TensorFlow 1 layers dropout without training=',
    severity: 'warning',
    description:
      'tf.layers.dropout defaults to training=False, so without a training= argument it never drops, in training either. Pass training=is_training.',
  },
  {
    id: 'dropout-never-active',
    title: 'Dropout never active in training',
    severity: 'warning',
    runtimeOnly: true,
    description:
      'Observed at run time by the probe: a dropout with p > 0 never dropped a unit while the model trained (it ran only in eval mode, was passed training=False, or was never called), so the model trains without the regularization it was configured with. Pass training=self.training (or the flag the training loop sets) and call model.train() before training.',
  },
  {
    id: 'identical-masks-across-ranks',
    title: 'Identical dropout masks across DDP ranks',
    severity: 'warning',
    runtimeOnly: true,
    description:
      'Observed at run time by the probe: the ranks of a distributed job drew the same dropout masks, because every rank seeded its random generator with the same number. Every rank drops the same units of its own data, so the averaged gradient sees one mask per batch position instead of independent ones across the job, and the regularization is weaker than configured. Seed each rank differently (for example seed + rank).',
  },
  {
    id: 'invalid-config',
    title: 'Invalid model config',
    severity: 'error',
    description:
      'The model config does not follow the format (unknown key, wrong type, missing layers, syntax error). It cannot be trained until fixed.',
  },
  {
    id: 'parse-error',
    title: 'File not analysed',
    severity: 'warning',
    description:
      'The file has a syntax error, or is larger than 5 MB, so it was not checked for dropout mistakes. Diagnostics return once it parses.',
  },
];

export const RULE_INFO: ReadonlyMap<RuleId, RuleInfo> = new Map(RULES.map((r) => [r.id, r]));

export function defaultSeverity(rule: RuleId): Severity {
  return RULE_INFO.get(rule)?.severity ?? 'warning';
}
