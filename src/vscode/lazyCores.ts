/**
 * The cores the shell needs only once there is work, loaded on first use so that activation stays light:
 * the Python and YAML parsers alone take tens of milliseconds to load. `require` (not `import()`) keeps the
 * callers synchronous; webpack still bundles the modules and only defers running them.
 */
type Analysis = typeof import('../analysis');
type Experiments = typeof import('../experiments');
type Reports = typeof import('../report/experimentReport');

let analysis: Analysis | undefined;
let experiments: Experiments | undefined;
let reports: Reports | undefined;

export const analysisCore = (): Analysis => (analysis ??= require('../analysis') as Analysis);
export const experimentsCore = (): Experiments => (experiments ??= require('../experiments') as Experiments);
export const reportsCore = (): Reports => (reports ??= require('../report/experimentReport') as Reports);
