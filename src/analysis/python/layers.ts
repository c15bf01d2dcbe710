/**
 * Layer classification: what a constructor call (nn.Dropout(0.5), layers.Dense(3)) or a functional call
 * (F.dropout(x), tf.nn.dropout(x)) is, with its drop rate, and the ops of a layer or a Sequential.
 */
import type { SyntaxNode } from '@lezer/common';
import type { Op } from '../ops';
import {
  CHANNEL_DROPOUT,
  F_ACT,
  F_DROPOUT,
  KERAS_ACT,
  KERAS_BN,
  KERAS_CONV,
  KERAS_DROPOUT,
  KERAS_NEUTRAL,
  KERAS_WEIGHT,
  TORCH_ACT,
  TORCH_BN,
  TORCH_CONV,
  TORCH_DROPOUT,
  TORCH_NEUTRAL,
  TORCH_WEIGHT,
} from './vocabulary';
import type { PyFacts } from './context';
import { args, children, literalNumber, span } from './syntax';
import { qualify } from './names';
import type { Args } from './facts';
import type { LayerCall } from './facts';

export function classifyCtor(py: PyFacts, call: SyntaxNode): LayerCall | null {
  return py.ctorMemo.of(call, py, classifyCtorRaw);
}

export function classifyFunctional(py: PyFacts, call: SyntaxNode): LayerCall | null {
  return py.funcMemo.of(call, py, classifyFunctionalRaw);
}

function rateOf(
  py: PyFacts,
  a: Args | null,
  pos: number,
  kw: string,
  def?: number,
): { rateNode?: SyntaxNode; rate?: number } {
  const node = a?.keywords.get(kw)?.value ?? a?.positional[pos];
  if (!node) return def === undefined ? {} : { rate: def };
  const v = literalNumber(py, node);
  return { rateNode: node, rate: v };
}

/** Dots in a qualified name (its parts less one). */
function dotCount(q: string): number {
  let n = 0;
  for (let i = q.indexOf('.'); i >= 0; i = q.indexOf('.', i + 1)) n++;
  return n;
}

function classifyCtorRaw(py: PyFacts, call: SyntaxNode): LayerCall | null {
  const callee = call.firstChild;
  const q = qualify(py, callee);
  if (!q) return null;
  const dots = dotCount(q);
  const last = q.slice(q.lastIndexOf('.') + 1);
  if (q.startsWith('torch.nn.') && dots === 2) {
    if (last === 'Sequential')
      return { kind: 'unknown', label: 'nn.Sequential', framework: 'torch', container: 'sequential' };
    if (TORCH_DROPOUT.has(last))
      return {
        kind: 'dropout',
        label: `nn.${last}`,
        framework: 'torch',
        ...rateOf(py, args(py, call), 0, 'p', 0.5),
        ...(CHANNEL_DROPOUT.has(last) ? { channels: true } : {}),
      };
    if (TORCH_BN.has(last)) return { kind: 'bn', label: `nn.${last}`, framework: 'torch' };
    if (TORCH_WEIGHT.has(last))
      return {
        kind: 'weight',
        label: `nn.${last}`,
        framework: 'torch',
        ...(TORCH_CONV.has(last) ? { conv: true } : {}),
      };
    if (TORCH_ACT.has(last)) return { kind: 'act', label: `nn.${last}`, framework: 'torch' };
    if (TORCH_NEUTRAL.has(last)) return { kind: 'neutral', label: `nn.${last}`, framework: 'torch' };
    return null;
  }
  if (q.startsWith('keras.')) {
    if (q === 'keras.Sequential' || q === 'keras.models.Sequential')
      return { kind: 'unknown', label: 'Sequential', framework: 'keras', container: 'sequential' };
    if (!(q.startsWith('keras.layers.') && dots === 2)) return null;
    if (KERAS_DROPOUT.has(last))
      return {
        kind: 'dropout',
        label: last,
        framework: 'keras',
        ...rateOf(py, args(py, call), 0, 'rate'),
        ...(CHANNEL_DROPOUT.has(last) ? { channels: true } : {}),
      };
    if (KERAS_BN.has(last)) return { kind: 'bn', label: last, framework: 'keras' };
    if (KERAS_WEIGHT.has(last))
      return { kind: 'weight', label: last, framework: 'keras', ...(KERAS_CONV.has(last) ? { conv: true } : {}) };
    if (KERAS_ACT.has(last)) return { kind: 'act', label: last, framework: 'keras' };
    if (KERAS_NEUTRAL.has(last)) return { kind: 'neutral', label: last, framework: 'keras' };
    return null;
  }
  return null;
}

function classifyFunctionalRaw(py: PyFacts, call: SyntaxNode): LayerCall | null {
  const q = qualify(py, call.firstChild);
  if (!q) return null;
  const dots = dotCount(q);
  const last = q.slice(q.lastIndexOf('.') + 1);
  if (q.startsWith('torch.nn.functional.') && dots === 3) {
    if (F_DROPOUT.has(last)) {
      const a = args(py, call);
      const node = a?.keywords.get('p')?.value ?? a?.positional[1];
      return {
        kind: 'dropout',
        label: `F.${last}`,
        framework: 'functional',
        rateNode: node ?? undefined,
        rate: node ? literalNumber(py, node) : 0.5,
      };
    }
    if (F_ACT.has(last)) return { kind: 'act', label: `F.${last}`, framework: 'functional' };
    if (last === 'linear') return { kind: 'weight', label: 'F.linear', framework: 'functional' };
    if (last === 'batch_norm') return { kind: 'bn', label: 'F.batch_norm', framework: 'functional' };
    return null;
  }
  if (q.startsWith('torch.') && dots === 1) {
    if (F_ACT.has(last)) return { kind: 'act', label: `torch.${last}`, framework: 'functional' };
    if (last === 'flatten') return { kind: 'neutral', label: 'torch.flatten', framework: 'functional' };
    return null;
  }
  if (q === 'tensorflow.nn.dropout') {
    const a = args(py, call);
    const node =
      a?.keywords.get('rate')?.value ?? (a?.keywords.has('keep_prob') || py.tf1Style ? undefined : a?.positional[1]);
    return {
      kind: 'dropout',
      label: 'tf.nn.dropout',
      framework: 'tf',
      rateNode: node ?? undefined,
      rate: node ? literalNumber(py, node) : undefined,
    };
  }
  if (q === 'tensorflow.layers.dropout' || q === 'tensorflow.compat.v1.layers.dropout') {
    const a = args(py, call);
    const node = a?.keywords.get('rate')?.value ?? a?.positional[1];
    return {
      kind: 'dropout',
      label: 'tf.layers.dropout',
      framework: 'tf',
      rateNode: node ?? undefined,
      rate: node ? literalNumber(py, node) : 0.5,
    };
  }
  if (q.startsWith('tensorflow.nn.') && F_ACT.has(last))
    return { kind: 'act', label: `tf.nn.${last}`, framework: 'tf' };
  return null;
}

export function layerOp(call: SyntaxNode, lc: LayerCall, remove?: Op['remove']): Op {
  return {
    kind: lc.kind,
    at: span(call),
    label: lc.label,
    ...(lc.rate !== undefined ? { rate: lc.rate } : {}),
    ...(lc.rateNode && lc.rate !== undefined ? { rateAt: span(lc.rateNode) } : {}),
    ...(remove ? { remove } : {}),
    ...(lc.conv ? { conv: true } : {}),
    ...(lc.channels ? { channels: true } : {}),
  };
}

/** Items of nn.Sequential(a, b) or keras.Sequential([a, b]) with removal edits. */
const AUGMENTATION = /^(torchvision\.transforms|kornia\.augmentation|kornia\.enhance|torchaudio\.transforms)\./;

export function sequentialItems(py: PyFacts, call: SyntaxNode): { ops: Op[]; framework: 'torch' | 'keras' } | null {
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
  for (const [i, item] of items.entries()) {
    let op: Op;
    const remove = removeListItem(py, items, i);
    if (item.name === 'CallExpression') {
      const ilc = classifyCtor(py, item);
      if (ilc && ilc.container) op = { kind: 'unknown', at: span(item), label: ilc.label };
      else if (ilc) op = layerOp(item, ilc, remove);
      else {
        // OrderedDict / unknown factory: give up on the sequence.
        const q = qualify(py, item.firstChild) ?? '';
        if (/OrderedDict$/.test(q)) return null;
        // Data transforms and augmentations: no dropout, no batch norm, no mode.
        op = { kind: AUGMENTATION.test(q) ? 'neutral' : 'unknown', at: span(item), label: q };
      }
    } else op = { kind: 'unknown', at: span(item), label: py.text(item) };
    ops.push(op);
  }
  return { ops, framework: lc.framework === 'keras' ? 'keras' : 'torch' };
}

function removeListItem(py: PyFacts, items: SyntaxNode[], i: number): Op['remove'] {
  const item = items[i];
  if (!item) return undefined;
  const prev = items[i - 1];
  const next = items[i + 1];
  if (!prev && !next) return [{ from: item.from, to: item.to, insert: '' }];
  if (prev) {
    // Delete from the end of the previous item (its comma and whitespace) to the end of this item.
    const between = py.src.slice(prev.to, item.from);
    const comma = between.indexOf(',');
    if (comma < 0) return undefined;
    return [{ from: prev.to, to: item.to, insert: '' }];
  }
  return next && [{ from: item.from, to: next.from, insert: '' }];
}
