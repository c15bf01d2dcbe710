/**
 * CSV parsed as it arrives, straight into float32 arrays: bytes (or text) are pushed in chunks, lines are cut
 * and read one at a time, and no whole-file string or array of rows is ever built. The rules are those of
 * `parseCsv`/`csvToData` (header detection, comments and blank lines, quoted cells, the label column, classes
 * or regression), with the same messages.
 *
 * Two stores share the reading (`CsvReader`): `CsvStream` keeps rows in blocks as they come (its size need not
 * be known: the features, a float and a 16-bit id per row), and `CsvSplitStream`, given the row count from a
 * first pass (`CsvRowCounter`), writes each row straight to its place in the shuffled training and validation
 * arrays, so that a dataset costs little more than its numbers as float32, split.
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

/** Cuts pushed bytes or text into lines (`\n` or `\r\n`; a UTF-8 BOM at the start is dropped). */
class LineSplitter {
  private readonly decoder = new TextDecoder();
  /** The text after the last line end, waiting for the rest of its line. */
  private rest = '';
  private startOfFile = true;

  constructor(private readonly onLine: (line: string) => void) {}

  pushBytes(bytes: Uint8Array): void {
    this.pushText(this.decoder.decode(bytes, { stream: true }));
  }

  pushText(text: string): void {
    if (text === '') return;
    let data = this.rest === '' ? text : this.rest + text;
    this.rest = '';
    if (this.startOfFile) {
      this.startOfFile = false;
      if (data.charCodeAt(0) === 0xfeff) data = data.slice(1);
    }
    let start = 0;
    for (let end = data.indexOf('\n', start); end >= 0; end = data.indexOf('\n', start)) {
      this.onLine(data.slice(start, end > start && data.charCodeAt(end - 1) === 13 ? end - 1 : end));
      start = end + 1;
    }
    this.rest = data.slice(start);
  }

  end(): void {
    this.pushText(this.decoder.decode());
    if (this.rest === '') return;
    const last = this.rest;
    this.rest = '';
    this.onLine(last.endsWith('\r') ? last.slice(0, -1) : last);
  }
}

const skipped = (raw: string) => raw.trim() === '' || raw.trimStart().startsWith('#');

/** Where the reader writes the row it is reading: set by `place(i)` for row i. */
interface Slot {
  x: Float32Array;
  xAt: number;
  y: Float32Array;
  yAt: number;
  ids: Uint16Array;
  idAt: number;
}

/** The labels once every row was read: classes (and how first-seen ids map to them) or a regression. */
type Labels = { classes: 0 } | { classes: number; classNames: string[]; toClass: Int32Array };

/** The reading shared by both stores: lines to rows, the header, the label column, the label bookkeeping. */
abstract class CsvReader {
  private readonly lines = new LineSplitter((line) => this.line(line));
  private lineNumber = 0;
  /** The first row, held until the second decides whether it is a header. */
  private first: { cells: string[]; line: number } | undefined;
  protected started = false;
  private width = 0;
  protected header: string[] | undefined;
  protected labelIndex = -1;
  protected features: number[] = [];
  /** Rows stored so far. */
  protected n = 0;
  protected readonly slot: Slot = {
    x: new Float32Array(0),
    xAt: 0,
    y: new Float32Array(0),
    yAt: 0,
    ids: new Uint16Array(0),
    idAt: 0,
  };
  private readonly labelIds = new Map<string, number>();
  private tooManyLabels = false;
  private allNumeric = true;
  private allIntegers = true;

  constructor(private readonly label?: string | number) {}

  /** Feeds bytes (UTF-8; a chunk may end inside a character). */
  pushBytes(bytes: Uint8Array): void {
    this.lines.pushBytes(bytes);
  }

  /** Feeds text. */
  pushText(text: string): void {
    this.lines.pushText(text);
  }

  /** Called once the columns are known: the store may allocate. */
  protected abstract begun(): void;
  /** Points `slot` at row i's place. */
  protected abstract place(i: number): void;

  /** Reads what is left; the caller then builds its result. Throws a CsvError for a file that cannot be trained on. */
  protected endRows(): void {
    this.lines.end();
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
  }

  protected columnName(c: number): string {
    return this.header?.[c] ?? `column ${c + 1}`;
  }

  protected featureNames(): string[] {
    return this.features.map((c) => this.columnName(c));
  }

  /** Classes or regression, as csvToData decides it. */
  protected labels(): Labels {
    const distinct = [...this.labelIds.keys()];
    if (this.allNumeric && !(!this.tooManyLabels && distinct.length <= MAX_NUMERIC_CLASSES && this.allIntegers))
      return { classes: 0 };
    const name = this.columnName(this.labelIndex);
    if (this.tooManyLabels)
      throw new CsvError(
        `the label column ${name} has more than ${MAX_LABEL_VALUES} distinct values that are not all numbers: too many classes`,
      );
    const classNames = this.allNumeric ? distinct.sort((a, b) => Number(a) - Number(b)) : distinct.sort();
    if (classNames.length < 2)
      throw new CsvError(`the label column ${name} has a single class ("${classNames[0]}"): nothing to learn`);
    const toClass = new Int32Array(classNames.length);
    classNames.forEach((c, i) => (toClass[this.labelIds.get(c)!] = i));
    return { classes: classNames.length, classNames, toClass };
  }

  private line(raw: string): void {
    const lineNumber = ++this.lineNumber;
    if (skipped(raw)) return;
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
    this.begun();
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
    this.place(this.n);
    const { x, xAt, y, yAt, ids, idAt } = this.slot;
    const d = this.features.length;
    for (let j = 0; j < d; j++) {
      const c = this.features[j]!;
      const cell = cells[c]!;
      const value = Number(cell);
      if (cell === '' || !Number.isFinite(value))
        throw new CsvError(`${this.columnName(c)} holds "${cell}", not a number`, lineNumber);
      x[xAt + j] = value;
    }
    const label = cells[this.labelIndex]!;
    const value = label === '' ? Number.NaN : Number(label);
    if (!Number.isFinite(value)) this.allNumeric = false;
    else if (!Number.isInteger(value)) this.allIntegers = false;
    y[yAt] = value;
    let id = this.labelIds.get(label);
    if (id === undefined && !this.tooManyLabels) {
      if (this.labelIds.size >= MAX_LABEL_VALUES) this.tooManyLabels = true;
      else this.labelIds.set(label, (id = this.labelIds.size));
    }
    ids[idAt] = id ?? NO_ID;
    this.n++;
  }
}

/** Rows in blocks as they come: memory follows the data, the row count need not be known. */
export class CsvStream extends CsvReader {
  private readonly xBlocks: Float32Array[] = [];
  /** The label as a number (NaN when it is not one); the class index once `end()` ran. */
  private readonly yBlocks: Float32Array[] = [];
  /** The label's index among the distinct label strings in order of appearance (NO_ID past MAX_LABEL_VALUES). */
  private readonly idBlocks: Uint16Array[] = [];

  protected begun(): void {}

  protected place(i: number): void {
    const b = Math.floor(i / BLOCK_ROWS);
    const r = i - b * BLOCK_ROWS;
    const d = this.features.length;
    if (r === 0) {
      this.xBlocks.push(new Float32Array(BLOCK_ROWS * d));
      this.yBlocks.push(new Float32Array(BLOCK_ROWS));
      this.idBlocks.push(new Uint16Array(BLOCK_ROWS));
    }
    this.slot.x = this.xBlocks[b]!;
    this.slot.xAt = r * d;
    this.slot.y = this.yBlocks[b]!;
    this.slot.yAt = r;
    this.slot.ids = this.idBlocks[b]!;
    this.slot.idAt = r;
  }

  /** The data, once everything was pushed. Throws a CsvError for a file that cannot be trained on. */
  end(): BlockData {
    this.endRows();
    const labels = this.labels();
    const base = {
      inputDim: this.features.length,
      n: this.n,
      xBlocks: this.xBlocks,
      yBlocks: this.yBlocks,
      featureNames: this.featureNames(),
    };
    if (labels.classes === 0) {
      this.idBlocks.length = 0;
      return { ...base, classes: 0 };
    }
    // First-seen ids to sorted class indices, written over the numeric labels.
    const { toClass, classNames } = labels as Extract<Labels, { classNames: string[] }>;
    this.idBlocks.forEach((ids, b) => {
      const y = this.yBlocks[b]!;
      for (let i = 0; i < ids.length; i++) y[i] = toClass[ids[i]!] ?? 0;
    });
    this.idBlocks.length = 0;
    return { ...base, classes: classNames.length, classNames };
  }
}

/**
 * The data rows of a CSV (lines that are neither blank nor comments), counted without parsing them: the first
 * pass before `CsvSplitStream`. Push through `pushBytes`/`pushText`, then `end()`.
 */
export class CsvRowCounter {
  rows = 0;
  /** The first two rows' cells, from which the second pass's header decision follows. */
  readonly firstRows: string[][] = [];
  private lineNumber = 0;
  private readonly lines = new LineSplitter((line) => {
    const lineNumber = ++this.lineNumber;
    if (skipped(line)) return;
    if (this.firstRows.length < 2) this.firstRows.push(splitLine(line, lineNumber));
    this.rows++;
  });

  pushBytes(bytes: Uint8Array): void {
    this.lines.pushBytes(bytes);
  }

  pushText(text: string): void {
    this.lines.pushText(text);
  }

  /** The number of data rows (without the header, if the first row is one). */
  end(): number {
    this.lines.end();
    const [first, second] = this.firstRows;
    if (!first) return 0;
    const header = second
      ? first.some((cell, c) => !isNumber(cell) && second[c] !== undefined && isNumber(second[c]))
      : first.every((cell) => cell !== '' && !isNumber(cell));
    return this.rows - (header ? 1 : 0);
  }
}

/** Where each row goes in the split. */
export interface RowPlaces {
  /** For row i: its index among the validation rows, or nValidation + its index among the training rows. */
  place: Uint32Array;
  nValidation: number;
}

/** A CSV read into its training and validation split directly (the second pass; see CsvRowCounter). */
export interface SplitCsv {
  inputDim: number;
  classes: number;
  train: { x: Float32Array; y: Float32Array; n: number };
  validation: { x: Float32Array; y: Float32Array; n: number };
  classNames?: string[];
  featureNames: string[];
}

/**
 * Rows written straight to their place in the split: the row count is known (the first pass), the shuffled
 * order is given as each row's place, and nothing but the split arrays and a 16-bit id per row is held.
 */
export class CsvSplitStream extends CsvReader {
  private trainX = new Float32Array(0);
  private trainY = new Float32Array(0);
  private validX = new Float32Array(0);
  private validY = new Float32Array(0);
  private ids = new Uint16Array(0);

  constructor(
    label: string | number | undefined,
    private readonly expected: number,
    private readonly places: RowPlaces,
  ) {
    super(label);
  }

  protected begun(): void {
    const d = this.features.length;
    const nv = this.places.nValidation;
    const nt = this.expected - nv;
    this.trainX = new Float32Array(nt * d);
    this.trainY = new Float32Array(nt);
    this.validX = new Float32Array(nv * d);
    this.validY = new Float32Array(nv);
    this.ids = new Uint16Array(this.expected);
  }

  protected place(i: number): void {
    if (i >= this.expected) throw new CsvError('the file changed while it was read: read it again');
    const at = this.places.place[i]!;
    const nv = this.places.nValidation;
    const d = this.features.length;
    const validation = at < nv;
    const k = validation ? at : at - nv;
    this.slot.x = validation ? this.validX : this.trainX;
    this.slot.xAt = k * d;
    this.slot.y = validation ? this.validY : this.trainY;
    this.slot.yAt = k;
    // ids are kept by place: validation rows first, then training rows.
    this.slot.ids = this.ids;
    this.slot.idAt = at;
  }

  /** The split, once everything was pushed. Throws a CsvError for a file that cannot be trained on. */
  end(): SplitCsv {
    this.endRows();
    if (this.n !== this.expected) throw new CsvError('the file changed while it was read: read it again');
    const labels = this.labels();
    const nv = this.places.nValidation;
    if (labels.classes > 0) {
      const { toClass } = labels as Extract<Labels, { classNames: string[] }>;
      for (let at = 0; at < this.expected; at++) {
        const c = toClass[this.ids[at]!] ?? 0;
        if (at < nv) this.validY[at] = c;
        else this.trainY[at - nv] = c;
      }
    }
    this.ids = new Uint16Array(0);
    return {
      inputDim: this.features.length,
      classes: labels.classes,
      train: { x: this.trainX, y: this.trainY, n: this.expected - nv },
      validation: { x: this.validX, y: this.validY, n: nv },
      ...('classNames' in labels ? { classNames: labels.classNames } : {}),
      featureNames: this.featureNames(),
    };
  }
}
