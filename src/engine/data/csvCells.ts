/** The pieces every CSV reader shares: its error type and how one line splits into cells. */

export class CsvError extends Error {
  constructor(
    message: string,
    readonly line?: number,
  ) {
    super(line !== undefined ? `line ${line}: ${message}` : message);
    this.name = 'CsvError';
  }
}

/** One line's cells; double-quoted cells may hold commas and doubled quotes. */
export function splitLine(line: string, lineNumber: number): string[] {
  if (!line.includes('"')) return line.split(',').map((cell) => cell.trim());
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
