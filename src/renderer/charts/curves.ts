// Training curves with uPlot: one small chart per quantity, x = environment steps. The primary
// run (live or reopened) draws its return as mean with a min–max band; overlaid runs add a
// mean line each. Appends are batched to one setData per animation frame.
import uPlot from 'uplot';
import type { MetricsRow } from '../../backend/api.js';

type Key = keyof MetricsRow;
interface ChartDef { readonly key: Key; readonly title: string; readonly band?: boolean; readonly log?: boolean }

export const CHARTS: readonly ChartDef[] = [
  { key: 'returnMean', title: 'Episode return (mean, min–max)', band: true },
  { key: 'lengthMean', title: 'Episode length' },
  { key: 'policyLoss', title: 'Policy loss' },
  { key: 'valueLoss', title: 'Value loss' },
  { key: 'entropy', title: 'Entropy' },
  { key: 'approxKl', title: 'Approx. KL' },
  { key: 'explainedVariance', title: 'Explained variance' },
  { key: 'stepsPerSecond', title: 'Steps / s' },
];

const PALETTE = ['#4cc9f0', '#f72585', '#ffd166', '#06d6a0', '#b388ff', '#ff8c42', '#90be6d', '#e0e0e0'];

interface Series { readonly id: string; readonly label: string; readonly rows: MetricsRow[] }

export class Curves {
  private readonly runs: Series[] = [];
  private plots: { def: ChartDef; plot: uPlot; box: HTMLElement }[] = [];
  private pending = false;
  private readonly resizeObs: ResizeObserver;

  constructor(private readonly host: HTMLElement) {
    this.resizeObs = new ResizeObserver(() => this.fit());
    this.resizeObs.observe(host);
  }

  /** Points of the primary run (tests read this). */
  get primaryPoints(): number {
    return this.runs[0]?.rows.length ?? 0;
  }

  /** Replaces everything with one primary run (a fresh or reopened run). */
  setPrimary(id: string, label: string, rows: MetricsRow[]): void {
    this.runs.length = 0;
    this.runs.push({ id, label, rows: [...rows] });
    this.rebuild();
  }

  append(id: string, row: MetricsRow): void {
    const s = this.runs.find((r) => r.id === id);
    if (!s) return;
    s.rows.push(row);
    this.schedule();
  }

  /** Adds or removes a comparison run. */
  setOverlay(id: string, label: string, rows: MetricsRow[] | null): void {
    const i = this.runs.findIndex((r, k) => k > 0 && r.id === id);
    if (rows === null) {
      if (i > 0) this.runs.splice(i, 1);
    } else if (i > 0) {
      this.runs[i] = { id, label, rows };
    } else {
      this.runs.push({ id, label, rows });
    }
    this.rebuild();
  }

  overlays(): string[] {
    return this.runs.slice(1).map((r) => r.id);
  }

  private schedule(): void {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      for (const p of this.plots) p.plot.setData(this.dataFor(p.def));
    });
  }

  private dataFor(def: ChartDef): uPlot.AlignedData {
    const tables: uPlot.AlignedData[] = this.runs.map((r, k) => {
      const xs = r.rows.map((row) => row.steps);
      const cols: (number | null)[][] = [r.rows.map((row) => finite(row[def.key]))];
      if (def.band && k === 0) cols.push(r.rows.map((row) => finite(row.returnMin)), r.rows.map((row) => finite(row.returnMax)));
      return [xs, ...cols] as uPlot.AlignedData;
    });
    if (tables.length === 0) return [[]];
    return tables.length === 1 ? tables[0] : uPlot.join(tables);
  }

  private rebuild(): void {
    for (const p of this.plots) { p.plot.destroy(); p.box.remove(); }
    this.plots = [];
    for (const def of CHARTS) {
      const box = document.createElement('div');
      box.className = 'chart';
      box.dataset.key = def.key;
      const title = document.createElement('div');
      title.className = 'chart-title';
      title.textContent = def.title;
      // With overlays, a compact key of run colours instead of uPlot's (tall) legend.
      if (this.runs.length > 1) {
        this.runs.forEach((r, k) => {
          const key = document.createElement('span');
          key.className = 'chart-key';
          key.style.color = PALETTE[k % PALETTE.length];
          // Names on the return chart only; the others repeat just the colours.
          key.textContent = def.band ? `■ ${shortLabel(r.label)}` : '■';
          key.title = r.id;
          title.appendChild(key);
        });
      }
      box.appendChild(title);
      this.host.appendChild(box);
      const series: uPlot.Series[] = [{ label: 'steps', value: (_u, v) => (v == null ? '–' : fmtSteps(v)) }];
      this.runs.forEach((r, k) => {
        const color = PALETTE[k % PALETTE.length];
        series.push({ label: r.label, stroke: color, width: k === 0 ? 2 : 1.5, spanGaps: true, points: { show: false }, value: (_u, v) => fmt(v) });
        if (def.band && k === 0) {
          series.push({ label: 'min', stroke: 'transparent', points: { show: false }, value: (_u, v) => fmt(v) });
          series.push({ label: 'max', stroke: 'transparent', points: { show: false }, value: (_u, v) => fmt(v) });
        }
      });
      const bands: uPlot.Band[] = def.band && this.runs.length > 0 ? [{ series: [3, 2], fill: 'rgba(76, 201, 240, 0.18)' }] : [];
      const axis: uPlot.Axis = { stroke: '#8b95a5', grid: { stroke: '#262d38', width: 1 }, ticks: { stroke: '#262d38', width: 1 }, font: '11px system-ui, sans-serif' };
      const plot = new uPlot({
        width: 300, height: 150, series, bands,
        legend: { show: false },
        cursor: { drag: { x: true, y: false } },
        scales: { x: { time: false } },
        axes: [{ ...axis, values: (_u, vals) => vals.map(fmtSteps) }, { ...axis, size: 52, values: (_u, vals) => vals.map(fmt) }],
      }, this.dataFor(def), box);
      this.plots.push({ def, plot, box });
    }
    this.fit();
  }

  private fit(): void {
    for (const p of this.plots) {
      const w = p.box.clientWidth;
      const title = p.box.querySelector('.chart-title') as HTMLElement | null;
      const h = p.box.clientHeight - 8 - (title?.offsetHeight ?? 18);
      if (w > 0 && h > 40) p.plot.setSize({ width: w - 4, height: h });
    }
  }
}

/** Run ids are long (timestamp-task-algo-seed): keep the distinctive ends. */
function shortLabel(id: string): string {
  return id.length <= 22 ? id : `${id.slice(0, 10)}…${id.slice(-9)}`;
}

function finite(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}

function fmt(v: number | null): string {
  if (v == null || !Number.isFinite(v)) return '–';
  const a = Math.abs(v);
  if (a >= 1e4) return (v / 1e3).toFixed(0) + 'k';
  if (a >= 100) return v.toFixed(0);
  if (a >= 1) return v.toFixed(2);
  if (a === 0) return '0';
  return v.toPrecision(2);
}

function fmtSteps(v: number): string {
  if (v >= 1e6) return (v / 1e6).toFixed(v % 1e6 === 0 ? 0 : 1) + 'M';
  if (v >= 1e3) return (v / 1e3).toFixed(0) + 'k';
  return String(v);
}
