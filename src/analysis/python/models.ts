/**
 * Model facts: which names hold models, whether their mode matters (dropout or batch norm), which are
 * trained (handed to an optimizer) and which a Hugging Face / Lightning Trainer switches itself.
 */
import type { SyntaxNode } from '@lezer/common';
import { MODEL_PARAM, MODE_PRESERVING_WRAPPERS } from './vocabulary';
import type { Py, PyFacts } from './context';
import { args, children, defName, enclosing, forIterable, paramNames } from './syntax';
import { dotted, qualify } from './names';
import { all, within } from './tree-index';
import { classifyCtor, sequentialItems } from './layers';
import type { PassRunner } from './runner';
import { scratchNetworkNames } from './plainInstances';
import type { ModelFacts } from './facts';

export function isSensitive(py: PyFacts, name: string): boolean {
  const s = py.modelSensitive.get(name);
  return s === undefined ? py.defaultSensitive : s;
}

export function modelOf(py: PyFacts, n: SyntaxNode | null | undefined): string | null {
  const d = dotted(py, n);
  if (!d || !py.modelNames.has(d)) return null;
  return n?.name === 'VariableName' && shadowedLocally(py, n, d) ? null : d;
}

/** Values that are plainly not a model: a lambda, a literal, a collection. */
const NOT_A_MODEL = new Set([
  'LambdaExpression',
  'Number',
  'String',
  'FormatString',
  'Boolean',
  'None',
  'ArrayExpression',
  'ArrayComprehensionExpression',
  'TupleExpression',
  'DictionaryExpression',
  'DictionaryComprehensionExpression',
  'SetExpression',
]);

/**
 * A model's name that the function around `use` binds to other things only (`model = lambda x: ...`): a
 * local of its own, not the model of the same name elsewhere in the file.
 */
function shadowedLocally(py: PyFacts, use: SyntaxNode, name: string): boolean {
  const fn = enclosing(use, 'FunctionDefinition');
  if (!fn) return false;
  const key = `${fn.from}:${name}`;
  const hit = py.shadowed.get(key);
  if (hit !== undefined) return hit;
  let bound = false;
  let onlyNonModels = true;
  for (const assign of within(py, 'AssignStatement', fn)) {
    if (enclosing(assign, 'FunctionDefinition')?.from !== fn.from) continue;
    const [target, op, value] = children(assign);
    if (target?.name !== 'VariableName' || op?.name !== 'AssignOp' || py.text(target) !== name) continue;
    bound = true;
    if (!value || !NOT_A_MODEL.has(value.name)) onlyNonModels = false;
  }
  const shadowed = bound && onlyNonModels && !paramNames(py, fn).includes(name);
  py.shadowed.set(key, shadowed);
  return shadowed;
}

export function stripChain(py: PyFacts, value: SyntaxNode): SyntaxNode {
  // Net().to(device) / .cuda() / .double(), torch.compile(Net()): the model itself.
  let v = value;
  for (let i = 0; i < 10 && v.name === 'CallExpression'; i++) {
    const callee = v.firstChild;
    const obj = callee?.name === 'MemberExpression' ? callee.firstChild : null;
    const method = callee?.name === 'MemberExpression' ? py.text(callee.lastChild) : '';
    const wrapped = MODE_PRESERVING_WRAPPERS.has(qualify(py, callee) ?? '') ? args(py, v)?.positional[0] : undefined;
    if (obj?.name === 'CallExpression' && CHAINED_SAME_MODEL.has(method)) v = obj;
    else if (wrapped?.name === 'CallExpression') v = wrapped;
    else break;
  }
  return v;
}

/** Methods that return the model they are called on. */
const CHAINED_SAME_MODEL = new Set([
  'to',
  'cuda',
  'cpu',
  'double',
  'float',
  'half',
  'bfloat16',
  'train',
  'eval',
  'requires_grad_',
]);

/** The model a chain of its own methods starts from (`model.to(device).half()` -> "model"), or null. */
export function sameModelBase(py: PyFacts, value: SyntaxNode): string | null {
  let v = value;
  for (let i = 0; i < 10 && v.name === 'CallExpression'; i++) {
    const callee = v.firstChild;
    if (callee?.name !== 'MemberExpression' || !CHAINED_SAME_MODEL.has(py.text(callee.lastChild))) break;
    v = callee.firstChild ?? v;
  }
  return v === value ? null : modelOf(py, v);
}

export function collectModels(py: Py, run: PassRunner): void {
  let anyInsensitiveClass = false;
  let anySensitiveSource = false;
  for (const c of py.classes.values()) {
    if (c.framework === 'keras') continue;
    if (c.sensitive) anySensitiveSource = true;
    else anyInsensitiveClass = true;
  }
  const assigns = run.groupByUnit(all(py, 'AssignStatement'), (n) => n.from);
  const calls = run.groupByUnit(all(py, 'CallExpression'), (n) => n.from);
  const fns = run.groupByUnit(all(py, 'FunctionDefinition'), (n) => n.from);
  const facts = assigns.map(({ unit: u, items }, i): ModelFacts => {
    const old = u.old?.models;
    if (run.unchanged('k1') && old) {
      run.reuse.models++;
      return (u.entry.models = old);
    }
    // The three groupings list the same units in the same order.
    const f = modelFactsOf(py, items, calls[i]?.items ?? [], fns[i]?.items ?? []);
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

/** Model constructors of libraries: torchvision's models, timm's, and transformers' model classes. */
const LIBRARY_MODEL =
  /^(torchvision\.models\.|timm\.create_model$|timm\.models\.|transformers\.(\w*Model\w*|\w+For\w+)(\.|$))/;

/**
 * The model a call makes, and whether its mode matters (null: unknown): a model class of the file, a torch
 * Sequential, a pretrained or library model, or a function of the file that returns one of those.
 */
function modelMade(
  py: PyFacts,
  call: SyntaxNode,
  depth = 0,
): { sensitive: boolean | null; fromSequential: boolean } | undefined {
  const inner = stripChain(py, call);
  const q = qualify(py, inner.firstChild) ?? '';
  const cls = py.classes.get(q);
  if (cls) return cls.framework === 'keras' ? undefined : { sensitive: cls.sensitive, fromSequential: false };
  if (/\.from_pretrained$/.test(q)) return { sensitive: true, fromSequential: false };
  const lc = classifyCtor(py, inner);
  if (lc?.container === 'sequential' && lc.framework === 'torch') {
    const seq = sequentialItems(py, inner);
    const sensitive = !seq || seq.ops.some((o) => o.kind === 'dropout' || o.kind === 'bn' || o.kind === 'unknown');
    return { sensitive, fromSequential: true };
  }
  if (LIBRARY_MODEL.test(q) || q === 'copy.deepcopy') return { sensitive: null, fromSequential: false };
  const factory = depth < 3 ? py.functions.get(q) : undefined;
  return factory && !factory.cls ? returnedModel(py, factory.node, depth + 1) : undefined;
}

/** A function whose every `return` hands back a model (`def build(): return nn.Sequential(...)`). */
function returnedModel(
  py: PyFacts,
  def: SyntaxNode,
  depth: number,
): { sensitive: boolean | null; fromSequential: boolean } | undefined {
  const returns = within(py, 'ReturnStatement', def).filter(
    (r) => enclosing(r, 'FunctionDefinition')?.from === def.from,
  );
  let made: { sensitive: boolean | null; fromSequential: boolean } | undefined;
  for (const r of returns) {
    const value = children(r)[1];
    const m = value?.name === 'CallExpression' ? modelMade(py, value, depth) : undefined;
    if (!m) return undefined;
    made = made && made.sensitive !== m.sensitive ? { sensitive: null, fromSequential: false } : m;
  }
  return made;
}

function modelFactsOf(py: PyFacts, assigns: SyntaxNode[], calls: SyntaxNode[], fns: SyntaxNode[]): ModelFacts {
  const out: ModelFacts = {
    assigned: [],
    sensitiveSource: false,
    insensitiveClass: false,
    switched: [],
    params: [],
    members: [],
    hf: [],
    trained: [],
  };
  let scratch: readonly string[] | undefined;
  for (const assign of assigns) {
    const kids = children(assign);
    const [targetNode, , value] = kids;
    if (kids.length !== 3 || !value) continue;
    const target = dotted(py, targetNode);
    if (!target || value.name !== 'CallExpression') continue;
    const made = modelMade(py, value);
    if (!made) {
      // A network written from scratch (a plain class of the file with a forward()): it has no train/eval
      // mode, so in a file without dropout or batch norm the model-like names it binds have nothing to switch.
      scratch ??= scratchNetworkNames(py);
      if (scratch.includes(py.text(value.firstChild))) out.insensitiveClass = true;
      continue;
    }
    out.assigned.push([target, made.sensitive]);
    if (made.sensitive === true || made.sensitive === null) out.sensitiveSource = true;
    else if (made.fromSequential) out.insensitiveClass = true;
  }
  // Any name switched with .eval()/.train() is a model; so are model-like parameters.
  for (const call of calls) {
    const callee = call.firstChild;
    if (callee?.name !== 'MemberExpression') continue;
    const m = py.text(callee.lastChild);
    if (m !== 'eval' && m !== 'train') continue;
    const a = args(py, call);
    if (!a || a.positional.length > 1) continue;
    const obj = dotted(py, callee.firstChild);
    // `m.train()` on a loop variable over modules() is MC re-enabling, handled in the flow.
    if (obj && !isLoopVarOverModules(py, call, obj)) out.switched.push(obj);
  }
  for (const fn of fns) for (const p of paramNames(py, fn)) if (MODEL_PARAM.test(p)) out.params.push(p);
  for (const fn of fns) {
    const cls = enclosing(fn, 'ClassDefinition');
    // Members of a model class's methods are not collected (the class's name decides, once per method).
    if (!cls || py.classes.has(defName(py, cls))) continue;
    for (const v of within(py, 'MemberExpression', fn)) {
      const d = dotted(py, v);
      if (d && /^self\.\w+$/.test(d) && MODEL_PARAM.test(d.slice(5))) out.members.push(d);
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

function isLoopVarOverModules(py: PyFacts, call: SyntaxNode, name: string): boolean {
  for (let p = call.parent; p; p = p.parent) {
    if (p.name === 'ForStatement') {
      const kids = children(p);
      const target = kids[1];
      const iter = forIterable(p);
      if (
        target &&
        py.text(target) === name &&
        iter &&
        /\.(modules|children|named_modules|named_children)\(/.test(py.text(iter))
      )
        return true;
    }
    if (p.name === 'FunctionDefinition') {
      // def enable_dropout(m): m.train()  -- applied through model.apply(...)
      const fname = defName(py, p);
      if (/dropout/i.test(fname)) return true;
    }
  }
  return false;
}
