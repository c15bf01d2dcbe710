/**
 * The number a rate expression stands for, followed through the file: a literal, a module-level constant
 * assigned once, a parameter's default, a `self.` attribute assigned once in its class, and + - * / of
 * those. Each answer says where the number was written, so a finding can name it and a fix can edit it.
 */
import type { SyntaxNode } from '@lezer/common';
import type { Py, PyFacts } from './context';
import { args, children, defName, enclosing, literalNumber, paramNames } from './syntax';
import { all, within } from './tree-index';

export interface ResolvedNumber {
  value: number;
  /** The literal the value was written as, when it is one literal (a fix may edit it). */
  literal?: SyntaxNode;
  /** How the value was reached, for the message ("DROP = 1.5, line 4"), or '' for a literal in place. */
  via: string;
  /** The literal's line documents it as a keep probability (`keep = 0.75  # probability to keep`). */
  documentedKeep: boolean;
}

const MAX_DEPTH = 6;

/** A name that says it holds a keep probability (keep_prob, keep_fraction, retain_p). */
const KEEP_NAME = /keep|retain/i;

/** Module-level names assigned exactly once, to a number literal. */
export function collectConstants(py: Py): void {
  const counts = new Map<string, number>();
  for (const assign of all(py, 'AssignStatement')) {
    if (assign.parent?.name !== 'Script') continue;
    const kids = children(assign);
    for (const target of kids.slice(0, -1))
      if (target.name === 'VariableName') counts.set(py.text(target), (counts.get(py.text(target)) ?? 0) + 1);
    const [target, op, value] = kids;
    if (kids.length !== 3 || target?.name !== 'VariableName' || op?.name !== 'AssignOp') continue;
    const n = literalNumber(py, value);
    if (n !== undefined && value) py.constants.set(py.text(target), value);
  }
  for (const [name, count] of counts) if (count > 1) py.constants.delete(name);
}

export function resolveNumber(py: PyFacts, node: SyntaxNode, depth = 0): ResolvedNumber | undefined {
  if (depth > MAX_DEPTH) return undefined;
  const literal = literalNumber(py, node);
  if (literal !== undefined) return { value: literal, literal: node, via: '', documentedKeep: documentsKeep(py, node) };
  if (node.name === 'ParenthesizedExpression') {
    const inner = children(node)[1];
    return inner ? resolveNumber(py, inner, depth + 1) : undefined;
  }
  if (node.name === 'BinaryExpression') return arithmetic(py, node, depth);
  if (node.name === 'VariableName') return resolveName(py, node, depth);
  if (node.name === 'MemberExpression') return resolveAttribute(py, node, depth);
  return undefined;
}

function arithmetic(py: PyFacts, node: SyntaxNode, depth: number): ResolvedNumber | undefined {
  const [left, op, right] = children(node);
  if (!left || !op || !right) return undefined;
  const a = resolveNumber(py, left, depth + 1);
  const b = resolveNumber(py, right, depth + 1);
  if (!a || !b) return undefined;
  const ops: Record<string, (x: number, y: number) => number> = {
    '+': (x, y) => x + y,
    '-': (x, y) => x - y,
    '*': (x, y) => x * y,
    '/': (x, y) => x / y,
  };
  const apply = Object.hasOwn(ops, py.text(op)) ? ops[py.text(op)] : undefined;
  const value = apply?.(a.value, b.value);
  if (value === undefined || !Number.isFinite(value)) return undefined;
  return { value, via: `${oneLine(py.text(node))} = ${round(value)}`, documentedKeep: false };
}

/** A parameter of the enclosing function (its default), else a module constant. */
function resolveName(py: PyFacts, node: SyntaxNode, depth: number): ResolvedNumber | undefined {
  const name = py.text(node);
  const fn = enclosing(node, 'FunctionDefinition');
  if (fn) {
    const dflt = parameterDefault(py, fn, name);
    // A parameter without a default: what every call of the function in this file passes, if they agree.
    if (dflt === null) return reassignedIn(py, fn, name) ? undefined : fromCallers(py, fn, name, depth);
    if (dflt && !reassignedIn(py, fn, name)) {
      const r = resolveNumber(py, dflt, depth + 1);
      if (r)
        return {
          ...r,
          via: `the default of ${name}, ${round(r.value)}`,
          documentedKeep: r.documentedKeep || KEEP_NAME.test(name),
        };
    }
    if (reassignedIn(py, fn, name)) return undefined;
  }
  const constant = py.constants.get(name);
  if (!constant) return undefined;
  const r = resolveNumber(py, constant, depth + 1);
  return r
    ? {
        ...r,
        via: `${name} = ${round(r.value)}, a module constant`,
        documentedKeep: r.documentedKeep || KEEP_NAME.test(name),
      }
    : undefined;
}

/** The value every call of `fn` in the file passes for its parameter `name`, when all calls agree. */
function fromCallers(py: PyFacts, fn: SyntaxNode, name: string, depth: number): ResolvedNumber | undefined {
  if (enclosing(fn, 'ClassDefinition')) return undefined;
  const index = paramNames(py, fn).indexOf(name);
  const fnName = defName(py, fn);
  const calls = rateCallers(py).get(fnName) ?? [];
  let out: ResolvedNumber | undefined;
  for (const call of calls) {
    const a = args(py, call);
    const arg = a?.keywords.get(name)?.value ?? a?.positional[index];
    const r = arg ? resolveNumber(py, arg, depth + 1) : undefined;
    if (!r || (out && out.value !== r.value)) return undefined;
    // No line number: a notebook's cells number their own lines, and the cache replays this wording when
    // only the caller moved.
    out = {
      value: r.value,
      via: `${name} = ${oneLine(py.text(arg))} (${round(r.value)}) from ${calls.length > 1 ? 'every call' : 'the call'} of ${fnName}()`,
      documentedKeep: (out?.documentedKeep ?? false) || r.documentedKeep,
    };
  }
  return out;
}

/**
 * Calls of the file's module-level functions that create dropout, by function name: a rate may come from
 * their arguments (the cache key of the creation pass holds their text, see globalKey1).
 */
export function rateCallers(py: PyFacts): Map<string, SyntaxNode[]> {
  if (py.rateCallerMemo.calls) return py.rateCallerMemo.calls;
  const names = new Set(
    [...py.functions.values()].filter((f) => !f.cls && /dropout/i.test(py.text(f.node))).map((f) => f.name),
  );
  const out = new Map<string, SyntaxNode[]>();
  if (names.size > 0)
    for (const call of all(py, 'CallExpression')) {
      const callee = call.firstChild;
      if (callee?.name !== 'VariableName' || !names.has(py.text(callee))) continue;
      const list = out.get(py.text(callee)) ?? [];
      list.push(call);
      out.set(py.text(callee), list);
    }
  py.rateCallerMemo.calls = out;
  return out;
}

/** `self.rate`: the one assignment to it in the enclosing class, read in its own method. */
function resolveAttribute(py: PyFacts, node: SyntaxNode, depth: number): ResolvedNumber | undefined {
  const match = /^self\.(\w+)$/.exec(py.text(node));
  const cls = enclosing(node, 'ClassDefinition');
  if (!match || !cls) return undefined;
  const assigned = within(py, 'AssignStatement', cls).filter((a) => {
    const kids = children(a);
    return kids.length === 3 && py.text(kids[0]) === match[0];
  });
  const [only] = assigned;
  const value = only ? children(only)[2] : undefined;
  if (assigned.length !== 1 || !value) return undefined;
  const r = resolveNumber(py, value, depth + 1);
  if (!r) return undefined;
  const method = enclosing(only!, 'FunctionDefinition');
  const where = method ? ` in ${defName(py, method)}()` : '';
  return {
    ...r,
    via: `${match[0]} = ${round(r.value)}${where}`,
    documentedKeep: r.documentedKeep || KEEP_NAME.test(match[1]!),
  };
}

/** The default value of the function's parameter `name`; null when it has no default; undefined: not a parameter. */
function parameterDefault(py: PyFacts, fn: SyntaxNode, name: string): SyntaxNode | null | undefined {
  const list = children(fn).find((c) => c.name === 'ParamList');
  if (!list) return undefined;
  const kids = children(list);
  for (const [i, k] of kids.entries()) {
    if (k.name !== 'VariableName' || py.text(k) !== name) continue;
    let j = i + 1;
    if (kids[j]?.name === 'TypeDef') j++;
    return kids[j]?.name === 'AssignOp' ? (kids[j + 1] ?? null) : null;
  }
  return undefined;
}

function reassignedIn(py: PyFacts, fn: SyntaxNode, name: string): boolean {
  return within(py, 'AssignStatement', fn).some((a) =>
    children(a)
      .slice(0, -1)
      .some((t) => t.name === 'VariableName' && py.text(t) === name),
  );
}

/** Does the literal's line say it is a keep probability (a comment or the assigned name)? */
function documentsKeep(py: PyFacts, literal: SyntaxNode): boolean {
  const lines = py.lines;
  const line = lines.position(literal.from).line;
  const text = py.src.slice(lines.lineStart(line), lines.lineEnd(line));
  const comment = text.indexOf('#');
  return comment >= 0 && /\bkeep|retain|retention/i.test(text.slice(comment));
}

function round(x: number): string {
  return String(Math.round(x * 1e6) / 1e6);
}

function oneLine(code: string): string {
  return code.replace(/\s+/g, ' ');
}
