/**
 * The pass runner's state for one analysis: the units (top-level statements) the cache is kept by, the keys
 * of the global facts each stage of passes reads, and the replay or recording of what each unit's part of a
 * pass produced. Passes ask it for their unit's old results; nothing about reuse lives in the facts (Py).
 * How units are keyed and when a stage's results may be replayed: see reuse.ts.
 */
import type { SyntaxNode } from '@lezer/common';
import type { Emitter } from '../ops';
import type { ClassInfo, PyFacts } from './context';
import { defName } from './syntax';
import { DEFAULT_ALIASES } from './names';
import { all } from './tree-index';
import { decodeEmission, encodeEmission } from './reuse';
import type { CacheRun, ClassRecord, Emission, PythonCache, ReuseStats, Unit } from './cache';

const DEF_UNITS = new Set(['FunctionDefinition', 'ClassDefinition', 'DecoratedStatement']);

/** The stages whose global facts are keyed: k1 after the tables, k2 after the models, k3 after the module's flow. */
export type Stage = 'k1' | 'k2' | 'k3';

export class PassRunner {
  readonly units: Unit[] = [];
  readonly prev: CacheRun | null;
  readonly keys = { kc: '', k1: '', k2: '', k3: '' };
  /** Per stage: the global facts the following passes read equal those of the cached run. */
  private readonly same = { k1: false, k2: false, k3: false };
  /** Summaries of the functions in order (serialized), for the prefix check of the summary cache. */
  readonly seq: string[] = [];
  readonly reuse: ReuseStats = {
    units: 0,
    cacheable: 0,
    classes: 0,
    creations: 0,
    chains: 0,
    models: 0,
    summaries: 0,
    reports: 0,
  };

  constructor(readonly cache: PythonCache | undefined) {
    this.prev = cache?.prev ?? null;
    if (cache) cache.stats = { ...this.reuse };
  }

  /** Are the global facts of `stage` (and of every stage before it) those of the cached run? */
  unchanged(stage: Stage): boolean {
    return this.same[stage];
  }

  /**
   * Keys a stage by the global facts its passes read (`key` is only asked for with a cache). `extra` false
   * turns reuse off from this stage on (a duplicate class name).
   */
  settle(stage: Stage, key: () => string, extra = true): void {
    if (this.cache) this.keys[stage] = key();
    const before = stage === 'k1' ? !!this.prev : stage === 'k2' ? this.same.k1 : this.same.k2;
    this.same[stage] = before && extra && this.keys[stage] === this.prev?.[stage];
  }

  /** The units of the tree: each top-level statement, keyed when it is a definition that starts a line. */
  buildUnits(py: PyFacts): void {
    const lines = py.lines;
    const seen = new Set<string>();
    let dup = false;
    let ci = 0;
    const comments = py.comments;
    for (let n = py.tree.topNode.firstChild; n; n = n.nextSibling) {
      let key: string | null = null;
      if (this.cache && DEF_UNITS.has(n.name)) {
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
      this.units.push({
        node: n,
        from: n.from,
        to: n.to,
        key,
        old: key !== null && this.prev ? this.prev.units.get(key) : undefined,
        entry: {},
      });
    }
    if (dup) this.uncacheAll();
  }

  private uncacheAll(): void {
    for (const u of this.units) {
      u.key = null;
      u.old = undefined;
    }
  }

  /**
   * A class name defined twice: forward() of the second reads the first's attributes (see analyzeChains), so
   * then nothing is reused or kept in this analysis. Returns whether that is so.
   */
  duplicateClass(py: PyFacts): boolean {
    const classNames = new Set<string>();
    let dupClass = false;
    if (this.cache)
      for (const c of all(py, 'ClassDefinition')) {
        const name = defName(py, c);
        if (classNames.has(name)) dupClass = true;
        classNames.add(name);
      }
    if (dupClass) this.uncacheAll();
    return dupClass;
  }

  /** The cacheable unit a node is in, or null. */
  unitOf(n: SyntaxNode): Unit | null {
    const units = this.units;
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

  /** Every unit with its items (items in document order; `fromOf` gives a start offset inside the item's unit). */
  groupByUnit<T>(items: readonly T[], fromOf: (t: T) => number): { unit: Unit; items: T[] }[] {
    const out = this.units.map((unit) => ({ unit, items: [] as T[] }));
    let ui = 0;
    for (const it of items) {
      const at = fromOf(it);
      for (let next = out[ui + 1]; next && out[ui]!.unit.to <= at && next.unit.from <= at; next = out[ui + 1]) ui++;
      out[ui]?.items.push(it);
    }
    return out;
  }

  /**
   * Class records replayed this time: the unit's text and the class context (imports, TF1 style, the model
   * classes and their frameworks) are unchanged. Class bodies are classified before the function names are
   * known; a function named like a default alias (nn, F, ...) would classify differently later, so then
   * nothing is reused (a replayed class leaves its calls unclassified until a later pass needs them).
   */
  classRecords(py: PyFacts, classes: Iterable<ClassInfo>): Map<ClassInfo, ClassRecord> {
    const out = new Map<ClassInfo, ClassRecord>();
    if (!this.cache) return out;
    this.keys.kc = JSON.stringify([
      [...py.imports],
      py.tf1Style,
      [...py.classes.values()].map((c) => [c.name, c.framework]),
    ]);
    if (!this.prev || this.prev.kc !== this.keys.kc) return out;
    for (const fn of all(py, 'FunctionDefinition')) if (DEFAULT_ALIASES.has(defName(py, fn))) return out;
    for (const info of classes) {
      const u = this.unitOf(info.node);
      const rec = u?.old?.classes?.[info.name];
      if (!u || !rec) continue;
      out.set(info, rec);
      (u.entry.classes ??= {})[info.name] = rec;
      this.reuse.classes++;
    }
    return out;
  }

  /** Replays emissions recorded for a unit through the emitter (same order, same de-duplication). */
  replay(em: Emitter, u: Unit, emissions: readonly Emission[]): void {
    for (const e of emissions) decodeEmission(em, u.from, e);
  }

  /** Runs `run` with every emission recorded for unit `u` (when it is cacheable), and returns them. */
  record(em: Emitter, u: Unit, run: () => void): Emission[] | null {
    if (u.key === null) {
      run();
      return null;
    }
    const out: Emission[] = [];
    em.tap = (rule, at, message, fixes, related) => out.push(encodeEmission(u.from, rule, at, message, fixes, related));
    try {
      run();
    } finally {
      em.tap = null;
    }
    return out;
  }

  /** Runs one unit's part of a findings-only pass, or replays what it emitted last time when `stage` is unchanged. */
  cachedEmissions(em: Emitter, u: Unit, slot: 'creations' | 'chains', stage: Stage, run: () => void): void {
    const old = u.old?.[slot];
    if (this.same[stage] && old) {
      this.replay(em, u, old);
      u.entry[slot] = old;
      this.reuse[slot]++;
      return;
    }
    const out = this.record(em, u, run);
    if (out) u.entry[slot] = out;
  }

  /** Keeps this analysis's results for the next one. */
  save(): void {
    if (!this.cache) return;
    const units = new Map<string, Unit['entry']>();
    for (const u of this.units) if (u.key !== null) units.set(u.key, u.entry);
    this.cache.prev = { ...this.keys, units, seq: this.seq };
    this.cache.stats = { ...this.reuse, units: this.units.length, cacheable: units.size };
  }
}
