/**
 * What a Python rule is: a check that reads the document's facts (never writes them) and reports through the
 * emitter. Each rule says which facts it looks at; the pass runner (../passes.ts) calls it for each of them, in
 * the order of the registry (./index.ts), inside the pass whose results the cache replays.
 */
import type { SyntaxNode } from '@lezer/common';
import type { RuleId } from '../../../protocol/findings';
import type { Emitter, Op, SequenceOptions } from '../../ops';
import type { PyFacts } from '../context';
import type { Creation } from '../creations';
import type { HelperCallEvent, InferenceUseEvent, TrainingStepEvent } from '../flowEvents';

/** A layer sequence from input to output (forward(), a Sequential, a Keras model), with where it sits. */
export interface LayerSequence {
  readonly ops: readonly Op[];
  readonly opts: SequenceOptions;
}

interface RuleBase {
  /** The rule whose findings it emits. */
  readonly id: RuleId;
}

/**
 * Looks at every call of the file, with the dropout the call creates, if any. Runs in the creations pass:
 * imports, classes, functions and constants are known; models and the mode flow are not yet.
 */
export interface CallRule extends RuleBase {
  readonly on: 'call';
  check(py: PyFacts, call: SyntaxNode, made: Creation | null, em: Emitter): void;
}

/** Looks at every layer sequence the chains pass finds (knowing what a call rule knows). */
export interface SequenceRule extends RuleBase {
  readonly on: 'sequence';
  check(py: PyFacts, seq: LayerSequence, em: Emitter): void;
}

/**
 * Looks at the mode flow as its walk reports it (models run at inference, helper calls, training steps):
 * every fact is known (the walk reports once the function summaries are complete).
 */
export interface FlowRule extends RuleBase {
  readonly on: 'flow';
  inferenceUse?(py: PyFacts, use: InferenceUseEvent, em: Emitter): void;
  helperCall?(py: PyFacts, call: HelperCallEvent, em: Emitter): void;
  trainingStep?(py: PyFacts, step: TrainingStepEvent, em: Emitter): void;
}

/** Looks at the whole file once every pass has run: every fact is known. */
export interface ModuleRule extends RuleBase {
  readonly on: 'module';
  check(py: PyFacts, em: Emitter): void;
}

export type PythonRule = CallRule | SequenceRule | FlowRule | ModuleRule;
