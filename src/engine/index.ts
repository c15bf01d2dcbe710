/** The engine's public surface: datasets, the trainer, the protocol session, the kernels. */
export { loadDataset, splitData, csvToData, CsvError, generate } from './data';
export type { Dataset, Split } from './dataset';
export { createTrainer } from './trainer';
export type { Trainer } from './trainer';
export { EngineSession } from './session';
export type { SessionHost, Post } from './session';
export { SeededRandom } from './random';
