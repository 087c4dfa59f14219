// A PolicySnapshot acting on raw observations with preallocated buffers, on the export's reference
// forward pass (src/core/export/forward.ts) — no TF.js in the viewer process. Gives the action
// (mean or a seeded sample) and the policy view (μ after squashing and σ, as Algorithm.policyAt;
// categorical: the action probabilities and no σ).

import { snapshotAction, snapshotLogStd, snapshotMean } from '../export/forward.js';
import { validateSnapshot } from '../export/validate.js';
import type { PolicySnapshot } from '../policy/snapshot.js';
import { Rng } from '../rl/rng.js';

export class SnapshotPolicy {
  readonly mu: Float32Array;
  readonly std: Float32Array;
  private readonly raw: Float32Array;
  private readonly logStd: Float32Array;
  private readonly action: Float32Array;

  constructor(readonly snapshot: PolicySnapshot) {
    validateSnapshot(snapshot);
    const d = snapshot.actDim;
    const categorical = snapshot.kind === 'categorical';
    this.mu = new Float32Array(d);
    this.std = new Float32Array(categorical ? 0 : d);
    this.raw = new Float32Array(d);
    this.logStd = new Float32Array(categorical ? 0 : d);
    this.action = new Float32Array(categorical ? 1 : d);
  }

  /** Fills mu/std at obs (the policy view). */
  view(obs: Float32Array): void {
    const s = this.snapshot;
    if (s.kind === 'categorical') {
      snapshotMean(s, obs, this.raw);
      let max = -Infinity;
      for (let j = 0; j < s.actDim; j++) max = Math.max(max, this.raw[j]);
      let z = 0;
      for (let j = 0; j < s.actDim; j++) z += Math.exp(this.raw[j] - max);
      for (let j = 0; j < s.actDim; j++) this.mu[j] = Math.exp(this.raw[j] - max) / z;
      return;
    }
    snapshotAction(s, obs, this.mu);
    snapshotLogStd(s, obs, this.logStd);
    for (let j = 0; j < s.actDim; j++) this.std[j] = Math.exp(this.logStd[j]);
  }

  /**
   * The action at obs (policy-owned buffer). Deterministic: the squashed mean (categorical: the
   * argmax), exactly the export's snapshotAction. Stochastic: squash(μ + σ·ε) with ε from rng
   * (categorical: a draw from the softmax). Call view(obs) first for the stochastic case.
   */
  act(obs: Float32Array, deterministic: boolean, rng: Rng): Float32Array {
    const s = this.snapshot;
    if (deterministic) return snapshotAction(s, obs, this.action);
    if (s.kind === 'categorical') {
      let u = rng.uniform(), k = 0;
      for (; k < s.actDim - 1; k++) { u -= this.mu[k]; if (u <= 0) break; }
      this.action[0] = k;
      return this.action;
    }
    snapshotMean(s, obs, this.raw);
    const lo = s.actionLow, hi = s.actionHigh;
    for (let j = 0; j < s.actDim; j++) {
      let v = this.raw[j] + this.std[j] * rng.normal();
      if (lo && hi) {
        if (s.squash === 'tanh') v = lo[j] + (Math.tanh(v) + 1) * (hi[j] - lo[j]) / 2;
        else if (s.squash === 'clip') v = Math.min(hi[j], Math.max(lo[j], v));
      }
      this.action[j] = v;
    }
    return this.action;
  }
}
