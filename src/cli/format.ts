/** Small terminal helpers shared by the CLI commands: tables, progress bars, JSON for typed arrays. */

export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
  return [line(header), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n') + '\n';
}

export function progressBar(fraction: number, width = 30): string {
  const filled = Math.round(Math.max(0, Math.min(1, fraction)) * width);
  return `[${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${(100 * fraction).toFixed(0).padStart(3)}%`;
}

/** JSON.stringify that writes typed arrays as plain arrays. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    ArrayBuffer.isView(v) ? Array.from(v as unknown as ArrayLike<number>) : v,
  );
}

export const fixed = (value: number | undefined, digits = 4) => (value === undefined ? '–' : value.toFixed(digits));
export const percent = (value: number | undefined) => (value === undefined ? '–' : `${(100 * value).toFixed(1)}%`);
