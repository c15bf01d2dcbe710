/**
 * The analysis process's entry (forked by the extension host, see session/analysisWorker; a worker thread
 * works too): keeps one incremental DocumentAnalyzer per open document and answers each request with its
 * findings, so a file is parsed and checked away from the extension host, and a crash ends only this.
 */
import { parentPort } from 'node:worker_threads';
import type { AnalysisReply, AnalysisRequest } from '../protocol/analysis';
import { analyzeDocument } from './index';
import { DocumentAnalyzer } from './session';

/** Where requests come from and replies go: the forking host's IPC channel, or a worker thread's port. */
const port = parentPort ?? channelOfProcess();

function channelOfProcess(): {
  on(event: 'message', f: (r: AnalysisRequest) => void): void;
  postMessage(r: AnalysisReply): void;
} {
  const send = process.send?.bind(process);
  if (!send) throw new Error('analysis/worker.ts runs as a forked process (with an IPC channel) or a worker thread.');
  // The host went away: nothing is left to answer.
  process.on('disconnect', () => process.exit(0));
  return {
    on: (event, f) => process.on(event, f),
    postMessage: (reply) => void send(reply),
  };
}

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
