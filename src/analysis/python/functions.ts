/**
 * The function table: every function of the file with its parameters, class and whether it is an
 * inference or Monte Carlo function.
 */
import { INFERENCE_FN, MC_WORDS } from './vocabulary';
import type { Py } from './context';
import { children, defName, enclosing, paramNames } from './syntax';
import { DEFAULT_ALIASES, normalize } from './names';
import { all } from './tree-index';

export function collectFunctions(py: Py): void {
  for (const fn of all(py, 'FunctionDefinition')) {
    const name = defName(py, fn);
    const clsNode = enclosing(fn, 'ClassDefinition');
    const cls = clsNode ? py.classes.get(defName(py, clsNode)) : undefined;
    const noGradDecorated =
      fn.parent?.name === 'DecoratedStatement' &&
      children(fn.parent).some((d) => {
        if (d.name !== 'Decorator') return false;
        const parts = children(d)
          .filter((k) => k.name === 'VariableName')
          .map((k) => py.text(k));
        const [head, ...rest] = parts;
        if (head === undefined) return false;
        const q = normalize([py.imports.get(head) ?? DEFAULT_ALIASES.get(head) ?? head, ...rest].join('.'));
        return q === 'torch.no_grad' || q === 'torch.inference_mode';
      });
    const inference =
      (noGradDecorated || INFERENCE_FN.test(name)) &&
      !/train/i.test(name) &&
      !(cls && (cls.framework === 'lightning' || cls.framework === 'keras'));
    if (!py.functions.has(name))
      py.functions.set(name, {
        name,
        node: fn,
        params: paramNames(py, fn),
        cls,
        effects: new Map(),
        trainsParams: new Set(),
        inferenceUses: new Map(),
        runUses: new Map(),
        mc: MC_WORDS.test(name),
        inference,
      });
  }
}
