/**
 * The file's own classes that are no models (no nn.Module or Keras base): names bound to their instances
 * (`net = ScratchMLP(...)`) have no mode, so handing one to a helper switches nothing; and those with a
 * forward() are networks written from scratch, which make the file's model-like names insensitive.
 */
import type { SyntaxNode } from '@lezer/common';
import type { PyFacts } from './context';
import { perAnalysis } from './perAnalysis';
import { children, defName } from './syntax';
import { all, within } from './tree-index';

/** Asked once the classes are collected. */
const plainClasses = perAnalysis((py) => all(py, 'ClassDefinition').filter((c) => !py.classes.has(defName(py, c))));

/** The names bound, in the file, only to instances of its plain classes. */
const plainInstanceNames = perAnalysis((py): ReadonlySet<string> => {
  const plain = new Set(plainClasses(py).map((c) => defName(py, c)));
  const valuesOf = new Map<string, (SyntaxNode | undefined)[]>();
  if (plain.size > 0)
    for (const a of all(py, 'AssignStatement')) {
      const k = children(a);
      if (k.length !== 3 || k[0]?.name !== 'VariableName') continue;
      const name = py.text(k[0]);
      const values = valuesOf.get(name) ?? [];
      values.push(k[2]);
      valuesOf.set(name, values);
    }
  return new Set(
    [...valuesOf]
      .filter(([, vs]) => vs.every((v) => v?.name === 'CallExpression' && plain.has(py.text(v.firstChild))))
      .map(([name]) => name),
  );
});

/** `obj` bound, in the file, to an instance of a class of the file that is no model (`ScratchMLP(...)`). */
export function plainInstance(py: PyFacts, arg: SyntaxNode): boolean {
  return arg.name === 'VariableName' && plainInstanceNames(py).has(py.text(arg));
}

/** The plain classes that define forward(): networks written from scratch. */
export const scratchNetworkNames = perAnalysis((py): readonly string[] =>
  plainClasses(py)
    .filter((c) => within(py, 'FunctionDefinition', c).some((f) => defName(py, f) === 'forward'))
    .map((c) => defName(py, c)),
);
