// The policy distribution on the kernel engine's outputs, per sample: log π(a|s), the entropy H,
// and their gradients with respect to the head's outputs (μ and raw log σ, or the logits). An
// algorithm's loss calls logProb/entropy row by row and hands each row's dL/dlog π and dL/dH to
// addGrad; KernelNet.backward then carries them into the parameters. Same math as the TF.js
// reference (distributions.ts): the Gaussian log-prob of the stored pre-squash sample u (the tanh
// Jacobian does not depend on θ given u), log σ clamped to [LOG_STD_MIN, LOG_STD_MAX] with the
// clamp's gradient (1 inside, bounds included, 0 outside), a numerically stable log-softmax.
import { LOG_STD_MAX, LOG_STD_MIN } from '../rl/networks.js';
import type { KernelNet } from './kernel-net.js';

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

export class PolicyHead {
  private readonly F: Float32Array;
  private readonly d: number;
  /** log σ per dimension for the current row (Gaussian), or log-softmax (categorical). */
  private readonly ls: Float64Array;
  private readonly inv: Float64Array;
  /** 1 where the raw log σ lies inside the clamp (its gradient passes). */
  private readonly inside: Uint8Array;
  private row = -1;

  constructor(readonly net: KernelNet) {
    this.F = net.arena.f32;
    this.d = net.actDim;
    this.ls = new Float64Array(this.d);
    this.inv = new Float64Array(this.d);
    this.inside = new Uint8Array(this.d);
  }

  /** Zeroes the head's output gradients for `rows` rows (call before the first addGrad). */
  begin(rows: number): void {
    const { F, net, d } = this;
    F.fill(0, net.dMu, net.dMu + rows * d);
    const dl = net.dLogStd;
    if (dl >= 0) F.fill(0, dl, dl + (net.logStdHead ? rows : 1) * d);
    this.row = -1;
  }

  /** Reads row r's log σ (clamped) or log-softmax once; every method below calls it. */
  private at(r: number): void {
    if (this.row === r) return;
    const { F, net, d, ls } = this;
    if (net.discrete) {
      const o = net.meanHead.output + r * d;
      let m = -Infinity;
      for (let j = 0; j < d; j++) m = Math.max(m, F[o + j]);
      let s = 0;
      for (let j = 0; j < d; j++) s += Math.exp(F[o + j] - m);
      const lse = m + Math.log(s);
      for (let j = 0; j < d; j++) ls[j] = F[o + j] - lse;
    } else {
      const o = net.logStdHead ? net.logStdHead.output + r * d : net.logStd;
      for (let j = 0; j < d; j++) {
        const raw = F[o + j];
        const c = net.logStdHead ? Math.min(Math.max(raw, LOG_STD_MIN), LOG_STD_MAX) : raw;
        this.inside[j] = !net.logStdHead || (raw >= LOG_STD_MIN && raw <= LOG_STD_MAX) ? 1 : 0;
        ls[j] = c;
        this.inv[j] = Math.exp(-c);
      }
    }
    this.row = r;
  }

  /** log π(a|s_r): `a` holds the sample u (Gaussian, d numbers at `ao`) or the action index. */
  logProb(r: number, a: ArrayLike<number>, ao: number): number {
    this.at(r);
    const { F, net, d, ls } = this;
    if (net.discrete) return ls[a[ao]];
    const mu = net.meanHead.output + r * d;
    let lp = 0;
    for (let j = 0; j < d; j++) {
      const z = (a[ao + j] - F[mu + j]) * this.inv[j];
      lp += -0.5 * z * z - ls[j] - HALF_LOG_2PI;
    }
    return lp;
  }

  /** H[π(·|s_r)]. */
  entropy(r: number): number {
    this.at(r);
    const { d, ls } = this;
    let h = 0;
    if (this.net.discrete) for (let j = 0; j < d; j++) h -= Math.exp(ls[j]) * ls[j];
    else for (let j = 0; j < d; j++) h += ls[j] + 0.5 + HALF_LOG_2PI;
    return h;
  }

  /** Adds dLogp·∂log π(a|s_r)/∂out + dEnt·∂H/∂out to row r's output gradients. */
  addGrad(r: number, a: ArrayLike<number>, ao: number, dLogp: number, dEnt: number): void {
    this.at(r);
    const { F, net, d, ls } = this;
    const dOut = net.dMu + r * d;
    if (net.discrete) {
      // ∂log p_a/∂z_j = 1{j=a} − p_j;  ∂H/∂z_j = −p_j (log p_j + H).
      const h = dEnt !== 0 ? this.entropy(r) : 0, k = a[ao];
      for (let j = 0; j < d; j++) {
        const p = Math.exp(ls[j]);
        F[dOut + j] += dLogp * ((j === k ? 1 : 0) - p) - dEnt * p * (ls[j] + h);
      }
      return;
    }
    const mu = net.meanHead.output + r * d;
    const dLs = net.logStdHead ? net.dLogStd + r * d : net.dLogStd;
    for (let j = 0; j < d; j++) {
      const z = (a[ao + j] - F[mu + j]) * this.inv[j];
      F[dOut + j] += dLogp * z * this.inv[j]; // ∂log π/∂μ = (u − μ)/σ²
      if (this.inside[j]) F[dLs + j] += dLogp * (z * z - 1) + dEnt; // ∂log π/∂log σ = z² − 1, ∂H/∂log σ = 1
    }
  }
}
