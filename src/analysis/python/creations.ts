/**
 * The creations pass: what each call of the file creates when it is a dropout layer or functional dropout
 * (its kind and drop rate, resolved through constants, defaults, attributes and arithmetic), handed with the
 * call to the call rules. Each unit's findings are replayed by the cache while the facts they read are unchanged.
 */
import type { SyntaxNode } from '@lezer/common';
import type { RateSource } from '../ops';
import type { Py, PyFacts } from './context';
import type { LayerCall } from './facts';
import { classifyCtor, classifyFunctional } from './layers';
import type { PassRunner } from './runner';
import { span } from './syntax';
import { all } from './tree-index';
import { resolveNumber } from './values';

/** A dropout created by a call (a layer constructor or a functional dropout). */
export interface Creation {
  readonly layer: LayerCall;
  /**
   * Its drop rate when known: written as a literal (no source), or resolved through names and arithmetic
   * (the source says how, for the messages and the fix).
   */
  readonly rate?: { readonly value: number; readonly at: [number, number]; readonly source?: RateSource };
}

/** The dropout a call creates, or null when it creates none. */
export function creationOf(py: PyFacts, call: SyntaxNode): Creation | null {
  const layer = classifyCtor(py, call) ?? classifyFunctional(py, call);
  if (!layer || layer.kind !== 'dropout') return null;
  const node = layer.rateNode;
  if (!node) return { layer };
  if (layer.rate !== undefined) return { layer, rate: { value: layer.rate, at: span(node) } };
  const resolved = resolveNumber(py, node);
  if (!resolved) return { layer };
  return {
    layer,
    rate: {
      value: resolved.value,
      at: span(node),
      source: {
        via: resolved.via,
        ...(resolved.literal ? { literalAt: span(resolved.literal) } : {}),
        documentedKeep: resolved.documentedKeep,
        useText: py.text(node),
      },
    },
  };
}

/** Runs `check` on every call with what it creates, unit by unit (replayed when the unit's facts are unchanged). */
export function checkCreations(
  py: Py,
  run: PassRunner,
  check: (call: SyntaxNode, made: Creation | null) => void,
): void {
  for (const { unit, items } of run.groupByUnit(all(py, 'CallExpression'), (n) => n.from))
    run.cachedEmissions(py.em, unit, 'creations', 'k1', () => {
      for (const call of items) check(call, creationOf(py, call));
    });
}
