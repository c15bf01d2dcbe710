/** Keras model JSON (`model.to_json()`): class_name / config / layers, in any .json file. */
import { parseTree, type Node as JNode, type ParseError } from 'jsonc-parser';
import { tooDeep } from './text';
import { checkRate, checkSequence, type Emitter, type Op, type OpKind } from './ops';
import { CHANNEL_DROPOUT, KERAS_CONV } from './python/vocabulary';

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

// JSON with offsets (jsonc-parser, VS Code's own): fast enough for large model files, unlike a YAML parser.
type Any = JNode | undefined;

function get(m: Any, key: string): Any {
  if (m?.type !== 'object') return undefined;
  for (const p of m.children ?? []) if (p.children?.[0]?.value === key) return p.children[1];
  return undefined;
}

function str(n: Any): string | undefined {
  return n?.type === 'string' && typeof n.value === 'string' ? n.value : undefined;
}

function items(n: Any): JNode[] | undefined {
  return n?.type === 'array' ? (n.children ?? []) : undefined;
}

function span(n: Any): [number, number] {
  return n ? [n.offset, n.offset + n.length] : [0, 0];
}

/** Quick test: does this JSON text look like a Keras model? */
export { looksLikeKerasJson } from './files';

export function analyzeKerasJson(text: string, em: Emitter): boolean {
  // The JSON parser recurses per level; model.to_json() nests a few levels per layer, never hundreds.
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
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { allowTrailingComma: false, disallowComments: true });
  if (errors.length > 0) return false;
  const cls = str(get(root, 'class_name'));
  if (!cls || !MODELS.has(cls)) return false;
  checkModel(root, em, cls === 'Sequential' ? 'the Sequential model' : 'the model');
  return true;
}

function checkModel(model: Any, em: Emitter, where: string): void {
  const cls = str(get(model, 'class_name'));
  const config = get(model, 'config');
  const layers = items(get(config, 'layers'));
  if (!layers) return;
  const ops: Op[] = [];
  const byName = new Map<string, Op>();
  layers.forEach((l, i) => {
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
    const op: Op = {
      kind,
      at: span(l),
      label: `${lc} layer "${name}"`,
      ...(KERAS_CONV.has(lc) ? { conv: true } : {}),
      ...(CHANNEL_DROPOUT.has(lc) ? { channels: true } : {}),
    };
    if (kind === 'dropout') {
      // Keras 2+ writes `rate`; Keras 1.x wrote `p`.
      const rateNode = get(lconf, 'rate') ?? get(lconf, 'p');
      if (rateNode?.type === 'number' && typeof rateNode.value === 'number') {
        op.rate = rateNode.value;
        op.rateAt = span(rateNode);
        checkRate(em, op.rate, op.rateAt, op.label);
      }
      const prev = layers[i - 1];
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
  const outputs = items(get(config, 'output_layers'));
  const single = outputs !== undefined && outputs.length >= 1;
  checkSequence(em, ops, { input: true, output: false, where });
  if (single) {
    const first = outputs[0];
    const outName = items(first) ? str(items(first)?.[0]) : str(first);
    const last = outName ? byName.get(outName) : undefined;
    if (last && last === ops[ops.length - 1] && outputs.length === 1)
      checkSequence(em, ops, { input: false, output: true, where });
  }
}
