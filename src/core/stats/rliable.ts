// Statistics for comparing RL results as Agarwal et al. recommend ("Deep RL at the Edge of the
// Statistical Precipice", NeurIPS 2021; the rliable library), written out here:
// - IQM: the interquartile mean, scipy.stats.trim_mean(x, 0.25) over all runs: sort, drop
//   floor(0.25·n) scores at each end, average the rest (n < 4 drops nothing);
// - stratified bootstrap: resample runs with replacement within each task (stratum), compute the
//   statistic, repeat; 95% CI by the percentile method (numpy's linear-interpolated percentiles);
// - probability of improvement P(X > Y): per task the Mann-Whitney form
//   1/(n·m) Σ_i Σ_j [x_i > y_j] + ½[x_i = y_j], averaged over tasks; its CI resamples X and Y
//   independently (rliable's StratifiedIndependentBootstrap).
// Scores are `runs × tasks` matrices given as one array per task (a study's variant has one task).

import { Rng } from '../rl/rng.js';

/** Scores of one algorithm/variant: byTask[k] holds the runs' scores on task k. */
export type ScoresByTask = readonly (readonly number[])[];

export function mean(x: readonly number[]): number {
  if (x.length === 0) return NaN;
  let s = 0;
  for (const v of x) s += v;
  return s / x.length;
}

/** scipy.stats.trim_mean(x, 0.25): the mean of the middle half. */
export function iqm(x: readonly number[]): number {
  const n = x.length;
  if (n === 0) return NaN;
  const s = [...x].sort((a, b) => a - b);
  const cut = Math.floor(0.25 * n);
  return mean(s.slice(cut, n - cut));
}

/** numpy.percentile(x, p) with linear interpolation (x need not be sorted). */
export function percentile(x: readonly number[], p: number): number {
  if (x.length === 0) return NaN;
  const s = [...x].sort((a, b) => a - b);
  const pos = (p / 100) * (s.length - 1);
  const lo = Math.floor(pos), hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

/** IQM over all runs of all tasks (rliable's aggregate_iqm flattens the matrix). */
export function aggregateIqm(scores: ScoresByTask): number {
  return iqm(scores.flat());
}

/** Mean over tasks of each task's mean (rliable's aggregate_mean). */
export function aggregateMean(scores: ScoresByTask): number {
  return mean(scores.map((t) => mean(t)));
}

export interface BootstrapOptions {
  /** Replications (rliable's default is 50,000; 2,000 keeps reports quick and the CI ends stable to ~1%). */
  readonly reps?: number;
  /** Coverage, default 0.95. */
  readonly confidence?: number;
  readonly seed?: number;
}

function resample(task: readonly number[], rng: Rng, out: number[]): number[] {
  out.length = task.length;
  for (let i = 0; i < task.length; i++) out[i] = task[rng.int(task.length)];
  return out;
}

/** Percentile CI of `stat` under the stratified bootstrap (runs resampled within each task). */
export function stratifiedBootstrapCI(scores: ScoresByTask, stat: (s: ScoresByTask) => number, o: BootstrapOptions = {}): [number, number] {
  const reps = o.reps ?? 2000, conf = o.confidence ?? 0.95;
  if (scores.length === 0 || scores.some((t) => t.length === 0)) return [NaN, NaN];
  const rng = new Rng(o.seed ?? 0);
  const bufs = scores.map(() => [] as number[]);
  const dist = new Array<number>(reps);
  for (let r = 0; r < reps; r++) dist[r] = stat(scores.map((t, k) => resample(t, rng, bufs[k])));
  const a = (1 - conf) / 2;
  return [percentile(dist, 100 * a), percentile(dist, 100 * (1 - a))];
}

/** P(X > Y) + ½P(X = Y) over all pairs of runs (Mann-Whitney U / (n·m)), for one task. */
export function pairwiseImprovement(x: readonly number[], y: readonly number[]): number {
  if (x.length === 0 || y.length === 0) return NaN;
  let s = 0;
  for (const a of x) for (const b of y) s += a > b ? 1 : a === b ? 0.5 : 0;
  return s / (x.length * y.length);
}

/** rliable's probability_of_improvement: the per-task P(X > Y) averaged over tasks. */
export function probabilityOfImprovement(x: ScoresByTask, y: ScoresByTask): number {
  if (x.length !== y.length) throw new RangeError('probabilityOfImprovement: X and Y must cover the same tasks');
  return mean(x.map((t, k) => pairwiseImprovement(t, y[k])));
}

/** CI of the probability of improvement: X and Y resampled independently, each within its tasks. */
export function probabilityOfImprovementCI(x: ScoresByTask, y: ScoresByTask, o: BootstrapOptions = {}): [number, number] {
  const reps = o.reps ?? 2000, conf = o.confidence ?? 0.95;
  if (x.length !== y.length) throw new RangeError('probabilityOfImprovement: X and Y must cover the same tasks');
  if (x.some((t) => t.length === 0) || y.some((t) => t.length === 0)) return [NaN, NaN];
  const rng = new Rng(o.seed ?? 0);
  const bx = x.map(() => [] as number[]), by = y.map(() => [] as number[]);
  const dist = new Array<number>(reps);
  for (let r = 0; r < reps; r++) dist[r] = probabilityOfImprovement(x.map((t, k) => resample(t, rng, bx[k])), y.map((t, k) => resample(t, rng, by[k])));
  const a = (1 - conf) / 2;
  return [percentile(dist, 100 * a), percentile(dist, 100 * (1 - a))];
}

export interface Aggregate {
  readonly n: number;
  readonly mean: number;
  readonly iqm: number;
  readonly ci95: [number, number];
  readonly meanCi95: [number, number];
}

/** Mean and IQM of one variant's scores, with 95% stratified-bootstrap CIs (the CI reported is IQM's). */
export function aggregate(scores: ScoresByTask, o: BootstrapOptions = {}): Aggregate {
  return {
    n: scores.reduce((s, t) => s + t.length, 0),
    mean: aggregateMean(scores),
    iqm: aggregateIqm(scores),
    ci95: stratifiedBootstrapCI(scores, aggregateIqm, o),
    meanCi95: stratifiedBootstrapCI(scores, aggregateMean, o),
  };
}
