/**
 * mc-dropout-flips-batchnorm: Monte Carlo sampling through `model.train()` on a model that also has batch
 * norm. train() switches every module: batch norm then normalises each pass with the batch's statistics and
 * updates its running ones, so the samples are wrong and the model changes as it is sampled. The fix keeps
 * the model in eval mode and switches on only its dropout modules. Code that says it wants batch norm in
 * train mode (a comment naming batch norm) is not flagged.
 */
import type { SyntaxNode } from '@lezer/common';
import type { PyFacts } from '../context';
import type { Emitter } from '../../ops';
import { hasMcIntent } from '../intent';
import { enclosingStatement, lineInsertion } from '../insertions';
import { classifyCtor, sequentialItems } from '../layers';
import { qualify } from '../names';
import { perAnalysis } from '../perAnalysis';
import { children, isTrueLiteral, span } from '../syntax';
import { all, findAll, within } from '../tree-index';
import { callFacts } from '../callFacts';
import { stripChain } from '../models';
import type { ModuleRule } from './types';

/** torchvision architectures built with batch norm. */
const BN_ARCHITECTURES =
  /^torchvision\.models\.(resnet\d+|resnext\w+|wide_resnet\w+|densenet\d+|mobilenet_v[23]\w*|efficientnet\w+|regnet\w+|inception_v3|googlenet|shufflenet\w+|mnasnet\w+|vgg\d+_bn)$/;

export const mcDropoutFlipsBatchnorm: ModuleRule = {
  id: 'mc-dropout-flips-batchnorm',
  on: 'module',
  check: checkMcBatchNorm,
};

/** A scope's calls, read once: does it train, and where, last, is each callee called in a range() loop? */
interface ScopeCalls {
  trains: boolean;
  /** By callee (`model`, `model.forward` as `model`): the start of its last call inside a range() loop. */
  lastLoopCall: Map<string, number>;
}

function checkMcBatchNorm(py: PyFacts, em: Emitter): void {
  // Per scope, once: its calls, and whether it trains (a file with thousands of train() calls stays linear).
  const scopes = new Map<number, ScopeCalls>();
  const callsOf = (scope: SyntaxNode) => {
    let hit = scopes.get(scope.from);
    if (!hit) {
      const calls = within(py, 'CallExpression', scope, true);
      const lastLoopCall = new Map<string, number>();
      for (const c of calls) {
        const callee = callFacts(py, c).calleeDotted?.replace(/\.forward$/, '');
        if (callee && c.from > (lastLoopCall.get(callee) ?? -1) && inRangeLoop(py, c, scope))
          lastLoopCall.set(callee, c.from);
      }
      hit = { trains: calls.some((c) => callFacts(py, c).trainingStep), lastLoopCall };
      scopes.set(scope.from, hit);
    }
    return hit;
  };
  for (const call of all(py, 'CallExpression')) {
    const facts = callFacts(py, call);
    const model = facts.objModel;
    if (facts.method !== 'train' || !model) continue;
    const [arg, extra] = facts.args?.positional ?? [];
    if (extra || (arg && !isTrueLiteral(py, arg))) continue;
    const scope = scopeOf(py, call);
    if (!samples(py, scope, call, model, callsOf(scope)) || !hasBatchNorm(py, model) || mentionsBatchNorm(py, scope))
      continue;
    em.emit(
      'mc-dropout-flips-batchnorm',
      span(call),
      `${model}.train() for Monte Carlo sampling also puts batch norm in train mode: each pass is normalised with the batch's own statistics and updates the running ones, so the samples are wrong and the model drifts as it is sampled. Call ${model}.eval(), then switch on only the dropout modules.`,
      fixOf(py, call, model, scope),
    );
  }
}

function scopeOf(py: PyFacts, node: SyntaxNode): SyntaxNode {
  for (let p = node.parent; p; p = p.parent) if (p.name === 'FunctionDefinition') return p;
  return py.tree.topNode;
}

/**
 * Is the train() call the start of sampling: the scope never trains (no backward, no optimizer step), the
 * model is then called repeatedly (in a loop or comprehension over range()), and MC is meant (names,
 * comments) or it all runs without gradients?
 */
function samples(
  py: PyFacts,
  scope: SyntaxNode,
  call: SyntaxNode,
  model: string,
  { trains, lastLoopCall }: ScopeCalls,
): boolean {
  if (trains) return false;
  const repeated = (lastLoopCall.get(model) ?? -1) > call.to;
  if (!repeated) return false;
  return hasMcIntent(py, call) || withoutGradients(py, scope, call);
}

const LOOPS = new Set([
  'ForStatement',
  'ArrayComprehensionExpression',
  'ComprehensionExpression',
  'SetComprehensionExpression',
  'DictionaryComprehensionExpression',
  'WhileStatement',
]);

function inRangeLoop(py: PyFacts, node: SyntaxNode, scope: SyntaxNode): boolean {
  for (let p = node.parent; p && p.from >= scope.from; p = p.parent) {
    if (!LOOPS.has(p.name)) continue;
    if (p.name === 'WhileStatement') return true;
    // A for statement's header only: its body may be most of the file.
    const body = p.name === 'ForStatement' ? children(p).find((k) => k.name === 'Body') : undefined;
    if (/\bin\s+(range|torch\.arange|tqdm\(\s*range)\s*\(/.test(py.src.slice(p.from, body?.from ?? p.to))) return true;
  }
  return false;
}

const NO_GRAD = /(^|\.)(no_grad|inference_mode)\b/;

/** Per analysis and scope, the ranges of its `with no_grad()`/`inference_mode()` statements: found once, not per call. */
const noGradWiths = new WeakMap<PyFacts, Map<number, { from: number; to: number }[]>>();

function noGradWithsOf(py: PyFacts, scope: SyntaxNode): { from: number; to: number }[] {
  let byScope = noGradWiths.get(py);
  if (!byScope) noGradWiths.set(py, (byScope = new Map<number, { from: number; to: number }[]>()));
  const key = scope.from * 16777216 + (scope.to - scope.from);
  let ranges = byScope.get(key);
  if (!ranges) {
    ranges = findAll(scope, new Set(['WithStatement']))
      .filter((w) => NO_GRAD.test(py.text(children(w)[1])))
      .map((w) => ({ from: w.from, to: w.to }));
    byScope.set(key, ranges);
  }
  return ranges;
}

function withoutGradients(py: PyFacts, scope: SyntaxNode, call: SyntaxNode): boolean {
  if (scope.parent?.name === 'DecoratedStatement') {
    const decorators = children(scope.parent).filter((d) => d.name === 'Decorator');
    if (decorators.some((d) => NO_GRAD.test(py.text(d)))) return true;
  }
  return noGradWithsOf(py, scope).some((w) => w.to > call.from || w.from > call.to);
}

/** The model's definition in this file has batch norm (or, for a parameter, every dropout model of the file does). */
const batchNormOf = new WeakMap<PyFacts, Map<string, boolean>>();

/** Memoized per analysis and model: a file that samples one model many times reads its definition once. */
function hasBatchNorm(py: PyFacts, model: string): boolean {
  let byModel = batchNormOf.get(py);
  if (!byModel) batchNormOf.set(py, (byModel = new Map<string, boolean>()));
  let found = byModel.get(model);
  if (found === undefined) byModel.set(model, (found = definitionHasBatchNorm(py, model)));
  return found;
}

function definitionHasBatchNorm(py: PyFacts, model: string): boolean {
  for (const assign of all(py, 'AssignStatement')) {
    const [target, , value] = children(assign);
    if (!target || !value || py.text(target) !== model || value.name !== 'CallExpression') continue;
    const inner = stripChain(py, value);
    const q = qualify(py, inner.firstChild) ?? '';
    if (BN_ARCHITECTURES.test(q)) return true;
    const cls = py.classes.get(q);
    if (cls) return classHasBn(cls.attrs);
    const seq = sequentialItems(py, inner);
    if (seq) return seq.ops.some((o) => o.kind === 'bn');
  }
  // A parameter or attribute: the file's own models decide, when all of those with dropout have batch norm.
  const withDropout = [...py.classes.values()].filter(
    (c) => c.framework === 'torch' && [...c.attrs.values()].some((ops) => ops.some((o) => o.kind === 'dropout')),
  );
  return withDropout.length > 0 && withDropout.every((c) => classHasBn(c.attrs));
}

function classHasBn(attrs: ReadonlyMap<string, readonly { kind: string }[]>): boolean {
  return [...attrs.values()].some((ops) => ops.some((o) => o.kind === 'bn'));
}

function mentionsBatchNorm(py: PyFacts, scope: SyntaxNode): boolean {
  // A comment naming this rule (a suppression, a label) is not one about batch norm.
  const about = (text: string) => /batch[\s_-]?norm|\bbn\b/i.test(text.replaceAll('mc-dropout-flips-batchnorm', ''));
  return py.comments.some((c) => c.from >= scope.from && c.to <= scope.to && about(c.text));
}

function fixOf(py: PyFacts, call: SyntaxNode, model: string, scope: SyntaxNode) {
  const stmt = enclosingStatement(call);
  const at = lineInsertion(py, stmt);
  // Only a statement that is the call alone on its line is replaced.
  if (!at || py.text(stmt).trim() !== py.text(call)) return [];
  const nn = [...py.imports].find(([, q]) => q === 'torch.nn')?.[0] ?? 'torch.nn';
  const used = new Set(findAll(scope, new Set(['VariableName'])).map((v) => py.text(v)));
  const m = used.has('m') ? 'module' : 'm';
  const i = at.indent;
  const kinds = dropoutClasses(py).map((k) => `${nn}.${k}`);
  const classes = kinds.length === 1 ? kinds[0]! : `(${kinds.join(', ')})`;
  const text = `${model}.eval()\n${i}for ${m} in ${model}.modules():\n${i}    if isinstance(${m}, ${classes}):\n${i}        ${m}.train()`;
  return [
    {
      title: 'Switch on only the dropout modules',
      edits: [{ from: stmt.from, to: stmt.to, insert: text }],
      preferred: true,
    },
  ];
}

/**
 * The torch.nn dropout classes the file creates, nn.Dropout first (and alone when it creates none): nn.Dropout2d
 * and its kin are not subclasses of nn.Dropout, so `isinstance(m, nn.Dropout)` would leave a CNN's channel
 * dropout in eval mode. Once per analysis: a file with many findings has a fix for each.
 */
const dropoutClasses = perAnalysis((py): readonly string[] => {
  const found = new Set<string>();
  for (const call of all(py, 'CallExpression')) {
    const lc = classifyCtor(py, call);
    if (lc?.kind === 'dropout' && lc.framework === 'torch') found.add(lc.label.slice('nn.'.length));
  }
  found.delete('Dropout');
  return ['Dropout', ...[...found].sort()];
});
