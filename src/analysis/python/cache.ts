/** The records a document's cache keeps per top-level definition (see reuse.ts for how they are made and replayed). */
import type { SyntaxNode } from '@lezer/common';
import type { RuleId } from '../../protocol/findings';
import type { EmitFix, Op } from '../ops';
import type { Mode, ModelFacts, SiteMode } from './facts';

/** One emit() call; offsets encoded against the unit's start (>= 0) or absolute (-(offset + 1)). */
export interface Emission {
  related?: { at: [number, number]; message: string }[];
  rule: RuleId;
  at: [number, number];
  message: string;
  fixes: EmitFix[];
}

export interface FnSummary {
  effects: [string | number, Mode][];
  trains: (number | string)[];
  /** Parameters run at inference: [index, from, to (relative to the definition), reason]. */
  uses?: [number, number, number, string][];
  /** Parameters the function runs, anywhere: [index, from, to]. */
  runs?: [number, number, number][];
  /** A context manager's entry modes and whether it restores them. */
  context?: { enter: [string | number, Mode][]; restores: boolean };
}

/** A call-site record: function name, parameter index, mode. */
export type Site = [string, number | string, SiteMode];

/** What a model class's own text gives collectClasses (offsets of the attribute ops encoded). */
export interface ClassRecord {
  /** Sensitive by its own layers, not counting submodule classes. */
  local: boolean;
  /** Classes in self.attr = Sub(...) assignments, and other classes called in it, in order. */
  subs: string[];
  calls: string[];
  attrs: [string, Op[]][];
}

export interface UnitEntry {
  classes?: Record<string, ClassRecord>;
  creations?: Emission[];
  chains?: Emission[];
  models?: ModelFacts;
  /** Summaries of the unit's functions (those py.functions holds), and where they start in the run's sequence. */
  summary?: { at: number; names: string; sums: FnSummary[]; sites: Site[] };
  report?: { key: string; emissions: Emission[]; sites: Site[] };
}

export interface CacheRun {
  kc: string;
  k1: string;
  k2: string;
  k3: string;
  units: Map<string, UnitEntry>;
  seq: string[];
}

/** What the last analysis of one document computed per top-level definition (see DocumentAnalyzer). */
export class PythonCache {
  prev: CacheRun | null = null;
  /** Of the last analysis: top-level statements, cacheable ones, and the unit passes replayed per pass. */
  stats: ReuseStats = {
    units: 0,
    cacheable: 0,
    classes: 0,
    creations: 0,
    chains: 0,
    models: 0,
    summaries: 0,
    reports: 0,
  };
}

export interface ReuseStats {
  units: number;
  cacheable: number;
  classes: number;
  creations: number;
  chains: number;
  models: number;
  summaries: number;
  reports: number;
}

export interface Unit {
  node: SyntaxNode;
  from: number;
  to: number;
  /** Cache key (null: not cacheable). */
  key: string | null;
  old: UnitEntry | undefined;
  entry: UnitEntry;
}
