/**
 * Rate and API checks on every dropout creation: the drop rate, keep probabilities passed as rates,
 * the TensorFlow 1 keep_prob API, functional dropout without training=, and training=True at inference.
 */
import type { SyntaxNode } from '@lezer/common';
import { checkRate, fmtRate } from '../ops';
import { resolveNumber } from './values';
import { EVAL_STEP_FN, TRAIN_FN } from './vocabulary';
import type { Py } from './context';
import { args, children, defName, enclosing, forIterable, isTrueLiteral, literalNumber, span } from './syntax';
import { dotted, qualify } from './names';
import { all } from './tree-index';
import { classifyCtor, classifyFunctional } from './layers';
import { hasMcIntent } from './intent';
import { cachedEmissions, groupByUnit } from './reuse';
import type { LayerCall } from './facts';
import { checkRecurrentDropout } from './rnnDropout';
import { checkAttentionDropout, dropsAttentionWeights } from './attentionDropout';
import { checkTf1LayersTraining } from './tf1LayersDropout';

export function checkCreations(py: Py): void {
  for (const { unit, items } of groupByUnit(py, all(py, 'CallExpression'), (n) => n.from))
    cachedEmissions(py, unit, 'creations', py.k1Same, () => {
      for (const call of items) checkCreation(py, call);
    });
}

function checkCreation(py: Py, call: SyntaxNode): void {
  const lc = classifyCtor(py, call) ?? classifyFunctional(py, call);
  if (!lc || lc.kind !== 'dropout') {
    checkTrainingTrue(py, call);
    checkRecurrentDropout(py, call);
    checkAttentionDropout(py, call);
    return;
  }
  const resolved = lc.rate === undefined && lc.rateNode ? resolveNumber(py, lc.rateNode) : undefined;
  if (lc.rate !== undefined && lc.rateNode) checkRate(py.em, lc.rate, span(lc.rateNode), lc.label);
  else if (resolved && lc.rateNode)
    checkRate(py.em, resolved.value, span(lc.rateNode), lc.label, {
      via: resolved.via,
      ...(resolved.literal ? { literalAt: span(resolved.literal) } : {}),
      documentedKeep: resolved.documentedKeep,
      useText: py.text(lc.rateNode),
    });
  else if (
    lc.rateNode &&
    (lc.rateNode.name === 'VariableName' || lc.rateNode.name === 'MemberExpression') &&
    /keep/i.test(py.text(lc.rateNode))
  ) {
    // A name that says "keep" (keep_prob, self.keep_rate) passed where the drop rate goes.
    const node = lc.rateNode;
    const t = py.text(node);
    py.em.emit(
      'keep-prob-confusion',
      span(node),
      `${lc.label} receives ${t} as its drop rate: a keep probability passed as a drop rate drops the units it meant to keep. Use 1 - ${t}.`,
      [{ title: `Use 1 - ${t}`, edits: [{ from: node.from, to: node.to, insert: `1 - ${t}` }], preferred: true }],
    );
  }
  if (lc.label === 'tf.nn.dropout') checkTf1(py, call);
  if (lc.label === 'tf.layers.dropout') checkTf1LayersTraining(py, call, lc.label);
  if (lc.framework === 'functional') checkFunctionalFlag(py, call, lc);
  checkTrainingTrue(py, call);
}

function checkTf1(py: Py, call: SyntaxNode): void {
  const a = args(py, call);
  if (!a) return;
  const kp = a.keywords.get('keep_prob');
  if (kp) {
    const v = literalNumber(py, kp.value);
    const t = py.text(kp.value);
    const replacement =
      v !== undefined
        ? `rate=${fmtRate(1 - v)}`
        : `rate=1 - ${kp.value.name === 'VariableName' || kp.value.name === 'MemberExpression' ? t : `(${t})`}`;
    py.em.emit(
      'tf1-keep-prob-api',
      [kp.name.from, kp.value.to],
      `tf.nn.dropout(keep_prob=${t}) is the TensorFlow 1 API: TensorFlow 2 removed keep_prob and takes rate, the drop probability. Use ${replacement}.`,
      [
        {
          title: `Replace with ${replacement}`,
          edits: [{ from: kp.name.from, to: kp.value.to, insert: replacement }],
          preferred: true,
        },
      ],
    );
    return;
  }
  if (py.tf1Style && a.positional[1] && !a.keywords.has('rate')) {
    const p = a.positional[1];
    const t = py.text(p);
    const v = literalNumber(py, p);
    const replacement =
      v !== undefined
        ? `rate=${fmtRate(1 - v)}`
        : `rate=1 - ${p.name === 'VariableName' || p.name === 'MemberExpression' ? t : `(${t})`}`;
    py.em.emit(
      'tf1-keep-prob-api',
      span(p),
      `In TensorFlow 1 code the second argument of tf.nn.dropout is the keep probability; under TensorFlow 2 the same position is the drop rate, so ${t} drops what it meant to keep. Pass ${replacement}.`,
      [
        {
          title: `Replace with ${replacement}`,
          edits: [{ from: p.from, to: p.to, insert: replacement }],
          preferred: true,
        },
      ],
    );
  }
}

function checkFunctionalFlag(py: Py, call: SyntaxNode, lc: LayerCall): void {
  const cls = enclosing(call, 'ClassDefinition');
  if (!cls) return;
  const a = args(py, call);
  if (!a) return;
  if (hasMcIntent(py, call)) return;
  // Inside a training step (or a closure of one), the default training=True is what runs anyway.
  for (let fn = enclosing(call, 'FunctionDefinition'); fn; fn = enclosing(fn, 'FunctionDefinition')) {
    const name = defName(py, fn);
    if (TRAIN_FN.test(name) && !EVAL_STEP_FN.test(name)) return;
  }
  const flag = a.keywords.get('training')?.value ?? a.positional[2];
  // On attention weights, the mistake has a name of its own (and `input=` may be a keyword).
  const onAttention = dropsAttentionWeights(py, a.positional[0] ?? a.keywords.get('input')?.value);
  const rule = onAttention ? 'attention-dropout-in-eval' : 'functional-dropout-no-training-flag';
  const what = onAttention ? `${lc.label} on the attention weights` : lc.label;
  if (flag) {
    // training=True written out: on in eval mode too, the same mistake as leaving the flag out.
    if (!isTrueLiteral(py, flag)) return;
    py.em.emit(
      rule,
      span(call),
      `${what} is called with training=True, so this dropout stays on after model.eval(): validation and predictions are random and pessimistic. Pass training=self.training (or use an nn.Dropout module).`,
      [
        {
          title: 'Use training=self.training',
          edits: [{ from: flag.from, to: flag.to, insert: 'self.training' }],
          preferred: true,
        },
      ],
    );
    return;
  }
  const list = a.node;
  const kids = children(list);
  const close = kids[kids.length - 1];
  if (!close || close.name !== ')') return;
  const lastArg = kids[kids.length - 2];
  const trailingComma = lastArg?.name === ',';
  const insertAt = trailingComma ? lastArg.to : close.from;
  const insert = trailingComma
    ? ' training=self.training'
    : a.positional.length + a.keywords.size > 0
      ? ', training=self.training'
      : 'training=self.training';
  py.em.emit(
    rule,
    span(call),
    `${what} defaults to training=True, so this dropout stays on after model.eval(): validation and predictions are random and pessimistic. Pass training=self.training (or use an nn.Dropout module).`,
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
    what = `${d}(..., training=True)`;
  }
  const fn = enclosing(call, 'FunctionDefinition');
  // A training function (train_step, fit), but not a validation or test step that borrows the word "step".
  if (fn && TRAIN_FN.test(defName(py, fn)) && !EVAL_STEP_FN.test(defName(py, fn))) return;
  let innermostLoop: SyntaxNode | undefined;
  for (let p = call.parent; p; p = p.parent) {
    if (p.name === 'WithStatement' && /GradientTape/.test(py.text(children(p)[1]))) return;
    if (
      p.name === 'ArrayComprehensionExpression' ||
      p.name === 'ComprehensionExpression' ||
      p.name === 'SetComprehensionExpression' ||
      p.name === 'DictionaryComprehensionExpression'
    )
      return;
    if (p.name === 'ForStatement' && !innermostLoop) {
      innermostLoop = p;
      const iter = forIterable(p);
      // Repeated stochastic passes over the same input: Monte Carlo sampling. An epoch loop further out
      // around a loop over data is not.
      if (iter && /^range\b/.test(py.text(iter))) return;
    }
  }
  if (hasMcIntent(py, call)) return;
  py.em.emit(
    'training-true-at-inference',
    [t.name.from, t.value.to],
    `${what} runs dropout at inference: every prediction drops random units, so results change from call to call. Pass training=False (or omit it); for Monte Carlo dropout, make the intent explicit (sample in a loop, name or comment it MC).`,
    [
      {
        title: 'Use training=False',
        edits: [{ from: t.value.from, to: t.value.to, insert: 'False' }],
        preferred: true,
      },
    ],
  );
}
