// Running statistics for observation normalization and reward scaling (SB3's VecNormalize idea):
// obs ← clip((obs − μ)/√(σ² + ε)), reward ← clip(r / √(Var[discounted return] + ε)).
import type { ObsNormSnapshot } from '../policy/snapshot.js';

/** Mean and variance of a stream of d-vectors, merged batch by batch (Chan et al.'s parallel rule). */
export class RunningMeanStd {
  readonly mean: Float64Array;
  readonly var: Float64Array;
  /** Starts at a tiny count (as SB3) so the first batch dominates without dividing by zero. */
  count = 1e-4;

  constructor(readonly dim: number) {
    this.mean = new Float64Array(dim);
    this.var = new Float64Array(dim).fill(1);
  }

  /** Merges rows × dim values of x (row-major) into the statistics. */
  update(x: ArrayLike<number>, rows: number): void {
    const d = this.dim;
    if (rows <= 0) return;
    if (x.length < rows * d) throw new RangeError(`RunningMeanStd.update: need ${rows * d} values, got ${x.length}`);
    const n = this.count, m = rows, tot = n + m;
    for (let j = 0; j < d; j++) {
      let bm = 0;
      for (let r = 0; r < rows; r++) bm += x[r * d + j];
      bm /= m;
      let bv = 0;
      for (let r = 0; r < rows; r++) bv += (x[r * d + j] - bm) ** 2;
      bv /= m;
      this.mergeDim(j, bm, bv, n, m, tot);
    }
    this.count = tot;
  }

  /**
   * Merges another stream's statistics, given as getState() writes them (mean, var, count): A3C
   * workers send the moments of the observations they saw. A count of 0 changes nothing.
   */
  merge(moments: ArrayLike<number>): void {
    const d = this.dim;
    if (moments.length !== 2 * d + 1) throw new RangeError(`RunningMeanStd.merge: expected ${2 * d + 1} numbers, got ${moments.length}`);
    const m = moments[2 * d];
    if (!(m > 0)) return;
    const n = this.count, tot = n + m;
    for (let j = 0; j < d; j++) this.mergeDim(j, moments[j], moments[d + j], n, m, tot);
    this.count = tot;
  }

  /** Chan et al.'s rule for one dimension: n values so far, m new ones with mean bm, variance bv. */
  private mergeDim(j: number, bm: number, bv: number, n: number, m: number, tot: number): void {
    const delta = bm - this.mean[j];
    this.mean[j] += (delta * m) / tot;
    this.var[j] = (this.var[j] * n + bv * m + (delta * delta * n * m) / tot) / tot;
  }

  getState(): Float64Array {
    const s = new Float64Array(2 * this.dim + 1);
    s.set(this.mean, 0);
    s.set(this.var, this.dim);
    s[2 * this.dim] = this.count;
    return s;
  }

  setState(s: ArrayLike<number>): void {
    if (s.length !== 2 * this.dim + 1) throw new RangeError(`RunningMeanStd.setState: expected ${2 * this.dim + 1} numbers, got ${s.length}`);
    for (let j = 0; j < this.dim; j++) {
      this.mean[j] = s[j];
      this.var[j] = s[this.dim + j];
    }
    this.count = s[2 * this.dim];
  }
}

export class ObsNormalizer {
  readonly rms: RunningMeanStd;
  constructor(readonly dim: number, readonly clip = 10, readonly eps = 1e-8) {
    this.rms = new RunningMeanStd(dim);
  }

  /** Normalizes rows × dim values of x into out (out may be x). */
  normalize(x: ArrayLike<number>, rows: number, out: Float32Array): void {
    const d = this.dim, c = this.clip;
    for (let r = 0; r < rows; r++)
      for (let j = 0; j < d; j++) {
        const i = r * d + j;
        const v = (x[i] - this.rms.mean[j]) / Math.sqrt(this.rms.var[j] + this.eps);
        out[i] = v < -c ? -c : v > c ? c : v;
      }
  }

  snapshot(): ObsNormSnapshot {
    return { mean: Float32Array.from(this.rms.mean), var: Float32Array.from(this.rms.var), eps: this.eps, clip: this.clip };
  }
}

/** Scales rewards by the running std of each env's discounted return (not mean-centred). */
export class RewardScaler {
  readonly rms = new RunningMeanStd(1);
  readonly ret: Float64Array;
  constructor(readonly numEnvs: number, readonly gamma: number, readonly clip = 10, readonly eps = 1e-8) {
    this.ret = new Float64Array(numEnvs);
  }

  /** Scales the N rewards in place; `done[n]` ends env n's return after this step. */
  scale(rewards: Float32Array, done: Uint8Array): void {
    const N = this.numEnvs;
    for (let n = 0; n < N; n++) this.ret[n] = this.ret[n] * this.gamma + rewards[n];
    this.rms.update(this.ret, N);
    const sd = Math.sqrt(this.rms.var[0] + this.eps), c = this.clip;
    for (let n = 0; n < N; n++) {
      const v = rewards[n] / sd;
      rewards[n] = v < -c ? -c : v > c ? c : v;
      if (done[n]) this.ret[n] = 0;
    }
  }

  getState(): Float64Array {
    const s = new Float64Array(3 + this.numEnvs);
    s.set(this.rms.getState(), 0);
    s.set(this.ret, 3);
    return s;
  }

  setState(s: ArrayLike<number>): void {
    if (s.length !== 3 + this.numEnvs) throw new RangeError(`RewardScaler.setState: expected ${3 + this.numEnvs} numbers, got ${s.length}`);
    this.rms.setState([s[0], s[1], s[2]]);
    for (let n = 0; n < this.numEnvs; n++) this.ret[n] = s[3 + n];
  }
}
