/**
 * The analysis worker_threads entry: keeps one incremental DocumentAnalyzer per open document and answers
 * each request with its findings, so a large file is parsed and checked off the extension host's thread.
 */
import { parentPort } from 'node:worker_threads';
import type { AnalysisReply, AnalysisRequest } from '../protocol/analysis';
import { analyzeDocument } from './index';
import { DocumentAnalyzer } from './session';

const port = parentPort;
if (!port) throw new Error('analysis/worker.ts runs as a worker thread: start it with new Worker(...)');

const analyzers = new Map<string, DocumentAnalyzer>();

function handle(request: AnalysisRequest): AnalysisReply | undefined {
  if (request.type === 'forget') {
    analyzers.delete(request.document);
    return undefined;
  }
  const { id, document, fileName, edits, text, options } = request;
  if (document === undefined) return { type: 'findings', id, findings: analyzeDocument(text, fileName, options) };
  let analyzer = analyzers.get(document);
  if (!analyzer) analyzers.set(document, (analyzer = new DocumentAnalyzer(fileName)));
  else analyzer.rename(fileName);
  try {
    analyzer.edit(edits);
    return { type: 'findings', id, findings: analyzer.analyze(text, options) };
  } catch (error) {
    // The analyzer is fuzzed never to throw; if it ever does, its kept tree is suspect: start afresh.
    analyzer.reset();
    return { type: 'failed', id, message: error instanceof Error ? (error.stack ?? error.message) : String(error) };
  }
}

port.on('message', (request: AnalysisRequest) => {
  const reply = handle(request);
  if (reply) port.postMessage(reply);
});
