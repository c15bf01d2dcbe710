/**
 * Context managers of the file that switch a model's mode for their body: a `@contextmanager` generator
 * (`with evaluating(model):`, the mode before its `yield`) or a class whose `__enter__` switches it
 * (`with eval_mode(model):`). Most put the old mode back on exit; those whose exit calls `train(...)` are
 * taken to restore it.
 */
import type { SyntaxNode } from '@lezer/common';
import type { FnInfo, PyFacts, State } from './context';
import type { Mode, ModeContext } from './facts';
import { blockOf, bodyOf } from './bodies';
import { args, children, defName } from './syntax';
import { all, findAll, within } from './tree-index';
import { modelOf } from './models';

/** What a with statement's context managers do to models: the modes for the body, and which to restore after. */
export interface EnteredModes {
  modes: { model: string; mode: Mode; call: SyntaxNode }[];
  restored: string[];
}

type Walk = (stmts: SyntaxNode[], state: State) => State;

const YIELDS = new Set(['YieldStatement', 'YieldExpression']);

export function isContextManagerFn(py: PyFacts, fn: FnInfo): boolean {
  const decorated = fn.node.parent;
  if (decorated?.name !== 'DecoratedStatement') return false;
  const named = children(decorated).some(
    (d) => d.name === 'Decorator' && /(^|\.)contextmanager\b/.test(py.text(d).slice(1)),
  );
  return named && findAll(fn.node, YIELDS, true).length > 0;
}

/** A generator context manager's entry: its statements up to the first yield, walked from unknown modes. */
export function generatorContext(py: PyFacts, fn: FnInfo, walk: Walk): ModeContext {
  const [first] = findAll(fn.node, YIELDS, true);
  const end = walk(first ? statementsBefore(py, bodyOf(py, fn.node), first) : [], new Map());
  const enter = new Map<string | number, Mode>();
  for (const [name, st] of end) {
    if (st.mode === 'unknown') continue;
    const idx = fn.params.indexOf(name);
    enter.set(idx >= 0 ? idx : name, st.mode);
  }
  const after = first ? py.src.slice(first.to, fn.node.to) : '';
  return { enter, restores: /\.train\s*\(/.test(after) };
}

/** The statements that run before `target`: into a try, with or if body that holds it, stopping at it. */
function statementsBefore(py: PyFacts, stmts: SyntaxNode[], target: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (const s of stmts) {
    if (target.from < s.from || target.to > s.to) {
      out.push(s);
      continue;
    }
    const inner = children(s).find((c) => c.name === 'Body' && c.from <= target.from && target.to <= c.to);
    if (inner && (s.name === 'TryStatement' || s.name === 'WithStatement' || s.name === 'IfStatement'))
      out.push(...statementsBefore(py, blockOf(py, inner), target));
    break;
  }
  return out;
}

/** A class's `__enter__` as a context: `self.<attr>` modes mapped to the constructor's parameters. */
function classContext(py: PyFacts, cls: SyntaxNode, walk: Walk): ModeContext | null {
  const methods = new Map<string, SyntaxNode>();
  for (const def of within(py, 'FunctionDefinition', cls)) {
    // A method: in the class's body, decorated or not (node objects are made afresh: compare ranges).
    const owner = def.parent?.name === 'DecoratedStatement' ? def.parent.parent?.parent : def.parent?.parent;
    if (owner && owner.from === cls.from && owner.to === cls.to) methods.set(defName(py, def), def);
  }
  const enterDef = methods.get('__enter__');
  if (!enterDef) return null;
  // self.<attr> = <param> in __init__: which constructor argument each attribute holds.
  const attrParam = new Map<string, number>();
  const init = methods.get('__init__');
  if (init) {
    const params = paramList(py, init);
    for (const assign of within(py, 'AssignStatement', init)) {
      const [target, , value] = children(assign);
      const attr = /^self\.(\w+)$/.exec(py.text(target))?.[1];
      const idx = value?.name === 'VariableName' ? params.indexOf(py.text(value)) : -1;
      if (attr && idx > 0) attrParam.set(`self.${attr}`, idx - 1);
    }
  }
  const end = walk(bodyOf(py, enterDef), new Map());
  const enter = new Map<string | number, Mode>();
  for (const [name, st] of end) {
    const idx = attrParam.get(name);
    if (st.mode !== 'unknown' && idx !== undefined) enter.set(idx, st.mode);
  }
  const exitDef = methods.get('__exit__');
  return { enter, restores: exitDef !== undefined && /\.train\s*\(/.test(py.text(exitDef)) };
}

function paramList(py: PyFacts, def: SyntaxNode): string[] {
  const list = children(def).find((c) => c.name === 'ParamList');
  return list
    ? children(list)
        .filter((c) => c.name === 'VariableName')
        .map((c) => py.text(c))
    : [];
}

/**
 * The file's context-manager classes, by name, walked once before any summary: a function's summary and
 * report read them, so the summary cache's sequence holds them too (an edit to `__enter__` reaches callers).
 */
export function classContexts(py: PyFacts, walk: Walk): Map<string, ModeContext> {
  const out = new Map<string, ModeContext>();
  for (const cls of all(py, 'ClassDefinition')) {
    const name = defName(py, cls);
    if (out.has(name)) continue;
    const context = classContext(py, cls, walk);
    if (context) out.set(name, context);
  }
  return out;
}

/** The models a with statement's own context managers switch, for its body. */
export function enteredModes(py: PyFacts, withStmt: SyntaxNode): EnteredModes {
  const out: EnteredModes = { modes: [], restored: [] };
  for (const item of children(withStmt)) {
    if (item.name === 'Body') break;
    if (item.name !== 'CallExpression' || item.firstChild?.name !== 'VariableName') continue;
    const name = py.text(item.firstChild);
    const fn = py.functions.get(name);
    const context = fn?.context ?? py.classContexts.get(name);
    if (!context) continue;
    const a = args(py, item);
    for (const [key, mode] of context.enter) {
      const model = typeof key === 'number' ? modelOf(py, a?.positional[key]) : key;
      if (!model) continue;
      out.modes.push({ model, mode, call: item });
      if (context.restores) out.restored.push(model);
    }
  }
  return out;
}
