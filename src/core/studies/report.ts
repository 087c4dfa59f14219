// What a study folder says: every trial's state and score, and per variant the statistics of
// src/core/stats/rliable.ts — mean and IQM of the final scores with 95% stratified-bootstrap CIs,
// IQM learning curves with CI bands, probabilities of improvement between variants, and the
// gradient-variance probes averaged over seeds. Read-only; the CLI, the app and bench:learn use it.

import { readMetrics, readStatus, type RunStatus } from '../runs/store.js';
import { aggregate, iqm, probabilityOfImprovement, probabilityOfImprovementCI, stratifiedBootstrapCI, type Aggregate } from '../stats/rliable.js';
import { readFinalEval, readPlan, readStudy, studyFiles, type StudyPlan } from './study-folder.js';
import { readVarianceRecords } from './trial-runner.js';

export interface TrialReport {
  readonly index: number;
  readonly seed: number;
  readonly runDir: string;
  readonly status: RunStatus;
  readonly message?: string;
  /** Training steps done so far. */
  readonly steps: number;
  readonly totalSteps: number;
  /** Mean deterministic evaluation return of the final policy; null until scored. */
  readonly finalReturn: number | null;
  /** Training wall time (s) recorded in metrics.jsonl. */
  readonly wallTime: number;
}

export interface CurvePoint {
  readonly steps: number;
  readonly iqm: number;
  readonly lo: number;
  readonly hi: number;
  readonly n: number;
}

export interface VariancePoint {
  readonly at: number;
  readonly steps: number;
  readonly phi: string;
  readonly meanGradNorm: number;
  readonly totalVariance: number;
  readonly snr: number;
  /** Trials averaged. */
  readonly n: number;
}

export interface VariantReport {
  readonly name: string;
  readonly task: string;
  readonly algo: string;
  readonly seeds: number[];
  /** Mean training wall time (s) of the variant's finished trials (wall clock, e.g. A2C vs A3C); null while none finished. */
  readonly meanWallTime: number | null;
  /** Statistics of the scored trials; null while none is scored. */
  readonly final: (Aggregate & { scored: number }) | null;
  readonly trials: TrialReport[];
  readonly curve: CurvePoint[];
  readonly variance: VariancePoint[];
}

export interface Comparison {
  readonly a: string;
  readonly b: string;
  readonly probabilityOfImprovement: number;
  readonly ci95: [number, number];
}

export interface StudyReport {
  readonly name: string;
  readonly dir: string;
  readonly counts: Record<'finished' | 'running' | 'failed' | 'stopped' | 'pending', number>;
  readonly steps: number;
  readonly totalSteps: number;
  readonly variants: VariantReport[];
  readonly comparisons: Comparison[];
}

const CURVE_POINTS = 40;

/** The latest finite training return at or before each grid step (NaN before the first). */
function sampleCurve(rows: { steps: number; returnMean: number }[], grid: number[]): number[] {
  const out: number[] = [];
  let j = 0, last = NaN;
  for (const g of grid) {
    while (j < rows.length && rows[j].steps <= g) { if (Number.isFinite(rows[j].returnMean)) last = rows[j].returnMean; j++; }
    out.push(last);
  }
  return out;
}

export interface ReportOptions {
  /** Bootstrap replications for final scores and comparisons (default 2000) and curves (default 300). */
  readonly reps?: number;
  readonly curveReps?: number;
  readonly curves?: boolean;
}

export function studyReport(dir: string, o: ReportOptions = {}, plan: StudyPlan = readPlan(dir)): StudyReport {
  const { spec, variants } = readStudy(dir);
  const counts = { finished: 0, running: 0, failed: 0, stopped: 0, pending: 0 };
  let steps = 0, totalSteps = 0;
  const reps = o.reps ?? 2000;
  const out: VariantReport[] = variants.map((v, vi) => {
    const defs = plan.trials.filter((t) => t.variant === v.name);
    const metricsOf = new Map<number, { steps: number; returnMean: number }[]>();
    const trials = defs.map((t): TrialReport => {
      const td = studyFiles.trialDir(dir, t);
      const st = readStatus(td);
      const rows = readMetrics(td);
      metricsOf.set(t.index, rows);
      const score = readFinalEval(td);
      const last = rows.at(-1);
      const status: RunStatus = st.status === 'finished' && !score ? 'running' : st.status;
      if (status === 'finished') counts.finished++;
      else if (status === 'running' || status === 'paused') counts.running++;
      else if (status === 'failed' || status === 'crashed') counts.failed++;
      else if (status === 'stopped') counts.stopped++;
      else counts.pending++;
      steps += last?.steps ?? 0;
      totalSteps += t.config.totalSteps;
      return { index: t.index, seed: t.seed, runDir: td, status, message: st.message, steps: last?.steps ?? 0, totalSteps: t.config.totalSteps, finalReturn: score ? score.mean : null, wallTime: last?.wallTime ?? 0 };
    });
    const scores = trials.map((t) => t.finalReturn).filter((x): x is number => x !== null);
    const final = scores.length ? { ...aggregate([scores], { reps, seed: 17 + vi }), scored: scores.length } : null;
    let curve: CurvePoint[] = [];
    if (o.curves !== false && defs.length) {
      const maxSteps = Math.max(...defs.map((t) => t.config.totalSteps));
      const grid = Array.from({ length: CURVE_POINTS }, (_, i) => Math.round(((i + 1) / CURVE_POINTS) * maxSteps));
      const sampled = defs.map((t) => sampleCurve(metricsOf.get(t.index)!, grid));
      curve = grid.flatMap((g, i) => {
        const ys = sampled.map((s) => s[i]).filter(Number.isFinite);
        if (ys.length === 0) return [];
        const [lo, hi] = ys.length > 1 ? stratifiedBootstrapCI([ys], (s) => iqm(s[0]), { reps: o.curveReps ?? 300, seed: i }) : [ys[0], ys[0]];
        return [{ steps: g, iqm: iqm(ys), lo, hi, n: ys.length }];
      });
    }
    // Gradient-variance probes: mean over the trials that have each (at, phi).
    const acc = new Map<string, { at: number; phi: string; steps: number; g: number; v: number; s: number; n: number }>();
    for (const t of defs) {
      for (const r of readVarianceRecords(studyFiles.trialDir(dir, t))) {
        for (const e of r.estimators) {
          const k = `${r.at}|${e.phi}`;
          const a = acc.get(k) ?? { at: r.at, phi: e.phi, steps: 0, g: 0, v: 0, s: 0, n: 0 };
          a.steps += r.steps; a.g += e.meanGradNorm; a.v += e.totalVariance; a.s += e.snr; a.n++;
          acc.set(k, a);
        }
      }
    }
    const variance = [...acc.values()].map((a) => ({ at: a.at, steps: Math.round(a.steps / a.n), phi: a.phi, meanGradNorm: a.g / a.n, totalVariance: a.v / a.n, snr: a.s / a.n, n: a.n }))
      .sort((x, y) => x.at - y.at || x.phi.localeCompare(y.phi));
    const walls = trials.filter((t) => t.finalReturn !== null).map((t) => t.wallTime);
    const meanWallTime = walls.length ? walls.reduce((a, b) => a + b, 0) / walls.length : null;
    return { name: v.name, task: defs[0]?.config.task ?? '', algo: defs[0]?.config.algo ?? '', seeds: defs.map((t) => t.seed), meanWallTime, final, trials, curve, variance };
  });
  const comparisons: Comparison[] = [];
  out.forEach((a, i) => out.forEach((b, j) => {
    if (i === j) return;
    const x = a.trials.map((t) => t.finalReturn).filter((s): s is number => s !== null);
    const y = b.trials.map((t) => t.finalReturn).filter((s): s is number => s !== null);
    if (!x.length || !y.length) return;
    comparisons.push({ a: a.name, b: b.name, probabilityOfImprovement: probabilityOfImprovement([x], [y]), ci95: probabilityOfImprovementCI([x], [y], { reps, seed: 1000 + i * out.length + j }) });
  }));
  return { name: spec.name, dir, counts, steps, totalSteps, variants: out, comparisons };
}

/** The `study report --json` shape of the issue (the full report has more). */
export function reportJson(r: StudyReport): unknown {
  return {
    name: r.name,
    variants: r.variants.map((v) => ({
      name: v.name,
      seeds: v.seeds,
      meanWallTime: v.meanWallTime,
      final: v.final ? { mean: v.final.mean, iqm: v.final.iqm, ci95: v.final.ci95, meanCi95: v.final.meanCi95, scored: v.final.scored } : null,
      trials: v.trials.map((t) => ({ seed: t.seed, runDir: t.runDir, status: t.status, finalReturn: t.finalReturn })),
      curve: v.curve,
      variance: v.variance,
    })),
    comparisons: r.comparisons,
  };
}

const fmt = (x: number | null | undefined, d = 1) => (x === null || x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(d));

/** The plain-text report: final scores per variant, then the comparisons. */
export function reportTable(r: StudyReport): string {
  const lines = [`study ${r.name}: ${r.counts.finished} finished, ${r.counts.running} running, ${r.counts.stopped} stopped, ${r.counts.failed} failed, ${r.counts.pending} pending`, ''];
  const head = ['variant', 'scored', 'mean', 'IQM', 'IQM 95% CI', 'train s', 'scores by seed'];
  const rows = r.variants.map((v) => [
    v.name, `${v.final?.scored ?? 0}/${v.trials.length}`, fmt(v.final?.mean), fmt(v.final?.iqm),
    v.final ? `[${fmt(v.final.ci95[0])}, ${fmt(v.final.ci95[1])}]` : '—', fmt(v.meanWallTime, 0),
    v.trials.map((t) => `s${t.seed}:${t.finalReturn !== null ? fmt(t.finalReturn) : t.status}`).join(' '),
  ]);
  lines.push(...table(head, rows));
  if (r.comparisons.length) {
    lines.push('', 'probability of improvement P(a > b):');
    lines.push(...table(['a', 'b', 'P(a > b)', '95% CI'], r.comparisons.map((c) => [c.a, c.b, fmt(c.probabilityOfImprovement, 2), `[${fmt(c.ci95[0], 2)}, ${fmt(c.ci95[1], 2)}]`])));
  }
  const vr = r.variants.flatMap((v) => v.variance.map((p) => [v.name, String(p.at), String(p.steps), p.phi, p.meanGradNorm.toExponential(2), p.totalVariance.toExponential(2), fmt(p.snr, 3)]));
  if (vr.length) lines.push('', 'gradient variance (mean over seeds):', ...table(['variant', 'at', 'steps', 'phi', '‖mean g‖', 'tr Cov', 'snr'], vr));
  return lines.join('\n');
}

function table(head: string[], rows: string[][]): string[] {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(w[i])).join('  ').trimEnd();
  return [line(head), ...rows.map(line)];
}

/** One CSV row per trial. */
export function reportCsv(r: StudyReport): string {
  const q = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const rows = ['variant,seed,status,steps,finalReturn,runDir'];
  for (const v of r.variants) for (const t of v.trials) rows.push([q(v.name), t.seed, t.status, t.steps, t.finalReturn ?? '', q(t.runDir)].join(','));
  return rows.join('\n') + '\n';
}
