/**
 * Data-flow chains: the ops applied from input to output in forward() / call(), the Keras functional API
 * and Sequential models, checked for dropout in the wrong place (e.g. on the output).
 */
import type { SyntaxNode } from '@lezer/common';
import type { Op } from '../ops';
import { BLOCK_NAME, TENSOR_ACT_METHODS, TENSOR_NEUTRAL_METHODS } from './vocabulary';
import type { ClassInfo, Py } from './context';
import { args, body, children, defName, enclosing, paramNames, span } from './syntax';
import { dotted, qualify } from './names';
import { all, findAll, within } from './tree-index';
import { classifyCtor, classifyFunctional, layerOp, sequentialItems } from './layers';
import type { PassRunner } from './runner';
import type { LayerCall } from './facts';
import type { LayerSequence } from './rules/types';

interface ChainCtx {
  /** Where each layer sequence found goes (the sequence rules). */
  found: (seq: LayerSequence) => void;
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
    return [...base, { ...layerOp(callee, lc, removeCall(py, e, dataArg)), at: span(e) }];
  }
  const d = dotted(py, callee);
  if (d && d.startsWith('self.') && cx.cls) {
    const attr = d.slice(5);
    const ops = cx.cls.attrs.get(attr);
    if (ops) {
      const base = evalChain(py, cx, dataArg, depth + 1);
      if (!base) return null;
      const [only] = ops;
      if (only && ops.length === 1) return [...base, { ...only, at: span(e), remove: removeCall(py, e, dataArg) }];
      return [...base, ...ops];
    }
  }
  if (d && cx.layerVars.has(d)) {
    const { call, lc } = cx.layerVars.get(d)!;
    const base = evalChain(py, cx, dataArg, depth + 1);
    if (!base) return null;
    return [...base, { ...layerOp(call, lc, removeCall(py, e, dataArg)), at: span(e) }];
  }
  const f = classifyFunctional(py, e);
  if (f) {
    const base = evalChain(py, cx, dataArg, depth + 1);
    if (!base) return null;
    return [
      ...base,
      {
        kind: f.kind,
        at: span(e),
        label: f.label,
        ...(f.rate !== undefined ? { rate: f.rate } : {}),
        ...(f.rateNode && f.rate !== undefined ? { rateAt: span(f.rateNode) } : {}),
        remove: removeCall(py, e, dataArg),
      },
    ];
  }
  // Tensor methods: x.view(...), x.relu()
  if (callee.name === 'MemberExpression') {
    const kids = children(callee);
    const method = py.text(kids[kids.length - 1]);
    if (TENSOR_NEUTRAL_METHODS.has(method) || TENSOR_ACT_METHODS.has(method)) {
      const base = evalChain(py, cx, kids[0], depth + 1);
      if (!base) return null;
      return [
        ...base,
        { kind: TENSOR_ACT_METHODS.has(method) ? 'act' : 'neutral', at: span(e), label: `.${method}()` },
      ];
    }
  }
  const base = dataArg ? evalChain(py, cx, dataArg, depth + 1) : null;
  if (!base) return null;
  return [...base, { kind: 'unknown', at: span(e), label: d ?? 'call' }];
}

/** Finds the layer sequences of every function and of module code, and hands each to `found`. */
export function analyzeChains(py: Py, run: PassRunner, found: (seq: LayerSequence) => void): void {
  for (const { unit, items } of run.groupByUnit(all(py, 'FunctionDefinition'), (n) => n.from))
    run.cachedEmissions(py.em, unit, 'chains', 'k1', () => {
      for (const fn of items) chainsOf(py, fn, found);
    });
  // Module level (Keras functional API and Sequential models outside functions).
  const cx: ChainCtx = { found, chains: new Map(), layerVars: new Map() };
  walkChains(py, cx, children(py.tree.topNode), 'none', 'the model', false);
}

function chainsOf(py: Py, fn: SyntaxNode, found: (seq: LayerSequence) => void): void {
  const cls = enclosing(fn, 'ClassDefinition');
  const info = cls ? py.classes.get(defName(py, cls)) : undefined;
  const name = defName(py, fn);
  const isForward = !!info && (name === 'forward' || name === 'call') && enclosing(fn, 'FunctionDefinition') === null;
  const cx: ChainCtx = { found, cls: info, chains: new Map(), layerVars: new Map() };
  const params = paramNames(py, fn);
  if (isForward) {
    const dataParams = params.filter((p) => p !== 'self');
    if (dataParams[0]) cx.chains.set(dataParams[0], []);
  }
  // A block that maps its width back to itself (Linear(dim, 4 * dim) ... Linear(4 * dim, dim)) is an inner
  // block of a network (a Transformer's MLP or attention), whose output is not the network's prediction.
  const topLevel = !info || (!info.usedAsSubmodule && !preservesWidth(py, info.node));
  const where = info ? `${info.name}.${name}()` : `${name}()`;
  // A forward that takes features (`feats`, `hidden`, `z`) sits on another network: its first dropout is a
  // hidden layer's, not the input's.
  const takesFeatures = FEATURE_PARAM.test(params.find((p) => p !== 'self') ?? '');
  // An inner block's forward still gets the batch-norm check on what it returns (Dropout2d → Conv2d → BatchNorm2d).
  const check = isForward ? (topLevel ? 'network' : 'block') : 'none';
  walkChains(py, cx, body(fn), check, where, isForward && topLevel && !takesFeatures);
}

const FEATURE_PARAM = /^(h|z|feats?|features?|hidden\w*|hiddens|emb\w*|latents?|enc\w*|repr\w*|representations?)$/i;

function walkChains(
  py: Py,
  cx: ChainCtx,
  stmts: SyntaxNode[],
  checkReturn: 'network' | 'block' | 'none',
  where: string,
  inputCheck: boolean,
): void {
  const sequentials = new Map<string, { ops: Op[]; framework: string; name: string; at: SyntaxNode }>();
  for (const s of stmts) {
    if (s.name === 'AssignStatement') {
      const kids = children(s);
      const [targetNode, , value] = kids;
      const target = dotted(py, targetNode);
      if (kids.length === 3 && targetNode && target && value) {
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
            seq.ops.push(
              ilc && !ilc.container
                ? layerOp(item, ilc, [
                    {
                      from: py.lines.lineStart(py.lines.position(s.from).line),
                      to: Math.min(py.src.length, py.lines.lineEnd(py.lines.position(s.to).line) + 1),
                      insert: '',
                    },
                  ])
                : { kind: 'unknown', at: span(item), label: py.text(item) },
            );
          } else if (item) seq.ops.push({ kind: 'unknown', at: span(item), label: py.text(item) });
        }
      }
    } else if (s.name === 'ReturnStatement') {
      const value = children(s)[1];
      if (value?.name === 'CallExpression') {
        const lc = classifyCtor(py, value);
        if (lc?.container === 'sequential') {
          const seq = sequentialItems(py, value);
          // A factory of blocks (channels -> 4 * channels -> channels) makes an inner block, not a model.
          const block = preservesWidth(py, value);
          if (seq) cx.found({ ops: seq.ops, opts: { input: !block, output: !block, where: 'the Sequential model' } });
          continue;
        }
      }
      if (checkReturn !== 'none' && value) {
        const chain = evalChain(py, cx, value);
        const network = checkReturn === 'network';
        if (chain) cx.found({ ops: chain, opts: { input: network && inputCheck, output: network, where } });
      }
    }
    // Keras functional model: Model(inputs, outputs)
    for (const call of s.name === 'ClassDefinition' || s.name === 'FunctionDefinition'
      ? []
      : within(py, 'CallExpression', s, true)) {
      const q = qualify(py, call.firstChild);
      if (q !== 'keras.Model' && q !== 'keras.models.Model') continue;
      const a = args(py, call);
      const out = a?.keywords.get('outputs')?.value ?? a?.positional[1];
      const chain = evalChain(py, cx, out);
      if (chain) cx.found({ ops: chain, opts: { input: true, output: true, where: 'the Keras model' } });
    }
  }
  for (const seq of sequentials.values()) {
    const last = seq.name.split('.').pop()!;
    if (seq.framework === 'torch' && (BLOCK_NAME.test(last) || seq.name.startsWith('self.'))) {
      // Sub-blocks are checked where forward() applies them.
      cx.found({ ops: seq.ops, opts: { input: false, output: false, where: seq.name } });
      continue;
    }
    if (seq.framework === 'torch' && seq.name.includes('.')) {
      // model.classifier = nn.Sequential(...): a new head on a network, fed by its features, ending at its output.
      cx.found({ ops: seq.ops, opts: { input: false, output: true, where: seq.name } });
      continue;
    }
    const block = preservesWidth(py, seq.at);
    cx.found({ ops: seq.ops, opts: { input: !block, output: !block, where: seq.name } });
  }
  // Sequential passed directly (e.g. self.net = nn.Sequential(...)) still gets the batch-norm check.
}

/** Do the class's first and last weight layers name the same symbolic width, in then out (`dim` ... `dim`)? */
const WIDTH_NAMES = new Set(['VariableName', 'MemberExpression']);

function preservesWidth(py: Py, cls: SyntaxNode): boolean {
  const layers = within(py, 'CallExpression', cls).filter((call) => {
    const q = qualify(py, call.firstChild) ?? '';
    return /^torch\.nn\.(Linear|Conv[123]d|LazyLinear)$/.test(q);
  });
  const first = layers[0] ? args(py, layers[0])?.positional[0] : undefined;
  const lastLayer = layers.at(-1);
  const last = lastLayer ? args(py, lastLayer)?.positional[1] : undefined;
  if (!first || !last || layers.length < 2) return false;
  const width = (n: SyntaxNode) => py.text(n).replace(/\s+/g, '');
  if (/^[\d.]+$/.test(width(first))) return false;
  // `Linear(hidden, out_features or width)`: the output width defaults to the input's.
  const names = (n: SyntaxNode) => new Set(findAll(n, WIDTH_NAMES, true).map((v) => py.text(v)));
  // `dim_out = dim_out or dim` earlier in the block: the name's value decides.
  if (last.name === 'VariableName' || last.name === 'MemberExpression') {
    const assigned = within(py, 'AssignStatement', cls)
      .map((a) => children(a))
      .find((k) => k.length === 3 && k[0] && py.text(k[0]) === py.text(last) && k[2]);
    const value = assigned?.[2];
    if (value && value.name !== 'VariableName' && names(value).has(py.text(first))) return true;
  }
  const defaultsBack =
    (first.name === 'VariableName' || first.name === 'MemberExpression') &&
    last.name !== 'VariableName' &&
    names(last).has(py.text(first));
  return width(first) === width(last) || defaultsBack;
}
