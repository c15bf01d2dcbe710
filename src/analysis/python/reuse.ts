/**
 * Reuse across analyses (DocumentAnalyzer): the per-document cache, the units it is kept by, and the
 * recording and replay of what each unit's passes produced.
 */
import type { SyntaxNode } from '@lezer/common';
import type { RuleId } from '../../protocol/findings';
import type { EmitFix, EmitRelated, Op } from '../ops';
import type { ClassInfo, Py } from './context';
import { defName } from './syntax';
import { DEFAULT_ALIASES } from './names';
import { all, within } from './tree-index';
import { rateCallers } from './values';
import type { ClassRecord, Emission, Unit, UnitEntry } from './cache';

// A unit is one top-level statement. A definition (function, class, decorated definition) starting a line
// is cacheable: what its part of a pass produced (emit() calls, call-site records, function summaries) is
// kept, keyed by its text (to the end of its last line, whether that is the end of the file, and the
// comments in the two lines above it, which hasMcIntent() reads), and replayed in the next analysis when
// the global facts that pass reads are unchanged too:
//   - creations, chains and model facts: imports, TF1 style, Keras use, the model classes, the function
//     names (k1);
//   - function summaries: k1, the model names and sensitivity, trained models, the function table (k2),
//     and the summaries of the functions before (their effects are visible to the calls that follow);
//   - reports: k2, every summary and the module code's end state (k3), and the call sites recorded for
//     the unit's functions so far.
// Offsets at or after the unit's start are kept relative to it, others absolute. Offsets elsewhere come
// only from eval origins in module code (in k3, absolute), and then a report is reused only at the same
// place. Duplicate class names (a forward() reads the attributes of the first class of its name) or
// duplicate units turn reuse off for that analysis. Replays go through the same Emitter (same order, same
// de-duplication) as a fresh computation.

const DEF_UNITS = new Set(['FunctionDefinition', 'ClassDefinition', 'DecoratedStatement']);

export function buildUnits(py: Py): void {
  const lines = py.em.lines;
  const cache = py.cache;
  const prev = cache?.prev ?? null;
  const seen = new Set<string>();
  let dup = false;
  let ci = 0;
  const comments = py.comments;
  for (let n = py.tree.topNode.firstChild; n; n = n.nextSibling) {
    let key: string | null = null;
    if (cache && DEF_UNITS.has(n.name)) {
      const line = lines.position(n.from).line;
      if (lines.lineStart(line) === n.from) {
        const lastEnd = lines.lineEnd(lines.position(n.to).line);
        const above = lines.lineStart(Math.max(0, line - 2));
        while ((comments[ci]?.from ?? Infinity) < above) ci++;
        let cs = '';
        for (let k = ci, c = comments[k]; c && c.from < n.from; c = comments[++k])
          if (c.to <= n.from) cs += `${c.from - n.from}:${c.to - n.from}:${c.text}\n`;
        key = `${n.name}\n${lastEnd >= py.src.length}\n${cs}\n${py.src.slice(n.from, Math.min(py.src.length, lastEnd + 1))}`;
        if (seen.has(key)) dup = true;
        seen.add(key);
      }
    }
    py.units.push({
      node: n,
      from: n.from,
      to: n.to,
      key,
      old: key !== null && prev ? prev.units.get(key) : undefined,
      entry: {},
    });
  }
  if (dup) uncacheAll(py);
}

function uncacheAll(py: Py): void {
  for (const u of py.units) {
    u.key = null;
    u.old = undefined;
  }
}

/** The cacheable unit a node is in, or null. */
export function unitOf(py: Py, n: SyntaxNode): Unit | null {
  const units = py.units;
  let lo = 0;
  let hi = units.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (units[mid]!.from <= n.from) lo = mid;
    else hi = mid - 1;
  }
  const u = units[lo];
  return u && u.key !== null && u.from <= n.from && n.to <= u.to ? u : null;
}

/**
 * Class records replayed this time: the unit's text and the class context (imports, TF1 style, the model
 * classes and their frameworks) are unchanged. Class bodies are classified before the function names are
 * known; a function named like a default alias (nn, F, ...) would classify differently later, so then
 * nothing is reused (a replayed class leaves its calls unclassified until a later pass needs them).
 */
export function classRecords(py: Py): Map<ClassInfo, ClassRecord> {
  const out = new Map<ClassInfo, ClassRecord>();
  if (!py.cache) return out;
  py.keys.kc = JSON.stringify([
    [...py.imports],
    py.tf1Style,
    [...py.classes.values()].map((c) => [c.name, c.framework]),
  ]);
  const prev = py.cache.prev;
  if (!prev || prev.kc !== py.keys.kc) return out;
  for (const fn of all(py, 'FunctionDefinition')) if (DEFAULT_ALIASES.has(defName(py, fn))) return out;
  for (const info of py.classes.values()) {
    const u = unitOf(py, info.node);
    const rec = u?.old?.classes?.[info.name];
    if (!u || !rec) continue;
    out.set(info, rec);
    (u.entry.classes ??= {})[info.name] = rec;
    py.reuse.classes++;
  }
  return out;
}

export function encodeAttrs(attrs: Map<string, Op[]>, base: number): [string, Op[]][] {
  const enc = (o: number): number => (o >= base ? o - base : -o - 1);
  return [...attrs].map(([k, ops]) => [k, ops.map((op) => mapOp(op, enc))]);
}

export function decodeAttrs(attrs: [string, Op[]][], base: number): Map<string, Op[]> {
  const dec = (o: number): number => (o >= 0 ? o + base : -o - 1);
  return new Map(attrs.map(([k, ops]) => [k, ops.map((op) => mapOp(op, dec))]));
}

function mapOp(op: Op, f: (o: number) => number): Op {
  return {
    ...op,
    at: [f(op.at[0]), f(op.at[1])],
    ...(op.rateAt ? { rateAt: [f(op.rateAt[0]), f(op.rateAt[1])] as [number, number] } : {}),
    ...(op.remove ? { remove: op.remove.map((e) => ({ from: f(e.from), to: f(e.to), insert: e.insert })) } : {}),
  };
}

/** Every unit with its items (items in document order; `fromOf` gives a start offset inside the item's unit). */
export function groupByUnit<T>(py: Py, items: readonly T[], fromOf: (t: T) => number): { unit: Unit; items: T[] }[] {
  const out = py.units.map((unit) => ({ unit, items: [] as T[] }));
  let ui = 0;
  for (const it of items) {
    const at = fromOf(it);
    for (let next = out[ui + 1]; next && out[ui]!.unit.to <= at && next.unit.from <= at; next = out[ui + 1]) ui++;
    out[ui]?.items.push(it);
  }
  return out;
}

export function encodeEmission(
  base: number,
  rule: RuleId,
  at: [number, number],
  message: string,
  fixes: EmitFix[],
  related: EmitRelated[] = [],
): Emission {
  const enc = (o: number): number => (o >= base ? o - base : -o - 1);
  return {
    ...(related.length > 0
      ? { related: related.map((r) => ({ at: [enc(r.at[0]), enc(r.at[1])], message: r.message })) }
      : {}),
    rule,
    at: [enc(at[0]), enc(at[1])],
    message,
    fixes: fixes.map((f) => ({
      title: f.title,
      ...(f.preferred ? { preferred: true } : {}),
      edits: f.edits.map((e) => ({ from: enc(e.from), to: enc(e.to), insert: e.insert })),
    })),
  };
}

export function replay(py: Py, u: Unit, emissions: Emission[]): void {
  const base = u.from;
  const dec = (o: number): number => (o >= 0 ? o + base : -o - 1);
  for (const e of emissions)
    py.em.emit(
      e.rule,
      [dec(e.at[0]), dec(e.at[1])],
      e.message,
      e.fixes.map((f) => ({
        title: f.title,
        ...(f.preferred ? { preferred: true } : {}),
        edits: f.edits.map((x) => ({ from: dec(x.from), to: dec(x.to), insert: x.insert })),
      })),
      (e.related ?? []).map((r) => ({ at: [dec(r.at[0]), dec(r.at[1])], message: r.message })),
    );
}

/** Runs one unit's part of a findings-only pass, or replays what it emitted last time. */
export function cachedEmissions(py: Py, u: Unit, slot: 'creations' | 'chains', same: boolean, run: () => void): void {
  const old = u.old?.[slot];
  if (same && old) {
    replay(py, u, old);
    u.entry[slot] = old;
    py.reuse[slot]++;
    return;
  }
  if (u.key === null) return run();
  const out: Emission[] = [];
  py.em.tap = (rule, at, message, fixes, related) =>
    out.push(encodeEmission(u.from, rule, at, message, fixes, related));
  try {
    run();
  } finally {
    py.em.tap = null;
  }
  u.entry[slot] = out;
}

export function globalKey1(py: Py): string {
  return JSON.stringify([
    [...py.imports],
    py.tf1Style,
    py.usesKeras,
    py.usesTorch,
    [...py.classes.values()].map((c) => [c.name, c.framework, c.sensitive, c.usedAsSubmodule, c.mc]),
    [...py.functions.keys()],
    // A model may be made by a function of another unit (`model = build()`): its returns are read.
    [...py.functions.values()].filter((f) => !f.cls).map((f) => modelReturnsText(py, f.node)),
    // A rate may be a parameter that the calls of its function pass.
    [...rateCallers(py).values()].flat().map((c) => py.text(c)),
    // A rate may name a constant of another unit; its message names the constant's line.
    [...py.constants].map(([name, node]) => [name, py.text(node), py.em.lines.position(node.from).line]),
  ]);
}

export function globalKey2(py: Py): string {
  return JSON.stringify([
    [...py.modelNames],
    [...py.modelSensitive],
    py.defaultSensitive,
    [...py.hfTrainerModels],
    [...py.trainedModels],
    [...py.functions.values()].map((f) => [
      f.name,
      f.params,
      f.cls?.name ?? null,
      f.cls?.framework ?? null,
      f.mc,
      f.inference,
    ]),
  ]);
}

export function saveRun(py: Py): void {
  if (!py.cache) return;
  const units = new Map<string, UnitEntry>();
  for (const u of py.units) if (u.key !== null) units.set(u.key, u.entry);
  py.cache.prev = { ...py.keys, units, seq: py.seq };
  py.cache.stats = { ...py.reuse, units: py.units.length, cacheable: units.size };
}

/**
 * A class name defined twice: forward() of the second reads the first's attributes (see analyzeChains), so
 * then nothing is reused or kept in this analysis. Returns whether that is so.
 */
export function duplicateClass(py: Py): boolean {
  const classNames = new Set<string>();
  let dupClass = false;
  if (py.cache)
    for (const c of all(py, 'ClassDefinition')) {
      const name = defName(py, c);
      if (classNames.has(name)) dupClass = true;
      classNames.add(name);
    }
  if (dupClass) uncacheAll(py);
  return dupClass;
}

/** The text of a module-level function's returns, which decide whether calling it makes a model. */
function modelReturnsText(py: Py, def: SyntaxNode): string {
  return within(py, 'ReturnStatement', def)
    .map((r) => py.text(r))
    .join('\n');
}
