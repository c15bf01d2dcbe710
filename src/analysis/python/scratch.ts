/**
 * Networks written from scratch: plain classes of the file (no nn.Module or Keras base) with a forward().
 * They have no train/eval mode, so dropout-mode rules have nothing to switch on them.
 */
import type { PyFacts } from './context';
import { defName } from './syntax';
import { all, within } from './tree-index';

/** Per analysis, once the classes are collected (the models pass and the cache key ask for it per unit). */
const found = new WeakMap<PyFacts, readonly string[]>();

/** The plain classes of the file (no model base) that define forward(). */
export function scratchNetworkNames(py: PyFacts): readonly string[] {
  let names = found.get(py);
  if (!names) {
    names = all(py, 'ClassDefinition')
      .filter((c) => !py.classes.has(defName(py, c)))
      .filter((c) => within(py, 'FunctionDefinition', c).some((f) => defName(py, f) === 'forward'))
      .map((c) => defName(py, c));
    found.set(py, names);
  }
  return names;
}
