/**
 * The mode-flow pass (missing-eval, missing-train-after-eval, pretrained-never-trained-mode): function
 * summaries first, then the module code, then each function's report.
 */
import type { SyntaxNode } from '@lezer/common';
import type { FnInfo, Py, State } from './context';
import { children, defName, enclosing } from './syntax';
import { within } from './tree-index';
import { bodyOf } from './bodies';
import { classContexts, generatorContext, isContextManagerFn } from './modeContexts';
import { callFacts } from './callFacts';
import { type Flow, FlowWalker } from './walker';
import { enclosingStatement } from './insertions';
import type { PassRunner } from './runner';
import type { FnSummary, Site, Unit } from './cache';
import type { FlowRule } from './rules/types';

function summarize(py: Py, run: PassRunner, walker: FlowWalker, fnsByUnit: { unit: Unit; items: FnInfo[] }[]): void {
  walker.reporting = false;
  const prevSeq = run.prev?.seq;
  py.classContexts = classContexts(py, (stmts, state) =>
    walker.walk(stmts, state, { loops: [], mc: false, depth: 0, reported: new Set() }),
  );
  if (run.cache)
    for (const [name, c] of py.classContexts) run.seq.push(JSON.stringify([name, [...c.enter], c.restores]));
  // The summaries before this unit's equal those of the cached run at the same places.
  let prefixSame = !!prevSeq && run.seq.every((s, i) => prevSeq[i] === s);
  for (const { unit: u, items: fns } of fnsByUnit) {
    if (fns.length === 0) continue;
    const at = run.seq.length;
    const names = fns.map((f) => f.name).join(',');
    const old = u.old?.summary;
    if (run.unchanged('k2') && prefixSame && old && old.at === at && old.names === names) {
      // Same names in the same order: one summary per function.
      fns.forEach((fn, i) => {
        const sum = old.sums[i];
        if (!sum) return;
        fn.effects = new Map(sum.effects.map(([k, mode]) => [k, { mode }]));
        for (const p of sum.trains) fn.trainsParams.add(p);
        fn.inferenceUses = new Map((sum.uses ?? []).map(([i, from, to, reason]) => [i, { from, to, reason }]));
        fn.runUses = new Map((sum.runs ?? []).map(([i, from, to]) => [i, { from, to }]));
        if (sum.context) fn.context = { enter: new Map(sum.context.enter), restores: sum.context.restores };
      });
      for (const [f, i, m] of old.sites) walker.recordSite(f, i, m);
      u.entry.summary = old;
      run.reuse.summaries++;
    } else {
      const sites: Site[] = [];
      walker.siteTap = sites;
      for (const fn of fns) summarizeOne(py, walker, fn);
      walker.siteTap = null;
      if (u.key !== null) u.entry.summary = { at, names, sums: fns.map(summaryOf), sites };
    }
    if (!run.cache) continue;
    for (const fn of fns) {
      const i = run.seq.length;
      run.seq.push(JSON.stringify(summaryOf(fn)));
      if (!prevSeq || prevSeq[i] !== run.seq[i]) prefixSame = false;
    }
  }
}

function summaryOf(fn: FnInfo): FnSummary {
  const summary: FnSummary = { effects: [...fn.effects].map(([k, v]) => [k, v.mode]), trains: [...fn.trainsParams] };
  if (fn.inferenceUses.size > 0)
    summary.uses = [...fn.inferenceUses].map(([i, use]) => [i, use.from, use.to, use.reason]);
  if (fn.runUses.size > 0) summary.runs = [...fn.runUses].map(([i, use]) => [i, use.from, use.to]);
  if (fn.context) summary.context = { enter: [...fn.context.enter], restores: fn.context.restores };
  return summary;
}

function summarizeOne(py: Py, walker: FlowWalker, fn: FnInfo): void {
  if (isContextManagerFn(py, fn))
    fn.context = generatorContext(py, fn, (stmts, state) =>
      walker.walk(stmts, state, { fn, loops: [], mc: fn.mc, depth: 0, reported: new Set() }),
    );
  const entry: State = new Map();
  fn.inferenceUses = new Map();
  fn.runUses = new Map();
  const flow: Flow = {
    fn,
    loops: [],
    mc: fn.mc,
    depth: 0,
    reported: new Set(),
    ...(fn.inference ? { inference: { anchor: fn.node, reason: `in ${fn.name}()` } } : {}),
  };
  const end = walker.walk(bodyOf(py, fn.node), entry, flow);
  fn.effects = new Map();
  for (const [k, v] of end) {
    if (v.mode === 'unknown') continue;
    const idx = fn.params.indexOf(k);
    fn.effects.set(idx >= 0 ? idx : k, v);
  }
  // Does it train a model parameter?
  const calls = within(py, 'CallExpression', fn.node);
  const firstStep = calls.find((c) => callFacts(py, c).trainingStep);
  if (firstStep) {
    const called = new Set(calls.map((c) => callFacts(py, c).calleeDotted));
    // A model the function switches to train() before its first training step is trained in train mode,
    // whatever mode its caller left it in (a per-epoch helper that begins with model.train()).
    const switchedFirst = new Set(
      calls
        .filter(
          (c) => c.from < firstStep.from && callFacts(py, c).method === 'train' && !/False\s*\)$/.test(py.text(c)),
        )
        .map((c) => callFacts(py, c).objModel),
    );
    fn.params.forEach((p, i) => {
      if (py.modelNames.has(p) && called.has(p) && !switchedFirst.has(p)) fn.trainsParams.add(i);
    });
    // A model the function reaches without a parameter (`self.model`, a module-level `model`) is trained too.
    for (const m of py.modelNames)
      if (!fn.params.includes(m) && called.has(m) && !switchedFirst.has(m)) fn.trainsParams.add(m);
  }
}

export function analyzeFlow(py: Py, run: PassRunner, rules: readonly FlowRule[]): void {
  // Train/eval modes are PyTorch's: MXNet and Keras models have none to switch.
  if (!py.usesTorch) return;
  const walker = new FlowWalker(py, rules);
  const fnsByUnit = run.groupByUnit([...py.functions.values()], (f) => f.node.from);
  summarize(py, run, walker, fnsByUnit);
  // summarize() recorded call sites inside functions; the module walk records the rest, then functions report.
  walker.reporting = true;
  const top: State = new Map();
  const topEnd = walker.walk(children(py.tree.topNode), top, { loops: [], mc: false, depth: 0, reported: new Set() });
  // What every function's report reads besides its own text: the summaries and the module's end state.
  const originAt: string[] = [];
  const topKey = !run.cache
    ? []
    : [...topEnd].map(([m, st]) => {
        const o = st.origin;
        if (!o) return [m, st.mode];
        const stmt = enclosingStatement(o.node);
        const lines = py.em.lines;
        const first = lines.position(stmt.from).line;
        const last = lines.position(stmt.to).line;
        originAt.push(m);
        return [
          m,
          st.mode,
          o.kind,
          o.node.from,
          o.node.to,
          stmt.from,
          stmt.to,
          lines.lineEnd(last) >= py.src.length,
          py.src.slice(lines.lineStart(first), lines.lineEnd(last)),
        ];
      });
  run.settle('k3', () => JSON.stringify([run.seq, topKey]));
  for (const { unit: u, items: fns } of fnsByUnit) {
    if (fns.length === 0) continue;
    // With eval origins in module code, findings may point there: reuse only at the same place.
    const key = !run.cache
      ? ''
      : JSON.stringify([
          originAt.length > 0 ? u.from : -1,
          fns.map((f) => [f.name, py.callSites.has(f.name) ? [...py.callSites.get(f.name)!] : null]),
          // A finding at a call names a place in the helper it calls.
          [...py.functions.values()].filter((f) => f.inferenceUses.size > 0).map((f) => f.node.from),
        ]);
    const old = u.old?.report;
    if (run.unchanged('k3') && old && old.key === key) {
      run.replay(py.em, u, old.emissions);
      for (const [f, i, m] of old.sites) walker.recordSite(f, i, m);
      u.entry.report = old;
      run.reuse.reports++;
      continue;
    }
    const sites: Site[] = [];
    walker.siteTap = sites;
    const emissions = run.record(py.em, u, () => {
      for (const fn of fns) reportOne(py, walker, fn, topEnd);
    });
    walker.siteTap = null;
    if (emissions) u.entry.report = { key, emissions, sites };
  }
}

function reportOne(py: Py, walker: FlowWalker, fn: FnInfo, topEnd: State): void {
  if (fn.cls && fn.cls.framework === 'lightning') return;
  const entry: State = new Map();
  const sites = py.callSites.get(fn.name);
  fn.params.forEach((p, i) => {
    if (!py.modelNames.has(p)) return;
    const modes = sites?.get(i);
    // A caller passes what the analysis cannot follow: the mode is that caller's to choose (ModeState.chosen).
    if (modes?.includes('opaque')) {
      entry.set(p, { mode: 'unknown', chosen: true });
      return;
    }
    // Every caller's mode is known: those in eval mode are right, and those in train mode are told at their call.
    const known =
      modes && modes.length > 0 && modes.every((m) => m === 'eval' || (m === 'train' && fn.inferenceUses.has(i)));
    if (known) entry.set(p, { mode: 'eval' });
    else entry.set(p, { mode: 'unknown' });
  });
  const flow: Flow = {
    fn,
    loops: [],
    mc: fn.mc,
    depth: 0,
    reported: new Set(),
    ...(fn.inference ? { inference: { anchor: fn.node, reason: `in ${fn.name}()` } } : {}),
  };
  for (const [m, st] of topEnd) if (!fn.params.includes(m)) entry.set(m, st);
  // Models it reads but is not passed (a closure's, a global): eval when every call of it is made in eval mode.
  for (const [m, modes] of sites ?? [])
    if (typeof m === 'string' && modes.length > 0 && modes.every((x) => x === 'eval')) entry.set(m, { mode: 'eval' });
  for (const m of evalSinceConstruction(py, fn.node)) entry.set(m, { mode: 'eval' });
  if (fn.inference) {
    // Models used in an inference function without any visible mode: unknown unless every call site is in eval mode.
    for (const m of py.modelNames) {
      if (entry.has(m)) continue;
      if (m.startsWith('self.') && !fn.cls) continue;
      entry.set(m, { mode: 'unknown' });
    }
  }
  walker.walk(bodyOf(py, fn.node), entry, flow);
}

/**
 * `self.<attr>` models of the method's class that its `__init__` switches to eval mode and no method of the
 * class switches back (an inference wrapper): every method starts with them in eval mode.
 */
function evalSinceConstruction(py: Py, method: SyntaxNode): string[] {
  const cls = enclosing(method, 'ClassDefinition');
  if (!cls) return [];
  const switches = (def: SyntaxNode, mode: 'eval' | 'train'): Set<string> => {
    const out = new Set<string>();
    for (const call of within(py, 'CallExpression', def)) {
      const callee = call.firstChild;
      if (callee?.name !== 'MemberExpression') continue;
      const m = /^(self\.\w+)\.(eval|train)\s*\(\s*(False|True)?\s*\)$/.exec(py.text(call));
      if (!m?.[1]) continue;
      const toEval = m[2] === 'eval' || m[3] === 'False';
      if (toEval === (mode === 'eval')) out.add(m[1]);
    }
    return out;
  };
  const methods = within(py, 'FunctionDefinition', cls).filter(
    (d) => enclosing(d, 'ClassDefinition')?.from === cls.from,
  );
  const init = methods.find((d) => defName(py, d) === '__init__');
  if (!init) return [];
  const trained = new Set(methods.flatMap((d) => [...switches(d, 'train')]));
  return [...switches(init, 'eval')].filter((m) => !trained.has(m));
}
