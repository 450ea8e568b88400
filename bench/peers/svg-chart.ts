/**
 * A line chart as SVG text, without dependencies: one or more panels side by side, each
 * with its own y axis, one polyline per series, shared colours and a legend. Enough for
 * "store size over snapshots" and nothing more.
 */

/** One line: y values at x = 0, 1, 2, ... (NaN leaves a gap-free skip). */
export interface ChartSeries {
  readonly name: string;
  readonly values: readonly number[];
}

/** One panel of the chart. */
export interface ChartPanel {
  readonly title: string;
  readonly yLabel: string;
  readonly xLabel: string;
  readonly series: readonly ChartSeries[];
}

const COLOURS = ['#d62728', '#1f77b4', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];
const W = 520;
const H = 340;
const M = { left: 64, right: 16, top: 36, bottom: 48 };

/** The SVG document of `panels` (side by side) under `title`. */
export function lineChartSvg(title: string, panels: readonly ChartPanel[], note = ''): string {
  const width = W * panels.length;
  const height = H + 60;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="15" font-weight="bold">${escape(title)}</text>`,
  ];
  panels.forEach((p, i) => parts.push(panel(p, i * W, 24)));
  const names = panels[0]?.series.map((s) => s.name) ?? [];
  names.forEach((name, i) => {
    const x = 70 + i * 130;
    const y = H + 40;
    parts.push(`<line x1="${x}" y1="${y}" x2="${x + 24}" y2="${y}" stroke="${COLOURS[i % COLOURS.length]}" stroke-width="3"/>`);
    parts.push(`<text x="${x + 30}" y="${y + 4}">${escape(name)}</text>`);
  });
  if (note) parts.push(`<text x="${width - 8}" y="${H + 44}" text-anchor="end" fill="#555" font-size="11">${escape(note)}</text>`);
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

function panel(p: ChartPanel, ox: number, oy: number): string {
  const all = p.series.flatMap((s) => s.values.filter((v) => Number.isFinite(v)));
  const n = Math.max(...p.series.map((s) => s.values.length), 2);
  const yMax = niceCeil(Math.max(...all, 1e-9));
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const x = (i: number): number => ox + M.left + (pw * i) / (n - 1);
  const y = (v: number): number => oy + M.top + ph - (ph * v) / yMax;
  const out = [`<text x="${ox + W / 2}" y="${oy + 22}" text-anchor="middle" font-size="13">${escape(p.title)}</text>`];
  for (let k = 0; k <= 5; k++) {
    const v = (yMax * k) / 5;
    out.push(`<line x1="${ox + M.left}" y1="${y(v)}" x2="${ox + W - M.right}" y2="${y(v)}" stroke="#ddd"/>`);
    out.push(`<text x="${ox + M.left - 6}" y="${y(v) + 4}" text-anchor="end">${formatTick(v)}</text>`);
  }
  const every = Math.max(1, Math.ceil(n / 12));
  for (let i = 0; i < n; i += every) out.push(`<text x="${x(i)}" y="${oy + M.top + ph + 16}" text-anchor="middle">${i}</text>`);
  out.push(`<line x1="${ox + M.left}" y1="${oy + M.top + ph}" x2="${ox + W - M.right}" y2="${oy + M.top + ph}" stroke="#333"/>`);
  out.push(`<line x1="${ox + M.left}" y1="${oy + M.top}" x2="${ox + M.left}" y2="${oy + M.top + ph}" stroke="#333"/>`);
  out.push(`<text x="${ox + M.left + pw / 2}" y="${oy + M.top + ph + 34}" text-anchor="middle">${escape(p.xLabel)}</text>`);
  out.push(`<text transform="translate(${ox + 14} ${oy + M.top + ph / 2}) rotate(-90)" text-anchor="middle">${escape(p.yLabel)}</text>`);
  p.series.forEach((s, i) => {
    const pts = s.values.flatMap((v, j) => (Number.isFinite(v) ? [`${x(j).toFixed(1)},${y(v).toFixed(1)}`] : []));
    const colour = COLOURS[i % COLOURS.length];
    out.push(`<polyline fill="none" stroke="${colour}" stroke-width="2" points="${pts.join(' ')}"/>`);
    for (const pt of pts) {
      const [cx, cy] = pt.split(',');
      out.push(`<circle cx="${cx}" cy="${cy}" r="2.5" fill="${colour}"/>`);
    }
  });
  return out.join('\n');
}

/** The smallest of 1, 2, 2.5, 5 × 10^k at or above `v`. */
function niceCeil(v: number): number {
  const e = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * e >= v) return m * e;
  return 10 * e;
}

function formatTick(v: number): string {
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1).replace(/\.0$/, '') : v.toFixed(2).replace(/\.?0+$/, '');
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
