/** CSV files from the workspace: header detection, a label column, numeric features, precise errors. */
import type { RawData } from './generators';

export class CsvError extends Error {
  constructor(
    message: string,
    readonly line?: number,
  ) {
    super(line !== undefined ? `line ${line}: ${message}` : message);
    this.name = 'CsvError';
  }
}

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

function splitLine(line: string, lineNumber: number): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"' && cell.trim() === '') quoted = true;
    else if (ch === ',') {
      cells.push(cell.trim());
      cell = '';
    } else cell += ch;
  }
  if (quoted) throw new CsvError('a quoted cell is never closed', lineNumber);
  cells.push(cell.trim());
  return cells;
}

/** The most distinct integer labels a numeric label column may have and still be read as classes. */
const MAX_NUMERIC_CLASSES = 20;

export function csvToData(
  text: string,
  label?: string | number,
): RawData & { classNames?: string[]; featureNames: string[] } {
  const table = parseCsv(text);
  if (table.rows.length === 0) throw new CsvError('the file has a header but no data rows');
  const width = table.rows[0]!.length;
  if (width < 2) throw new CsvError('a dataset needs at least one feature column and a label column');
  const labelIndex = resolveLabel(table, width, label);
  const featureColumns = [...Array(width).keys()].filter((c) => c !== labelIndex);
  const name = (c: number) => table.header?.[c] ?? `column ${c + 1}`;
  const n = table.rows.length;
  const x = new Float32Array(n * featureColumns.length);
  table.rows.forEach((row, r) => {
    featureColumns.forEach((c, j) => {
      const value = Number(row[c]);
      if (row[c] === '' || !Number.isFinite(value))
        throw new CsvError(`${name(c)} holds "${row[c]}", not a number`, table.lines[r]);
      x[r * featureColumns.length + j] = value;
    });
  });
  const labels = table.rows.map((row) => row[labelIndex]!);
  const numeric = labels.every((v) => v !== '' && Number.isFinite(Number(v)));
  const distinct = [...new Set(labels)];
  const y = new Float32Array(n);
  if (numeric && !(distinct.length <= MAX_NUMERIC_CLASSES && distinct.every((v) => Number.isInteger(Number(v))))) {
    labels.forEach((v, i) => (y[i] = Number(v)));
    return { inputDim: featureColumns.length, classes: 0, x, y, n, featureNames: featureColumns.map(name) };
  }
  const classNames = numeric ? distinct.sort((a, b) => Number(a) - Number(b)) : distinct.sort();
  if (classNames.length < 2)
    throw new CsvError(
      `the label column ${name(labelIndex)} has a single class ("${classNames[0]}"): nothing to learn`,
    );
  const indexOf = new Map(classNames.map((c, i) => [c, i]));
  labels.forEach((v, i) => (y[i] = indexOf.get(v)!));
  return {
    inputDim: featureColumns.length,
    classes: classNames.length,
    x,
    y,
    n,
    classNames,
    featureNames: featureColumns.map(name),
  };
}

function resolveLabel(table: CsvTable, width: number, label: string | number | undefined): number {
  if (label === undefined) return width - 1;
  if (typeof label === 'number') {
    if (!Number.isInteger(label) || label < 0 || label >= width)
      throw new CsvError(`label column index ${label} is outside 0..${width - 1}`);
    return label;
  }
  if (!table.header) throw new CsvError(`the label column "${label}" is named, but the file has no header row`);
  const index = table.header.indexOf(label);
  if (index < 0) throw new CsvError(`no column named "${label}"; the columns are ${table.header.join(', ')}`);
  return index;
}
