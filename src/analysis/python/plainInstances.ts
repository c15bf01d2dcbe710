/**
 * Names bound to instances of the file's own classes that are no models (`net = ScratchMLP(...)`): they have
 * no mode, so handing one to a helper switches nothing.
 */
import type { SyntaxNode } from '@lezer/common';
import type { Py } from './context';
import { children, defName } from './syntax';
import { all } from './tree-index';

/** Per analysis: the names bound, in the file, only to instances of its classes that are no models. */
const plainInstances = new WeakMap<Py, ReadonlySet<string>>();

function plainInstanceNames(py: Py): ReadonlySet<string> {
  let names = plainInstances.get(py);
  if (names) return names;
  const plain = new Set(
    all(py, 'ClassDefinition')
      .map((c) => defName(py, c))
      .filter((c) => !py.classes.has(c)),
  );
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
  names = new Set(
    [...valuesOf]
      .filter(([, vs]) => vs.every((v) => v?.name === 'CallExpression' && plain.has(py.text(v.firstChild))))
      .map(([name]) => name),
  );
  plainInstances.set(py, names);
  return names;
}

/** `obj` bound, in the file, to an instance of a class of the file that is no model (`ScratchMLP(...)`). */
export function plainInstance(py: Py, arg: SyntaxNode): boolean {
  return arg.name === 'VariableName' && plainInstanceNames(py).has(py.text(arg));
}
