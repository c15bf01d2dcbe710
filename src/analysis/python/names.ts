/**
 * Names: the dotted source name of an expression ("self.model", "nn.Dropout") and its qualified form
 * through the file's imports and the default aliases, normalized (tf.keras -> keras, compat.v1, ...).
 */
import type { SyntaxNode } from '@lezer/common';
import type { PyFacts } from './context';

/** What a conventional alias means when the file does not import it (a Map: the keys are user code's names). */
export const DEFAULT_ALIASES: ReadonlyMap<string, string> = new Map([
  ['nn', 'torch.nn'],
  ['F', 'torch.nn.functional'],
  ['tf', 'tensorflow'],
  ['torch', 'torch'],
  ['keras', 'keras'],
  ['layers', 'keras.layers'],
  ['pl', 'lightning'],
]);

export function normalize(q: string): string {
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

/** Dotted source name of a VariableName/MemberExpression chain, e.g. "self.model" or "nn.Dropout". */
export function dotted(py: PyFacts, n: SyntaxNode | null | undefined): string | null {
  if (!n) return null;
  const name = n.name;
  if (name === 'VariableName') return py.src.slice(n.from, n.to);
  if (name !== 'MemberExpression') return null;
  return py.dottedMemo.of(n, py, dottedMember);
}

function dottedMember(py: PyFacts, n: SyntaxNode): string | null {
  const first = n.firstChild;
  const dot = first?.nextSibling;
  if (!first || !dot || dot.name !== '.') return null;
  let prop = dot;
  for (let c = dot.nextSibling; c; c = c.nextSibling) prop = c;
  if (prop.name !== 'PropertyName') return null;
  const head = dotted(py, first);
  return head === null ? null : head + '.' + py.src.slice(prop.from, prop.to);
}

export function qualify(py: PyFacts, n: SyntaxNode | null | undefined): string | null {
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
    const bound =
      py.imports.get(head) ?? (py.classes.has(head) || py.functions.has(head) ? undefined : DEFAULT_ALIASES.get(head));
    v = normalize(bound === undefined ? d : dot < 0 ? bound : bound + d.slice(dot));
  }
  if (memo) py.qualifyMemo.set(n, v);
  return v;
}
