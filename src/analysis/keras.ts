/** Keras model JSON (`model.to_json()`): class_name / config / layers, in any .json file. */
import { isMap, isScalar, isSeq, parseDocument, type Node as YNode } from 'yaml';
import { tooDeep, withoutLoneCR } from './text';
import { checkRate, checkSequence, type Emitter, type Op, type OpKind } from './ops';

const DROPOUT = new Set([
  'Dropout',
  'SpatialDropout1D',
  'SpatialDropout2D',
  'SpatialDropout3D',
  'GaussianDropout',
  'AlphaDropout',
]);
const WEIGHT = new Set([
  'Dense',
  'EinsumDense',
  'Conv1D',
  'Conv2D',
  'Conv3D',
  'Conv2DTranspose',
  'SeparableConv2D',
  'DepthwiseConv2D',
  'LSTM',
  'GRU',
  'SimpleRNN',
  'Embedding',
]);
const BN = new Set(['BatchNormalization']);
const ACT = new Set(['Activation', 'ReLU', 'Softmax', 'LeakyReLU', 'ELU', 'PReLU']);
const NEUTRAL = new Set([
  'Flatten',
  'Reshape',
  'InputLayer',
  'MaxPooling1D',
  'MaxPooling2D',
  'AveragePooling2D',
  'GlobalAveragePooling1D',
  'GlobalAveragePooling2D',
  'GlobalMaxPooling2D',
  'LayerNormalization',
  'Permute',
]);
const MODELS = new Set(['Sequential', 'Functional', 'Model']);

type Any = YNode | null | undefined;

function get(m: Any, key: string): Any {
  if (!isMap(m)) return undefined;
  for (const p of m.items) if (isScalar(p.key) && p.key.value === key) return p.value as Any;
  return undefined;
}

function str(n: Any): string | undefined {
  return isScalar(n) && typeof n.value === 'string' ? n.value : undefined;
}

function span(n: Any): [number, number] {
  const r = (n as { range?: [number, number, number] } | null)?.range;
  return r ? [r[0], r[1]] : [0, 0];
}

/** Quick test: does this JSON text look like a Keras model? */
export { looksLikeKerasJson } from './files';

export function analyzeKerasJson(text: string, em: Emitter): boolean {
  // The yaml parser recurses per level; model.to_json() nests a few levels per layer, never hundreds.
  const deep = tooDeep(text, 400);
  if (deep) {
    em.emit(
      'parse-error',
      [deep.at, Math.min(text.length, deep.at + 1)],
      `This JSON is nested more than 400 levels deep here (a Keras model nests a few levels per layer), so it was not analysed.`,
      [],
    );
    return true;
  }
  const doc = parseDocument(withoutLoneCR(text), { uniqueKeys: false });
  if (doc.errors.length > 0) return false;
  const root = doc.contents as Any;
  const cls = str(get(root, 'class_name'));
  if (!cls || !MODELS.has(cls)) return false;
  checkModel(root, em, cls === 'Sequential' ? 'the Sequential model' : 'the model');
  return true;
}

function checkModel(model: Any, em: Emitter, where: string): void {
  const cls = str(get(model, 'class_name'));
  const config = get(model, 'config');
  const layers = get(config, 'layers');
  if (!isSeq(layers)) return;
  const ops: Op[] = [];
  const byName = new Map<string, Op>();
  layers.items.forEach((item, i) => {
    const l = item as Any;
    const lc = str(get(l, 'class_name')) ?? '';
    const lconf = get(l, 'config');
    const name = str(get(lconf, 'name')) ?? str(get(l, 'name')) ?? lc;
    let kind: OpKind = 'unknown';
    if (DROPOUT.has(lc)) kind = 'dropout';
    else if (WEIGHT.has(lc)) kind = 'weight';
    else if (BN.has(lc)) kind = 'bn';
    else if (ACT.has(lc)) kind = 'act';
    else if (NEUTRAL.has(lc)) kind = 'neutral';
    else if (MODELS.has(lc)) checkModel(l, em, `nested model ${name}`);
    const op: Op = { kind, at: span(l), label: `${lc} layer "${name}"` };
    if (kind === 'dropout') {
      const rateNode = get(lconf, 'rate');
      if (isScalar(rateNode) && typeof rateNode.value === 'number') {
        op.rate = rateNode.value;
        op.rateAt = span(rateNode);
        checkRate(em, op.rate, op.rateAt, op.label);
      }
      const prev = layers.items[i - 1] as Any;
      if (cls === 'Sequential' && prev) {
        const from = span(prev)[1];
        op.remove = [{ from, to: span(l)[1], insert: '' }];
      }
    }
    ops.push(op);
    byName.set(name, op);
  });
  if (cls === 'Sequential') {
    checkSequence(em, ops, { input: true, output: true, where });
    return;
  }
  // Functional: layer order in the JSON is topological; check the output layers only when the graph is a chain.
  const outputs = get(config, 'output_layers');
  const single = isSeq(outputs) && outputs.items.length >= 1;
  checkSequence(em, ops, { input: true, output: false, where });
  if (single) {
    const first = (outputs.items as Any[])[0];
    const outName = isSeq(first) ? str(first.items[0] as Any) : str(first);
    const last = outName ? byName.get(outName) : undefined;
    if (last && last === ops[ops.length - 1] && isSeq(outputs) && outputs.items.length === 1)
      checkSequence(em, ops, { input: false, output: true, where });
  }
}
