/**
 * PyTorch / Keras / TensorFlow analysis over the @lezer/python syntax tree (no regular expressions over
 * source text). Follows import aliases, model classes and variables, mode switches (train/eval), no-grad
 * and validation contexts, and helper functions in the same file.
 */
import { parser } from '@lezer/python';
import type { SyntaxNode, Tree } from '@lezer/common';
import type { RuleId } from '../../protocol/findings';
import { checkRate, checkSequence, Emitter, fmtRate, type EmitFix, type Op, type OpKind } from '../ops';
import type { LineMap } from '../text';

type Span = [number, number];
type Mode = 'train' | 'eval' | 'unknown';
interface ModeState {
  mode: Mode;
  /** Where eval mode was entered: an eval() call or a from_pretrained() call. */
  origin?: { kind: 'eval-call' | 'pretrained'; node: SyntaxNode; loops: SyntaxNode[] };
}
type State = Map<string, ModeState>;

const TORCH_DROPOUT = new Set(['Dropout', 'Dropout1d', 'Dropout2d', 'Dropout3d', 'AlphaDropout', 'FeatureAlphaDropout']);
const TORCH_BN = new Set(['BatchNorm1d', 'BatchNorm2d', 'BatchNorm3d', 'SyncBatchNorm', 'LazyBatchNorm1d', 'LazyBatchNorm2d', 'LazyBatchNorm3d']);
const TORCH_WEIGHT = new Set(['Linear', 'LazyLinear', 'Bilinear', 'Conv1d', 'Conv2d', 'Conv3d', 'ConvTranspose1d', 'ConvTranspose2d', 'ConvTranspose3d', 'LSTM', 'GRU', 'RNN', 'Embedding']);
const TORCH_ACT = new Set(['ReLU', 'ReLU6', 'LeakyReLU', 'ELU', 'SELU', 'CELU', 'GELU', 'SiLU', 'Mish', 'Tanh', 'Sigmoid', 'Softmax', 'LogSoftmax', 'Softplus', 'Hardtanh', 'PReLU', 'Hardswish', 'Hardsigmoid', 'Softsign', 'Tanhshrink']);
const TORCH_NEUTRAL = new Set(['Flatten', 'Unflatten', 'Identity', 'MaxPool1d', 'MaxPool2d', 'MaxPool3d', 'AvgPool1d', 'AvgPool2d', 'AvgPool3d', 'AdaptiveAvgPool1d', 'AdaptiveAvgPool2d', 'AdaptiveAvgPool3d', 'AdaptiveMaxPool1d', 'AdaptiveMaxPool2d', 'LayerNorm', 'GroupNorm', 'InstanceNorm1d', 'InstanceNorm2d']);
const F_DROPOUT = new Set(['dropout', 'dropout1d', 'dropout2d', 'dropout3d', 'alpha_dropout', 'feature_alpha_dropout']);
const F_ACT = new Set(['relu', 'relu6', 'gelu', 'elu', 'selu', 'silu', 'leaky_relu', 'softmax', 'log_softmax', 'sigmoid', 'tanh', 'softplus', 'mish', 'hardtanh']);
const KERAS_DROPOUT = new Set(['Dropout', 'SpatialDropout1D', 'SpatialDropout2D', 'SpatialDropout3D', 'GaussianDropout', 'AlphaDropout']);
const KERAS_BN = new Set(['BatchNormalization']);
const KERAS_WEIGHT = new Set(['Dense', 'EinsumDense', 'Conv1D', 'Conv2D', 'Conv3D', 'Conv1DTranspose', 'Conv2DTranspose', 'Conv3DTranspose', 'SeparableConv1D', 'SeparableConv2D', 'DepthwiseConv2D', 'LSTM', 'GRU', 'SimpleRNN', 'Embedding']);
const KERAS_ACT = new Set(['Activation', 'ReLU', 'Softmax', 'LeakyReLU', 'ELU', 'PReLU']);
const KERAS_NEUTRAL = new Set(['Flatten', 'Reshape', 'InputLayer', 'Input', 'MaxPooling1D', 'MaxPooling2D', 'MaxPooling3D', 'AveragePooling1D', 'AveragePooling2D', 'GlobalAveragePooling1D', 'GlobalAveragePooling2D', 'GlobalMaxPooling1D', 'GlobalMaxPooling2D', 'LayerNormalization', 'Permute', 'RepeatVector']);
const TENSOR_NEUTRAL_METHODS = new Set(['view', 'reshape', 'flatten', 'squeeze', 'unsqueeze', 'contiguous', 'permute', 'transpose', 'float', 'to']);
const TENSOR_ACT_METHODS = new Set(['relu', 'sigmoid', 'tanh', 'softmax', 'log_softmax']);

const DEFAULT_ALIASES: Record<string, string> = { nn: 'torch.nn', F: 'torch.nn.functional', tf: 'tensorflow', torch: 'torch', keras: 'keras', layers: 'keras.layers', pl: 'lightning' };

function normalize(q: string): string {
  // Every rewrite below starts with one of these letters.
  const c = q.charCodeAt(0);
  if (c !== 116 /* t */ && c !== 107 /* k */ && c !== 112 /* p */ && c !== 108 /* l */) return q;
  if (q.startsWith('tensorflow.compat.v1.')) q = 'tensorflow.' + q.slice('tensorflow.compat.v1.'.length);
  if (q.startsWith('tensorflow.compat.v2.')) q = 'tensorflow.' + q.slice('tensorflow.compat.v2.'.length);
  if (q.startsWith('tensorflow.python.keras.')) q = 'keras.' + q.slice('tensorflow.python.keras.'.length);
  if (q.startsWith('tensorflow.keras.')) q = 'keras.' + q.slice('tensorflow.keras.'.length);
  if (q === 'tensorflow.keras') q = 'keras';
  if (q.startsWith('tf_keras.')) q = 'keras.' + q.slice('tf_keras.'.length);
  if (q.startsWith('keras.src.')) q = 'keras.' + q.slice('keras.src.'.length);
  if (q.startsWith('pytorch_lightning.')) q = 'lightning.' + q.slice('pytorch_lightning.'.length);
  if (q.startsWith('lightning.pytorch.')) q = 'lightning.' + q.slice('lightning.pytorch.'.length);
  if (q.startsWith('keras.layers.core.')) q = 'keras.layers.' + q.slice('keras.layers.core.'.length);
  if (q.startsWith('torch.nn.modules.')) {
    const last = q.split('.').pop()!;
    q = 'torch.nn.' + last;
  }
  return q;
}

const INFERENCE_FN = /^(?:_*)(?:val|valid|validate|validation|eval|evaluate|evaluation|predict|prediction|predictions|infer|inference|test|run_test|run_eval|run_validation|evaluate_model|test_model|test_loop|test_epoch|val_epoch|val_loop|eval_epoch|eval_loop|validate_epoch|validation_loop|evaluate_\w+|predict_\w+|infer_\w+|validate_\w+|eval_\w+|val_\w+|compute_(?:val|test|eval)\w*|score|score_model|accuracy|compute_accuracy|get_predictions)$/i;
const TRAIN_FN = /train|fit|(^|_)step$|optimi[sz]e|finetune|fine_tune/i;
const VAL_ITER = /(^|[_.])(val|valid|validation|test|testing|eval|evaluation|dev|holdout)(_|$|loader|set|data|ds|dl|batches|iter)|^(val|valid|test|eval|dev)[A-Z]|^(valloader|testloader|evalloader|validloader)$/i;
const MC_WORDS = /(^|[^a-z])mc([^a-z]|$)|monte[\s_-]*carlo|mc_?dropout|mcdropout|uncertaint|bayes|stochastic[_ ]?forward|enable_dropout|activate_dropout|mc_samples|n_samples|num_samples|n_mc/i;
const MODEL_PARAM = /^(model|net|network|classifier|module|mdl|student|clf|regressor)$|(^|_)(model|net|network|classifier)(_|$)/i;
const BLOCK_NAME = /^(features|encoder|backbone|block|blocks|body|trunk|stem|embed|embedding|extractor|feature_extractor|conv|convs|layers_?\d*|hidden|shared|base)$/i;

class Py {
  readonly src: string;
  readonly tree: Tree;
  readonly em: Emitter;
  readonly imports = new Map<string, string>();
  readonly classes = new Map<string, ClassInfo>();
  readonly functions = new Map<string, FnInfo>();
  readonly comments: { from: number; to: number; text: string }[] = [];
  readonly index = new Map<string, SyntaxNode[]>();
  readonly ranges = new Map<string, RangeIndex>();
  readonly ctorMemo = new NodeMemo<LayerCall | null>();
  readonly funcMemo = new NodeMemo<LayerCall | null>();
  readonly argsMemo = new NodeMemo<Args | null>();
  readonly dottedMemo = new NodeMemo<string | null>();
  readonly qualifyMemo = new NodeMemo<string | null>();
  readonly factsMemo = new NodeMemo<CallFacts>();
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
  reporting = false;
  callSites = new Map<string, Map<number, Mode[]>>();
  /** Top-level statements, in order (see Unit); the cache reuses what a definition's passes produced last time. */
  readonly units: Unit[] = [];
  readonly cache: PythonCache | undefined;
  /** Every call-site record, while a unit's flow pass is recorded. */
  siteTap: Site[] | null = null;
  /** The global facts each pass reads equal those of the cached run (per pass: creations and chains; summaries; reports). */
  k1Same = false;
  k2Same = false;
  k3Same = false;
  keys = { kc: '', k1: '', k2: '', k3: '' };
  /** Summaries of py.functions in order (serialized), for the prefix check of the summary cache. */
  readonly seq: string[] = [];
  readonly reuse: ReuseStats = { units: 0, cacheable: 0, classes: 0, creations: 0, chains: 0, models: 0, summaries: 0, reports: 0 };

  constructor(src: string, tree: Tree, lines: LineMap, cache?: PythonCache) {
    this.cache = cache;
    this.src = src;
    this.tree = tree;
    this.em = new Emitter(lines);
  }
  text(n: SyntaxNode | null | undefined): string {
    return n ? this.src.slice(n.from, n.to) : '';
  }
}

interface ClassInfo {
  name: string;
  node: SyntaxNode;
  framework: 'torch' | 'keras' | 'lightning' | 'other';
  attrs: Map<string, Op[]>;
  sensitive: boolean;
  usedAsSubmodule: boolean;
  mc: boolean;
}

interface FnInfo {
  name: string;
  node: SyntaxNode;
  params: string[];
  cls?: ClassInfo;
  /** Effects on params (by index) and on global names after the function returns. */
  effects: Map<string | number, ModeState>;
  trainsParams: Set<number | string>;
  mc: boolean;
  inference: boolean;
}

function children(n: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let c = n.firstChild; c; c = c.nextSibling) out.push(c);
  return out;
}

function child(n: SyntaxNode, name: string): SyntaxNode | null {
  for (let c = n.firstChild; c; c = c.nextSibling) if (c.name === name) return c;
  return null;
}

function body(n: SyntaxNode): SyntaxNode[] {
  const b = child(n, 'Body');
  return b ? children(b).filter((c) => c.name !== ':' && !c.type.isError && c.name !== 'Comment') : [];
}

/** Dotted source name of a VariableName/MemberExpression chain, e.g. "self.model" or "nn.Dropout". */
function dotted(py: Py, n: SyntaxNode | null): string | null {
  if (!n) return null;
  const name = n.name;
  if (name === 'VariableName') return py.src.slice(n.from, n.to);
  if (name !== 'MemberExpression') return null;
  const hit = py.dottedMemo.get(n);
  if (hit !== undefined) return hit;
  const v = dottedMember(py, n);
  py.dottedMemo.set(n, v);
  return v;
}

function dottedMember(py: Py, n: SyntaxNode): string | null {
  const first = n.firstChild;
  const dot = first?.nextSibling;
  if (!first || !dot || dot.name !== '.') return null;
  let prop = dot;
  for (let c = dot.nextSibling; c; c = c.nextSibling) prop = c;
  if (prop.name !== 'PropertyName') return null;
  const head = dotted(py, first);
  return head === null ? null : head + '.' + py.src.slice(prop.from, prop.to);
}

function qualify(py: Py, n: SyntaxNode | null): string | null {
  if (!n) return null;
  // Once imports, classes and functions are known (py.frozen), a name's qualified form no longer changes.
  const memo = py.frozen && (n.name === 'VariableName' || n.name === 'MemberExpression');
  if (memo) {
    const hit = py.qualifyMemo.get(n);
    if (hit !== undefined) return hit;
  }
  const d = dotted(py, n);
  let v: string | null = null;
  if (d !== null) {
    const dot = d.indexOf('.');
    const head = dot < 0 ? d : d.slice(0, dot);
    const bound = py.imports.get(head) ?? (py.classes.has(head) || py.functions.has(head) ? undefined : DEFAULT_ALIASES[head]);
    v = normalize(bound === undefined ? d : dot < 0 ? bound : bound + d.slice(dot));
  }
  if (memo) py.qualifyMemo.set(n, v);
  return v;
}

interface Args {
  positional: SyntaxNode[];
  keywords: Map<string, { name: SyntaxNode; value: SyntaxNode }>;
  node: SyntaxNode;
}

function args(py: Py, call: SyntaxNode): Args | null {
  const hit = py.argsMemo.get(call);
  if (hit !== undefined) return hit;
  const v = argsRaw(py, call);
  py.argsMemo.set(call, v);
  return v;
}

function argsRaw(py: Py, call: SyntaxNode): Args | null {
  const list = child(call, 'ArgList');
  if (!list) return null;
  const positional: SyntaxNode[] = [];
  const keywords = new Map<string, { name: SyntaxNode; value: SyntaxNode }>();
  const kids = children(list).filter((k) => k.name !== '(' && k.name !== ')' && k.name !== 'Comment');
  for (let i = 0; i < kids.length; i++) {
    const k = kids[i];
    if (k.name === ',') continue;
    if (k.name === 'VariableName' && kids[i + 1]?.name === 'AssignOp' && kids[i + 2]) {
      keywords.set(py.text(k), { name: k, value: kids[i + 2] });
      i += 2;
      continue;
    }
    if (k.name === '*' || k.name === '**') {
      i++;
      continue;
    }
    positional.push(k);
  }
  return { positional, keywords, node: list };
}

function literalNumber(py: Py, n: SyntaxNode | undefined | null): number | undefined {
  if (!n) return undefined;
  if (n.name === 'Number') {
    const t = py.text(n).replace(/_/g, '');
    const v = Number(t);
    return Number.isFinite(v) ? v : undefined;
  }
  if (n.name === 'UnaryExpression') {
    const kids = children(n);
    if (kids.length === 2 && (py.text(kids[0]) === '-' || py.text(kids[0]) === '+')) {
      const v = literalNumber(py, kids[1]);
      return v === undefined ? undefined : py.text(kids[0]) === '-' ? -v : v;
    }
  }
  if (n.name === 'ParenthesizedExpression') return literalNumber(py, children(n)[1]);
  return undefined;
}

function isTrueLiteral(py: Py, n: SyntaxNode | undefined): boolean {
  return !!n && n.name === 'Boolean' && py.text(n) === 'True';
}
function isFalseLiteral(py: Py, n: SyntaxNode | undefined): boolean {
  return !!n && n.name === 'Boolean' && py.text(n) === 'False';
}

function span(n: SyntaxNode): Span {
  return [n.from, n.to];
}

const DEFS = new Set(['FunctionDefinition', 'ClassDefinition', 'LambdaExpression']);

/** Every node of a subtree of the given type names (iterative; skipDefs: not inside nested definitions). */
function findAll(root: SyntaxNode, names: Set<string>, skipDefs = false): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  const c = root.cursor();
  let depth = 0;
  for (;;) {
    if (names.has(c.name)) out.push(c.node);
    const enter = !(skipDefs && depth > 0 && DEFS.has(c.name));
    if (enter && c.firstChild()) {
      depth++;
      continue;
    }
    for (;;) {
      if (depth === 0) return out;
      if (c.nextSibling()) break;
      c.parent();
      depth--;
    }
  }
}

const INDEXED = new Set(['CallExpression', 'AssignStatement', 'FunctionDefinition', 'ClassDefinition', 'ImportStatement', 'MemberExpression', 'Comment']);
/** Indexed types that within() answers from a RangeIndex. */
const RANGED = new Set(['CallExpression', 'AssignStatement', 'MemberExpression']);

function all(py: Py, name: string): SyntaxNode[] {
  return py.index.get(name) ?? [];
}

/**
 * Nodes of an indexed type in document (pre-order) order, with their ranges and the innermost enclosing
 * definition (function, class or lambda), so that "every call under this node" is a binary search over
 * one array instead of a walk of the subtree.
 */
class RangeIndex {
  readonly nodes: SyntaxNode[] = [];
  readonly from: number[] = [];
  readonly to: number[] = [];
  /** Index into Defs of the innermost enclosing definition, or -1. */
  readonly def: number[] = [];
  add(node: SyntaxNode, from: number, to: number, def: number): void {
    this.nodes.push(node);
    this.from.push(from);
    this.to.push(to);
    this.def.push(def);
  }
}

interface Defs {
  from: number[];
  to: number[];
}

/**
 * The indexed nodes under root (root included), in pre-order, like a walk of the subtree would find them;
 * skipDefs: not inside definitions nested below root. Ranges nest in a syntax tree, so the nodes within
 * root's range are its descendants (a definition never shares its range with a child).
 */
function within(py: Py, name: string, root: SyntaxNode, skipDefs = false): SyntaxNode[] {
  const ix = py.ranges.get(name);
  if (!ix) return findAll(root, new Set([name]), skipDefs);
  const rf = root.from;
  const rt = root.to;
  const froms = ix.from;
  let lo = 0;
  let hi = froms.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (froms[mid] < rf) lo = mid + 1;
    else hi = mid;
  }
  const out: SyntaxNode[] = [];
  const rootIsDef = DEFS.has(root.name);
  const defs = py.defs;
  for (let i = lo; i < froms.length && froms[i] <= rt; i++) {
    if (ix.to[i] > rt) continue;
    if (skipDefs) {
      const d = ix.def[i];
      if (d >= 0) {
        const df = defs.from[d];
        const dt = defs.to[d];
        if (df >= rf && dt <= rt && !(rootIsDef && df === rf && dt === rt)) continue;
      }
    }
    out.push(ix.nodes[i]);
  }
  return out;
}

// ---------------------------------------------------------------- imports

function collectImports(py: Py): void {
  for (const stmt of all(py, 'ImportStatement')) {
    const kids = children(stmt);
    if (kids[0]?.name === 'from') {
      const mod: string[] = [];
      let i = 1;
      for (; i < kids.length && kids[i].name !== 'import'; i++) if (kids[i].name === 'VariableName') mod.push(py.text(kids[i]));
      const module = mod.join('.');
      for (i++; i < kids.length; i++) {
        if (kids[i].name !== 'VariableName') continue;
        const name = py.text(kids[i]);
        let alias = name;
        if (kids[i + 1]?.name === 'as' && kids[i + 2]?.name === 'VariableName') {
          alias = py.text(kids[i + 2]);
          i += 2;
        }
        py.imports.set(alias, module ? `${module}.${name}` : name);
      }
    } else {
      let parts: string[] = [];
      let alias: string | null = null;
      const commit = () => {
        if (parts.length) py.imports.set(alias ?? parts[0], alias ? parts.join('.') : parts[0]);
        parts = [];
        alias = null;
      };
      for (let i = 1; i < kids.length; i++) {
        const k = kids[i];
        if (k.name === 'VariableName') parts.push(py.text(k));
        else if (k.name === 'as' && kids[i + 1]?.name === 'VariableName') {
          alias = py.text(kids[i + 1]);
          i++;
        } else if (k.name === ',') commit();
      }
      commit();
    }
  }
  for (const q of py.imports.values()) {
    const n = normalize(q);
    if (n.startsWith('torch') || n.startsWith('lightning') || n.startsWith('transformers')) py.usesTorch = true;
    if (n.startsWith('keras') || n.startsWith('tensorflow')) py.usesKeras = true;
  }
}

// ---------------------------------------------------------------- layer classification

interface LayerCall {
  kind: OpKind;
  label: string;
  framework: 'torch' | 'keras' | 'tf' | 'functional';
  rateNode?: SyntaxNode;
  rate?: number;
  container?: 'sequential';
}

/**
 * A cache per node of one kind (calls; names and member expressions), keyed by the node's end: two calls
 * never end at the same offset (a call ends with its own ")"), nor do two member expressions or names.
 * The start is checked too; a node that shares an end with another falls back to a key of the full range.
 */
class NodeMemo<T> {
  private readonly byEnd = new Map<number, { from: number; v: T }>();
  private readonly byRange = new Map<number, T>();
  get(n: SyntaxNode): T | undefined {
    const e = this.byEnd.get(n.to);
    if (e === undefined) return undefined;
    return e.from === n.from ? e.v : this.byRange.get(n.from * 16777216 + (n.to - n.from));
  }
  set(n: SyntaxNode, v: T): void {
    const e = this.byEnd.get(n.to);
    if (e === undefined) this.byEnd.set(n.to, { from: n.from, v });
    else if (e.from === n.from) e.v = v;
    else this.byRange.set(n.from * 16777216 + (n.to - n.from), v);
  }
}

function classifyCtor(py: Py, call: SyntaxNode): LayerCall | null {
  const hit = py.ctorMemo.get(call);
  if (hit !== undefined) return hit;
  const v = classifyCtorRaw(py, call);
  py.ctorMemo.set(call, v);
  return v;
}

function classifyFunctional(py: Py, call: SyntaxNode): LayerCall | null {
  const hit = py.funcMemo.get(call);
  if (hit !== undefined) return hit;
  const v = classifyFunctionalRaw(py, call);
  py.funcMemo.set(call, v);
  return v;
}

function rateOf(py: Py, a: Args | null, pos: number, kw: string, def?: number): { rateNode?: SyntaxNode; rate?: number } {
  const node = a?.keywords.get(kw)?.value ?? a?.positional[pos];
  if (!node) return def === undefined ? {} : { rate: def };
  const v = literalNumber(py, node);
  return { rateNode: node, rate: v };
}

function classifyCtorRaw(py: Py, call: SyntaxNode): LayerCall | null {
  const callee = call.firstChild;
  const q = qualify(py, callee);
  if (!q) return null;
  const a = args(py, call);
  const parts = q.split('.');
  const last = parts[parts.length - 1];
  if (q.startsWith('torch.nn.') && parts.length === 3) {
    if (last === 'Sequential') return { kind: 'unknown', label: 'nn.Sequential', framework: 'torch', container: 'sequential' };
    if (TORCH_DROPOUT.has(last)) return { kind: 'dropout', label: `nn.${last}`, framework: 'torch', ...rateOf(py, a, 0, 'p', 0.5) };
    if (TORCH_BN.has(last)) return { kind: 'bn', label: `nn.${last}`, framework: 'torch' };
    if (TORCH_WEIGHT.has(last)) return { kind: 'weight', label: `nn.${last}`, framework: 'torch' };
    if (TORCH_ACT.has(last)) return { kind: 'act', label: `nn.${last}`, framework: 'torch' };
    if (TORCH_NEUTRAL.has(last)) return { kind: 'neutral', label: `nn.${last}`, framework: 'torch' };
    return null;
  }
  if (q.startsWith('keras.')) {
    if (q === 'keras.Sequential' || q === 'keras.models.Sequential') return { kind: 'unknown', label: 'Sequential', framework: 'keras', container: 'sequential' };
    if (!(q.startsWith('keras.layers.') && parts.length === 3)) return null;
    if (KERAS_DROPOUT.has(last)) return { kind: 'dropout', label: last, framework: 'keras', ...rateOf(py, a, 0, 'rate') };
    if (KERAS_BN.has(last)) return { kind: 'bn', label: last, framework: 'keras' };
    if (KERAS_WEIGHT.has(last)) return { kind: 'weight', label: last, framework: 'keras' };
    if (KERAS_ACT.has(last)) return { kind: 'act', label: last, framework: 'keras' };
    if (KERAS_NEUTRAL.has(last)) return { kind: 'neutral', label: last, framework: 'keras' };
    return null;
  }
  return null;
}

function classifyFunctionalRaw(py: Py, call: SyntaxNode): LayerCall | null {
  const q = qualify(py, call.firstChild);
  if (!q) return null;
  const parts = q.split('.');
  const last = parts[parts.length - 1];
  const a = args(py, call);
  if (q.startsWith('torch.nn.functional.') && parts.length === 4) {
    if (F_DROPOUT.has(last)) {
      const node = a?.keywords.get('p')?.value ?? a?.positional[1];
      return { kind: 'dropout', label: `F.${last}`, framework: 'functional', rateNode: node ?? undefined, rate: node ? literalNumber(py, node) : 0.5 };
    }
    if (F_ACT.has(last)) return { kind: 'act', label: `F.${last}`, framework: 'functional' };
    if (last === 'linear') return { kind: 'weight', label: 'F.linear', framework: 'functional' };
    if (last === 'batch_norm') return { kind: 'bn', label: 'F.batch_norm', framework: 'functional' };
    return null;
  }
  if (q.startsWith('torch.') && parts.length === 2) {
    if (F_ACT.has(last)) return { kind: 'act', label: `torch.${last}`, framework: 'functional' };
    if (last === 'flatten') return { kind: 'neutral', label: 'torch.flatten', framework: 'functional' };
    return null;
  }
  if (q === 'tensorflow.nn.dropout') {
    const node = a?.keywords.get('rate')?.value ?? (a?.keywords.has('keep_prob') || py.tf1Style ? undefined : a?.positional[1]);
    return { kind: 'dropout', label: 'tf.nn.dropout', framework: 'tf', rateNode: node ?? undefined, rate: node ? literalNumber(py, node) : undefined };
  }
  if (q.startsWith('tensorflow.nn.') && F_ACT.has(last)) return { kind: 'act', label: `tf.nn.${last}`, framework: 'tf' };
  return null;
}

// ---------------------------------------------------------------- model classes

const MODEL_BASES = new Map<string, ClassInfo['framework']>([
  ['torch.nn.Module', 'torch'],
  ['lightning.LightningModule', 'lightning'],
  ['keras.Model', 'keras'],
  ['keras.models.Model', 'keras'],
  ['keras.layers.Layer', 'keras'],
]);

function collectClasses(py: Py): void {
  const defs = all(py, 'ClassDefinition');
  // Two rounds so that subclasses of local model classes defined later are found.
  for (let round = 0; round < 2; round++) {
    for (const def of defs) {
      const nameNode = child(def, 'VariableName');
      if (!nameNode) continue;
      const name = py.text(nameNode);
      if (py.classes.has(name)) continue;
      const argList = child(def, 'ArgList');
      let framework: ClassInfo['framework'] | undefined;
      if (argList) {
        for (const base of children(argList)) {
          const q = qualify(py, base);
          if (!q) continue;
          framework = MODEL_BASES.get(q) ?? py.classes.get(q)?.framework ?? framework;
          if (!framework && /^transformers\.\w*(PreTrainedModel|Model)$/.test(q)) framework = 'torch';
        }
      }
      if (!framework) continue;
      py.classes.set(name, { name, node: def, framework, attrs: new Map(), sensitive: false, usedAsSubmodule: false, mc: MC_WORDS.test(name) });
    }
  }
  // Per class, what its own text gives (reused while the unit's text and the class context are unchanged).
  const records = classRecords(py);
  for (const info of py.classes.values()) {
    const rec = records.get(info);
    if (rec) {
      for (const name of rec.calls) py.classes.get(name)!.usedAsSubmodule = true;
      continue;
    }
    for (const call of within(py, 'CallExpression', info.node)) {
      const q = qualify(py, call.firstChild);
      const sub = q ? py.classes.get(q) : undefined;
      if (sub && sub !== info) sub.usedAsSubmodule = true;
    }
  }
  for (const info of py.classes.values()) {
    const rec = records.get(info);
    if (rec) {
      let sensitive = rec.local;
      for (const name of rec.subs) {
        const sub = py.classes.get(name)!;
        sub.usedAsSubmodule = true;
        if (sub.sensitive || sub !== info) sensitive = sensitive || sub.sensitive;
      }
      info.attrs = decodeAttrs(rec.attrs, unitOf(py, info.node)!.from);
      info.sensitive = sensitive;
      continue;
    }
    let sensitive = false;
    let local = false;
    // Recorded for the cache: class names met in its calls and in self.attr = Sub(...), in order.
    const unit = unitOf(py, info.node);
    const subs: string[] | undefined = unit ? [] : undefined;
    let calls: string[] | undefined;
    if (unit) {
      calls = [];
      for (const call of within(py, 'CallExpression', info.node)) {
        const q = qualify(py, call.firstChild);
        const sub = q ? py.classes.get(q) : undefined;
        if (sub && sub !== info) calls.push(q!);
      }
    }
    for (const call of within(py, 'CallExpression', info.node)) {
      const lc = classifyCtor(py, call) ?? classifyFunctional(py, call);
      if (lc && (lc.kind === 'dropout' || lc.kind === 'bn')) local = sensitive = true;
      if (lc && lc.kind === 'weight') {
        const a = args(py, call);
        const d = a?.keywords.get('dropout')?.value;
        if (d && (literalNumber(py, d) ?? 1) > 0) local = sensitive = true;
      }
    }
    // self.attr = <call>: remember layer ops; unknown submodules make the mode matter (they may hold dropout).
    for (const assign of within(py, 'AssignStatement', info.node)) {
      const kids = children(assign);
      const target = dotted(py, kids[0]);
      const value = kids[2];
      if (!target || !target.startsWith('self.') || target.split('.').length !== 2 || !value) continue;
      const attr = target.slice(5);
      if (value.name === 'CallExpression') {
        const ops = exprOps(py, value);
        if (ops) info.attrs.set(attr, ops);
        else {
          const q = qualify(py, value.firstChild) ?? '';
          const sub = py.classes.get(q);
          if (sub) {
            sub.usedAsSubmodule = true;
            subs?.push(q);
            if (sub.sensitive || sub !== info) sensitive = sensitive || sub.sensitive;
            info.attrs.set(attr, [{ kind: 'unknown', at: span(value), label: q }]);
          } else if (!/^(torch\.nn\.(ModuleList|ModuleDict|Parameter)|torch\.(zeros|ones|randn|tensor|empty)|int|float|list|dict|str|len)$/.test(q)) {
            info.attrs.set(attr, [{ kind: 'unknown', at: span(value), label: q }]);
            if (!/^(torch|numpy|np|math|int|float|str|len|range)(\.|$)/.test(q) || q.startsWith('torchvision')) local = sensitive = true;
          } else if (q === 'torch.nn.ModuleList' || q === 'torch.nn.ModuleDict') {
            // contents checked through the calls inside
          }
        }
      }
    }
    info.sensitive = sensitive;
    if (unit) (unit.entry.classes ??= {})[info.name] = { local, subs: subs!, calls: calls!, attrs: encodeAttrs(info.attrs, unit.from) };
  }
  // Propagate sensitivity through submodules once more.
  for (const info of py.classes.values()) {
    for (const ops of info.attrs.values()) for (const op of ops) if (op.kind === 'unknown' && py.classes.get(op.label)?.sensitive) info.sensitive = true;
  }
}

/** Ops of a layer construction expression (a layer, or a Sequential of layers). */
function exprOps(py: Py, value: SyntaxNode): Op[] | null {
  if (value.name !== 'CallExpression') return null;
  const lc = classifyCtor(py, value);
  if (!lc) return null;
  if (lc.container === 'sequential') return sequentialItems(py, value)?.ops ?? null;
  return [layerOp(py, value, lc)];
}

function layerOp(_py: Py, call: SyntaxNode, lc: LayerCall, remove?: Op['remove']): Op {
  return {
    kind: lc.kind,
    at: span(call),
    label: lc.label,
    ...(lc.rate !== undefined ? { rate: lc.rate } : {}),
    ...(lc.rateNode && lc.rate !== undefined ? { rateAt: span(lc.rateNode) } : {}),
    ...(remove ? { remove } : {}),
  };
}

/** Items of nn.Sequential(a, b) or keras.Sequential([a, b]) with removal edits. */
function sequentialItems(py: Py, call: SyntaxNode): { ops: Op[]; framework: 'torch' | 'keras' } | null {
  const lc = classifyCtor(py, call);
  if (!lc || lc.container !== 'sequential') return null;
  const a = args(py, call);
  if (!a) return null;
  let items: SyntaxNode[];
  if (lc.framework === 'keras') {
    const list = a.keywords.get('layers')?.value ?? a.positional[0];
    if (!list) return { ops: [], framework: 'keras' };
    if (list.name !== 'ArrayExpression') return null;
    items = children(list).filter((k) => k.name !== '[' && k.name !== ']' && k.name !== ',' && k.name !== 'Comment');
  } else {
    items = a.positional;
    if (a.keywords.size > 0) return null;
  }
  const ops: Op[] = [];
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    let op: Op;
    const remove = removeListItem(py, items, i);
    if (item.name === 'CallExpression') {
      const ilc = classifyCtor(py, item);
      if (ilc && ilc.container) op = { kind: 'unknown', at: span(item), label: ilc.label };
      else if (ilc) op = layerOp(py, item, ilc, remove);
      else {
        // OrderedDict / unknown factory: give up on the sequence.
        const q = qualify(py, item.firstChild) ?? '';
        if (/OrderedDict$/.test(q)) return null;
        op = { kind: 'unknown', at: span(item), label: q };
      }
    } else op = { kind: 'unknown', at: span(item), label: py.text(item) };
    ops.push(op);
  }
  return { ops, framework: lc.framework === 'keras' ? 'keras' : 'torch' };
}

function removeListItem(py: Py, items: SyntaxNode[], i: number): Op['remove'] {
  const item = items[i];
  if (items.length === 1) return [{ from: item.from, to: item.to, insert: '' }];
  if (i > 0) {
    // Delete from the end of the previous item (its comma and whitespace) to the end of this item.
    const prev = items[i - 1];
    const between = py.src.slice(prev.to, item.from);
    const comma = between.indexOf(',');
    if (comma < 0) return undefined;
    return [{ from: prev.to, to: item.to, insert: '' }];
  }
  const next = items[i + 1];
  return [{ from: item.from, to: next.from, insert: '' }];
}

// ---------------------------------------------------------------- rate and API checks (every dropout creation)

function checkCreations(py: Py): void {
  const byUnit = groupByUnit(py, all(py, 'CallExpression'), (n) => n.from);
  py.units.forEach((u, i) => cachedEmissions(py, u, 'creations', py.k1Same, () => {
    for (const call of byUnit[i]) checkCreation(py, call);
  }));
}

function checkCreation(py: Py, call: SyntaxNode): void {
  {
    const lc = classifyCtor(py, call) ?? classifyFunctional(py, call);
    if (!lc || lc.kind !== 'dropout') {
      checkTrainingTrue(py, call);
      return;
    }
    if (lc.rate !== undefined && lc.rateNode) checkRate(py.em, lc.rate, span(lc.rateNode), lc.label);
    else if (lc.rateNode && /keep/i.test(py.text(lc.rateNode)) && lc.rateNode.name === 'VariableName' || (lc.rateNode?.name === 'MemberExpression' && /keep/i.test(py.text(lc.rateNode)))) {
      const t = py.text(lc.rateNode!);
      py.em.emit('keep-prob-confusion', span(lc.rateNode!), `${lc.label} receives ${t} as its drop rate: a keep probability passed as a drop rate drops the units it meant to keep. Use 1 - ${t}.`, [
        { title: `Use 1 - ${t}`, edits: [{ from: lc.rateNode!.from, to: lc.rateNode!.to, insert: `1 - ${t}` }], preferred: true },
      ]);
    }
    if (lc.framework === 'tf') checkTf1(py, call);
    if (lc.framework === 'functional') checkFunctionalFlag(py, call, lc);
    checkTrainingTrue(py, call);
  }
}

function checkTf1(py: Py, call: SyntaxNode): void {
  const a = args(py, call);
  if (!a) return;
  const kp = a.keywords.get('keep_prob');
  if (kp) {
    const v = literalNumber(py, kp.value);
    const t = py.text(kp.value);
    const replacement = v !== undefined ? `rate=${fmtRate(1 - v)}` : `rate=1 - ${kp.value.name === 'VariableName' || kp.value.name === 'MemberExpression' ? t : `(${t})`}`;
    py.em.emit('tf1-keep-prob-api', [kp.name.from, kp.value.to], `tf.nn.dropout(keep_prob=${t}) is the TensorFlow 1 API: TensorFlow 2 removed keep_prob and takes rate, the drop probability. Use ${replacement}.`, [
      { title: `Replace with ${replacement}`, edits: [{ from: kp.name.from, to: kp.value.to, insert: replacement }], preferred: true },
    ]);
    return;
  }
  if (py.tf1Style && a.positional[1] && !a.keywords.has('rate')) {
    const p = a.positional[1];
    const t = py.text(p);
    const v = literalNumber(py, p);
    const replacement = v !== undefined ? `rate=${fmtRate(1 - v)}` : `rate=1 - ${p.name === 'VariableName' || p.name === 'MemberExpression' ? t : `(${t})`}`;
    py.em.emit('tf1-keep-prob-api', span(p), `In TensorFlow 1 code the second argument of tf.nn.dropout is the keep probability; under TensorFlow 2 the same position is the drop rate, so ${t} drops what it meant to keep. Pass ${replacement}.`, [
      { title: `Replace with ${replacement}`, edits: [{ from: p.from, to: p.to, insert: replacement }], preferred: true },
    ]);
  }
}

function enclosing(n: SyntaxNode, name: string): SyntaxNode | null {
  for (let p = n.parent; p; p = p.parent) if (p.name === name) return p;
  return null;
}

function defName(py: Py, def: SyntaxNode | null): string {
  return def ? py.text(child(def, 'VariableName')) : '';
}

function hasMcIntent(py: Py, node: SyntaxNode): boolean {
  // Names of the enclosing function and class, comments inside or just above it, identifiers in it.
  for (let p: SyntaxNode | null = node; p; p = p.parent) {
    if (p.name === 'FunctionDefinition' || p.name === 'ClassDefinition') {
      if (MC_WORDS.test(defName(py, p))) return true;
      if (commentsIn(py, p.from, p.to).some((c) => MC_WORDS.test(c))) return true;
      for (const v of findAll(p, new Set(['VariableName', 'PropertyName']))) if (MC_WORDS.test(py.text(v))) return true;
      if (p.name === 'FunctionDefinition') return false;
    }
  }
  const line = py.em.lines.position(node.from).line;
  const from = py.em.lines.lineStart(Math.max(0, line - 2));
  const to = py.em.lines.lineEnd(line);
  return commentsIn(py, from, to).some((c) => MC_WORDS.test(c));
}

function commentsIn(py: Py, from: number, to: number): string[] {
  return py.comments.filter((c) => c.from >= from && c.to <= to).map((c) => c.text);
}

function checkFunctionalFlag(py: Py, call: SyntaxNode, lc: LayerCall): void {
  const cls = enclosing(call, 'ClassDefinition');
  if (!cls) return;
  const a = args(py, call);
  if (!a) return;
  if (a.keywords.has('training') || a.positional.length >= 3) return;
  if (hasMcIntent(py, call)) return;
  const list = a.node;
  const kids = children(list);
  const close = kids[kids.length - 1];
  if (!close || close.name !== ')') return;
  const lastArg = kids[kids.length - 2];
  const trailingComma = lastArg?.name === ',';
  const insertAt = trailingComma ? lastArg.to : close.from;
  const insert = trailingComma ? ' training=self.training' : a.positional.length + a.keywords.size > 0 ? ', training=self.training' : 'training=self.training';
  py.em.emit(
    'functional-dropout-no-training-flag',
    span(call),
    `${lc.label} defaults to training=True, so this dropout stays on after model.eval(): validation and predictions are random and pessimistic. Pass training=self.training (or use an nn.Dropout module).`,
    [{ title: 'Add training=self.training', edits: [{ from: insertAt, to: insertAt, insert }], preferred: true }],
  );
}

function checkTrainingTrue(py: Py, call: SyntaxNode): void {
  if (!py.usesKeras) return;
  const a = args(py, call);
  const t = a?.keywords.get('training');
  if (!t || !isTrueLiteral(py, t.value)) return;
  const callee = call.firstChild;
  if (!callee) return;
  let what: string;
  if (callee.name === 'CallExpression') {
    const inner = classifyCtor(py, callee);
    if (!inner || inner.kind !== 'dropout') return;
    what = `${inner.label}(...)(..., training=True)`;
  } else {
    const d = dotted(py, callee);
    if (!d || d === 'super' || d.startsWith('super.')) return;
    const q = qualify(py, callee) ?? d;
    if (q.startsWith('keras.') || q.startsWith('tensorflow.') || q.startsWith('torch.')) return;
    if (d.startsWith('self.') && enclosing(call, 'ClassDefinition') && defName(py, enclosing(call, 'FunctionDefinition')) === 'call') return;
    what = `${d}(..., training=True)`;
  }
  const fn = enclosing(call, 'FunctionDefinition');
  if (fn && TRAIN_FN.test(defName(py, fn))) return;
  for (let p = call.parent; p; p = p.parent) {
    if (p.name === 'WithStatement' && /GradientTape/.test(py.text(children(p)[1]))) return;
    if (p.name === 'ArrayComprehensionExpression' || p.name === 'ComprehensionExpression' || p.name === 'SetComprehensionExpression' || p.name === 'DictionaryComprehensionExpression') return;
    if (p.name === 'ForStatement') {
      const iter = forIterable(p);
      if (iter && /^range\b/.test(py.text(iter))) return; // repeated stochastic passes: Monte Carlo sampling
    }
  }
  if (hasMcIntent(py, call)) return;
  py.em.emit('training-true-at-inference', [t.name.from, t.value.to], `${what} runs dropout at inference: every prediction drops random units, so results change from call to call. Pass training=False (or omit it); for Monte Carlo dropout, make the intent explicit (sample in a loop, name or comment it MC).`, [
    { title: 'Use training=False', edits: [{ from: t.value.from, to: t.value.to, insert: 'False' }], preferred: true },
  ]);
}

function forIterable(forStmt: SyntaxNode): SyntaxNode | null {
  const kids = children(forStmt);
  const i = kids.findIndex((k) => k.name === 'in');
  return i >= 0 ? kids[i + 1] ?? null : null;
}

// ---------------------------------------------------------------- data-flow chains (forward(), Keras functional API, Sequential)

interface ChainCtx {
  cls?: ClassInfo;
  chains: Map<string, Op[] | null>;
  layerVars: Map<string, { call: SyntaxNode; lc: LayerCall }>;
}

function removeCall(py: Py, e: SyntaxNode, dataArg: SyntaxNode | undefined): Op['remove'] {
  return dataArg ? [{ from: e.from, to: e.to, insert: py.text(dataArg) }] : undefined;
}

function evalChain(py: Py, cx: ChainCtx, e: SyntaxNode | null | undefined, depth = 0): Op[] | null {
  if (!e || depth > 60) return null;
  if (e.name === 'VariableName') return cx.chains.get(py.text(e)) ?? null;
  if (e.name === 'ParenthesizedExpression') return evalChain(py, cx, children(e)[1], depth + 1);
  if (e.name !== 'CallExpression') return null;
  const callee = e.firstChild;
  if (!callee) return null;
  const a = args(py, e);
  if (!a) return null;
  const dataArg = a.positional[0] ?? a.keywords.get('input')?.value ?? a.keywords.get('inputs')?.value;
  // keras.Input(...) starts a chain.
  const q = qualify(py, callee);
  if (q === 'keras.Input' || q === 'keras.layers.Input') return [];
  // Layer instance call: layers.Dense(3)(x)
  if (callee.name === 'CallExpression') {
    const lc = classifyCtor(py, callee);
    const base = evalChain(py, cx, dataArg, depth + 1);
    if (!base) return null;
    if (!lc || lc.container) return [...base, { kind: 'unknown', at: span(e), label: py.text(callee.firstChild) }];
    return [...base, { ...layerOp(py, callee, lc, removeCall(py, e, dataArg)), at: span(e) }];
  }
  const d = dotted(py, callee);
  if (d && d.startsWith('self.') && cx.cls) {
    const attr = d.slice(5);
    const ops = cx.cls.attrs.get(attr);
    if (ops) {
      const base = evalChain(py, cx, dataArg, depth + 1);
      if (!base) return null;
      if (ops.length === 1) return [...base, { ...ops[0], at: span(e), remove: removeCall(py, e, dataArg) }];
      return [...base, ...ops];
    }
  }
  if (d && cx.layerVars.has(d)) {
    const { call, lc } = cx.layerVars.get(d)!;
    const base = evalChain(py, cx, dataArg, depth + 1);
    if (!base) return null;
    return [...base, { ...layerOp(py, call, lc, removeCall(py, e, dataArg)), at: span(e) }];
  }
  const f = classifyFunctional(py, e);
  if (f) {
    const base = evalChain(py, cx, dataArg, depth + 1);
    if (!base) return null;
    return [...base, { kind: f.kind, at: span(e), label: f.label, ...(f.rate !== undefined ? { rate: f.rate } : {}), ...(f.rateNode && f.rate !== undefined ? { rateAt: span(f.rateNode) } : {}), remove: removeCall(py, e, dataArg) }];
  }
  // Tensor methods: x.view(...), x.relu()
  if (callee.name === 'MemberExpression') {
    const kids = children(callee);
    const method = py.text(kids[kids.length - 1]);
    if (TENSOR_NEUTRAL_METHODS.has(method) || TENSOR_ACT_METHODS.has(method)) {
      const base = evalChain(py, cx, kids[0], depth + 1);
      if (!base) return null;
      return [...base, { kind: TENSOR_ACT_METHODS.has(method) ? 'act' : 'neutral', at: span(e), label: `.${method}()` }];
    }
  }
  const base = dataArg ? evalChain(py, cx, dataArg, depth + 1) : null;
  if (!base) return null;
  return [...base, { kind: 'unknown', at: span(e), label: d ?? 'call' }];
}

function analyzeChains(py: Py): void {
  const byUnit = groupByUnit(py, all(py, 'FunctionDefinition'), (n) => n.from);
  py.units.forEach((u, i) => cachedEmissions(py, u, 'chains', py.k1Same, () => {
    for (const fn of byUnit[i]) chainsOf(py, fn);
  }));
  // Module level (Keras functional API and Sequential models outside functions).
  const cx: ChainCtx = { chains: new Map(), layerVars: new Map() };
  walkChains(py, cx, children(py.tree.topNode), false, 'the model', false);
}

function chainsOf(py: Py, fn: SyntaxNode): void {
  {
    const cls = enclosing(fn, 'ClassDefinition');
    const info = cls ? py.classes.get(defName(py, cls)) : undefined;
    const name = defName(py, fn);
    const isForward = !!info && (name === 'forward' || name === 'call') && enclosing(fn, 'FunctionDefinition') === null;
    const cx: ChainCtx = { cls: info, chains: new Map(), layerVars: new Map() };
    const params = paramNames(py, fn);
    if (isForward) {
      const dataParams = params.filter((p) => p !== 'self');
      if (dataParams[0]) cx.chains.set(dataParams[0], []);
    }
    const topLevel = !info || !info.usedAsSubmodule;
    const where = info ? `${info.name}.${name}()` : `${name}()`;
    walkChains(py, cx, body(fn), isForward && topLevel, where, isForward && topLevel);
  }
}

function paramNames(py: Py, fn: SyntaxNode): string[] {
  const list = child(fn, 'ParamList');
  if (!list) return [];
  const out: string[] = [];
  const kids = children(list);
  for (let i = 0; i < kids.length; i++) {
    const k = kids[i];
    if (k.name === 'VariableName' && kids[i - 1]?.name !== 'AssignOp' && kids[i - 1]?.name !== ':' && kids[i - 1]?.name !== 'TypeDef') out.push(py.text(k));
  }
  return out;
}

function walkChains(py: Py, cx: ChainCtx, stmts: SyntaxNode[], checkReturn: boolean, where: string, inputCheck: boolean): void {
  const sequentials = new Map<string, { ops: Op[]; framework: string; name: string; at: SyntaxNode }>();
  for (const s of stmts) {
    if (s.name === 'AssignStatement') {
      const kids = children(s);
      const targetNode = kids[0];
      const value = kids[kids.length - 1];
      const target = dotted(py, targetNode);
      if (kids.length === 3 && target && value) {
        if (value.name === 'CallExpression') {
          const lc = classifyCtor(py, value);
          if (lc && lc.container === 'sequential') {
            const seq = sequentialItems(py, value);
            if (seq) sequentials.set(target, { ...seq, name: target, at: value });
            continue;
          }
          if (lc && !lc.container && targetNode.name === 'VariableName') {
            cx.layerVars.set(target, { call: value, lc });
            continue;
          }
        }
        if (targetNode.name === 'VariableName') cx.chains.set(target, evalChain(py, cx, value));
      }
    } else if (s.name === 'ExpressionStatement') {
      const call = s.firstChild;
      if (call?.name === 'CallExpression' && call.firstChild?.name === 'MemberExpression') {
        const kids = children(call.firstChild);
        const obj = dotted(py, kids[0]);
        const method = py.text(kids[kids.length - 1]);
        if (obj && method === 'add' && sequentials.has(obj)) {
          const a = args(py, call);
          const item = a?.positional[0];
          const seq = sequentials.get(obj)!;
          if (item?.name === 'CallExpression') {
            const ilc = classifyCtor(py, item);
            seq.ops.push(ilc && !ilc.container ? layerOp(py, item, ilc, [{ from: py.em.lines.lineStart(py.em.lines.position(s.from).line), to: Math.min(py.src.length, py.em.lines.lineEnd(py.em.lines.position(s.to).line) + 1), insert: '' }]) : { kind: 'unknown', at: span(item), label: py.text(item) });
          } else if (item) seq.ops.push({ kind: 'unknown', at: span(item), label: py.text(item) });
        }
      }
    } else if (s.name === 'ReturnStatement') {
      const value = children(s)[1];
      if (value?.name === 'CallExpression') {
        const lc = classifyCtor(py, value);
        if (lc?.container === 'sequential') {
          const seq = sequentialItems(py, value);
          if (seq) checkSequence(py.em, seq.ops, { input: true, output: true, where: 'the Sequential model' });
          continue;
        }
      }
      if (checkReturn && value) {
        const chain = evalChain(py, cx, value);
        if (chain) checkSequence(py.em, chain, { input: inputCheck, output: true, where });
      }
    }
    // Keras functional model: Model(inputs, outputs)
    for (const call of s.name === 'ClassDefinition' || s.name === 'FunctionDefinition' ? [] : within(py, 'CallExpression', s, true)) {
      const q = qualify(py, call.firstChild);
      if (q !== 'keras.Model' && q !== 'keras.models.Model') continue;
      const a = args(py, call);
      const out = a?.keywords.get('outputs')?.value ?? a?.positional[1];
      const chain = evalChain(py, cx, out);
      if (chain) checkSequence(py.em, chain, { input: true, output: true, where: 'the Keras model' });
    }
  }
  for (const seq of sequentials.values()) {
    const last = seq.name.split('.').pop()!;
    if (seq.framework === 'torch' && (BLOCK_NAME.test(last) || seq.name.startsWith('self.'))) {
      // Sub-blocks are checked where forward() applies them.
      checkSequence(py.em, seq.ops, { input: false, output: false, where: seq.name });
      continue;
    }
    checkSequence(py.em, seq.ops, { input: true, output: true, where: seq.name });
  }
  // Sequential passed directly (e.g. self.net = nn.Sequential(...)) still gets the batch-norm check.
}

// ---------------------------------------------------------------- mode flow (missing-eval, missing-train-after-eval, pretrained)

interface Flow {
  fn?: FnInfo;
  inference?: { anchor: SyntaxNode; reason: string };
  loops: SyntaxNode[];
  mc: boolean;
  depth: number;
  /** Models used (called) in the current scope. */
  reported: Set<string>;
}

function joinStates(a: State, b: State, keepEvalOrigin = false): State {
  const out: State = new Map();
  for (const k of new Set([...a.keys(), ...b.keys()])) {
    const x = a.get(k);
    const y = b.get(k);
    if (x && y && x.mode === y.mode) out.set(k, x.origin ? x : y);
    else {
      // Around a loop's back edge, remember that eval mode may flow into the next iteration.
      const evalSide = keepEvalOrigin ? [x, y].find((s) => s && s.origin && s.origin.kind === 'eval-call' && (s.mode === 'eval' || s.mode === 'unknown')) : undefined;
      out.set(k, evalSide ? { mode: 'unknown', origin: evalSide.origin } : { mode: 'unknown' });
    }
  }
  return out;
}

function isSensitive(py: Py, name: string): boolean {
  const s = py.modelSensitive.get(name);
  return s === undefined ? py.defaultSensitive : s;
}

function modelOf(py: Py, n: SyntaxNode | null): string | null {
  const d = dotted(py, n);
  if (!d) return null;
  return py.modelNames.has(d) ? d : null;
}

function stripChain(py: Py, value: SyntaxNode): SyntaxNode {
  // Net().to(device) / .cuda() / .double(): the model itself.
  let v = value;
  for (let i = 0; i < 10 && v.name === 'CallExpression' && v.firstChild?.name === 'MemberExpression'; i++) {
    const kids = children(v.firstChild);
    const m = py.text(kids[kids.length - 1]);
    if (['to', 'cuda', 'cpu', 'double', 'float', 'half', 'train', 'eval'].includes(m) && kids[0].name === 'CallExpression') v = kids[0];
    else break;
  }
  return v;
}

/**
 * What one unit adds to the model facts, step by step (each step runs over the whole file before the next,
 * so replaying the steps unit by unit keeps the insertion order of every set and map).
 */
interface ModelFacts {
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

function collectModels(py: Py): void {
  let anyInsensitiveClass = false;
  let anySensitiveSource = false;
  for (const c of py.classes.values()) {
    if (c.framework === 'keras') continue;
    if (c.sensitive) anySensitiveSource = true;
    else anyInsensitiveClass = true;
  }
  const assigns = groupByUnit(py, all(py, 'AssignStatement'), (n) => n.from);
  const calls = groupByUnit(py, all(py, 'CallExpression'), (n) => n.from);
  const fns = groupByUnit(py, all(py, 'FunctionDefinition'), (n) => n.from);
  const facts = py.units.map((u, i): ModelFacts => {
    const old = u.old?.models;
    if (py.k1Same && old) {
      py.reuse.models++;
      return (u.entry.models = old);
    }
    const f = modelFactsOf(py, assigns[i], calls[i], fns[i]);
    if (u.key !== null) u.entry.models = f;
    return f;
  });
  for (const f of facts) {
    for (const [target, sens] of f.assigned) {
      py.modelNames.add(target);
      if (sens !== null) py.modelSensitive.set(target, sens);
    }
    if (f.sensitiveSource) anySensitiveSource = true;
    if (f.insensitiveClass) anyInsensitiveClass = true;
  }
  for (const f of facts) for (const m of f.switched) py.modelNames.add(m);
  for (const f of facts) for (const m of f.params) py.modelNames.add(m);
  for (const f of facts) for (const m of f.members) py.modelNames.add(m);
  py.defaultSensitive = anySensitiveSource || !anyInsensitiveClass;
  for (const f of facts) for (const m of f.hf) py.hfTrainerModels.add(m);
  for (const f of facts) for (const m of f.trained) py.trainedModels.add(m);
}

function modelFactsOf(py: Py, assigns: SyntaxNode[], calls: SyntaxNode[], fns: SyntaxNode[]): ModelFacts {
  const out: ModelFacts = { assigned: [], sensitiveSource: false, insensitiveClass: false, switched: [], params: [], members: [], hf: [], trained: [] };
  for (const assign of assigns) {
    const kids = children(assign);
    if (kids.length !== 3) continue;
    const target = dotted(py, kids[0]);
    const value = kids[2];
    if (!target || value.name !== 'CallExpression') continue;
    const inner = stripChain(py, value);
    const q = qualify(py, inner.firstChild) ?? '';
    const cls = py.classes.get(q);
    if (cls && cls.framework !== 'keras') {
      out.assigned.push([target, cls.sensitive]);
      continue;
    }
    if (/\.from_pretrained$/.test(q)) {
      out.assigned.push([target, true]);
      out.sensitiveSource = true;
      continue;
    }
    const lc = classifyCtor(py, inner);
    if (lc?.container === 'sequential' && lc.framework === 'torch') {
      const seq = sequentialItems(py, inner);
      const sens = !seq || seq.ops.some((o) => o.kind === 'dropout' || o.kind === 'bn' || o.kind === 'unknown');
      out.assigned.push([target, sens]);
      if (sens) out.sensitiveSource = true;
      else out.insensitiveClass = true;
      continue;
    }
    if (/^(torchvision\.models|timm|transformers)\./.test(q) || q === 'copy.deepcopy') {
      out.assigned.push([target, null]);
      out.sensitiveSource = true;
    }
  }
  // Any name switched with .eval()/.train() is a model; so are model-like parameters.
  for (const call of calls) {
    const callee = call.firstChild;
    if (callee?.name !== 'MemberExpression') continue;
    const kids = children(callee);
    const m = py.text(kids[kids.length - 1]);
    if (m !== 'eval' && m !== 'train') continue;
    const a = args(py, call);
    if (!a || a.positional.length > 1) continue;
    const obj = dotted(py, kids[0]);
    if (obj && !isLoopVarOverModules(py, call, obj)) out.switched.push(obj);
    if (m === 'train' && obj) {
      // `model.train()` right in a modules() loop is MC re-enabling, handled in the flow.
    }
  }
  for (const fn of fns) for (const p of paramNames(py, fn)) if (MODEL_PARAM.test(p)) out.params.push(p);
  for (const fn of fns) {
    if (!enclosing(fn, 'ClassDefinition')) continue;
    for (const v of within(py, 'MemberExpression', fn)) {
      const d = dotted(py, v);
      if (d && /^self\.\w+$/.test(d) && MODEL_PARAM.test(d.slice(5)) && !py.classes.has(defName(py, enclosing(fn, 'ClassDefinition')!)) ) out.members.push(d);
    }
  }
  for (const call of calls) {
    const q = qualify(py, call.firstChild) ?? '';
    if (!/(^|\.)(Trainer|SFTTrainer|Seq2SeqTrainer)$/.test(q)) continue;
    const a = args(py, call);
    const m = a?.keywords.get('model')?.value ?? a?.positional[0];
    const d = m ? dotted(py, m) : null;
    if (d) out.hf.push(d);
  }
  // Trained models: parameters handed to an optimizer.
  for (const call of calls) {
    const q = qualify(py, call.firstChild) ?? '';
    if (!/(^|\.)optim\.|Optimizer|^(SGD|Adam|AdamW|RMSprop|Adagrad)$/.test(q)) continue;
    for (const inner of within(py, 'CallExpression', call)) {
      const callee = inner.firstChild;
      if (callee?.name !== 'MemberExpression') continue;
      const kids = children(callee);
      if (py.text(kids[kids.length - 1]) === 'parameters' || py.text(kids[kids.length - 1]) === 'named_parameters') {
        const obj = dotted(py, kids[0]);
        if (obj) out.trained.push(obj);
      }
    }
  }
  return out;
}

function isLoopVarOverModules(py: Py, call: SyntaxNode, name: string): boolean {
  for (let p = call.parent; p; p = p.parent) {
    if (p.name === 'ForStatement') {
      const kids = children(p);
      const target = kids[1];
      const iter = forIterable(p);
      if (target && py.text(target) === name && iter && /\.(modules|children|named_modules|named_children)\(/.test(py.text(iter))) return true;
    }
    if (p.name === 'FunctionDefinition') {
      // def enable_dropout(m): m.train()  -- applied through model.apply(...)
      const fname = defName(py, p);
      if (/dropout/i.test(fname)) return true;
    }
  }
  return false;
}

function isNoGrad(py: Py, withStmt: SyntaxNode): boolean {
  for (const c of children(withStmt)) {
    if (c.name === 'Body') break;
    if (c.name !== 'CallExpression') continue;
    const q = qualify(py, c.firstChild) ?? '';
    if (q === 'torch.no_grad' || q === 'torch.inference_mode' || q === 'torch.autograd.no_grad') return true;
    if (q === 'torch.set_grad_enabled' || q === 'torch.autograd.set_grad_enabled') {
      const a = args(py, c);
      if (a && isFalseLiteral(py, a.positional[0])) return true;
    }
  }
  return false;
}

function isValLoop(py: Py, forStmt: SyntaxNode): boolean {
  const iter = forIterable(forStmt);
  if (!iter) return false;
  for (const v of findAll(iter, new Set(['VariableName', 'PropertyName']))) {
    const t = py.text(v);
    if (VAL_ITER.test(t) && !/train/i.test(t)) return true;
  }
  return iter.name === 'VariableName' && VAL_ITER.test(py.text(iter));
}

function isTrainingStep(py: Py, call: SyntaxNode): boolean {
  const callee = call.firstChild;
  if (callee?.name !== 'MemberExpression') return false;
  const kids = children(callee);
  const m = py.text(kids[kids.length - 1]);
  if (m === 'backward') return true;
  if (m === 'step') {
    const obj = py.text(kids[0]);
    return /optim|^opt$|^opt_|_opt$|optimizer/i.test(obj) && !/sched/i.test(obj);
  }
  return false;
}

function argModel(py: Py, a: Args, fn: FnInfo, offset: number, idx: number): string | null {
  const pos = a.positional[idx - offset];
  if (pos) return modelOf(py, pos);
  const kw = a.keywords.get(fn.params[idx]);
  return kw ? modelOf(py, kw.value) : null;
}

/** What the mode flow needs of a call, computed once per call (model names are final by then). */
interface CallFacts {
  callee: SyntaxNode | null;
  args: Args | null;
  /** Method name and the model it is called on, for obj.method(...) calls. */
  method: string | null;
  objModel: string | null;
  trainingStep: boolean;
  calleeModel: string | null;
  calleeDotted: string | null;
}

function callFacts(py: Py, call: SyntaxNode): CallFacts {
  const hit = py.factsMemo.get(call);
  if (hit !== undefined) return hit;
  const callee = call.firstChild;
  let method: string | null = null;
  let objModel: string | null = null;
  if (callee && callee.name === 'MemberExpression') {
    const kids = children(callee);
    method = py.text(kids[kids.length - 1]);
    objModel = modelOf(py, kids[0]);
  }
  const f: CallFacts = {
    callee,
    args: callee ? args(py, call) : null,
    method,
    objModel,
    trainingStep: callee ? isTrainingStep(py, call) : false,
    calleeModel: callee ? modelOf(py, callee) : null,
    calleeDotted: callee ? dotted(py, callee) : null,
  };
  py.factsMemo.set(call, f);
  return f;
}

/** Statements of a compound statement's or definition's body (cached per node; see body()). */
function bodyOf(py: Py, n: SyntaxNode): SyntaxNode[] {
  let b = py.bodyMemo.get(n.from);
  if (b === undefined) py.bodyMemo.set(n.from, (b = body(n)));
  return b;
}

/** Children of a Body but its ":" (cached per Body). */
function blockOf(py: Py, b: SyntaxNode): SyntaxNode[] {
  let out = py.blockMemo.get(b.from);
  if (out === undefined) {
    out = [];
    for (let c = b.firstChild; c; c = c.nextSibling) if (c.name !== ':') out.push(c);
    py.blockMemo.set(b.from, out);
  }
  return out;
}

class FlowWalker {
  constructor(private readonly py: Py) {}

  walk(stmts: SyntaxNode[], state: State, flow: Flow): State {
    for (const s of stmts) state = this.stmt(s, state, flow);
    return state;
  }

  stmt(s: SyntaxNode, state: State, flow: Flow): State {
    const py = this.py;
    switch (s.name) {
      case 'FunctionDefinition':
      case 'ClassDefinition':
      case 'DecoratedStatement':
        return state;
      case 'WithStatement': {
        for (const c of children(s)) if (c.name !== 'Body') state = this.expr(c, state, flow);
        const inner = isNoGrad(py, s) && !flow.inference ? { ...flow, inference: { anchor: s, reason: 'inside torch.no_grad()' } } : flow;
        return this.walk(bodyOf(py, s), state, inner);
      }
      case 'ForStatement':
      case 'WhileStatement': {
        const iter = s.name === 'ForStatement' ? forIterable(s) : children(s)[1];
        if (iter) state = this.expr(iter, state, flow);
        let inner: Flow = { ...flow, loops: [...flow.loops, s] };
        if (s.name === 'ForStatement' && !flow.inference && isValLoop(py, s)) inner = { ...inner, inference: { anchor: s, reason: `in the loop over ${py.text(forIterable(s))}` } };
        const mcLoop = s.name === 'ForStatement' && /\.(modules|children|named_modules)\(/.test(py.text(iter));
        if (mcLoop) {
          // for m in model.modules(): if isinstance(m, nn.Dropout): m.train()  -- Monte Carlo re-enabling
          const reenables = within(py, 'CallExpression', s).some((c) => /\.train\(\)$/.test(py.text(c)));
          if (reenables) return this.markMc(state, iter, flow);
        }
        const bodies = children(s).filter((c) => c.name === 'Body');
        let st = state;
        const passes = flow.depth < 4 ? 2 : 1;
        let end = state;
        for (let pass = 0; pass < passes; pass++) {
          end = st;
          for (const b of bodies) end = this.walk(blockOf(py, b), end, { ...inner, depth: flow.depth + 1 });
          st = joinStates(state, end, true);
        }
        return joinStates(state, end, true);
      }
      case 'IfStatement': {
        let result: State | null = null;
        let sawElse = false;
        const kids = children(s);
        for (let i = 0; i < kids.length; i++) {
          const k = kids[i];
          if (k.name === 'else') sawElse = true;
          if (k.name === 'Body') {
            const out = this.walk(blockOf(py, k), state, flow);
            result = result ? joinStates(result, out) : out;
          } else if (k.name !== 'if' && k.name !== 'elif' && k.name !== 'else') state = this.expr(k, state, flow);
        }
        if (!result) return state;
        return sawElse ? result : joinStates(result, state);
      }
      case 'TryStatement': {
        for (const b of children(s)) if (b.name === 'Body') state = this.walk(blockOf(py, b), state, flow);
        return state;
      }
      case 'AssignStatement': {
        const kids = children(s);
        const value = kids[kids.length - 1];
        state = this.expr(value, state, flow);
        const target = kids.length === 3 ? dotted(py, kids[0]) : null;
        if (target && py.modelNames.has(target) && value.name === 'CallExpression') {
          const inner = stripChain(py, value);
          const q = qualify(py, inner.firstChild) ?? '';
          const tail = py.text(value).endsWith('.eval()') ? 'eval' : py.text(value).endsWith('.train()') ? 'train' : null;
          if (/\.from_pretrained$/.test(q)) state.set(target, tail === 'train' ? { mode: 'train' } : { mode: 'eval', origin: { kind: 'pretrained', node: value, loops: flow.loops } });
          else if (py.classes.has(q) || classifyCtor(py, inner)?.container) state.set(target, { mode: tail === 'eval' ? 'eval' : 'train' });
          else if (q === 'copy.deepcopy') {
            const a = args(py, inner);
            const src = a ? dotted(py, a.positional[0] ?? null) : null;
            state.set(target, (src && state.get(src)) || { mode: 'unknown' });
          } else if (!tail) state.set(target, { mode: 'unknown' });
        }
        return state;
      }
      default:
        return this.expr(s, state, flow);
    }
  }

  markMc(state: State, iter: SyntaxNode | null, flow: Flow): State {
    const d = iter && iter.name === 'CallExpression' && iter.firstChild?.name === 'MemberExpression' ? dotted(this.py, children(iter.firstChild)[0]) : null;
    const out = new Map(state);
    if (d) out.set(d, { mode: 'train', origin: undefined });
    flow.mc = true;
    return out;
  }

  expr(e: SyntaxNode, state: State, flow: Flow): State {
    const py = this.py;
    // Calls in source order (by start offset; inner arguments before the call they feed are fine for our purposes).
    const calls = e.name === 'CallExpression' ? [e, ...within(py, 'CallExpression', e, true).filter((c) => c !== e)] : within(py, 'CallExpression', e, true);
    calls.sort((a, b) => a.to - b.to);
    for (const call of calls) {
      const facts = callFacts(py, call);
      const callee = facts.callee;
      if (!callee) continue;
      const a = facts.args;
      if (facts.method !== null) {
        const method = facts.method;
        const obj = facts.objModel;
        if (obj && (method === 'eval' || method === 'train') && a && a.positional.length <= 1) {
          const arg = a.positional[0] ?? a.keywords.get('mode')?.value;
          const toEval = method === 'eval' || (arg && isFalseLiteral(py, arg));
          state = new Map(state);
          state.set(obj, toEval ? { mode: 'eval', origin: { kind: 'eval-call', node: call, loops: flow.loops } } : arg && !isTrueLiteral(py, arg) ? { mode: 'unknown' } : { mode: 'train' });
          continue;
        }
        if (obj && (method === 'forward' || method === 'generate' || method === 'predict')) {
          this.use(obj, call, state, flow);
          continue;
        }
        if (method === 'apply' && obj && a?.positional[0] && /dropout|mc/i.test(py.text(a.positional[0]))) {
          state = this.markMc(state, null, flow);
          state.set(obj, { mode: 'train' });
          continue;
        }
      }
      if (facts.trainingStep) {
        this.trainingStep(call, state, flow);
        continue;
      }
      const obj = facts.calleeModel;
      if (obj) {
        this.use(obj, call, state, flow);
        continue;
      }
      // Helper functions defined in this file.
      if (callee.name === 'VariableName' || (callee.name === 'MemberExpression' && facts.calleeDotted?.startsWith('self.'))) {
        const d = facts.calleeDotted!;
        const fname = d.startsWith('self.') ? d.slice(5) : d;
        const fn = py.functions.get(fname);
        if (!fn || !a) continue;
        const offset = d.startsWith('self.') && fn.params[0] === 'self' ? 1 : 0;
        // Record call-site states for model arguments.
        a.positional.forEach((arg, i) => {
          const m = modelOf(py, arg);
          if (!m) return;
          recordSite(py, fname, i + offset, flow.mc ? 'eval' : state.get(m)?.mode ?? 'unknown');
        });
        for (const [k, v] of a.keywords) {
          const m = modelOf(py, v.value);
          const idx = fn.params.indexOf(k);
          if (!m || idx < 0) continue;
          recordSite(py, fname, idx, state.get(m)?.mode ?? 'unknown');
        }
        if (fn.trainsParams.size > 0) {
          const trained: string[] = [];
          for (const p of fn.trainsParams) {
            // A helper that switches the model to train mode itself trains it in train mode.
            if (fn.effects.get(p)?.mode === 'train') continue;
            const m = typeof p === 'number' ? argModel(py, a, fn, offset, p) : p;
            if (m) trained.push(m);
          }
          if (trained.length > 0) this.trainingStep(call, state, flow, trained);
        }
        if (fn.effects.size > 0) {
          state = new Map(state);
          for (const [k, eff] of fn.effects) {
            const m = typeof k === 'number' ? argModel(py, a, fn, offset, k) : k;
            if (!m) continue;
            state.set(m, eff.mode === 'eval' ? { mode: 'eval', origin: { kind: 'eval-call', node: call, loops: flow.loops } } : { mode: eff.mode });
          }
        }
      }
    }
    return state;
  }

  use(model: string, call: SyntaxNode, state: State, flow: Flow): void {
    const py = this.py;
    if (!flow.inference || flow.mc || !py.reporting) return;
    const st = state.get(model);
    const mode = st?.mode ?? 'unknown';
    if (mode === 'eval') return;
    if (!isSensitive(py, model)) return;
    const key = `${model}@${flow.inference.anchor.from}`;
    if (flow.reported.has(key)) return;
    flow.reported.add(key);
    if (hasMcIntent(py, call)) return;
    const anchor = flow.inference.anchor;
    const insertion = anchor.name === 'FunctionDefinition' ? bodyInsertion(py, anchor) : lineInsertion(py, anchor);
    const what = flow.inference.reason;
    const modeText = mode === 'train' ? 'is in train mode' : 'may still be in train mode';
    py.em.emit(
      'missing-eval',
      span(call.firstChild ?? call),
      `${model} ${modeText} ${what}: dropout keeps dropping units and batch norm uses batch statistics, so these results are noisy and worse than the model really is. Call ${model}.eval() before evaluating (and ${model}.train() before training again).`,
      insertion ? [{ title: `Insert ${model}.eval()`, edits: [{ from: insertion.at, to: insertion.at, insert: `${insertion.indent}${model}.eval()\n` }], preferred: true }] : [],
    );
  }

  trainingStep(call: SyntaxNode, state: State, flow: Flow, only?: string[]): void {
    const py = this.py;
    if (!py.reporting) return;
    for (const [model, st] of state) {
      if (!st.origin || (st.mode !== 'eval' && !(st.mode === 'unknown' && st.origin.kind === 'eval-call'))) continue;
      if (only && !only.includes(model)) continue;
      if (!only && py.trainedModels.size > 0 && !py.trainedModels.has(model)) continue;
      if (!only && py.trainedModels.size === 0 && !usedNear(py, model, call)) continue;
      if (st.origin.kind === 'pretrained' && py.hfTrainerModels.has(model)) continue;
      if (!isSensitive(py, model)) continue;
      if (st.origin.kind === 'pretrained') {
        const ins = afterLine(py, st.origin.node);
        py.em.emit(
          'pretrained-never-trained-mode',
          span(st.origin.node),
          `from_pretrained() returns ${model} in eval mode, and it is trained here without ${model}.train(): dropout never runs during fine-tuning, so the model is not regularized. Call ${model}.train() before the training loop.`,
          ins ? [{ title: `Insert ${model}.train()`, edits: [{ from: ins.at, to: ins.at, insert: `${ins.indent}${model}.train()\n` }], preferred: true }] : [],
        );
        continue;
      }
      // Eval switched on inside a loop that also trains, and never switched back.
      const evalNode = st.origin.node;
      const loop = flow.loops.find((l) => l.from <= evalNode.from && evalNode.to <= l.to) ?? null;
      const ins = loop ? bodyInsertion(py, loop) : lineInsertion(py, enclosingStatement(call));
      py.em.emit(
        'missing-train-after-eval',
        span(evalNode),
        `${model} is switched to eval mode here and training continues without ${model}.train(): from then on dropout is off and batch norm statistics are frozen while the weights are still updated. Call ${model}.train() at the start of each training epoch.`,
        ins ? [{ title: `Insert ${model}.train()`, edits: [{ from: ins.at, to: ins.at, insert: `${ins.indent}${model}.train()\n` }], preferred: true }] : [],
      );
    }
  }
}

function recordSite(py: Py, fname: string, idx: number, mode: Mode): void {
  if (py.siteTap) py.siteTap.push([fname, idx, mode]);
  let byParam = py.callSites.get(fname);
  if (!byParam) py.callSites.set(fname, (byParam = new Map()));
  const list = byParam.get(idx) ?? [];
  list.push(mode);
  byParam.set(idx, list);
}

/** Is the model called in the same function (or module-level code) as this node? */
function usedNear(py: Py, model: string, node: SyntaxNode): boolean {
  const scope = enclosing(node, 'FunctionDefinition') ?? py.tree.topNode;
  return within(py, 'CallExpression', scope, true).some((c) => {
    const d = dotted(py, c.firstChild);
    return d === model || d === `${model}.forward`;
  });
}

function enclosingStatement(n: SyntaxNode): SyntaxNode {
  let s = n;
  while (s.parent && s.parent.name !== 'Body' && s.parent.name !== 'Script') s = s.parent;
  return s;
}

function lineInsertion(py: Py, stmt: SyntaxNode): { at: number; indent: string } | null {
  const line = py.em.lines.position(stmt.from).line;
  const start = py.em.lines.lineStart(line);
  const prefix = py.src.slice(start, stmt.from);
  if (prefix.trim() !== '') return null;
  return { at: start, indent: prefix };
}

function afterLine(py: Py, stmt: SyntaxNode): { at: number; indent: string } | null {
  const s = enclosingStatement(stmt);
  const line = py.em.lines.position(s.from).line;
  const start = py.em.lines.lineStart(line);
  const prefix = py.src.slice(start, s.from);
  if (prefix.trim() !== '') return null;
  const endLine = py.em.lines.position(s.to).line;
  const at = py.em.lines.lineEnd(endLine);
  if (at >= py.src.length) return { at: py.src.length, indent: '\n' + prefix };
  return { at: at + 1, indent: prefix };
}

function bodyInsertion(py: Py, def: SyntaxNode): { at: number; indent: string } | null {
  const stmts = body(def);
  let first = stmts[0];
  if (!first) return null;
  // After a docstring.
  if (def.name === 'FunctionDefinition' && first.name === 'ExpressionStatement' && first.firstChild?.name === 'String' && stmts[1]) first = stmts[1];
  return lineInsertion(py, first);
}

function collectFunctions(py: Py): void {
  for (const fn of all(py, 'FunctionDefinition')) {
    const name = defName(py, fn);
    const clsNode = enclosing(fn, 'ClassDefinition');
    const cls = clsNode ? py.classes.get(defName(py, clsNode)) : undefined;
    const noGradDecorated = fn.parent?.name === 'DecoratedStatement' && children(fn.parent).some((d) => {
      if (d.name !== 'Decorator') return false;
      const parts = children(d).filter((k) => k.name === 'VariableName').map((k) => py.text(k));
      if (parts.length === 0) return false;
      const q = normalize([py.imports.get(parts[0]) ?? DEFAULT_ALIASES[parts[0]] ?? parts[0], ...parts.slice(1)].join('.'));
      return q === 'torch.no_grad' || q === 'torch.inference_mode';
    });
    const inference = (noGradDecorated || INFERENCE_FN.test(name)) && !/train/i.test(name) && !(cls && (cls.framework === 'lightning' || cls.framework === 'keras'));
    if (!py.functions.has(name)) py.functions.set(name, { name, node: fn, params: paramNames(py, fn), cls, effects: new Map(), trainsParams: new Set(), mc: MC_WORDS.test(name), inference });
  }
}

function summarize(py: Py, walker: FlowWalker, fnsByUnit: FnInfo[][]): void {
  py.reporting = false;
  const prevSeq = py.cache?.prev?.seq;
  // The summaries before this unit's equal those of the cached run at the same places.
  let prefixSame = !!prevSeq;
  py.units.forEach((u, ui) => {
    const fns = fnsByUnit[ui];
    if (fns.length === 0) return;
    const at = py.seq.length;
    const names = fns.map((f) => f.name).join(',');
    const old = u.old?.summary;
    if (py.k2Same && prefixSame && old && old.at === at && old.names === names) {
      fns.forEach((fn, i) => {
        fn.effects = new Map(old.sums[i].effects.map(([k, mode]) => [k, { mode }]));
        for (const p of old.sums[i].trains) fn.trainsParams.add(p);
      });
      for (const [f, i, m] of old.sites) recordSite(py, f, i, m);
      u.entry.summary = old;
      py.reuse.summaries++;
    } else {
      const sites: Site[] = [];
      py.siteTap = sites;
      for (const fn of fns) summarizeOne(py, walker, fn);
      py.siteTap = null;
      if (u.key !== null) u.entry.summary = { at, names, sums: fns.map(summaryOf), sites };
    }
    if (!py.cache) return;
    for (const fn of fns) {
      const i = py.seq.length;
      py.seq.push(JSON.stringify(summaryOf(fn)));
      if (!prevSeq || prevSeq[i] !== py.seq[i]) prefixSame = false;
    }
  });
}

function summaryOf(fn: FnInfo): FnSummary {
  return { effects: [...fn.effects].map(([k, v]) => [k, v.mode]), trains: [...fn.trainsParams] as number[] };
}

function summarizeOne(py: Py, walker: FlowWalker, fn: FnInfo): void {
  {
    {
      const entry: State = new Map();
      const flow: Flow = { fn, loops: [], mc: fn.mc, depth: 0, reported: new Set() };
      const end = walker.walk(bodyOf(py, fn.node), entry, flow);
      fn.effects = new Map();
      for (const [k, v] of end) {
        if (v.mode === 'unknown') continue;
        const idx = fn.params.indexOf(k);
        fn.effects.set(idx >= 0 ? idx : k, v);
      }
      // Does it train a model parameter?
      const calls = within(py, 'CallExpression', fn.node);
      if (calls.some((c) => callFacts(py, c).trainingStep)) {
        fn.params.forEach((p, i) => {
          if (py.modelNames.has(p) && calls.some((c) => callFacts(py, c).calleeDotted === p)) fn.trainsParams.add(i);
        });
      }
    }
  }
}

function analyzeFlow(py: Py): void {
  if (!py.usesTorch && py.modelNames.size === 0) return;
  const walker = new FlowWalker(py);
  const fnsByUnit = groupByUnit(py, [...py.functions.values()], (f) => f.node.from);
  summarize(py, walker, fnsByUnit);
  // summarize() recorded call sites inside functions; the module walk records the rest, then functions report.
  // (A first, non-reporting module walk used to record the same call sites once more: same states, so the
  // same modes, and a function's entry only asks whether every recorded mode is eval.)
  for (const reporting of [true]) {
    py.reporting = reporting;
    const top: State = new Map();
    const topEnd = walker.walk(children(py.tree.topNode), top, { loops: [], mc: false, depth: 0, reported: new Set() });
    // What every function's report reads besides its own text: the summaries and the module's end state.
    const originAt: string[] = [];
    const topKey = !py.cache ? [] : [...topEnd].map(([m, st]) => {
      const o = st.origin;
      if (!o) return [m, st.mode];
      const stmt = enclosingStatement(o.node);
      const lines = py.em.lines;
      const first = lines.position(stmt.from).line;
      const last = lines.position(stmt.to).line;
      originAt.push(m);
      return [m, st.mode, o.kind, o.node.from, o.node.to, stmt.from, stmt.to, lines.lineEnd(last) >= py.src.length, py.src.slice(lines.lineStart(first), lines.lineEnd(last))];
    });
    if (py.cache) py.keys.k3 = JSON.stringify([py.seq, topKey]);
    py.k3Same = py.k2Same && py.keys.k3 === py.cache?.prev?.k3;
    py.units.forEach((u, ui) => {
      const fns = fnsByUnit[ui];
      if (fns.length === 0) return;
      // With eval origins in module code, findings may point there: reuse only at the same place.
      const key = !py.cache ? '' : JSON.stringify([originAt.length > 0 ? u.from : -1, fns.map((f) => [f.name, py.callSites.has(f.name) ? [...py.callSites.get(f.name)!] : null])]);
      const old = u.old?.report;
      if (py.k3Same && old && old.key === key) {
        replay(py, u, old.emissions);
        for (const [f, i, m] of old.sites) recordSite(py, f, i, m);
        u.entry.report = old;
        py.reuse.reports++;
        return;
      }
      const emissions: Emission[] | null = u.key !== null ? [] : null;
      const sites: Site[] = [];
      if (emissions) py.em.tap = (rule, at, message, fixes) => emissions.push(encodeEmission(u.from, rule, at, message, fixes));
      py.siteTap = sites;
      for (const fn of fns) reportOne(py, walker, fn, topEnd, reporting);
      py.siteTap = null;
      py.em.tap = null;
      if (emissions) u.entry.report = { key, emissions, sites };
    });
  }
}

function reportOne(py: Py, walker: FlowWalker, fn: FnInfo, topEnd: State, reporting: boolean): void {
  {
    {
      if (fn.cls && fn.cls.framework === 'lightning') return;
      const entry: State = new Map();
      const sites = py.callSites.get(fn.name);
      fn.params.forEach((p, i) => {
        if (!py.modelNames.has(p)) return;
        const modes = sites?.get(i);
        if (modes && modes.length > 0 && modes.every((m) => m === 'eval')) entry.set(p, { mode: 'eval' });
        else entry.set(p, { mode: 'unknown' });
      });
      const flow: Flow = { fn, loops: [], mc: fn.mc, depth: 0, reported: new Set(), ...(fn.inference ? { inference: { anchor: fn.node, reason: `in ${fn.name}()` } } : {}) };
      for (const [m, st] of topEnd) if (!fn.params.includes(m)) entry.set(m, st);
      if (fn.inference) {
        // Models used in an inference function without any visible mode: unknown unless every call site is in eval mode.
        for (const m of py.modelNames) {
          if (entry.has(m)) continue;
          if (m.startsWith('self.') && !fn.cls) continue;
          entry.set(m, { mode: 'unknown' });
        }
      }
      if (reporting) py.callSites = py.callSites; // keep pass-1 records
      walker.walk(bodyOf(py, fn.node), entry, flow);
    }
  }
}

// ---------------------------------------------------------------- reuse across analyses (DocumentAnalyzer)
//
// A unit is one top-level statement. A definition (function, class, decorated definition) starting a line
// is cacheable: what its part of a pass produced (emit() calls, call-site records, function summaries) is
// kept, keyed by its text (to the end of its last line, whether that is the end of the file, and the
// comments in the two lines above it, which hasMcIntent() reads), and replayed in the next analysis when
// the global facts that pass reads are unchanged too:
//   - creations, chains and model facts: imports, TF1 style, Keras use, the model classes, the function
//     names (k1);
//   - function summaries: k1, the model names and sensitivity, trained models, the function table (k2),
//     and the summaries of the functions before (their effects are visible to the calls that follow);
//   - reports: k2, every summary and the module code's end state (k3), and the call sites recorded for
//     the unit's functions so far.
// Offsets at or after the unit's start are kept relative to it, others absolute. Offsets elsewhere come
// only from eval origins in module code (in k3, absolute), and then a report is reused only at the same
// place. Duplicate class names (a forward() reads the attributes of the first class of its name) or
// duplicate units turn reuse off for that analysis. Replays go through the same Emitter (same order, same
// de-duplication) as a fresh computation.

/** One emit() call; offsets encoded against the unit's start (>= 0) or absolute (-(offset + 1)). */
interface Emission {
  rule: RuleId;
  at: [number, number];
  message: string;
  fixes: EmitFix[];
}

interface FnSummary {
  effects: [string | number, Mode][];
  trains: number[];
}

/** A call-site record: function name, parameter index, mode. */
type Site = [string, number, Mode];

/** What a model class's own text gives collectClasses (offsets of the attribute ops encoded). */
interface ClassRecord {
  /** Sensitive by its own layers, not counting submodule classes. */
  local: boolean;
  /** Classes in self.attr = Sub(...) assignments, and other classes called in it, in order. */
  subs: string[];
  calls: string[];
  attrs: [string, Op[]][];
}

interface UnitEntry {
  classes?: Record<string, ClassRecord>;
  creations?: Emission[];
  chains?: Emission[];
  models?: ModelFacts;
  /** Summaries of the unit's functions (those py.functions holds), and where they start in the run's sequence. */
  summary?: { at: number; names: string; sums: FnSummary[]; sites: Site[] };
  report?: { key: string; emissions: Emission[]; sites: Site[] };
}

interface CacheRun {
  kc: string;
  k1: string;
  k2: string;
  k3: string;
  units: Map<string, UnitEntry>;
  seq: string[];
}

/** What the last analysis of one document computed per top-level definition (see DocumentAnalyzer). */
export class PythonCache {
  prev: CacheRun | null = null;
  /** Of the last analysis: top-level statements, cacheable ones, and the unit passes replayed per pass. */
  stats: ReuseStats = { units: 0, cacheable: 0, classes: 0, creations: 0, chains: 0, models: 0, summaries: 0, reports: 0 };
}

export interface ReuseStats {
  units: number;
  cacheable: number;
  classes: number;
  creations: number;
  chains: number;
  models: number;
  summaries: number;
  reports: number;
}

interface Unit {
  node: SyntaxNode;
  from: number;
  to: number;
  /** Cache key (null: not cacheable). */
  key: string | null;
  old: UnitEntry | undefined;
  entry: UnitEntry;
}

const DEF_UNITS = new Set(['FunctionDefinition', 'ClassDefinition', 'DecoratedStatement']);

function buildUnits(py: Py): void {
  const lines = py.em.lines;
  const cache = py.cache;
  const prev = cache?.prev ?? null;
  const seen = new Set<string>();
  let dup = false;
  let ci = 0;
  const comments = py.comments;
  for (let n = py.tree.topNode.firstChild; n; n = n.nextSibling) {
    let key: string | null = null;
    if (cache && DEF_UNITS.has(n.name)) {
      const line = lines.position(n.from).line;
      if (lines.lineStart(line) === n.from) {
        const lastEnd = lines.lineEnd(lines.position(n.to).line);
        const above = lines.lineStart(Math.max(0, line - 2));
        while (ci < comments.length && comments[ci].from < above) ci++;
        let cs = '';
        for (let k = ci; k < comments.length && comments[k].from < n.from; k++) if (comments[k].to <= n.from) cs += `${comments[k].from - n.from}:${comments[k].to - n.from}:${comments[k].text}\n`;
        key = `${n.name}\n${lastEnd >= py.src.length}\n${cs}\n${py.src.slice(n.from, Math.min(py.src.length, lastEnd + 1))}`;
        if (seen.has(key)) dup = true;
        seen.add(key);
      }
    }
    py.units.push({ node: n, from: n.from, to: n.to, key, old: key !== null && prev ? prev.units.get(key) : undefined, entry: {} });
  }
  if (dup) for (const u of py.units) (u.key = null), (u.old = undefined);
}

/** The cacheable unit a node is in, or null. */
function unitOf(py: Py, n: SyntaxNode): Unit | null {
  const units = py.units;
  let lo = 0;
  let hi = units.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (units[mid].from <= n.from) lo = mid;
    else hi = mid - 1;
  }
  const u = units[lo];
  return u && u.key !== null && u.from <= n.from && n.to <= u.to ? u : null;
}

/**
 * Class records replayed this time: the unit's text and the class context (imports, TF1 style, the model
 * classes and their frameworks) are unchanged. Class bodies are classified before the function names are
 * known; a function named like a default alias (nn, F, ...) would classify differently later, so then
 * nothing is reused (a replayed class leaves its calls unclassified until a later pass needs them).
 */
function classRecords(py: Py): Map<ClassInfo, ClassRecord> {
  const out = new Map<ClassInfo, ClassRecord>();
  if (!py.cache) return out;
  py.keys.kc = JSON.stringify([[...py.imports], py.tf1Style, [...py.classes.values()].map((c) => [c.name, c.framework])]);
  const prev = py.cache.prev;
  if (!prev || prev.kc !== py.keys.kc) return out;
  for (const fn of all(py, 'FunctionDefinition')) if (Object.prototype.hasOwnProperty.call(DEFAULT_ALIASES, defName(py, fn))) return out;
  for (const info of py.classes.values()) {
    const u = unitOf(py, info.node);
    const rec = u?.old?.classes?.[info.name];
    if (!u || !rec) continue;
    out.set(info, rec);
    (u.entry.classes ??= {})[info.name] = rec;
    py.reuse.classes++;
  }
  return out;
}

function encodeAttrs(attrs: Map<string, Op[]>, base: number): [string, Op[]][] {
  const enc = (o: number): number => (o >= base ? o - base : -o - 1);
  return [...attrs].map(([k, ops]) => [k, ops.map((op) => mapOp(op, enc))]);
}

function decodeAttrs(attrs: [string, Op[]][], base: number): Map<string, Op[]> {
  const dec = (o: number): number => (o >= 0 ? o + base : -o - 1);
  return new Map(attrs.map(([k, ops]) => [k, ops.map((op) => mapOp(op, dec))]));
}

function mapOp(op: Op, f: (o: number) => number): Op {
  return {
    ...op,
    at: [f(op.at[0]), f(op.at[1])],
    ...(op.rateAt ? { rateAt: [f(op.rateAt[0]), f(op.rateAt[1])] as [number, number] } : {}),
    ...(op.remove ? { remove: op.remove.map((e) => ({ from: f(e.from), to: f(e.to), insert: e.insert })) } : {}),
  };
}

/** Items per unit (items in document order; `fromOf` gives a start offset inside the item's unit). */
function groupByUnit<T>(py: Py, items: T[], fromOf: (t: T) => number): T[][] {
  const out: T[][] = py.units.map(() => []);
  let ui = 0;
  for (const it of items) {
    const at = fromOf(it);
    while (ui < py.units.length - 1 && py.units[ui].to <= at && py.units[ui + 1].from <= at) ui++;
    out[ui].push(it);
  }
  return out;
}

function encodeEmission(base: number, rule: RuleId, at: [number, number], message: string, fixes: EmitFix[]): Emission {
  const enc = (o: number): number => (o >= base ? o - base : -o - 1);
  return {
    rule,
    at: [enc(at[0]), enc(at[1])],
    message,
    fixes: fixes.map((f) => ({ title: f.title, ...(f.preferred ? { preferred: true } : {}), edits: f.edits.map((e) => ({ from: enc(e.from), to: enc(e.to), insert: e.insert })) })),
  };
}

function replay(py: Py, u: Unit, emissions: Emission[]): void {
  const base = u.from;
  const dec = (o: number): number => (o >= 0 ? o + base : -o - 1);
  for (const e of emissions) py.em.emit(e.rule, [dec(e.at[0]), dec(e.at[1])], e.message, e.fixes.map((f) => ({ title: f.title, ...(f.preferred ? { preferred: true } : {}), edits: f.edits.map((x) => ({ from: dec(x.from), to: dec(x.to), insert: x.insert })) })));
}

/** Runs one unit's part of a findings-only pass, or replays what it emitted last time. */
function cachedEmissions(py: Py, u: Unit, slot: 'creations' | 'chains', same: boolean, run: () => void): void {
  const old = u.old?.[slot];
  if (same && old) {
    replay(py, u, old);
    u.entry[slot] = old;
    py.reuse[slot]++;
    return;
  }
  if (u.key === null) return run();
  const out: Emission[] = [];
  py.em.tap = (rule, at, message, fixes) => out.push(encodeEmission(u.from, rule, at, message, fixes));
  try {
    run();
  } finally {
    py.em.tap = null;
  }
  u.entry[slot] = out;
}

function globalKey1(py: Py): string {
  return JSON.stringify([[...py.imports], py.tf1Style, py.usesKeras, py.usesTorch, [...py.classes.values()].map((c) => [c.name, c.framework, c.sensitive, c.usedAsSubmodule, c.mc]), [...py.functions.keys()]]);
}

function globalKey2(py: Py): string {
  return JSON.stringify([
    [...py.modelNames],
    [...py.modelSensitive],
    py.defaultSensitive,
    [...py.hfTrainerModels],
    [...py.trainedModels],
    [...py.functions.values()].map((f) => [f.name, f.params, f.cls?.name ?? null, f.cls?.framework ?? null, f.mc, f.inference]),
  ]);
}

function saveRun(py: Py): void {
  if (!py.cache) return;
  const units = new Map<string, UnitEntry>();
  for (const u of py.units) if (u.key !== null) units.set(u.key, u.entry);
  py.cache.prev = { ...py.keys, units, seq: py.seq };
  py.cache.stats = { ...py.reuse, units: py.units.length, cacheable: units.size };
}

// ---------------------------------------------------------------- entry point

export interface PythonAnalysis {
  findings: import('../../protocol/findings').Finding[];
  comments: { line: number; text: string; own: boolean }[];
  /** The tree has an error node (the findings are the one parse-error finding). */
  syntaxError?: boolean;
}

/** Parses and analyses; `tree` may be given when the caller parsed the text already (incrementally). */
export function analyzePython(text: string, lines: LineMap, tree: Tree = parser.parse(text), cache?: PythonCache): PythonAnalysis {
  const py = new Py(text, tree, lines, cache);
  if (cache) cache.stats = { ...py.reuse };
  // Comments and the first syntax error.
  let error: SyntaxNode | null = null;
  const cursor = tree.cursor();
  // Open definitions (innermost last), to give every ranged node its innermost enclosing definition.
  const openDefs: number[] = [];
  const defs = py.defs;
  do {
    const name = cursor.name;
    if (cursor.type.isError && !error) error = cursor.node;
    if (INDEXED.has(name)) {
      const from = cursor.from;
      const to = cursor.to;
      while (openDefs.length > 0 && defs.to[openDefs[openDefs.length - 1]] <= from) openDefs.pop();
      let list = py.index.get(name);
      if (!list) py.index.set(name, (list = []));
      const node = cursor.node;
      list.push(node);
      if (RANGED.has(name)) {
        let ix = py.ranges.get(name);
        if (!ix) py.ranges.set(name, (ix = new RangeIndex()));
        ix.add(node, from, to, openDefs.length > 0 ? openDefs[openDefs.length - 1] : -1);
      }
      if (name === 'Comment') py.comments.push({ from, to, text: text.slice(from, to) });
      else if (name === 'FunctionDefinition' || name === 'ClassDefinition') {
        openDefs.push(defs.from.length);
        defs.from.push(from);
        defs.to.push(to);
      }
    } else if (name === 'LambdaExpression') {
      const from = cursor.from;
      while (openDefs.length > 0 && defs.to[openDefs[openDefs.length - 1]] <= from) openDefs.pop();
      openDefs.push(defs.from.length);
      defs.from.push(from);
      defs.to.push(cursor.to);
    } else if (name === 'VariableName' && !py.sawKeepProb && text.startsWith('keep_prob', cursor.from)) py.sawKeepProb = true;
  } while (cursor.next());
  const comments = py.comments.map((c) => {
    const pos = lines.position(c.from);
    return { line: pos.line, text: c.text, own: lines.lineText(pos.line).slice(0, pos.character).trim() === '' };
  });
  if (error) {
    const from = error.from;
    const to = Math.max(error.to, Math.min(text.length, from + 1));
    const pos = lines.position(from);
    py.em.findings.push({
      rule: 'parse-error',
      severity: 'warning',
      range: lines.range(from, to),
      message: `Python syntax error at line ${pos.line + 1}, column ${pos.character + 1}: the file does not parse, so it was not checked for dropout mistakes. Diagnostics return once it parses.`,
      fixes: [],
    });
    return { findings: py.em.findings, comments, syntaxError: true };
  }
  collectImports(py);
  for (const [alias, q] of py.imports) {
    if (/^tensorflow(\.compat\.v1)?$/.test(q) || q.startsWith('tensorflow')) {
      // TF1 style: placeholders, sessions, compat.v1.
      for (const m of all(py, 'MemberExpression')) {
        const d = dotted(py, m);
        if (!d || !d.startsWith(alias + '.')) continue;
        if (/\.(placeholder|Session|InteractiveSession|compat\.v1|global_variables_initializer|contrib)(\.|$)/.test(d)) {
          py.tf1Style = true;
          break;
        }
      }
      if (q.includes('compat.v1')) py.tf1Style = true;
    }
  }
  if (!py.tf1Style && py.sawKeepProb && py.usesKeras) py.tf1Style = true;
  buildUnits(py);
  collectClasses(py);
  collectFunctions(py);
  py.frozen = true;
  const prev = cache?.prev;
  if (cache) py.keys.k1 = globalKey1(py);
  // A class name defined twice: forward() of the second reads the first's attributes (see analyzeChains).
  const classNames = new Set<string>();
  let dupClass = false;
  if (cache) for (const c of all(py, 'ClassDefinition')) {
    const name = defName(py, c);
    if (classNames.has(name)) dupClass = true;
    classNames.add(name);
  }
  if (dupClass) for (const u of py.units) (u.key = null), (u.old = undefined);
  py.k1Same = !!prev && !dupClass && py.keys.k1 === prev.k1;
  checkCreations(py);
  analyzeChains(py);
  collectModels(py);
  if (cache) py.keys.k2 = globalKey2(py);
  py.k2Same = py.k1Same && py.keys.k2 === prev?.k2;
  analyzeFlow(py);
  saveRun(py);
  return { findings: py.em.findings, comments };
}
