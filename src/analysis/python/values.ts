/**
 * The number a rate expression stands for, followed through the file: a literal, a module-level constant
 * assigned once, a parameter's default, a `self.` attribute assigned once in its class, and + - * / of
 * those. Each answer says where the number was written, so a finding can name it and a fix can edit it.
 */
import type { SyntaxNode } from '@lezer/common';
import type { Py } from './context';
import { children, defName, enclosing, literalNumber } from './syntax';
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

export function resolveNumber(py: Py, node: SyntaxNode, depth = 0): ResolvedNumber | undefined {
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

function arithmetic(py: Py, node: SyntaxNode, depth: number): ResolvedNumber | undefined {
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
function resolveName(py: Py, node: SyntaxNode, depth: number): ResolvedNumber | undefined {
  const name = py.text(node);
  const fn = enclosing(node, 'FunctionDefinition');
  if (fn) {
    const dflt = parameterDefault(py, fn, name);
    if (dflt === null) return undefined; // a parameter without a default: the caller decides
    if (dflt && !reassignedIn(py, fn, name)) {
      const r = resolveNumber(py, dflt, depth + 1);
      if (r) return { ...r, via: `the default of ${name}, ${round(r.value)}` };
    }
    if (reassignedIn(py, fn, name)) return undefined;
  }
  const constant = py.constants.get(name);
  if (!constant) return undefined;
  const r = resolveNumber(py, constant, depth + 1);
  return r
    ? { ...r, via: `${name} = ${round(r.value)}, line ${py.em.lines.position(constant.from).line + 1}` }
    : undefined;
}

/** `self.rate`: the one assignment to it in the enclosing class, read in its own method. */
function resolveAttribute(py: Py, node: SyntaxNode, depth: number): ResolvedNumber | undefined {
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
  return { ...r, via: `${match[0]} = ${round(r.value)}${where}` };
}

/** The default value of the function's parameter `name`; null when it has no default; undefined: not a parameter. */
function parameterDefault(py: Py, fn: SyntaxNode, name: string): SyntaxNode | null | undefined {
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

function reassignedIn(py: Py, fn: SyntaxNode, name: string): boolean {
  return within(py, 'AssignStatement', fn).some((a) =>
    children(a)
      .slice(0, -1)
      .some((t) => t.name === 'VariableName' && py.text(t) === name),
  );
}

/** Does the literal's line say it is a keep probability (a comment or the assigned name)? */
function documentsKeep(py: Py, literal: SyntaxNode): boolean {
  const lines = py.em.lines;
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
