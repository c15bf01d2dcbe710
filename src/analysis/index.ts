/**
 * The analysis core: findings for Python (PyTorch, Keras, TensorFlow), Keras model JSON and model configs.
 * Pure functions over text; never throws (a file that does not parse gets one finding).
 */
export { analyzeDocument, analyzeWith, type PythonParse, type FreshParse } from './analyze';
export { isAnalyzable, isPythonFile } from './files';
export { RULES, RULE_INFO, type RuleInfo } from './rules';
export { parseModelConfig } from './config';
export { DocumentAnalyzer, type ParseStats } from './session';
export type { AnalyzeOptions, DocumentEdit } from '../protocol/analysis';
