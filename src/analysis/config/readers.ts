/**
 * Typed readers over a YAML (or JSON) document for the model-config parser: each reads one value, and on a
 * wrong one reports a finding with the exact range and what it got instead, then returns a default.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, type Node as YNode, type Pair } from 'yaml';
import type { Finding, RuleId, Severity } from '../../protocol/findings';
import { LineMap } from '../text';

/** Source positions of parsed layers, for the config rules. */
export interface ConfigLocations {
  /** Offsets [start, end] of each layer item. */
  layers: [number, number][];
  /** Offsets of each dropout layer's rate value (or the layer item when absent). */
  rates: Map<number, [number, number]>;
  /** Offsets of each dense layer's units value, by layer index. */
  units: Map<number, [number, number]>;
  /** Offsets of each spatial dropout's `shape` value, by layer index. */
  shapes: Map<number, [number, number]>;
  /** Offsets of model.input's value, when written and valid. */
  input?: [number, number];
  /** Offsets of data.shape, when written and valid. */
  dataShape?: [number, number];
  evaluationMode?: [number, number];
  evaluation?: [number, number];
}

export type Any = YNode | null | undefined;

export class Ctx {
  findings: Finding[] = [];
  lines: LineMap;
  locations: ConfigLocations = { layers: [], rates: new Map(), units: new Map(), shapes: new Map() };
  constructor(readonly text: string) {
    this.lines = new LineMap(text);
  }
  span(node: Any, fallback: [number, number] = [0, 0]): [number, number] {
    const r = node && (node as { range?: [number, number, number] }).range;
    if (!r) return fallback;
    return [r[0], Math.max(r[0], r[1])];
  }
  report(rule: RuleId, at: [number, number], message: string, severity: Severity = 'error'): void {
    let [from, to] = at;
    if (to <= from) {
      // Give empty ranges one visible character (or the rest of the line).
      const pos = this.lines.position(from);
      to = Math.max(from, Math.min(this.lines.lineEnd(pos.line), from + 1));
      if (to === from && from > 0) from -= 1;
    }
    this.findings.push({ rule, severity, range: this.lines.range(from, to), message, fixes: [] });
  }
  invalid(node: Any, message: string, fallback?: [number, number]): void {
    this.report('invalid-config', this.span(node, fallback), message);
  }
}

export function describe(node: Any): string {
  if (node === null || node === undefined) return 'nothing';
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (isAlias(node)) return 'an alias';
  if (isScalar(node)) {
    const v = node.value;
    if (v === null) return 'null';
    if (typeof v === 'string') return `the string ${JSON.stringify(v)}`;
    if (typeof v === 'number') return `the number ${v}`;
    if (typeof v === 'boolean') return `${v}`;
    return JSON.stringify(v) ?? typeof v;
  }
  return 'an unknown value';
}

export function keyName(pair: Pair): string {
  const k = pair.key as Any;
  if (isScalar(k)) return String(k.value);
  return '';
}

/** Reads a mapping, reporting unknown and duplicate keys. Returns key -> pair. */
export function readMap(
  ctx: Ctx,
  node: Any,
  where: string,
  allowed: readonly string[],
  parentSpan?: [number, number],
): Map<string, Pair> | undefined {
  if (!isMap(node)) {
    ctx.invalid(node, `${where} must be a mapping, got ${describe(node)}.`, parentSpan);
    return undefined;
  }
  const out = new Map<string, Pair>();
  for (const item of node.items) {
    if (!isPair(item)) continue;
    const name = keyName(item);
    const keySpan = ctx.span(item.key as Any, ctx.span(node));
    if (!allowed.includes(name)) {
      const close = allowed.find((a) => a.toLowerCase() === name.toLowerCase());
      ctx.report(
        'invalid-config',
        keySpan,
        `Unknown key "${name}" in ${where}${close ? ` (did you mean "${close}"?)` : ''}. Allowed keys: ${allowed.join(', ')}.`,
      );
      continue;
    }
    if (out.has(name)) {
      ctx.report('invalid-config', keySpan, `Duplicate key "${name}" in ${where}.`);
      continue;
    }
    out.set(name, item);
  }
  return out;
}

export function valueOf(pair: Pair | undefined): Any {
  return pair?.value as Any;
}

export function pairSpan(ctx: Ctx, pair: Pair): [number, number] {
  return ctx.span(pair.value as Any, ctx.span(pair.key as Any));
}

export interface NumOpts {
  integer?: boolean;
  min?: number;
  max?: number;
  exclusiveMin?: number;
  exclusiveMax?: number;
}

export function readNumber(ctx: Ctx, pair: Pair | undefined, where: string, def: number, opts: NumOpts = {}): number {
  if (!pair) return def;
  const node = valueOf(pair);
  const at = pairSpan(ctx, pair);
  if (!isScalar(node) || typeof node.value !== 'number' || !Number.isFinite(node.value)) {
    ctx.report(
      'invalid-config',
      at,
      `${where} must be a ${opts.integer ? 'whole number' : 'number'}, got ${describe(node)}.`,
    );
    return def;
  }
  const v = node.value;
  if (opts.integer && !Number.isInteger(v))
    ctx.report('invalid-config', at, `${where} must be a whole number, got ${v}.`);
  else if (opts.min !== undefined && v < opts.min)
    ctx.report('invalid-config', at, `${where} must be at least ${opts.min}, got ${v}.`);
  else if (opts.max !== undefined && v > opts.max)
    ctx.report('invalid-config', at, `${where} must be at most ${opts.max}, got ${v}.`);
  else if (opts.exclusiveMin !== undefined && v <= opts.exclusiveMin)
    ctx.report('invalid-config', at, `${where} must be greater than ${opts.exclusiveMin}, got ${v}.`);
  else if (opts.exclusiveMax !== undefined && v >= opts.exclusiveMax)
    ctx.report('invalid-config', at, `${where} must be less than ${opts.exclusiveMax}, got ${v}.`);
  return v;
}

export function readRate(ctx: Ctx, node: Any, at: [number, number], where: string): number {
  if (!isScalar(node) || typeof node.value !== 'number' || !Number.isFinite(node.value)) {
    ctx.report('invalid-config', at, `${where} must be a number in [0, 1), got ${describe(node)}.`);
    return 0;
  }
  const v = node.value;
  if (v < 0 || v >= 1) {
    ctx.report(
      'dropout-rate-out-of-range',
      at,
      v >= 1
        ? `${where} is ${v}: a drop rate of 1 or more drops every unit, so the layer outputs zeros (or the run fails). Use a drop probability in [0, 1), e.g. 0.5${v >= 5 && v <= 100 ? ` (if ${v} is a percentage, write ${v / 100})` : ''}.`
        : `${where} is ${v}: a negative drop rate is not a probability and training cannot run. Use a drop probability in [0, 1).`,
    );
  }
  return v;
}

export function readEnum<T extends string>(
  ctx: Ctx,
  pair: Pair | undefined,
  where: string,
  values: readonly T[],
  def: T,
): T {
  if (!pair) return def;
  const node = valueOf(pair);
  if (!isScalar(node) || typeof node.value !== 'string' || !values.includes(node.value as T)) {
    ctx.report(
      'invalid-config',
      pairSpan(ctx, pair),
      `${where} must be one of ${values.join(', ')}, got ${describe(node)}.`,
    );
    return def;
  }
  return node.value as T;
}

export function readBool(ctx: Ctx, pair: Pair | undefined, where: string, def: boolean): boolean {
  if (!pair) return def;
  const node = valueOf(pair);
  if (!isScalar(node) || typeof node.value !== 'boolean') {
    ctx.report('invalid-config', pairSpan(ctx, pair), `${where} must be true or false, got ${describe(node)}.`);
    return def;
  }
  return node.value;
}

export function readString(ctx: Ctx, pair: Pair | undefined, where: string): string | undefined {
  if (!pair) return undefined;
  const node = valueOf(pair);
  if (!isScalar(node) || typeof node.value !== 'string' || node.value.length === 0) {
    ctx.report('invalid-config', pairSpan(ctx, pair), `${where} must be a non-empty string, got ${describe(node)}.`);
    return undefined;
  }
  return node.value;
}

/**
 * A structural mistake since the given count of findings. An out-of-range rate is not one: the layer is still
 * read (the config cannot train, but the other rules see it).
 */
export function invalidSince(ctx: Ctx, count: number): boolean {
  return ctx.findings.slice(count).some((f) => f.rule === 'invalid-config');
}
