/**
 * The cores the shell needs only once there is work, loaded on first use so that activation stays light:
 * the YAML parser alone takes milliseconds to load. (The Python analysis is not here: it runs in the
 * analysis worker, so the host's bundle does not hold it.) `require` (not `import()`) keeps the
 * callers synchronous; webpack still bundles the modules and only defers running them.
 */
type Configs = typeof import('../analysis/config');
type Experiments = typeof import('../experiments');
type Reports = typeof import('../report/experimentReport');

let configs: Configs | undefined;
let experiments: Experiments | undefined;
let reports: Reports | undefined;

export const configCore = (): Configs => (configs ??= require('../analysis/config') as Configs);
export const experimentsCore = (): Experiments => (experiments ??= require('../experiments') as Experiments);
export const reportsCore = (): Reports => (reports ??= require('../report/experimentReport') as Reports);
