/**
 * The facts of one document as rules and queries read them (PyFacts, read-only), the context the passes fill
 * them in (Py), and the types they share.
 */
import type { SyntaxNode, Tree } from '@lezer/common';
import { Emitter, type Op } from '../ops';
import type { LineMap } from '../text';
import type { Args, CallFacts, LayerCall, Mode, ModeContext, SiteMode } from './facts';
import { NodeMemo } from './nodeMemo';
import type { Defs, RangeIndex } from './rangeIndex';

interface ModeState {
  mode: Mode;
  /** Where eval mode was entered: an eval() call or a from_pretrained() call. */
  origin?: { kind: 'eval-call' | 'pretrained'; node: SyntaxNode; loops: SyntaxNode[] };
  /** Where train mode was switched on by an explicit train() call (its offset). */
  trainAt?: number;
  /** The mode is the caller's choice, set from a parameter (`if train: model.train()`): never a mistake here. */
  chosen?: boolean;
}
export type State = Map<string, ModeState>;
export type { ModeState };

/** A model class of the file, as rules read it. */
export interface ClassFacts {
  readonly name: string;
  readonly node: SyntaxNode;
  readonly framework: ClassInfo['framework'];
  readonly attrs: ReadonlyMap<string, readonly Op[]>;
  readonly sensitive: boolean;
  readonly usedAsSubmodule: boolean;
  readonly mc: boolean;
}

/** A function of the file and its summary (effects on modes, what it trains and runs), as rules read it. */
export interface FnFacts {
  readonly name: string;
  readonly node: SyntaxNode;
  readonly params: readonly string[];
  readonly cls?: ClassFacts | undefined;
  readonly effects: ReadonlyMap<string | number, Readonly<ModeState>>;
  readonly trainsParams: ReadonlySet<number | string>;
  readonly inferenceUses: ReadonlyMap<number, Readonly<InferenceUse>>;
  readonly runUses: ReadonlyMap<number, { readonly from: number; readonly to: number }>;
  readonly context?: Readonly<ModeContext> | undefined;
  readonly mc: boolean;
  readonly inference: boolean;
}

/**
 * What the passes found out about one document, read-only: what rules and the queries they call (syntax.ts,
 * names.ts, layers.ts, values.ts, models.ts, ...) see. Only the passes, through Py, write facts. The memo
 * fields are the queries' own caches of pure functions of the tree and the facts, filled on first ask.
 */
export interface PyFacts {
  readonly src: string;
  readonly tree: Tree;
  readonly lines: LineMap;
  text(n: SyntaxNode | null | undefined): string;
  // The tree's index (tree-index.ts).
  readonly comments: readonly { readonly from: number; readonly to: number; readonly text: string }[];
  readonly index: ReadonlyMap<string, readonly SyntaxNode[]>;
  readonly ranges: ReadonlyMap<string, RangeIndex>;
  readonly defs: Readonly<Defs>;
  readonly sawKeepProb: boolean;
  // Imports and frameworks (imports.ts).
  readonly imports: ReadonlyMap<string, string>;
  readonly usesTorch: boolean;
  readonly usesKeras: boolean;
  readonly tf1Style: boolean;
  // Classes, functions and constants (classes.ts, functions.ts, values.ts).
  readonly classes: ReadonlyMap<string, ClassFacts>;
  readonly functions: ReadonlyMap<string, FnFacts>;
  readonly constants: ReadonlyMap<string, SyntaxNode>;
  /** Imports, classes and functions are collected: qualify() may cache. */
  readonly frozen: boolean;
  // Models (models.ts).
  readonly modelNames: ReadonlySet<string>;
  readonly modelSensitive: ReadonlyMap<string, boolean>;
  readonly defaultSensitive: boolean;
  readonly trainedModels: ReadonlySet<string>;
  readonly hfTrainerModels: ReadonlySet<string>;
  // Mode flow (flow.ts): call-site modes and the file's context-manager classes.
  readonly callSites: ReadonlyMap<string, ReadonlyMap<number | string, readonly SiteMode[]>>;
  readonly classContexts: ReadonlyMap<string, Readonly<ModeContext>>;
  // The queries' caches.
  readonly ctorMemo: NodeMemo<LayerCall | null>;
  readonly funcMemo: NodeMemo<LayerCall | null>;
  readonly argsMemo: NodeMemo<Args | null>;
  readonly dottedMemo: NodeMemo<string | null>;
  readonly qualifyMemo: NodeMemo<string | null>;
  readonly factsMemo: NodeMemo<CallFacts>;
  readonly mcMemo: NodeMemo<boolean>;
  readonly bodyMemo: Map<number, SyntaxNode[]>;
  readonly blockMemo: Map<number, SyntaxNode[]>;
  readonly frozenAt: Map<string, number>;
  readonly shadowed: Map<string, boolean>;
  readonly rateCallerMemo: { calls?: Map<string, SyntaxNode[]> };
}

/** The document's facts while the passes fill them in (see index.ts), and the pass state the cache keeps. */
export class Py implements PyFacts {
  readonly src: string;
  readonly tree: Tree;
  readonly em: Emitter;
  readonly imports = new Map<string, string>();
  readonly classes = new Map<string, ClassInfo>();
  readonly functions = new Map<string, FnInfo>();
  /** Module-level names assigned once, to a number (see values.ts). */
  readonly constants = new Map<string, SyntaxNode>();
  readonly comments: { from: number; to: number; text: string }[] = [];
  readonly index = new Map<string, SyntaxNode[]>();
  readonly ranges = new Map<string, RangeIndex>();
  readonly ctorMemo = new NodeMemo<LayerCall | null>();
  readonly funcMemo = new NodeMemo<LayerCall | null>();
  readonly argsMemo = new NodeMemo<Args | null>();
  readonly dottedMemo = new NodeMemo<string | null>();
  readonly qualifyMemo = new NodeMemo<string | null>();
  readonly factsMemo = new NodeMemo<CallFacts>();
  /** Per function or class definition: do its comments or identifiers say MC (see hasMcIntent)? */
  readonly mcMemo = new NodeMemo<boolean>();
  /** Body statements per compound statement (by its start) and per Body (by its start). */
  readonly bodyMemo = new Map<number, SyntaxNode[]>();
  readonly blockMemo = new Map<number, SyntaxNode[]>();
  /** Imports, classes and functions are collected: qualify() may cache. */
  frozen = false;
  readonly defs: Defs = { from: [], to: [] };
  readonly trainedModels = new Set<string>();
  /** Models handed to a Hugging Face / Lightning Trainer, which switches train()/eval() itself. */
  readonly hfTrainerModels = new Set<string>();
  usesTorch = false;
  sawKeepProb = false;
  usesKeras = false;
  tf1Style = false;
  modelNames = new Set<string>();
  /** Variables bound to models whose definition is visible, and whether dropout/batch norm makes their mode matter. */
  modelSensitive = new Map<string, boolean>();
  defaultSensitive = true;
  /** Per function: the modes its callers pass, by parameter index, or by name for a closure's free model. */
  callSites = new Map<string, Map<number | string, SiteMode[]>>();
  /** Per scope start and model: where the scope first freezes the model's weights (see trainingTargets.frozenAround). */
  readonly frozenAt = new Map<string, number>();
  /** Per function start and name: the function binds a model's name to other things only (see models). */
  readonly shadowed = new Map<string, boolean>();
  /** Calls of the file's dropout-making functions, by name (see values.rateCallers). */
  readonly rateCallerMemo: { calls?: Map<string, SyntaxNode[]> } = {};
  /** Classes of the file whose `__enter__` switches a model's mode (see modeContexts). */
  classContexts = new Map<string, ModeContext>();
  constructor(src: string, tree: Tree, lines: LineMap) {
    this.src = src;
    this.tree = tree;
    this.em = new Emitter(lines);
  }
  get lines(): LineMap {
    return this.em.lines;
  }
  text(n: SyntaxNode | null | undefined): string {
    return n ? this.src.slice(n.from, n.to) : '';
  }
}

export interface ClassInfo {
  name: string;
  node: SyntaxNode;
  framework: 'torch' | 'keras' | 'lightning' | 'other';
  attrs: Map<string, Op[]>;
  sensitive: boolean;
  usedAsSubmodule: boolean;
  mc: boolean;
}

export interface InferenceUse {
  from: number;
  to: number;
  reason: string;
}

export interface FnInfo {
  name: string;
  node: SyntaxNode;
  params: string[];
  cls?: ClassInfo;
  /** Effects on params (by index) and on global names after the function returns. */
  effects: Map<string | number, ModeState>;
  trainsParams: Set<number | string>;
  /**
   * Parameters (by index) the function runs at inference (in torch.no_grad(), a validation loop, an evaluate
   * function): where first, relative to the definition's start, and in what context. A caller that passes a
   * model in train mode is told at its call.
   */
  inferenceUses: Map<number, InferenceUse>;
  /**
   * Parameters (by index) the function runs (calls) anywhere, where first: a caller inside torch.no_grad()
   * that passes a model in train mode is told at its call, as for inferenceUses.
   */
  runUses: Map<number, { from: number; to: number }>;
  /** As a `@contextmanager`: the modes its entry leaves, and whether its exit restores them. */
  context?: ModeContext;
  mc: boolean;
  inference: boolean;
}
