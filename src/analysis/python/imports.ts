/**
 * Import aliases (collectImports) and whether the file is TensorFlow 1 style.
 */
import type { Py } from './context';
import { children } from './syntax';
import { dotted, normalize } from './names';
import { all } from './tree-index';

export function collectImports(py: Py): void {
  for (const stmt of all(py, 'ImportStatement')) {
    const kids = children(stmt);
    if (kids[0]?.name === 'from') {
      const importAt = kids.findIndex((k) => k.name === 'import');
      const from = importAt < 0 ? kids.slice(1) : kids.slice(1, importAt);
      const module = from
        .filter((k) => k.name === 'VariableName')
        .map((k) => py.text(k))
        .join('.');
      const names = importAt < 0 ? [] : kids.slice(importAt + 1);
      for (let i = 0; i < names.length; i++) {
        const k = names[i];
        if (k?.name !== 'VariableName') continue;
        const name = py.text(k);
        let alias = name;
        const aliasNode = names[i + 2];
        if (names[i + 1]?.name === 'as' && aliasNode?.name === 'VariableName') {
          alias = py.text(aliasNode);
          i += 2;
        }
        py.imports.set(alias, module ? `${module}.${name}` : name);
      }
    } else {
      let parts: string[] = [];
      let alias: string | null = null;
      const commit = () => {
        const [head] = parts;
        if (head !== undefined) py.imports.set(alias ?? head, alias ? parts.join('.') : head);
        parts = [];
        alias = null;
      };
      for (let i = 1; i < kids.length; i++) {
        const k = kids[i];
        const next = kids[i + 1];
        if (k?.name === 'VariableName') parts.push(py.text(k));
        else if (k?.name === 'as' && next?.name === 'VariableName') {
          alias = py.text(next);
          i++;
        } else if (k?.name === ',') commit();
      }
      commit();
    }
  }
  for (const q of py.imports.values()) {
    const n = normalize(q);
    if (n.startsWith('torch') || n.startsWith('lightning') || n.startsWith('transformers')) py.usesTorch = true;
    if (n.startsWith('keras') || n.startsWith('tensorflow')) py.usesKeras = true;
  }
}

/** TF1 style: placeholders, sessions, compat.v1 (or keep_prob with Keras): tf.nn.dropout's second argument is a keep probability. */
export function detectTf1Style(py: Py): void {
  for (const [alias, q] of py.imports) {
    if (/^tensorflow(\.compat\.v1)?$/.test(q) || q.startsWith('tensorflow')) {
      // TF1 style: placeholders, sessions, compat.v1.
      for (const m of all(py, 'MemberExpression')) {
        const d = dotted(py, m);
        if (!d || !d.startsWith(alias + '.')) continue;
        if (
          /\.(placeholder|Session|InteractiveSession|compat\.v1|global_variables_initializer|contrib)(\.|$)/.test(d)
        ) {
          py.tf1Style = true;
          break;
        }
      }
      if (q.includes('compat.v1')) py.tf1Style = true;
    }
  }
  if (!py.tf1Style && py.sawKeepProb && py.usesKeras) py.tf1Style = true;
}
