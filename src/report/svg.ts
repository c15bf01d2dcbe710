/** Small, dependency-free SVG charts for experiment reports: they open in any Markdown preview and export as files. */

export interface Series {
  label: string;
  /** `low`/`high`: a 95% interval drawn as an error bar at the point. */
  points: { x: number; y: number; low?: number; high?: number }[];
  color: string;
  dashed?: boolean;
  faint?: boolean;
}

export interface Marker {
  x: number;
  label: string;
}

export interface Band {
  from: number;
  to: number;
  label: string;
  color: string;
}

const WIDTH = 640;
const HEIGHT = 320;
const PAD = { left: 56, right: 16, top: 28, bottom: 44 };
export const PALETTE = ['#3b82f6', '#f59e0b', '#10b981', '#ef4444', '#8b5cf6', '#64748b'];

const escape = (text: string) =>
  text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
const tick = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(2));

function extent(values: number[]): [number, number] {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return [0, 1];
  let lo = Math.min(...finite);
  let hi = Math.max(...finite);
  if (lo === hi) [lo, hi] = [lo - 0.5, hi + 0.5];
  return [lo, hi];
}

export function lineChart(options: {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  markers?: Marker[];
  bands?: Band[];
  shadeBetween?: [number, number];
}): string {
  const xs = options.series.flatMap((s) => s.points.map((p) => p.x));
  const ys = options.series.flatMap((s) =>
    s.points.flatMap((p) => [p.y, ...(p.low !== undefined ? [p.low] : []), ...(p.high !== undefined ? [p.high] : [])]),
  );
  const [x0, x1] = extent(xs);
  const [y0, y1] = extent(ys);
  const px = (x: number) => PAD.left + ((x - x0) / (x1 - x0)) * (WIDTH - PAD.left - PAD.right);
  const py = (y: number) => HEIGHT - PAD.bottom - ((y - y0) / (y1 - y0)) * (HEIGHT - PAD.top - PAD.bottom);
  const parts: string[] = [];
  for (const band of options.bands ?? []) {
    parts.push(
      `<rect x="${px(band.from)}" y="${PAD.top}" width="${Math.max(0, px(band.to) - px(band.from))}" height="${HEIGHT - PAD.top - PAD.bottom}" fill="${band.color}" opacity="0.12"/>`,
    );
    parts.push(
      `<text x="${(px(band.from) + px(band.to)) / 2}" y="${PAD.top + 14}" text-anchor="middle" font-size="11" fill="${band.color}">${escape(band.label)}</text>`,
    );
  }
  if (options.shadeBetween) {
    const [a, b] = options.shadeBetween.map((i) => options.series[i]!.points);
    if (a && b && a.length > 1 && b.length > 1) {
      const path = [
        ...a.map((p) => `${px(p.x)},${py(p.y)}`),
        ...[...b].reverse().map((p) => `${px(p.x)},${py(p.y)}`),
      ].join(' ');
      parts.push(
        `<polygon points="${path}" fill="${PALETTE[3]}" opacity="0.12"><title>generalization gap</title></polygon>`,
      );
    }
  }
  for (let i = 0; i <= 4; i++) {
    const y = y0 + ((y1 - y0) * i) / 4;
    parts.push(`<line x1="${PAD.left}" x2="${WIDTH - PAD.right}" y1="${py(y)}" y2="${py(y)}" stroke="#8884" />`);
    parts.push(
      `<text x="${PAD.left - 6}" y="${py(y) + 4}" text-anchor="end" font-size="11" fill="#888">${tick(y)}</text>`,
    );
    const x = x0 + ((x1 - x0) * i) / 4;
    parts.push(
      `<text x="${px(x)}" y="${HEIGHT - PAD.bottom + 16}" text-anchor="middle" font-size="11" fill="#888">${tick(x)}</text>`,
    );
  }
  for (const s of options.series) {
    if (s.points.length === 0) continue;
    const d = s.points.map((p, i) => `${i === 0 ? 'M' : 'L'}${px(p.x).toFixed(1)},${py(p.y).toFixed(1)}`).join(' ');
    parts.push(
      `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2" ${s.dashed ? 'stroke-dasharray="6 4"' : ''} ${s.faint ? 'opacity="0.45"' : ''}><title>${escape(s.label)}</title></path>`,
    );
    for (const p of s.points) {
      // A bar shorter than a pixel hides under the point's dot.
      if (p.low === undefined || p.high === undefined || !(py(p.low) - py(p.high) >= 1)) continue;
      const x = px(p.x).toFixed(1);
      const [a, b] = [py(p.low).toFixed(1), py(p.high).toFixed(1)];
      const cap = (y: string) => `M${(px(p.x) - 4).toFixed(1)},${y} L${(px(p.x) + 4).toFixed(1)},${y}`;
      parts.push(
        `<path class="error-bar" d="M${x},${a} L${x},${b} ${cap(a)} ${cap(b)}" stroke="${s.color}" stroke-width="1.5" fill="none" ${s.faint ? 'opacity="0.45"' : ''}><title>${escape(s.label)}: ${tick(p.y)} (95% interval ${tick(p.low)} to ${tick(p.high)})</title></path>`,
      );
    }
    if (s.points.length <= 12)
      for (const p of s.points) parts.push(`<circle cx="${px(p.x)}" cy="${py(p.y)}" r="3" fill="${s.color}"/>`);
  }
  for (const m of options.markers ?? []) {
    parts.push(
      `<line x1="${px(m.x)}" x2="${px(m.x)}" y1="${PAD.top}" y2="${HEIGHT - PAD.bottom}" stroke="#10b981" stroke-width="2" stroke-dasharray="2 3"/>`,
    );
    parts.push(`<text x="${px(m.x) + 4}" y="${PAD.top + 28}" font-size="11" fill="#10b981">${escape(m.label)}</text>`);
  }
  const legend = options.series
    .map(
      (s, i) =>
        `<g transform="translate(${PAD.left + i * 150},${HEIGHT - 10})"><line x1="0" x2="18" y1="-4" y2="-4" stroke="${s.color}" stroke-width="2" ${s.dashed ? 'stroke-dasharray="6 4"' : ''}/><text x="22" y="0" font-size="11" fill="#888">${escape(s.label)}</text></g>`,
    )
    .join('');
  return frame(
    options.title,
    `${parts.join('')}${legend}<text x="12" y="${HEIGHT / 2}" font-size="11" fill="#888" transform="rotate(-90 12 ${HEIGHT / 2})" text-anchor="middle">${escape(options.yLabel)}</text><text x="${WIDTH - PAD.right}" y="${HEIGHT - PAD.bottom + 30}" font-size="11" fill="#888" text-anchor="end">${escape(options.xLabel)}</text>`,
  );
}

export function histogramChart(
  title: string,
  histograms: { label: string; min: number; max: number; counts: number[]; color: string }[],
): string {
  const max = Math.max(1, ...histograms.flatMap((h) => h.counts.map((c) => c / Math.max(1, sum(h.counts)))));
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const parts: string[] = [];
  histograms.forEach((h, k) => {
    const total = Math.max(1, sum(h.counts));
    const w = plotW / h.counts.length;
    h.counts.forEach((c, i) => {
      const height = (c / total / max) * plotH;
      parts.push(
        `<rect x="${PAD.left + i * w}" y="${HEIGHT - PAD.bottom - height}" width="${Math.max(1, w - 1)}" height="${height}" fill="${h.color}" opacity="${0.55 - k * 0.1}"/>`,
      );
    });
    parts.push(
      `<g transform="translate(${PAD.left + k * 200},${HEIGHT - 10})"><rect x="0" y="-10" width="12" height="10" fill="${h.color}"/><text x="18" y="0" font-size="11" fill="#888">${escape(h.label)} (${tick(h.min)} … ${tick(h.max)})</text></g>`,
    );
  });
  return frame(title, parts.join(''));
}

/** Coloured cells (e.g. a 2-D uncertainty map): value in [0, 1] per cell, row-major from the bottom row. */
export function heatmap(
  title: string,
  resolution: number,
  values: ArrayLike<number>,
  colorOf: (v: number, i: number) => string,
): string {
  const size = Math.min(WIDTH, HEIGHT) - PAD.top - 8;
  const cell = size / resolution;
  const parts: string[] = [];
  for (let r = 0; r < resolution; r++) {
    for (let c = 0; c < resolution; c++) {
      const i = r * resolution + c;
      parts.push(
        `<rect x="${(PAD.left + c * cell).toFixed(1)}" y="${(PAD.top + (resolution - 1 - r) * cell).toFixed(1)}" width="${(cell + 0.5).toFixed(1)}" height="${(cell + 0.5).toFixed(1)}" fill="${colorOf(values[i]!, i)}"/>`,
      );
    }
  }
  return frame(title, parts.join(''));
}

function frame(title: string, body: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" role="img" aria-label="${escape(title)}"><title>${escape(title)}</title><text x="${PAD.left}" y="18" font-size="13" font-weight="bold" fill="#888">${escape(title)}</text>${body}</svg>\n`;
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
