// Starts the engine worker from its TypeScript sources in a worker thread (tsx's require hook), for tests
// run before any webpack build. Worker threads do not inherit the parent's `--import tsx` loader.
require('tsx/cjs');
require('../../../src/engine/worker.ts');
