// Seeded random PolicySnapshots for the export tests, covering every shape the exporters handle.

import type { Activation, DenseLayer, PolicySnapshot } from '../src/core/policy/snapshot.js';
import { Rng } from '../src/core/rl/rng.js';

export interface RandomSnapshotOptions {
  kind?: 'gaussian' | 'categorical';
  obsDim?: number;
  actDim?: number;
  /** Widths of the trunk's hidden layers (empty: no trunk). */
  trunk?: number[];
  /** Widths of hidden layers inside the mean head (and the log-std head), before its linear output. */
  head?: number[];
  activation?: Activation;
  norm?: boolean;
  squash?: 'clip' | 'tanh' | 'none';
  logStd?: 'vector' | 'head';
  /** Weight scale: > 1 pushes means outside the bounds so clipping is exercised. */
  scale?: number;
}

function layer(rng: Rng, inDim: number, outDim: number, activation: Activation, scale: number): DenseLayer {
  const w = new Float32Array(inDim * outDim);
  const b = new Float32Array(outDim);
  const s = scale / Math.sqrt(inDim);
  for (let i = 0; i < w.length; i++) w[i] = rng.normal() * s;
  for (let i = 0; i < b.length; i++) b[i] = rng.normal() * 0.3;
  return { inDim, outDim, w, b, activation };
}

function chain(rng: Rng, inDim: number, widths: number[], outDim: number | null, act: Activation, scale: number): DenseLayer[] {
  const layers: DenseLayer[] = [];
  let d = inDim;
  for (const wd of widths) {
    layers.push(layer(rng, d, wd, act, scale));
    d = wd;
  }
  if (outDim !== null) layers.push(layer(rng, d, outDim, 'linear', scale));
  return layers;
}

export function randomSnapshot(seed: number, o: RandomSnapshotOptions = {}): PolicySnapshot {
  const rng = new Rng(seed);
  const kind = o.kind ?? 'gaussian';
  const obsDim = o.obsDim ?? 7;
  const actDim = o.actDim ?? 3;
  const act = o.activation ?? 'tanh';
  const scale = o.scale ?? 1.5;
  const trunk = chain(rng, obsDim, o.trunk ?? [16], null, act, scale);
  const tw = trunk.length > 0 ? trunk[trunk.length - 1].outDim : obsDim;
  const meanHead = chain(rng, tw, o.head ?? [], actDim, act, scale);
  const obsNorm = o.norm === false ? undefined : {
    mean: Float32Array.from({ length: obsDim }, () => rng.normal()),
    var: Float32Array.from({ length: obsDim }, () => 0.2 + 3 * rng.uniform()),
    eps: 1e-8,
    clip: 5,
  };
  if (kind === 'categorical') {
    return { kind, obsDim, actDim, obsNorm, trunk, meanHead, squash: 'none' };
  }
  const squash = o.squash ?? 'clip';
  const actionLow = Float32Array.from({ length: actDim }, () => -0.5 - rng.uniform());
  const actionHigh = Float32Array.from({ length: actDim }, () => 0.5 + rng.uniform());
  const mode = o.logStd ?? 'vector';
  return {
    kind, obsDim, actDim, obsNorm, trunk, meanHead, squash, actionLow, actionHigh,
    logStd: mode === 'vector' ? Float32Array.from({ length: actDim }, () => -0.5 + 0.3 * rng.normal()) : undefined,
    logStdHead: mode === 'head' ? chain(rng, tw, o.head ?? [], actDim, act, scale) : undefined,
    // Narrow enough that some random observations hit both ends of the clamp.
    logStdRange: mode === 'head' ? [-0.3, 0.3] : undefined,
  };
}

/** n observations of width d (row-major), wide enough to hit the normalizer's clip. */
export function randomObservations(seed: number, n: number, d: number): Float32Array {
  const rng = new Rng(seed);
  const out = new Float32Array(n * d);
  for (let i = 0; i < out.length; i++) out[i] = rng.normal() * 3;
  return out;
}

/** Largest |a−b| / max(1, |b|) over two equal-length arrays. */
export function maxRelErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const e = Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i]));
    if (!(e <= m)) m = Number.isNaN(e) ? Infinity : e;
  }
  return m;
}

/** The policy shapes every exporter must reproduce (name, snapshot). */
export function exportCases(): Array<[string, PolicySnapshot]> {
  const clipInf = randomSnapshot(7, { squash: 'clip', norm: false, activation: 'relu', scale: 3 });
  clipInf.actionHigh![0] = Infinity; // one unbounded side: must pass through untouched
  clipInf.actionLow![1] = -Infinity;
  return [
    ['gaussian, clip to bounds, obs norm, tanh', randomSnapshot(1, { squash: 'clip', activation: 'tanh', trunk: [32, 16], scale: 3 })],
    ['gaussian, tanh squash, obs norm, relu', randomSnapshot(2, { squash: 'tanh', activation: 'relu', trunk: [24] })],
    ['gaussian, log-std head on a shared trunk, elu', randomSnapshot(3, { logStd: 'head', activation: 'elu', trunk: [16], head: [8], squash: 'tanh' })],
    ['gaussian, no trunk, no norm, squash none, elu', randomSnapshot(4, { trunk: [], head: [12, 6], norm: false, squash: 'none', activation: 'elu' })],
    ['gaussian, clip with infinite bounds, no norm, relu', clipInf],
    ['categorical, obs norm, relu', randomSnapshot(5, { kind: 'categorical', actDim: 5, activation: 'relu', trunk: [16, 16] })],
    ['categorical, no trunk, no norm, tanh', randomSnapshot(6, { kind: 'categorical', actDim: 3, trunk: [], head: [10], norm: false })],
  ];
}

/** Reference outputs for n observations: actions (1 per row for categorical), heads (μ or logits), log σ. */
export function reference(s: PolicySnapshot, obs: Float32Array, n: number, fwd: {
  action: (s: PolicySnapshot, o: Float32Array) => Float32Array;
  mean: (s: PolicySnapshot, o: Float32Array) => Float32Array;
  logStd: (s: PolicySnapshot, o: Float32Array) => Float32Array;
}): { action: Float32Array; mean: Float32Array; logStd: Float32Array } {
  const aw = s.kind === 'categorical' ? 1 : s.actDim;
  const action = new Float32Array(n * aw);
  const mean = new Float32Array(n * s.actDim);
  const logStd = new Float32Array(s.kind === 'categorical' ? 0 : n * s.actDim);
  for (let i = 0; i < n; i++) {
    const o = obs.subarray(i * s.obsDim, (i + 1) * s.obsDim);
    action.set(fwd.action(s, o), i * aw);
    mean.set(fwd.mean(s, o), i * s.actDim);
    if (s.kind === 'gaussian') logStd.set(fwd.logStd(s, o), i * s.actDim);
  }
  return { action, mean, logStd };
}

/**
 * Checks argmax actions against reference logits: they must agree except where the reference's
 * best two logits are within tol (a float32 rounding tie). Returns the number of disagreements.
 */
export function argmaxDisagreements(got: ArrayLike<number>, refLogits: Float32Array, refAction: Float32Array, k: number, tol: number): number {
  let bad = 0;
  for (let i = 0; i < refAction.length; i++) {
    if (Number(got[i]) === refAction[i]) continue;
    const row = refLogits.subarray(i * k, (i + 1) * k);
    const gap = Math.abs(row[refAction[i]] - row[Number(got[i])]);
    if (!(gap <= tol)) bad++;
  }
  return bad;
}
