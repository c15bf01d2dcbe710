/**
 * `npm run bench -- data`: the memory a large CSV dataset costs. A CSV of DROPOUT_LENS_BENCH_CSV_ROWS rows
 * (default 2,000,000; the case is 10,000,000, about 300 MB) of 4 numbers (3 features and a class) is
 * generated in the temp folder, then a fresh process streams it through the engine (csvPath) and trains one
 * epoch. Reported: the peak RSS over the process's RSS before loading, against the numbers as float32
 * (rows × 4 × 4 bytes). Target: within 3 times.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const TARGET_RATIO = 3;

function generate(path: string, rows: number): void {
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, 'x1,x2,x3,label\n');
    let seed = 12345;
    const next = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32) * 2 - 1;
    const lines: string[] = [];
    for (let i = 0; i < rows; i++) {
      const a = next();
      const b = next();
      const c = next();
      lines.push(`${a.toFixed(6)},${b.toFixed(6)},${c.toFixed(6)},${a * b + c > 0 ? 1 : 0}`);
      if (lines.length === 50_000) {
        writeSync(fd, lines.join('\n') + '\n');
        lines.length = 0;
      }
    }
    if (lines.length > 0) writeSync(fd, lines.join('\n') + '\n');
  } finally {
    closeSync(fd);
  }
}

const mb = (bytes: number) => `${(bytes / 1024 ** 2).toFixed(0)} MB`;

export async function runDataBench(options: { json: boolean; write(text: string): void }): Promise<void> {
  const rows = Number(process.env.DROPOUT_LENS_BENCH_CSV_ROWS ?? 2_000_000);
  const path = join(tmpdir(), `dl-bench-${process.pid}.csv`);
  try {
    const generatedAt = performance.now();
    generate(path, rows);
    const generateMs = performance.now() - generatedAt;
    const fileBytes = statSync(path).size;
    const child = spawnSync(process.execPath, ['--import', 'tsx', join(__dirname, 'loadChild.ts'), path], {
      encoding: 'utf8',
      maxBuffer: 1 << 20,
    });
    const line = child.stdout.trim().split('\n').at(-1) ?? '';
    const measured = JSON.parse(line || '{}') as {
      baselineRss?: number;
      loadedRss?: number;
      peakRss?: number;
      loadMs?: number;
      totalMs?: number;
      error?: string;
    };
    if (child.status !== 0 || measured.peakRss === undefined || measured.baselineRss === undefined) {
      options.write(`data: the measurement failed: ${measured.error ?? child.stderr.trim()}\n`);
      return;
    }
    const numericBytes = rows * 4 * 4;
    const used = measured.peakRss - measured.baselineRss;
    const ratio = used / numericBytes;
    const result = {
      suite: 'data',
      rows,
      fileBytes,
      numericBytes,
      baselineRss: measured.baselineRss,
      peakRss: measured.peakRss,
      peakOverBaseline: used,
      loadedRatio: ((measured.loadedRss ?? 0) - measured.baselineRss) / numericBytes,
      ratio,
      target: TARGET_RATIO,
      loadMs: measured.loadMs,
      epochMs: (measured.totalMs ?? 0) - (measured.loadMs ?? 0),
      generateMs,
    };
    if (options.json) options.write(JSON.stringify(result) + '\n');
    else
      options.write(
        `data: a ${mb(fileBytes)} CSV (${rows.toLocaleString('en')} rows × 4 numbers, ${mb(numericBytes)} as float32), streamed by the engine\n` +
          `  peak RSS ${mb(measured.peakRss)}, ${mb(used)} over the ${mb(measured.baselineRss)} before loading: ${ratio.toFixed(2)}× the numbers (target ≤ ${TARGET_RATIO}×) ${ratio <= TARGET_RATIO ? 'ok' : 'OVER'}\n` +
          `  loaded and split: ${result.loadedRatio.toFixed(2)}× the numbers; load ${((measured.loadMs ?? 0) / 1000).toFixed(1)} s, one epoch ${(result.epochMs / 1000).toFixed(1)} s\n`,
      );
  } finally {
    rmSync(path, { force: true });
  }
}
