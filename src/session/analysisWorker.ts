/**
 * The host's handle on the analysis process: a request per analysis, answered by a promise. The analysis
 * runs in a child process of its own (as vscode-eslint and Ruff run theirs in a language server), so that
 * nothing a file holds can take the extension host down: a stack overflow, an out-of-memory abort or a
 * hang ends only that process. It starts on the first request; if it dies, the requests it held fail with
 * a clear error, `onCrash` is told, and the next request starts a new one (documents are parsed afresh).
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { AnalysisReply, AnalysisRequest, AnalyzeOptions, DocumentEdit } from '../protocol/analysis';
import type { Finding } from '../protocol/findings';
import { processEntry, type ProcessLocation } from './projectRoot';

/** The analysis process: `dist/analysisWorker.js`, or `src/analysis/worker.ts` from source (see processEntry). */
export function locateAnalysisWorker(root: string): ProcessLocation {
  return processEntry(root, 'analysisWorker.js', 'src/analysis/worker.ts');
}

/** Heap for the analysis process: a hostile file exhausts this, not the editor's memory. */
const HEAP_MB = 1536;

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
  private child: ChildProcess | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private disposed = false;
  /** How many times the process died (tests and the log). */
  crashes = 0;

  /** `onCrash(message)`: the process died (the next request starts another). */
  constructor(
    private readonly location: ProcessLocation,
    private readonly onCrash: (message: string) => void = () => undefined,
  ) {}

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
      this.send(request);
    });
  }

  /** The document is closed: the process drops its analyzer. */
  forget(document: string): void {
    if (this.child) this.send({ type: 'forget', document });
  }

  /** The process's id, while one runs (tests). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    const child = this.child;
    this.child = undefined;
    this.failPending('The analysis worker was shut down.');
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill();
      await exited;
    }
  }

  /** Ends the current process as a crash would (tests). */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  private send(request: AnalysisRequest): void {
    this.process().send(request, (error) => {
      // The process died between the request and its delivery: the exit handler fails what was held.
      if (error && request.type === 'analyze' && this.pending.has(request.id) && !this.child)
        this.failPending(error.message);
    });
  }

  private process(): ChildProcess {
    if (this.child) return this.child;
    const child = fork(this.location.file, [], {
      execArgv: [...this.location.execArgv, `--max-old-space-size=${HEAP_MB}`],
      // In VS Code desktop the host's executable is Electron: run it as plain Node.
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
      serialization: 'advanced',
      ...(this.location.cwd ? { cwd: this.location.cwd } : {}),
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-2000);
    });
    child.on('message', (reply: AnalysisReply) => {
      const pending = this.pending.get(reply.id);
      if (!pending) return;
      this.pending.delete(reply.id);
      if (reply.type === 'findings') pending.resolve(reply.findings);
      else pending.reject(new Error(`The analysis failed: ${reply.message}`));
    });
    child.on('error', (error) => {
      stderr += `\n${error.message}`;
    });
    child.on('exit', (code, signal) => {
      if (this.child !== child) return;
      this.child = undefined;
      this.crashes++;
      const why = lastLine(stderr) ?? (signal ? `signal ${signal}` : `exit code ${code}`);
      const message = `The analysis worker stopped (${why}); the next analysis starts a new one.`;
      this.failPending(message);
      if (!this.disposed) this.onCrash(message);
    });
    return (this.child = child);
  }

  private failPending(message: string): void {
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) p.reject(new Error(message));
  }
}

/** The last non-empty line a dying process wrote (V8's "FATAL ERROR: ... out of memory", a stack trace's head). */
function lastLine(text: string): string | undefined {
  const fatal = /FATAL ERROR:[^\n]*/.exec(text)?.[0];
  return fatal ?? text.trim().split('\n').filter(Boolean).at(-1);
}
