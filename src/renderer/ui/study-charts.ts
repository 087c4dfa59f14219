// The Study view's two charts, as plain SVG (no canvas, so tests can read them):
// - aggregate learning curves: per variant the IQM across seeds with its 95% bootstrap band;
// - gradient variance: per Φ_t estimator the total variance of the policy-gradient estimate,
//   one bar per variant, on a log scale (the lecture's claim: lower is better).
import type { StudyReport } from '../../backend/api.js';

const NS = 'http://www.w3.org/2000/svg';
export const VARIANT_COLORS = ['#4cc9f0', '#f72585', '#06d6a0', '#ffd166', '#b388ff', '#ff9f1c', '#8ecae6', '#ef476f', '#90be6d', '#f9c74f'];

function el<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, parent?: Element): SVGElementTagNameMap[K] {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  parent?.appendChild(e);
  return e;
}

function text(x: number, y: number, s: string, parent: Element, cls = 'axis-label', anchor = 'start'): SVGTextElement {
  const t = el('text', { x, y, class: cls, 'text-anchor': anchor }, parent);
  t.textContent = s;
  return t;
}

const fmt = (v: number): string => (Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-2 && v !== 0) ? v.toExponential(1) : String(Math.round(v * 10) / 10));

/** IQM curves with CI bands; returns the SVG (data-variants = drawn series). */
export function curvesChart(r: StudyReport, width = 560, height = 240): SVGSVGElement {
  const svg = el('svg', { viewBox: `0 0 ${width} ${height}`, class: 'study-chart', 'data-chart': 'curves' });
  const pad = { l: 52, r: 10, t: 10, b: 26 };
  const pts = r.variants.flatMap((v) => v.curve);
  const title = el('title', {}, svg);
  title.textContent = 'Training return: IQM across seeds with 95% stratified-bootstrap band';
  if (!pts.length) {
    text(width / 2, height / 2, 'no training curves yet', svg, 'empty', 'middle');
    svg.dataset.variants = '0';
    return svg;
  }
  const xMax = Math.max(...pts.map((p) => p.steps));
  let yMin = Math.min(...pts.map((p) => p.lo)), yMax = Math.max(...pts.map((p) => p.hi));
  if (yMax === yMin) { yMax += 1; yMin -= 1; }
  const X = (s: number) => pad.l + (s / xMax) * (width - pad.l - pad.r);
  const Y = (v: number) => height - pad.b - ((v - yMin) / (yMax - yMin)) * (height - pad.t - pad.b);
  el('line', { x1: pad.l, y1: height - pad.b, x2: width - pad.r, y2: height - pad.b, class: 'axis' }, svg);
  el('line', { x1: pad.l, y1: pad.t, x2: pad.l, y2: height - pad.b, class: 'axis' }, svg);
  text(pad.l - 4, Y(yMax) + 4, fmt(yMax), svg, 'axis-label', 'end');
  text(pad.l - 4, Y(yMin), fmt(yMin), svg, 'axis-label', 'end');
  text(width - pad.r, height - 8, `${fmt(xMax)} steps`, svg, 'axis-label', 'end');
  let drawn = 0;
  r.variants.forEach((v, i) => {
    if (!v.curve.length) return;
    const color = VARIANT_COLORS[i % VARIANT_COLORS.length];
    const upper = v.curve.map((p) => `${X(p.steps).toFixed(1)},${Y(p.hi).toFixed(1)}`);
    const lower = [...v.curve].reverse().map((p) => `${X(p.steps).toFixed(1)},${Y(p.lo).toFixed(1)}`);
    el('polygon', { points: [...upper, ...lower].join(' '), fill: color, 'fill-opacity': 0.18, stroke: 'none', class: 'band', 'data-variant': v.name }, svg);
    el('polyline', { points: v.curve.map((p) => `${X(p.steps).toFixed(1)},${Y(p.iqm).toFixed(1)}`).join(' '), fill: 'none', stroke: color, 'stroke-width': 1.8, class: 'iqm', 'data-variant': v.name }, svg);
    drawn++;
  });
  svg.dataset.variants = String(drawn);
  return svg;
}

/** Total variance per estimator (log scale), one bar per variant, at each variant's last probe. */
export function varianceChart(r: StudyReport, width = 560, height = 220): SVGSVGElement | null {
  const last = r.variants.map((v) => {
    const at = Math.max(...v.variance.map((p) => p.at), -Infinity);
    return v.variance.filter((p) => p.at === at && p.totalVariance > 0);
  });
  const phis = [...new Set(last.flat().map((p) => p.phi))];
  if (!phis.length) return null;
  const svg = el('svg', { viewBox: `0 0 ${width} ${height}`, class: 'study-chart', 'data-chart': 'variance' });
  const title = el('title', {}, svg);
  title.textContent = 'Total variance tr Cov(ĝ) of the policy-gradient estimate per Φ_t (log scale; mean over seeds, last probe)';
  const pad = { l: 52, r: 10, t: 10, b: 34 };
  const vals = last.flat().map((p) => Math.log10(p.totalVariance));
  let lo = Math.floor(Math.min(...vals)), hi = Math.ceil(Math.max(...vals));
  if (hi === lo) { hi += 1; lo -= 1; }
  const Y = (lv: number) => height - pad.b - ((lv - lo) / (hi - lo)) * (height - pad.t - pad.b);
  el('line', { x1: pad.l, y1: height - pad.b, x2: width - pad.r, y2: height - pad.b, class: 'axis' }, svg);
  text(pad.l - 4, Y(hi) + 4, `1e${hi}`, svg, 'axis-label', 'end');
  text(pad.l - 4, Y(lo), `1e${lo}`, svg, 'axis-label', 'end');
  const group = (width - pad.l - pad.r) / phis.length;
  const bw = Math.max(2, (group * 0.8) / Math.max(1, r.variants.length));
  phis.forEach((phi, k) => {
    const gx = pad.l + k * group + group * 0.1;
    text(gx + group * 0.4, height - pad.b + 14, phi, svg, 'axis-label', 'middle');
    last.forEach((ps, i) => {
      const p = ps.find((q) => q.phi === phi);
      if (!p) return;
      const y = Y(Math.log10(p.totalVariance));
      const bar = el('rect', { x: gx + i * bw, y, width: bw - 1, height: height - pad.b - y, fill: VARIANT_COLORS[i % VARIANT_COLORS.length], class: 'bar', 'data-phi': phi, 'data-variant': r.variants[i].name }, svg);
      const t = el('title', {}, bar);
      t.textContent = `${r.variants[i].name}, Φ = ${phi}: tr Cov ${p.totalVariance.toExponential(2)}, ‖mean ĝ‖ ${p.meanGradNorm.toExponential(2)}, snr ${p.snr.toFixed(3)} (step ${p.steps}, ${p.n} seeds)`;
    });
  });
  return svg;
}
