/**
 * What the passes find out about the code and share through the document's context (Py): a leaf module, so
 * that the context and the passes that fill it never import each other.
 */
import type { SyntaxNode } from '@lezer/common';
import type { OpKind } from '../ops';

export type Span = [number, number];

export type Mode = 'train' | 'eval' | 'unknown';
/**
 * The mode a model is in where a function of the file is called with it, or 'opaque': the argument is an
 * expression the analysis cannot follow (`registry["flow"]["model"]`, a call's result), so its mode is the
 * caller's business and unknown here.
 */
export type SiteMode = Mode | 'opaque';

export interface Args {
  positional: SyntaxNode[];
  keywords: Map<string, { name: SyntaxNode; value: SyntaxNode }>;
  node: SyntaxNode;
}

export interface LayerCall {
  kind: OpKind;
  label: string;
  framework: 'torch' | 'keras' | 'tf' | 'functional';
  rateNode?: SyntaxNode;
  rate?: number;
  container?: 'sequential';
  /** A convolution (kind `weight`). */
  conv?: boolean;
  /** A dropout of whole channels (kind `dropout`). */
  channels?: boolean;
}

/** What the mode flow needs of a call, computed once per call (model names are final by then). */
export interface CallFacts {
  callee: SyntaxNode | null;
  args: Args | null;
  /** Method name and the model it is called on, for obj.method(...) calls. */
  method: string | null;
  objModel: string | null;
  trainingStep: boolean;
  calleeModel: string | null;
  calleeDotted: string | null;
}

/**
 * What one unit adds to the model facts, step by step (each step runs over the whole file before the next,
 * so replaying the steps unit by unit keeps the insertion order of every set and map).
 */
export interface ModelFacts {
  /** Assignments: a model name, and its sensitivity when the assignment sets one. */
  assigned: [string, boolean | null][];
  sensitiveSource: boolean;
  insensitiveClass: boolean;
  switched: string[];
  params: string[];
  members: string[];
  hf: string[];
  trained: string[];
}

/** The modes a context manager's entry leaves, by parameter index (or by global name), and whether it restores. */
export interface ModeContext {
  enter: Map<string | number, Mode>;
  restores: boolean;
}
