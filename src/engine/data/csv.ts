/** CSV files from the workspace: header detection, a label column, numeric features, precise errors. */
import { CsvError, splitLine } from './csvCells';
import { BLOCK_ROWS, CsvStream } from './csvStream';
import type { RawData } from './generators';

export { CsvError } from './csvCells';

export interface CsvTable {
  header: string[] | undefined;
  rows: string[][];
  /** 1-based source line of each row. */
  lines: number[];
}

/** Splits CSV text into cells; double-quoted cells may hold commas and doubled quotes. */
export function parseCsv(text: string): CsvTable {
  const rows: string[][] = [];
  const lines: number[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    if (raw.trim() === '' || raw.trimStart().startsWith('#')) return;
    rows.push(splitLine(raw, index + 1));
    lines.push(index + 1);
  });
  if (rows.length === 0) throw new CsvError('the file is empty: no rows to train on');
  const width = rows[0]!.length;
  rows.forEach((row, i) => {
    if (row.length !== width)
      throw new CsvError(`expected ${width} cells like the first row, found ${row.length}`, lines[i]);
  });
  const isNumber = (cell: string) => cell.trim() !== '' && Number.isFinite(Number(cell));
  // A header row is one with a cell that is not a number where the next row has a number. A lone row of names
  // (no cell a number) is a header with no data rows under it, not a data row.
  const hasHeader =
    rows.length > 1
      ? rows[0]!.some((cell, c) => !isNumber(cell) && isNumber(rows[1]![c]!))
      : rows[0]!.every((cell) => cell !== '' && !isNumber(cell));
  if (hasHeader) return { header: rows[0]!.map((h) => h.trim()), rows: rows.slice(1), lines: lines.slice(1) };
  return { header: undefined, rows, lines };
}

/**
 * A CSV's text as one dataset: contiguous features and labels (the streaming parser's blocks joined). Training
 * does not go through here: `loadDataset` splits the blocks directly.
 */
export function csvToData(
  text: string,
  label?: string | number,
): RawData & { classNames?: string[]; featureNames: string[] } {
  const stream = new CsvStream(label);
  for (let i = 0; i < text.length; i += TEXT_SLICE) stream.pushText(text.slice(i, i + TEXT_SLICE));
  const blocks = stream.end();
  const d = blocks.inputDim;
  const x = new Float32Array(blocks.n * d);
  const y = new Float32Array(blocks.n);
  for (let i = 0; i < blocks.n; i++) {
    const b = Math.floor(i / BLOCK_ROWS);
    const r = i % BLOCK_ROWS;
    x.set(blocks.xBlocks[b]!.subarray(r * d, (r + 1) * d), i * d);
    y[i] = blocks.yBlocks[b]![r]!;
  }
  return {
    inputDim: d,
    classes: blocks.classes,
    x,
    y,
    n: blocks.n,
    ...(blocks.classNames ? { classNames: blocks.classNames } : {}),
    featureNames: blocks.featureNames,
  };
}

/** Text is fed to the parser in slices of this many characters. */
const TEXT_SLICE = 1 << 20;
