/**
 * CSV parsed as it arrives, straight into float32 blocks: bytes (or text) are pushed in chunks, lines are cut
 * and read one at a time, and no whole-file string or array of rows is ever built. The rules are those of
 * `parseCsv`/`csvToData` (header detection, comments and blank lines, quoted cells, the label column, classes
 * or regression), with the same messages. Memory: the features and one float and one int per row while
 * parsing, and a 16-bit label id; `end()` turns the ids into the float labels in place and drops them, so a
 * dataset costs its numbers as float32 (and an eighth more while parsing) before it is split.
 */
import { CsvError, splitLine } from './csvCells';

/** Rows per block: blocks are allocated as rows come, so memory follows the data without a doubling copy. */
export const BLOCK_ROWS = 16_384;
/** The most distinct label strings followed while parsing (ids fit 16 bits): past that a label column can only be a regression target. */
export const MAX_LABEL_VALUES = 65_535;
/** The id of a label past MAX_LABEL_VALUES. */
const NO_ID = 0xffff;
/** The most distinct integer labels a numeric label column may have and still be read as classes. */
export const MAX_NUMERIC_CLASSES = 20;

/** A parsed CSV in blocks of `BLOCK_ROWS` rows: row i is in block i / BLOCK_ROWS. */
export interface BlockData {
  inputDim: number;
  /** 0 for regression. */
  classes: number;
  n: number;
  xBlocks: Float32Array[];
  yBlocks: Float32Array[];
  classNames?: string[];
  featureNames: string[];
}

const isNumber = (cell: string) => cell.trim() !== '' && Number.isFinite(Number(cell));

export class CsvStream {
  private readonly decoder = new TextDecoder();
  /** The text after the last line end, waiting for the rest of its line. */
  private rest = '';
  private lineNumber = 0;
  /** The first row, held until the second decides whether it is a header. */
  private first: { cells: string[]; line: number } | undefined;
  private started = false;
  private width = 0;
  private header: string[] | undefined;
  private labelIndex = -1;
  private features: number[] = [];
  private n = 0;
  private readonly xBlocks: Float32Array[] = [];
  /** The label as a number (NaN when it is not one). */
  private readonly yBlocks: Float32Array[] = [];
  /** The label's index among the distinct label strings in order of appearance (NO_ID past MAX_LABEL_VALUES). */
  private readonly idBlocks: Uint16Array[] = [];
  private readonly labelIds = new Map<string, number>();
  private tooManyLabels = false;
  private allNumeric = true;
  private allIntegers = true;

  constructor(private readonly label?: string | number) {}

  /** Feeds bytes (UTF-8; a chunk may end inside a character). */
  pushBytes(bytes: Uint8Array): void {
    this.pushText(this.decoder.decode(bytes, { stream: true }));
  }

  /** Feeds text. */
  pushText(text: string): void {
    if (text === '') return;
    let start = 0;
    let data = this.rest === '' ? text : this.rest + text;
    this.rest = '';
    if (!this.started && this.lineNumber === 0 && data.charCodeAt(0) === 0xfeff) data = data.slice(1);
    for (let end = data.indexOf('\n', start); end >= 0; end = data.indexOf('\n', start)) {
      this.line(data.slice(start, end > start && data.charCodeAt(end - 1) === 13 ? end - 1 : end));
      start = end + 1;
    }
    this.rest = data.slice(start);
  }

  /** The data, once everything was pushed. Throws a CsvError for a file that cannot be trained on. */
  end(): BlockData {
    this.pushText(this.decoder.decode());
    if (this.rest !== '') {
      const last = this.rest;
      this.rest = '';
      this.line(last.endsWith('\r') ? last.slice(0, -1) : last);
    }
    if (!this.started && this.first) {
      // One row only: a header when none of its cells is a number.
      const { cells, line } = this.first;
      this.first = undefined;
      if (cells.every((cell) => cell !== '' && !isNumber(cell))) this.begin(cells.map((h) => h.trim()));
      else {
        this.begin(undefined, cells.length);
        this.row(cells, line);
      }
    }
    if (!this.started) throw new CsvError('the file is empty: no rows to train on');
    if (this.n === 0) throw new CsvError('the file has a header but no data rows');
    const name = (c: number) => this.header?.[c] ?? `column ${c + 1}`;
    const featureNames = this.features.map(name);
    const distinct = [...this.labelIds.keys()];
    const base = { inputDim: this.features.length, n: this.n, xBlocks: this.xBlocks, featureNames };
    if (this.allNumeric && !(!this.tooManyLabels && distinct.length <= MAX_NUMERIC_CLASSES && this.allIntegers)) {
      this.idBlocks.length = 0;
      return { ...base, classes: 0, yBlocks: this.yBlocks };
    }
    if (this.tooManyLabels)
      throw new CsvError(
        `the label column ${name(this.labelIndex)} has more than ${MAX_LABEL_VALUES} distinct values that are not all numbers: too many classes`,
      );
    const classNames = this.allNumeric ? distinct.sort((a, b) => Number(a) - Number(b)) : distinct.sort();
    if (classNames.length < 2)
      throw new CsvError(
        `the label column ${name(this.labelIndex)} has a single class ("${classNames[0]}"): nothing to learn`,
      );
    // First-seen ids to sorted class indices, written over the numeric labels.
    const toClass = new Int32Array(classNames.length);
    classNames.forEach((c, i) => (toClass[this.labelIds.get(c)!] = i));
    this.idBlocks.forEach((ids, b) => {
      const y = this.yBlocks[b]!;
      for (let i = 0; i < ids.length; i++) y[i] = toClass[ids[i]!] ?? 0;
    });
    this.idBlocks.length = 0;
    return { ...base, classes: classNames.length, yBlocks: this.yBlocks, classNames };
  }

  private line(raw: string): void {
    const lineNumber = ++this.lineNumber;
    if (raw.trim() === '' || raw.trimStart().startsWith('#')) return;
    const cells = splitLine(raw, lineNumber);
    if (this.started) return this.row(cells, lineNumber);
    if (!this.first) {
      this.first = { cells, line: lineNumber };
      return;
    }
    const first = this.first;
    this.first = undefined;
    if (cells.length !== first.cells.length)
      throw new CsvError(`expected ${first.cells.length} cells like the first row, found ${cells.length}`, lineNumber);
    // A header row is one with a cell that is not a number where the next row has a number.
    const hasHeader = first.cells.some((cell, c) => !isNumber(cell) && isNumber(cells[c]!));
    if (hasHeader) this.begin(first.cells.map((h) => h.trim()));
    else {
      this.begin(undefined, first.cells.length);
      this.row(first.cells, first.line);
    }
    this.row(cells, lineNumber);
  }

  private begin(header: string[] | undefined, width = header?.length ?? 0): void {
    this.started = true;
    this.header = header;
    this.width = width;
    if (width < 2) throw new CsvError('a dataset needs at least one feature column and a label column');
    this.labelIndex = this.resolveLabel();
    this.features = [...Array(width).keys()].filter((c) => c !== this.labelIndex);
  }

  private resolveLabel(): number {
    const label = this.label;
    if (label === undefined) return this.width - 1;
    if (typeof label === 'number') {
      if (!Number.isInteger(label) || label < 0 || label >= this.width)
        throw new CsvError(`label column index ${label} is outside 0..${this.width - 1}`);
      return label;
    }
    if (!this.header) throw new CsvError(`the label column "${label}" is named, but the file has no header row`);
    const index = this.header.indexOf(label);
    if (index < 0) throw new CsvError(`no column named "${label}"; the columns are ${this.header.join(', ')}`);
    return index;
  }

  private row(cells: string[], lineNumber: number): void {
    if (cells.length !== this.width)
      throw new CsvError(`expected ${this.width} cells like the first row, found ${cells.length}`, lineNumber);
    const d = this.features.length;
    const b = Math.floor(this.n / BLOCK_ROWS);
    const r = this.n % BLOCK_ROWS;
    if (r === 0) {
      this.xBlocks.push(new Float32Array(BLOCK_ROWS * d));
      this.yBlocks.push(new Float32Array(BLOCK_ROWS));
      this.idBlocks.push(new Uint16Array(BLOCK_ROWS));
    }
    const x = this.xBlocks[b]!;
    for (let j = 0; j < d; j++) {
      const c = this.features[j]!;
      const cell = cells[c]!;
      const value = Number(cell);
      if (cell === '' || !Number.isFinite(value))
        throw new CsvError(`${this.header?.[c] ?? `column ${c + 1}`} holds "${cell}", not a number`, lineNumber);
      x[r * d + j] = value;
    }
    const label = cells[this.labelIndex]!;
    const value = label === '' ? Number.NaN : Number(label);
    if (!Number.isFinite(value)) this.allNumeric = false;
    else if (!Number.isInteger(value)) this.allIntegers = false;
    this.yBlocks[b]![r] = value;
    let id = this.labelIds.get(label);
    if (id === undefined && !this.tooManyLabels) {
      if (this.labelIds.size >= MAX_LABEL_VALUES) this.tooManyLabels = true;
      else this.labelIds.set(label, (id = this.labelIds.size));
    }
    this.idBlocks[b]![r] = id ?? NO_ID;
    this.n++;
  }
}
