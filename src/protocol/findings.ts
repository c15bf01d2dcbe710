/** What the analysis core reports, independent of any editor. Lines and columns are 0-based here. */

export const RULE_IDS = [
  'missing-eval',
  'missing-train-after-eval',
  'functional-dropout-no-training-flag',
  'dropout-on-output',
  'dropout-rate-out-of-range',
  'keep-prob-confusion',
  'high-input-dropout',
  'dropout-before-batchnorm',
  'training-true-at-inference',
  'tf1-keep-prob-api',
  'pretrained-never-trained-mode',
  'rnn-dropout-single-layer',
  'attention-dropout-in-eval',
  'mc-dropout-flips-batchnorm',
  'tf1-dropout-no-training',
  // Observed only at run time, by the runtime probe (python/dropout_lens): the static analysis never reports them.
  'dropout-never-active',
  'identical-masks-across-ranks',
  'invalid-config',
  'parse-error',
] as const;

export type RuleId = (typeof RULE_IDS)[number];

export type Severity = 'error' | 'warning' | 'information' | 'hint';

export interface Position {
  line: number;
  character: number;
}

export interface Range {
  start: Position;
  end: Position;
}

export interface TextEdit {
  range: Range;
  newText: string;
}

export interface Fix {
  title: string;
  edits: TextEdit[];
  /** The fix a user most likely wants (VS Code's `isPreferred`). */
  preferred?: boolean;
}

/** Another place in the same file that explains a finding (the helper a call runs, say). */
export interface RelatedLocation {
  range: Range;
  message: string;
}

export interface Finding {
  rule: RuleId;
  severity: Severity;
  range: Range;
  message: string;
  fixes: Fix[];
  related?: RelatedLocation[];
}
