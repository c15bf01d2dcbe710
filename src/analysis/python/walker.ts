/**
 * The mode-flow walker: follows train()/eval() switches through statements, loops, branches and helper
 * calls, and reports models used at inference in train mode and training continued in eval mode.
 */
import type { SyntaxNode } from '@lezer/common';
import { MODE_PRESERVING_WRAPPERS } from './vocabulary';
import type { FnInfo, ModeState, Py, State } from './context';
import type { FlowRule } from './rules/types';
import type { Site } from './cache';
import { args, children, forIterable, isFalseLiteral, isTrueLiteral } from './syntax';
import { dotted, qualify } from './names';
import { within } from './tree-index';
import { classifyCtor } from './layers';
import { hasMcIntent } from './intent';
import { isSensitive, modelOf, sameModelBase, stripChain } from './models';
import { blockOf, bodyOf } from './bodies';
import { enteredModes } from './modeContexts';
import { callFacts } from './callFacts';
import { plainInstance } from './plainInstances';
import { delegates, evalIfTraining, moduleGuard, testsParameter } from './ifConditions';
import { feedsTrainingStep, isValLoop, noGradContext } from './inferenceContexts';
import { joinStates, markChosen } from './modeStates';
import { frozenAround, trainedByFunction, trainedHere, usedNear } from './trainingTargets';
import type { Args, SiteMode } from './facts';

export interface Flow {
  fn?: FnInfo;
  inference?: { anchor: SyntaxNode; reason: string };
  loops: SyntaxNode[];
  mc: boolean;
  depth: number;
  /** Models used (called) in the current scope. */
  reported: Set<string>;
}

/**
 * An argument that is no model the analysis knows and whose value it cannot follow: a subscript
 * (`registry["flow"]["model"]`), an attribute of something else (`cfg.net`), or what a call returns.
 */
function opaqueArgument(arg: SyntaxNode): boolean {
  return arg.name === 'MemberExpression' || arg.name === 'CallExpression';
}

function runsOnce(py: Py, iter: SyntaxNode): boolean {
  if (iter.name !== 'CallExpression' || py.text(iter.firstChild) !== 'range') return false;
  const a = args(py, iter);
  return a !== null && a.positional.length === 1 && !/^0+$/.test(py.text(a.positional[0]));
}

/** A model's methods that run it (a Lightning module's steps called by hand, too). */
const RUNS_MODEL = new Set([
  'forward',
  'generate',
  'predict',
  'predict_step',
  'validation_step',
  'test_step',
  'sample',
  'encode',
  'decode',
]);

function argModel(py: Py, a: Args, fn: FnInfo, offset: number, idx: number): string | null {
  const pos = a.positional[idx - offset];
  if (pos) return modelOf(py, pos);
  const param = fn.params[idx];
  const kw = param === undefined ? undefined : a.keywords.get(param);
  return kw ? modelOf(py, kw.value) : null;
}

export class FlowWalker {
  /** Reporting (the second walk, rules told) or summarizing (the first: function summaries, call sites). */
  reporting = false;
  /** Every call-site record, while a unit's part of the flow pass is recorded for the cache. */
  siteTap: Site[] | null = null;
  constructor(
    private readonly py: Py,
    private readonly rules: readonly FlowRule[],
  ) {}

  walk(stmts: SyntaxNode[], state: State, flow: Flow): State {
    for (const s of stmts) state = this.stmt(s, state, flow);
    return state;
  }

  stmt(s: SyntaxNode, state: State, flow: Flow): State {
    const py = this.py;
    switch (s.name) {
      case 'FunctionDefinition':
      case 'ClassDefinition':
      case 'DecoratedStatement':
        return state;
      case 'WithStatement': {
        for (const c of children(s)) if (c.name !== 'Body') state = this.expr(c, state, flow);
        const noGrad = flow.inference || feedsTrainingStep(py, s) ? null : noGradContext(py, s);
        const inner = noGrad ? { ...flow, inference: { anchor: s, reason: `inside ${oneLine(noGrad)}` } } : flow;
        // `with evaluating(model):` -- a context manager of this file that switches the mode for the body.
        const entered = enteredModes(py, s);
        const before = state;
        if (entered.modes.length > 0) {
          state = new Map(state);
          for (const { model, mode, call } of entered.modes)
            state.set(
              model,
              mode === 'eval' ? { mode, origin: { kind: 'eval-call', node: call, loops: flow.loops } } : { mode },
            );
        }
        const end = this.walk(bodyOf(py, s), state, inner);
        if (entered.restored.length === 0) return end;
        const out = new Map(end);
        for (const model of entered.restored) {
          const prior = before.get(model);
          if (prior) out.set(model, prior);
          else out.delete(model);
        }
        return out;
      }
      case 'ForStatement':
      case 'WhileStatement': {
        const iter = s.name === 'ForStatement' ? forIterable(s) : children(s)[1];
        if (iter) state = this.expr(iter, state, flow);
        let inner: Flow = { ...flow, loops: [...flow.loops, s] };
        if (s.name === 'ForStatement' && !flow.inference && isValLoop(py, s))
          inner = { ...inner, inference: { anchor: s, reason: `in the loop over ${py.text(forIterable(s))}` } };
        const mcLoop = s.name === 'ForStatement' && /\.(modules|children|named_modules)\(/.test(py.text(iter));
        if (mcLoop) {
          // for m in model.modules(): if isinstance(m, nn.Dropout): m.train()  -- Monte Carlo re-enabling
          const reenables = within(py, 'CallExpression', s).some((c) => /\.train\(\)$/.test(py.text(c)));
          if (reenables) return this.markMc(state, iter, flow);
        }
        const bodies = children(s).filter((c) => c.name === 'Body');
        let st = state;
        const passes = flow.depth < 4 ? 2 : 1;
        let end = state;
        for (let pass = 0; pass < passes; pass++) {
          end = st;
          for (const b of bodies) end = this.walk(blockOf(py, b), end, { ...inner, depth: flow.depth + 1 });
          st = joinStates(state, end, true);
        }
        // An epoch loop over range(...) runs at least once: after it, the model is as an iteration left it.
        return s.name === 'ForStatement' && iter && runsOnce(py, iter) ? end : joinStates(state, end, true);
      }
      case 'IfStatement': {
        // A branch that returns or raises does not reach the next statement; the eval() of a branch that
        // does (validation every N steps) may carry into what follows, so its origin is kept.
        const kids = children(s);
        const guarded = moduleGuard(py, kids);
        if (guarded) return this.walk(blockOf(py, guarded), state, flow);
        // `if model.training: model.eval()` (or through `was = model.training`): eval mode either way after it.
        const ifTraining = evalIfTraining(py, kids);
        if (ifTraining) {
          const out = this.walk(blockOf(py, ifTraining.body), state, flow);
          if (out.get(ifTraining.model)?.mode === 'eval') return out;
        }
        const byParam = flow.fn !== undefined && testsParameter(py, kids, flow.fn);
        let result: State | null = null;
        let sawElse = false;
        let allExit = true;
        let delegated = false;
        const switched = new Set<string>();
        for (const k of kids) {
          if (k.name === 'else') sawElse = true;
          if (k.name === 'Body') {
            const block = blockOf(py, k);
            let out = this.walk(block, state, flow);
            if (byParam) out = markChosen(state, out);
            if (exits(block)) continue;
            allExit = false;
            if (delegates(py, block)) delegated = true;
            for (const [m, st] of out) if (st.mode === 'eval' && state.get(m)?.mode !== 'eval') switched.add(m);
            result = result ? joinStates(result, out, true) : out;
          } else if (k.name !== 'if' && k.name !== 'elif' && k.name !== 'else') state = this.expr(k, state, flow);
        }
        if (sawElse && allExit) return state;
        if (!result) return state;
        if (sawElse && delegated && switched.size > 0) {
          // `if ...: model.eval() else: hooks.call("on_eval")`: the other branch hands the switch to code the
          // analysis cannot see, so the mode after the if is the author's choice, not a mistake to report.
          result = new Map(result);
          for (const m of switched) result.set(m, { mode: 'unknown', chosen: true });
        }
        return sawElse ? result : joinStates(result, state, true);
      }
      case 'TryStatement': {
        for (const b of children(s)) if (b.name === 'Body') state = this.walk(blockOf(py, b), state, flow);
        return state;
      }
      case 'AssignStatement': {
        const kids = children(s);
        const value = kids.at(-1);
        if (!value) return state;
        state = this.expr(value, state, flow);
        const target = kids.length === 3 ? dotted(py, kids[0]) : null;
        if (target && py.modelNames.has(target) && value.name === 'CallExpression') {
          const inner = stripChain(py, value);
          const q = qualify(py, inner.firstChild) ?? '';
          const tail = py.text(value).endsWith('.eval()')
            ? 'eval'
            : py.text(value).endsWith('.train()')
              ? 'train'
              : null;
          const base = sameModelBase(py, value);
          if (base !== null) state.set(target, tail ? { mode: tail } : (state.get(base) ?? { mode: 'unknown' }));
          else if (/\.from_pretrained$/.test(q))
            state.set(
              target,
              tail === 'train'
                ? { mode: 'train' }
                : { mode: 'eval', origin: { kind: 'pretrained', node: value, loops: flow.loops } },
            );
          else if (py.classes.has(q) || classifyCtor(py, inner)?.container)
            state.set(target, { mode: tail === 'eval' ? 'eval' : 'train' });
          else if (tail) state.set(target, { mode: tail });
          else {
            // A wrapper of a model (torch.compile, FX, DataParallel, a helper of the user's) keeps its mode.
            const src = modelOf(py, args(py, inner)?.positional[0]);
            const wraps = src !== null || q === 'copy.deepcopy' || MODE_PRESERVING_WRAPPERS.has(q);
            state.set(target, (wraps && src !== null && state.get(src)) || { mode: 'unknown' });
          }
        }
        return state;
      }
      default:
        return this.expr(s, state, flow);
    }
  }

  markMc(state: State, iter: SyntaxNode | null | undefined, flow: Flow): State {
    const d =
      iter && iter.name === 'CallExpression' && iter.firstChild?.name === 'MemberExpression'
        ? dotted(this.py, children(iter.firstChild)[0])
        : null;
    const out = new Map(state);
    if (d) out.set(d, { mode: 'train', origin: undefined });
    flow.mc = true;
    return out;
  }

  expr(e: SyntaxNode, state: State, flow: Flow): State {
    const py = this.py;
    // Calls in source order (by start offset; inner arguments before the call they feed are fine for our purposes).
    const calls =
      e.name === 'CallExpression'
        ? [e, ...within(py, 'CallExpression', e, true).filter((c) => c !== e)]
        : within(py, 'CallExpression', e, true);
    calls.sort((a, b) => a.to - b.to);
    for (const call of calls) {
      const facts = callFacts(py, call);
      const callee = facts.callee;
      if (!callee) continue;
      const a = facts.args;
      if (facts.method !== null) {
        const method = facts.method;
        const obj = facts.objModel;
        if (obj && (method === 'eval' || method === 'train') && a && a.positional.length <= 1) {
          const arg = a.positional[0] ?? a.keywords.get('mode')?.value;
          const toEval = method === 'eval' || (arg && isFalseLiteral(py, arg));
          state = new Map(state);
          state.set(
            obj,
            toEval
              ? { mode: 'eval', origin: { kind: 'eval-call', node: call, loops: flow.loops } }
              : arg && !isTrueLiteral(py, arg)
                ? { mode: 'unknown' }
                : { mode: 'train', trainAt: call.from },
          );
          continue;
        }
        if (obj && RUNS_MODEL.has(method)) {
          this.use(obj, call, state, flow);
          continue;
        }
        if (method === 'apply' && obj && a?.positional[0] && /dropout|mc/i.test(py.text(a.positional[0]))) {
          state = this.markMc(state, null, flow);
          state.set(obj, { mode: 'train' });
          continue;
        }
      }
      if (facts.trainingStep) {
        this.trainingStep(call, state, flow, flow.fn ? trainedByFunction(py, flow.fn) : undefined);
        continue;
      }
      const obj = facts.calleeModel;
      if (obj) {
        this.use(obj, call, state, flow);
        continue;
      }
      // Helper functions defined in this file.
      if (
        callee.name === 'VariableName' ||
        (callee.name === 'MemberExpression' && facts.calleeDotted?.startsWith('self.'))
      ) {
        const d = facts.calleeDotted!;
        const fname = d.startsWith('self.') ? d.slice(5) : d;
        const fn = py.functions.get(fname);
        if (!fn || !a) continue;
        const offset = d.startsWith('self.') && fn.params[0] === 'self' ? 1 : 0;
        // Record call-site states for model arguments.
        a.positional.forEach((arg, i) => {
          const m = modelOf(py, arg);
          // An instance of a plain class of the file (no nn.Module) has no mode: nothing to switch.
          if (!m && plainInstance(py, arg)) this.recordSite(fname, i + offset, 'eval');
          else if (!m && opaqueArgument(arg)) this.recordSite(fname, i + offset, 'opaque');
          if (!m) return;
          // A model without dropout or batch norm behaves the same in either mode: as good as eval.
          const mode = flow.mc || !isSensitive(py, m) ? 'eval' : (state.get(m)?.mode ?? 'unknown');
          this.recordSite(fname, i + offset, mode);
          this.trainModeCall(m, fn, i + offset, call, state, flow);
        });
        // A helper may read models it is not passed (a closure's, a global): record the modes it is called in.
        for (const [m, st] of state) if (!fn.params.includes(m)) this.recordSite(fname, m, st.mode);
        for (const [k, v] of a.keywords) {
          const m = modelOf(py, v.value);
          const idx = fn.params.indexOf(k);
          if (!m || idx < 0) continue;
          this.recordSite(fname, idx, isSensitive(py, m) ? (state.get(m)?.mode ?? 'unknown') : 'eval');
          this.trainModeCall(m, fn, idx, call, state, flow);
        }
        if (fn.trainsParams.size > 0) {
          const trained: string[] = [];
          for (const p of fn.trainsParams) {
            // A helper that switches the model to train mode itself trains it in train mode.
            if (fn.effects.get(p)?.mode === 'train') continue;
            const m = typeof p === 'number' ? argModel(py, a, fn, offset, p) : p;
            if (m) trained.push(m);
          }
          if (trained.length > 0) this.trainingStep(call, state, flow, trained);
        }
        if (fn.effects.size > 0) {
          state = new Map(state);
          for (const [k, eff] of fn.effects) {
            const m = typeof k === 'number' ? argModel(py, a, fn, offset, k) : k;
            if (!m) continue;
            state.set(
              m,
              eff.mode === 'eval'
                ? { mode: 'eval', origin: { kind: 'eval-call', node: call, loops: flow.loops } }
                : { mode: eff.mode },
            );
          }
        }
      }
    }
    return state;
  }

  use(model: string, call: SyntaxNode, state: State, flow: Flow): void {
    const py = this.py;
    const param = flow.fn ? flow.fn.params.indexOf(model) : -1;
    if (!this.reporting && flow.fn && param >= 0 && !flow.fn.runUses.has(param) && state.get(model)?.mode !== 'eval') {
      const at = call.firstChild ?? call;
      flow.fn.runUses.set(param, { from: at.from - flow.fn.node.from, to: at.to - flow.fn.node.from });
    }
    if (!flow.inference || flow.mc) return;
    if (!this.reporting) {
      // Unless the helper switches it to eval() itself first.
      const switched = state.get(model)?.mode === 'eval' || state.get(model)?.chosen === true;
      if (flow.fn && param >= 0 && !switched && !flow.fn.inferenceUses.has(param) && !hasMcIntent(py, call)) {
        const base = flow.fn.node.from;
        const at = call.firstChild ?? call;
        flow.fn.inferenceUses.set(param, { from: at.from - base, to: at.to - base, reason: flow.inference.reason });
      }
      return;
    }
    const event = { model, call, state: state.get(model), inference: flow.inference, reported: flow.reported };
    for (const rule of this.rules) rule.inferenceUse?.(py, event, py.em);
  }

  /** A model in train mode handed to a helper that runs it at inference: told at the call, where the mistake is. */
  private trainModeCall(model: string, fn: FnInfo, param: number, call: SyntaxNode, state: State, flow: Flow): void {
    const py = this.py;
    // A helper that runs the model (not an evaluation by itself), called here inside torch.no_grad().
    const ran = fn.runUses.get(param);
    const inCallerContext =
      ran && flow.inference && !fn.inferenceUses.has(param) && !fn.trainsParams.has(param)
        ? { ...ran, reason: flow.inference.reason }
        : undefined;
    if (inCallerContext && !this.reporting && flow.fn) {
      // This function then runs its own parameter at inference, through the helper.
      const own = flow.fn.params.indexOf(model);
      const at = call.firstChild ?? call;
      const base = flow.fn.node.from;
      if (own >= 0 && !flow.fn.inferenceUses.has(own) && state.get(model)?.mode !== 'eval')
        flow.fn.inferenceUses.set(own, { from: at.from - base, to: at.to - base, reason: inCallerContext.reason });
    }
    const use = fn.inferenceUses.get(param) ?? inCallerContext;
    if (!this.reporting || !use || flow.mc) return;
    const event = { model, call, helper: fn, param, use, state: state.get(model) };
    for (const rule of this.rules) rule.helperCall?.(py, event, py.em);
  }

  trainingStep(call: SyntaxNode, state: State, flow: Flow, only?: string[]): void {
    const py = this.py;
    if (!this.reporting) return;
    const models: { model: string; state: ModeState }[] = [];
    for (const [model, st] of state) {
      if (!st.origin || (st.mode !== 'eval' && !(st.mode === 'unknown' && st.origin.kind === 'eval-call'))) continue;
      if (only && !only.includes(model)) continue;
      if (!only && py.trainedModels.size > 0 && !py.trainedModels.has(model) && !trainedHere(py, model, call)) continue;
      if (!only && py.trainedModels.size === 0 && !usedNear(py, model, call)) continue;
      if (!isSensitive(py, model) || frozenAround(py, model, call)) continue;
      models.push({ model, state: st });
    }
    if (models.length === 0) return;
    const event = { call, models, loops: flow.loops };
    for (const rule of this.rules) rule.trainingStep?.(py, event, py.em);
  }

  /** Records the mode a model is in where a function of the file is called with it (a parameter or a free name). */
  recordSite(fname: string, idx: number | string, mode: SiteMode): void {
    const py = this.py;
    if (this.siteTap) this.siteTap.push([fname, idx, mode]);
    let byParam = py.callSites.get(fname);
    if (!byParam) py.callSites.set(fname, (byParam = new Map<number | string, SiteMode[]>()));
    const list = byParam.get(idx) ?? [];
    list.push(mode);
    byParam.set(idx, list);
  }
}

/** Does the block end by leaving the function (return or raise)? */
function exits(block: SyntaxNode[]): boolean {
  const last = block.at(-1);
  return last !== undefined && (last.name === 'ReturnStatement' || last.name === 'RaiseStatement');
}

function oneLine(code: string): string {
  const flat = code.replace(/\s+/g, ' ');
  return flat.length > 60 ? `${flat.slice(0, 57)}...` : flat;
}
