/**
 * Model classes: which classes are modules (by their bases), the layer ops of their self.attr = ...
 * attributes, and whether dropout or batch norm makes their mode matter.
 */
import type { SyntaxNode } from '@lezer/common';
import type { Op } from '../ops';
import { MC_WORDS } from './vocabulary';
import type { ClassInfo, Py } from './context';
import { args, child, children, literalNumber, span } from './syntax';
import { dotted, qualify } from './names';
import { all, within } from './tree-index';
import { classifyCtor, classifyFunctional, layerOp, sequentialItems } from './layers';
import { decodeAttrs, encodeAttrs } from './reuse';
import type { PassRunner } from './runner';

const MODEL_BASES = new Map<string, ClassInfo['framework']>([
  ['torch.nn.Module', 'torch'],
  ['lightning.LightningModule', 'lightning'],
  ['keras.Model', 'keras'],
  ['keras.models.Model', 'keras'],
  ['keras.layers.Layer', 'keras'],
]);

export function collectClasses(py: Py, run: PassRunner): void {
  const defs = all(py, 'ClassDefinition');
  // Two rounds so that subclasses of local model classes defined later are found.
  for (let round = 0; round < 2; round++) {
    for (const def of defs) {
      const nameNode = child(def, 'VariableName');
      if (!nameNode) continue;
      const name = py.text(nameNode);
      if (py.classes.has(name)) continue;
      const argList = child(def, 'ArgList');
      let framework: ClassInfo['framework'] | undefined;
      if (argList) {
        for (const base of children(argList)) {
          const q = qualify(py, base);
          if (!q) continue;
          framework = MODEL_BASES.get(q) ?? py.classes.get(q)?.framework ?? framework;
          if (!framework && /^transformers\.\w*(PreTrainedModel|Model)$/.test(q)) framework = 'torch';
        }
      }
      if (!framework) continue;
      py.classes.set(name, {
        name,
        node: def,
        framework,
        attrs: new Map(),
        sensitive: false,
        usedAsSubmodule: false,
        mc: MC_WORDS.test(name),
      });
    }
  }
  // Per class, what its own text gives (reused while the unit's text and the class context are unchanged).
  const records = run.classRecords(py, py.classes.values());
  for (const info of py.classes.values()) {
    const rec = records.get(info);
    if (rec) {
      for (const name of rec.calls) py.classes.get(name)!.usedAsSubmodule = true;
      continue;
    }
    for (const call of within(py, 'CallExpression', info.node)) {
      const q = qualify(py, call.firstChild);
      const sub = q ? py.classes.get(q) : undefined;
      if (sub && sub !== info) sub.usedAsSubmodule = true;
    }
  }
  for (const info of py.classes.values()) {
    const rec = records.get(info);
    if (rec) {
      let sensitive = rec.local;
      for (const name of rec.subs) {
        const sub = py.classes.get(name)!;
        sub.usedAsSubmodule = true;
        if (sub.sensitive || sub !== info) sensitive = sensitive || sub.sensitive;
      }
      info.attrs = decodeAttrs(rec.attrs, run.unitOf(info.node)!.from);
      info.sensitive = sensitive;
      continue;
    }
    let sensitive = false;
    let local = false;
    // Recorded for the cache: class names met in its calls and in self.attr = Sub(...), in order.
    const unit = run.unitOf(info.node);
    const subs: string[] | undefined = unit ? [] : undefined;
    let calls: string[] | undefined;
    if (unit) {
      calls = [];
      for (const call of within(py, 'CallExpression', info.node)) {
        const q = qualify(py, call.firstChild);
        const sub = q ? py.classes.get(q) : undefined;
        if (sub && sub !== info) calls.push(q!);
      }
    }
    for (const call of within(py, 'CallExpression', info.node)) {
      const lc = classifyCtor(py, call) ?? classifyFunctional(py, call);
      if (lc && (lc.kind === 'dropout' || lc.kind === 'bn')) local = sensitive = true;
      if (lc && lc.kind === 'weight') {
        const a = args(py, call);
        const d = a?.keywords.get('dropout')?.value;
        if (d && (literalNumber(py, d) ?? 1) > 0) local = sensitive = true;
      }
    }
    // self.attr = <call>: remember layer ops; unknown submodules make the mode matter (they may hold dropout).
    for (const assign of within(py, 'AssignStatement', info.node)) {
      const kids = children(assign);
      const target = dotted(py, kids[0]);
      const value = kids[2];
      if (!target || !target.startsWith('self.') || target.split('.').length !== 2 || !value) continue;
      const attr = target.slice(5);
      if (value.name === 'CallExpression') {
        const ops = exprOps(py, value);
        if (ops) info.attrs.set(attr, ops);
        else {
          const q = qualify(py, value.firstChild) ?? '';
          const sub = py.classes.get(q);
          if (sub) {
            sub.usedAsSubmodule = true;
            subs?.push(q);
            if (sub.sensitive || sub !== info) sensitive = sensitive || sub.sensitive;
            info.attrs.set(attr, [{ kind: 'unknown', at: span(value), label: q }]);
          } else if (
            !/^(torch\.nn\.(ModuleList|ModuleDict|Parameter)|torch\.(zeros|ones|randn|tensor|empty)|int|float|list|dict|str|len)$/.test(
              q,
            )
          ) {
            info.attrs.set(attr, [{ kind: 'unknown', at: span(value), label: q }]);
            if (!/^(torch|numpy|np|math|int|float|str|len|range)(\.|$)/.test(q) || q.startsWith('torchvision'))
              local = sensitive = true;
          } else if (q === 'torch.nn.ModuleList' || q === 'torch.nn.ModuleDict') {
            // contents checked through the calls inside
          }
        }
      }
    }
    info.sensitive = sensitive;
    if (unit)
      (unit.entry.classes ??= {})[info.name] = {
        local,
        subs: subs!,
        calls: calls!,
        attrs: encodeAttrs(info.attrs, unit.from),
      };
  }
  // Propagate sensitivity through submodules once more.
  for (const info of py.classes.values()) {
    for (const ops of info.attrs.values())
      for (const op of ops) if (op.kind === 'unknown' && py.classes.get(op.label)?.sensitive) info.sensitive = true;
  }
}

/** Ops of a layer construction expression (a layer, or a Sequential of layers). */
function exprOps(py: Py, value: SyntaxNode): Op[] | null {
  if (value.name !== 'CallExpression') return null;
  const lc = classifyCtor(py, value);
  if (!lc) return null;
  if (lc.container === 'sequential') return sequentialItems(py, value)?.ops ?? null;
  return [layerOp(value, lc)];
}
