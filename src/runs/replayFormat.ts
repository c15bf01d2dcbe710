/** The run record's `replay` field: what a replay of the training needs beyond its spec and seed. */
import type { RunIntervention } from '../protocol/engine';

/** A dataset file's content: a changed file is detected by its hash. */
export interface DataIdentity {
  sha256: string;
  bytes: number;
}

export interface RunReplayInfo {
  steps: number;
  interventions: RunIntervention[];
  /** The CSV's identity, for runs on a CSV file. */
  data?: DataIdentity;
  /** Engine workers the run trained on: a replay is bit for bit only with the same count. */
  workers: number;
}
