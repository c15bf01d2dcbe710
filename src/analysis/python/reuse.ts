/**
 * Reuse across analyses (DocumentAnalyzer): how units are keyed, the global keys of each stage, and the
 * encoding of what a unit's passes produced (offsets relative to the unit). The pass runner (runner.ts)
 * keeps the units and does the replay.
 */
import type { SyntaxNode } from '@lezer/common';
import type { RuleId } from '../../protocol/findings';
import type { EmitFix, EmitRelated, Emitter, Op } from '../ops';
import type { PyFacts } from './context';
import { within } from './tree-index';
import { rateCallers } from './values';
import { scratchNetworkNames } from './plainInstances';
import type { Emission } from './cache';

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

/** Emits a recorded emission again, its offsets decoded against the unit's start `base`. */
export function decodeEmission(em: Emitter, base: number, e: Emission): void {
  const dec = (o: number): number => (o >= 0 ? o + base : -o - 1);
  em.emit(
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

export function globalKey1(py: PyFacts): string {
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
    // A rate may name a constant of another unit.
    [...py.constants].map(([name, node]) => [name, py.text(node)]),
    // A network written from scratch makes the file's model-like names insensitive (see models.ts).
    scratchNetworkNames(py),
  ]);
}

export function globalKey2(py: PyFacts): string {
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

/** The text of a module-level function's returns, which decide whether calling it makes a model. */
function modelReturnsText(py: PyFacts, def: SyntaxNode): string {
  return within(py, 'ReturnStatement', def)
    .map((r) => py.text(r))
    .join('\n');
}
