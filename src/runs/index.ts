/**
 * Run records: the versioned JSON format, the writer that saves a run as it progresses, the store that
 * lists/reads/deletes runs (never throwing on a bad file), exports, metrics arithmetic and comparisons. See docs/run-format.md.
 */
export * from './format';
export * from './store';
export * from './saveErrors';
export * from './export';
export * from './metrics';
export * from './compare';
export * from './probe';
export * from './probeView';
export * from './probeTail';
export * from './replayInfo';
