/**
 * The host's handle on the analysis worker thread: a request per analysis, answered by a promise. The
 * thread starts on the first request; if it dies, the requests it held fail with a clear error and the
 * next request starts a new one (its documents are then parsed afresh).
 */
import { Worker } from 'node:worker_threads';
import type { AnalysisReply, AnalysisRequest, AnalyzeOptions, DocumentEdit } from '../protocol/analysis';
import type { Finding } from '../protocol/findings';
import { workerEntry, type WorkerLocation } from './projectRoot';

/** The analysis worker: `dist/analysisWorker.js`, or `src/analysis/worker.ts` from source (see workerEntry). */
export function locateAnalysisWorker(root: string): WorkerLocation {
  return workerEntry(root, 'analysisWorker.js', 'src/analysis/worker.ts');
}

export interface AnalysisJob {
  /** The open document's key: its incremental analyzer is kept. Absent: a one-off analysis of a file. */
  document?: string;
  fileName: string;
  /** Edits since the previous job for `document`, in order. */
  edits?: DocumentEdit[];
  text: string;
  options?: AnalyzeOptions;
}

interface Pending {
  resolve(findings: Finding[]): void;
  reject(error: Error): void;
}

export class AnalysisWorker {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private disposed = false;
  /** How many times a thread died (tests and the log). */
  crashes = 0;

  constructor(private readonly location: WorkerLocation) {}

  analyze(job: AnalysisJob): Promise<Finding[]> {
    if (this.disposed) return Promise.reject(new Error('The analysis worker was shut down.'));
    const id = this.nextId++;
    const request: AnalysisRequest = {
      type: 'analyze',
      id,
      document: job.document,
      fileName: job.fileName,
      edits: job.edits ?? [],
      text: job.text,
      options: job.options ?? {},
    };
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.thread().postMessage(request);
    });
  }

  /** The document is closed: the worker drops its analyzer. */
  forget(document: string): void {
    this.worker?.postMessage({ type: 'forget', document } satisfies AnalysisRequest);
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    const worker = this.worker;
    this.worker = undefined;
    this.failPending('The analysis worker was shut down.');
    await worker?.terminate();
  }

  /** Ends the current thread as a crash would (tests). */
  async kill(): Promise<void> {
    await this.worker?.terminate();
  }

  private thread(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(this.location.file, { eval: this.location.eval ?? false });
    let crash: Error | undefined;
    worker.on('message', (reply: AnalysisReply) => {
      const pending = this.pending.get(reply.id);
      if (!pending) return;
      this.pending.delete(reply.id);
      if (reply.type === 'findings') pending.resolve(reply.findings);
      else pending.reject(new Error(`The analysis failed: ${reply.message}`));
    });
    worker.on('error', (error) => (crash = error));
    worker.on('exit', (code) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      this.crashes++;
      this.failPending(
        `The analysis worker stopped (${crash ? crash.message : `exit code ${code}`}); the next analysis starts a new one.`,
      );
    });
    return (this.worker = worker);
  }

  private failPending(message: string): void {
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) p.reject(new Error(message));
  }
}
