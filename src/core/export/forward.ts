// Reference forward pass of a PolicySnapshot in plain JS (float64 accumulation): the ground
// truth the ONNX and TF.js exports are tested against, usable wherever TF.js is not loaded.

import type { DenseLayer, PolicySnapshot } from '../policy/snapshot.js';
import { ExportError } from './errors.js';
import { trunkWidth, validateSnapshot } from './validate.js';

/** Two ping-pong buffers wide enough for any layer of one snapshot, reused across calls. */
interface Scratch {
  a: Float64Array;
  b: Float64Array;
  trunkOut: Float64Array;
}
const scratchOf = new WeakMap<PolicySnapshot, Scratch>();

function scratch(s: PolicySnapshot): Scratch {
  let sc = scratchOf.get(s);
  if (sc === undefined) {
    validateSnapshot(s);
    let w = Math.max(s.obsDim, s.actDim);
    for (const l of [...s.trunk, ...s.meanHead, ...(s.logStdHead ?? [])]) w = Math.max(w, l.outDim);
    sc = { a: new Float64Array(w), b: new Float64Array(w), trunkOut: new Float64Array(w) };
    scratchOf.set(s, sc);
  }
  return sc;
}

function activate(x: number, act: DenseLayer['activation']): number {
  switch (act) {
    case 'tanh': return Math.tanh(x);
    case 'relu': return x > 0 ? x : 0;
    case 'elu': return x > 0 ? x : Math.expm1(x); // alpha = 1, as Keras/TF.js and ONNX default
    case 'linear': return x;
  }
}

/** y[0..outDim) = act(x · W + b). */
function dense(l: DenseLayer, x: Float64Array, y: Float64Array): void {
  const { inDim, outDim, w, b, activation } = l;
  for (let j = 0; j < outDim; j++) {
    let acc = b[j];
    for (let i = 0; i < inDim; i++) acc += x[i] * w[i * outDim + j];
    y[j] = activate(acc, activation);
  }
}

/** Runs a chain from `input` (width given by the chain); returns the buffer holding the result. */
function chain(layers: readonly DenseLayer[], input: Float64Array, sc: Scratch): Float64Array {
  let x = input;
  for (const l of layers) {
    const y = x === sc.a ? sc.b : sc.a;
    dense(l, x, y);
    x = y;
  }
  return x;
}

/** Normalized observation → trunk; the trunk's output lands in sc.trunkOut. */
function trunk(s: PolicySnapshot, obs: ArrayLike<number>, sc: Scratch): void {
  if (obs.length !== s.obsDim) {
    throw new ExportError('bad-observation', `observation has length ${obs.length}, the policy expects ${s.obsDim}`);
  }
  const x = sc.a;
  const n = s.obsNorm;
  for (let i = 0; i < s.obsDim; i++) {
    let v = obs[i];
    if (n !== undefined) {
      v = (v - n.mean[i]) / Math.sqrt(n.var[i] + n.eps);
      v = Math.min(n.clip, Math.max(-n.clip, v));
    }
    x[i] = v;
  }
  const out = chain(s.trunk, x, sc);
  sc.trunkOut.set(out.subarray(0, trunkWidth(s)));
}

/**
 * The head's raw output: the mean μ before squashing (gaussian) or the logits (categorical).
 * Writes actDim values into out (allocated when absent).
 */
export function snapshotMean(s: PolicySnapshot, obs: ArrayLike<number>, out?: Float32Array): Float32Array {
  const sc = scratch(s);
  trunk(s, obs, sc);
  const res = out ?? new Float32Array(s.actDim);
  const y = chain(s.meanHead, sc.trunkOut, sc);
  for (let j = 0; j < s.actDim; j++) res[j] = y[j];
  return res;
}

/**
 * The deterministic action for one raw observation. Gaussian: the mean mapped into the bounds
 * ('tanh': low + (tanh μ + 1)(high − low)/2, 'clip': clamp to [low, high], 'none': μ), actDim
 * values. Categorical: the argmax index (first on ties) as a 1-element array.
 */
export function snapshotAction(s: PolicySnapshot, obs: ArrayLike<number>, out?: Float32Array): Float32Array {
  const sc = scratch(s);
  trunk(s, obs, sc);
  const y = chain(s.meanHead, sc.trunkOut, sc);
  if (s.kind === 'categorical') {
    let best = 0;
    for (let j = 1; j < s.actDim; j++) if (y[j] > y[best]) best = j;
    const res = out ?? new Float32Array(1);
    res[0] = best;
    return res;
  }
  const res = out ?? new Float32Array(s.actDim);
  const lo = s.actionLow;
  const hi = s.actionHigh;
  for (let j = 0; j < s.actDim; j++) {
    let v = y[j];
    if (s.squash === 'tanh' && lo && hi) v = lo[j] + (Math.tanh(v) + 1) * (hi[j] - lo[j]) / 2;
    else if (s.squash === 'clip' && lo && hi) v = Math.min(hi[j], Math.max(lo[j], v));
    res[j] = v;
  }
  return res;
}

/**
 * log σ at one raw observation (gaussian): the state-independent vector, or the log-std head's
 * output. Categorical policies have none: an empty array, as Algorithm.policyAt does.
 */
export function snapshotLogStd(s: PolicySnapshot, obs: ArrayLike<number>, out?: Float32Array): Float32Array {
  const sc = scratch(s);
  if (s.kind === 'categorical') return out ?? new Float32Array(0);
  const res = out ?? new Float32Array(s.actDim);
  if (s.logStd !== undefined) {
    if (obs.length !== s.obsDim) {
      throw new ExportError('bad-observation', `observation has length ${obs.length}, the policy expects ${s.obsDim}`);
    }
    res.set(s.logStd);
    return res;
  }
  trunk(s, obs, sc);
  const y = chain(s.logStdHead ?? [], sc.trunkOut, sc);
  const [lo, hi] = s.logStdRange ?? [-Infinity, Infinity];
  for (let j = 0; j < s.actDim; j++) res[j] = Math.min(hi, Math.max(lo, y[j]));
  return res;
}
