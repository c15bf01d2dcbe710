/** Colours from VS Code's theme variables, re-read when the theme (the body's class) changes. */
export interface Theme {
  foreground: string;
  muted: string;
  background: string;
  kept: string;
  dropped: string;
  eval: string;
  train: string;
  validation: string;
  gap: string;
  classes: string[];
}

const read = (style: CSSStyleDeclaration, name: string, fallback: string) =>
  style.getPropertyValue(name).trim() || fallback;

export function readTheme(): Theme {
  const s = getComputedStyle(document.body);
  return {
    foreground: read(s, '--vscode-foreground', '#cccccc'),
    muted: read(s, '--vscode-descriptionForeground', '#999999'),
    background: read(s, '--vscode-editor-background', '#1e1e1e'),
    kept: read(s, '--vscode-charts-blue', '#3794ff'),
    dropped: read(s, '--vscode-editor-background', '#1e1e1e'),
    eval: read(s, '--vscode-disabledForeground', '#666666'),
    train: read(s, '--vscode-charts-blue', '#3794ff'),
    validation: read(s, '--vscode-charts-orange', '#d18616'),
    gap: read(s, '--vscode-charts-red', '#f14c4c'),
    classes: [
      '--vscode-charts-blue',
      '--vscode-charts-orange',
      '--vscode-charts-green',
      '--vscode-charts-purple',
      '--vscode-charts-red',
      '--vscode-charts-yellow',
    ].map((v, i) => read(s, v, ['#3794ff', '#d18616', '#89d185', '#b180d7', '#f14c4c', '#cca700'][i]!)),
  };
}

/** Calls `onChange` when VS Code switches theme (it swaps vscode-light / vscode-dark / vscode-high-contrast on body). */
export function watchTheme(onChange: (theme: Theme) => void): void {
  new MutationObserver(() => onChange(readTheme())).observe(document.body, {
    attributes: true,
    attributeFilter: ['class'],
  });
}

export function parseColor(color: string): [number, number, number] {
  const ctx = document.createElement('canvas').getContext('2d')!;
  ctx.fillStyle = color;
  const hex = ctx.fillStyle;
  if (hex.startsWith('#'))
    return [parseInt(hex.slice(1, 3), 16), parseInt(hex.slice(3, 5), 16), parseInt(hex.slice(5, 7), 16)];
  const m = hex.match(/\d+/g) ?? ['0', '0', '0'];
  return [Number(m[0]), Number(m[1]), Number(m[2])];
}
