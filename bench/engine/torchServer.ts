/**
 * The PyTorch side of the engine benchmark as one persistent process (`pytorch_bench.py --serve`), driven over
 * stdin/stdout one JSON line each way, so its windows can alternate with the engine's in the same run without
 * restarting Python (or re-importing torch) per window.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const PYTHON = '/usr/bin/python3';

type Reply = Record<string, unknown>;

export class TorchServer {
  private readonly waiting: Array<(reply: Reply) => void> = [];
  private buffered = '';
  private stderr = '';
  private exited: string | undefined;

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      this.buffered += chunk;
      let nl: number;
      while ((nl = this.buffered.indexOf('\n')) >= 0) {
        const line = this.buffered.slice(0, nl).trim();
        this.buffered = this.buffered.slice(nl + 1);
        if (!line) continue;
        let reply: Reply;
        try {
          reply = JSON.parse(line) as Reply;
        } catch {
          continue; // not a protocol line
        }
        this.waiting.shift()?.(reply);
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => void (this.stderr = (this.stderr + chunk).slice(-2000)));
    child.on('exit', (code) => {
      this.exited = `pytorch_bench.py exited (${code}): ${this.stderr.trim().slice(-300)}`;
      for (const w of this.waiting.splice(0)) w({ error: this.exited });
    });
    child.on('error', (err) => {
      this.exited = err.message;
      for (const w of this.waiting.splice(0)) w({ error: err.message });
    });
  }

  /** Starts the server; resolves to it, or to the reason PyTorch is skipped. */
  static async start(threads = 1): Promise<TorchServer | string> {
    if (!existsSync(PYTHON)) return `${PYTHON} not found`;
    const n = String(threads);
    const child = spawn(PYTHON, [join(here, 'pytorch_bench.py'), '--serve', '--threads', n], {
      env: { ...process.env, OPENBLAS_NUM_THREADS: n, OMP_NUM_THREADS: n, MKL_NUM_THREADS: n },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const server = new TorchServer(child);
    const hello = await server.next();
    if (typeof hello.hello === 'string') {
      server.version = hello.hello;
      return server;
    }
    server.close();
    return typeof hello.skipped === 'string'
      ? hello.skipped
      : JSON.stringify(hello.error ?? 'pytorch_bench.py did not start');
  }

  version = '';

  private next(): Promise<Reply> {
    if (this.exited) return Promise.resolve({ error: this.exited });
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private async request(req: Reply): Promise<Reply> {
    const reply = this.next();
    this.child.stdin.write(JSON.stringify(req) + '\n');
    const r = await reply;
    if (typeof r.error === 'string') throw new Error(`PyTorch: ${r.error}`);
    return r;
  }

  /** Builds, warms up and calibrates a workload; the steps that fill about one window. */
  async setup(workload: string, windowSeconds: number): Promise<number> {
    const r = await this.request({ cmd: 'setup', workload, windowSeconds });
    return Number(r.stepsPerWindow);
  }

  /** Runs `steps` steps; steps per second over them. */
  async window(workload: string, steps: number): Promise<number> {
    const r = await this.request({ cmd: 'window', workload, steps });
    return steps / Number(r.seconds);
  }

  close(): void {
    if (!this.exited) this.child.stdin.end(JSON.stringify({ cmd: 'quit' }) + '\n');
  }
}
