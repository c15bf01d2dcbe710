/**
 * What the mode-flow walk tells the flow rules, at the place it happens: a model run at inference, a model
 * handed to a helper that runs it at inference, a training step. Read-only records of the walk's facts there.
 */
import type { SyntaxNode } from '@lezer/common';
import type { FnFacts, InferenceUse, ModeState } from './context';

/** Where the walk is at inference (torch.no_grad(), a validation loop, an evaluate function), and why. */
export interface InferenceContext {
  readonly anchor: SyntaxNode;
  readonly reason: string;
}

/** A model run (called) at inference, not under Monte Carlo intent. */
export interface InferenceUseEvent {
  readonly model: string;
  readonly call: SyntaxNode;
  /** The model's mode there (undefined: the walk knows nothing of it). */
  readonly state: Readonly<ModeState> | undefined;
  readonly inference: InferenceContext;
  /**
   * The findings' keys of this walk (a function's body, or module code): a rule reports a model once per
   * inference context. The one thing a rule writes, and it belongs to the rule.
   */
  readonly reported: Set<string>;
}

/** A model handed to a helper of the file that runs it at inference (`use`, relative to the helper's start). */
export interface HelperCallEvent {
  readonly model: string;
  readonly call: SyntaxNode;
  readonly helper: FnFacts;
  readonly param: number;
  readonly use: Readonly<InferenceUse>;
  readonly state: Readonly<ModeState> | undefined;
}

/** A training step (backward, optimizer.step, a helper that trains) and the models it trains after an eval origin. */
export interface TrainingStepEvent {
  readonly call: SyntaxNode;
  /**
   * Models the step trains, with dropout or batch norm and weights not frozen, that are in eval mode there or
   * may be (an eval() that flows around a loop), with where that mode came from.
   */
  readonly models: readonly { readonly model: string; readonly state: Readonly<ModeState> }[];
  /** The loops around the step, outermost first. */
  readonly loops: readonly SyntaxNode[];
}
