// Action distributions: diagonal Gaussian (with optional tanh squash into the action bounds) and
// categorical. JS versions act in the rollout loop; tf versions appear in the losses.
import * as tf from '@tensorflow/tfjs';
import type { Rng } from './rng.js';

const LOG_2PI = Math.log(2 * Math.PI);
/** Guards log(1 − tanh²u) when tanh saturates (SB3 uses 1e-6 as well). */
export const TANH_EPS = 1e-6;

// ---------------------------------------------------------------- diagonal Gaussian, JS
/** log N(x; μ, σ) summed over d dims of row `row` (μ, x as [rows, d]; logStd as [d] or [rows, d]). */
export function gaussianLogProb(x: ArrayLike<number>, mu: ArrayLike<number>, logStd: ArrayLike<number>, d: number, row = 0): number {
  let lp = 0;
  const o = row * d;
  const so = logStd.length === d ? 0 : o;
  for (let j = 0; j < d; j++) {
    const ls = logStd[so + j];
    const z = (x[o + j] - mu[o + j]) / Math.exp(ls);
    lp += -0.5 * z * z - ls - 0.5 * LOG_2PI;
  }
  return lp;
}

/** Σ_j 0.5·log(2πe σ_j²). */
export function gaussianEntropy(logStd: ArrayLike<number>): number {
  let h = 0;
  for (let j = 0; j < logStd.length; j++) h += 0.5 + 0.5 * LOG_2PI + logStd[j];
  return h;
}

/** Σ_j log(1 − tanh²(u_j) + eps): what tanh squashing subtracts from log N(u). */
export function tanhLogDetJacobian(u: ArrayLike<number>, d: number, row = 0): number {
  let s = 0;
  for (let j = 0; j < d; j++) {
    const th = Math.tanh(u[row * d + j]);
    s += Math.log(1 - th * th + TANH_EPS);
  }
  return s;
}

export type Squash = 'clip' | 'tanh' | 'none';

/**
 * Draws u = μ + σ·z for rows × d (σ = exp(logStd), logStd as [d] or [rows, d]) into `u`, and
 * writes the env action into `action`: clip(u) to the bounds, low + (tanh(u)+1)(high−low)/2, or u.
 * With deterministic, u = μ.
 */
export function sampleGaussian(
  mu: ArrayLike<number>, logStd: ArrayLike<number>, rows: number, d: number, rng: Rng | null,
  u: Float32Array, action: Float32Array, squash: Squash, low?: ArrayLike<number>, high?: ArrayLike<number>,
): void {
  const shared = logStd.length === d;
  for (let r = 0; r < rows; r++)
    for (let j = 0; j < d; j++) {
      const i = r * d + j;
      const x = rng ? mu[i] + Math.exp(logStd[shared ? j : i]) * rng.normal() : mu[i];
      u[i] = x;
      action[i] = squashValue(x, squash, j, low, high);
    }
}

/** Maps one pre-squash value into the action space. */
export function squashValue(x: number, squash: Squash, j: number, low?: ArrayLike<number>, high?: ArrayLike<number>): number {
  if (squash === 'none' || !low || !high) return x;
  const lo = low[j], hi = high[j];
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return squash === 'tanh' ? Math.tanh(x) : x;
  if (squash === 'tanh') return lo + (Math.tanh(x) + 1) * 0.5 * (hi - lo);
  return x < lo ? lo : x > hi ? hi : x;
}

/**
 * log π(a|s) of a tanh-squashed and rescaled action, from the pre-squash u:
 * log N(u; μ, σ) − Σ log(1 − tanh²u) − Σ log((high − low)/2).
 */
export function squashedGaussianLogProb(u: ArrayLike<number>, mu: ArrayLike<number>, logStd: ArrayLike<number>, d: number, low: ArrayLike<number>, high: ArrayLike<number>, row = 0): number {
  let lp = gaussianLogProb(u, mu, logStd, d, row) - tanhLogDetJacobian(u, d, row);
  for (let j = 0; j < d; j++) lp -= Math.log((high[j] - low[j]) / 2);
  return lp;
}

// ---------------------------------------------------------------- diagonal Gaussian, tf
/** [B] log N(x; μ, σ) summed over the last axis; logStd broadcasts ([d] or [B, d]). */
export function gaussianLogProbTf(x: tf.Tensor2D, mu: tf.Tensor2D, logStd: tf.Tensor): tf.Tensor1D {
  return tf.tidy(() => {
    const z = tf.div(tf.sub(x, mu), tf.exp(logStd));
    const per = tf.add(tf.mul(tf.square(z), -0.5), tf.add(logStd, 0.5 * LOG_2PI).neg());
    return tf.sum(per, -1) as tf.Tensor1D;
  });
}

/** Entropy Σ_j (0.5 + 0.5 log 2π + log σ_j): scalar for [d] logStd, [B] for [B, d]. */
export function gaussianEntropyTf(logStd: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.sum(tf.add(logStd, 0.5 + 0.5 * LOG_2PI), -1));
}

// ---------------------------------------------------------------- categorical
/** log softmax of row `row` of logits [rows, k] into out [k]. */
export function logSoftmax(logits: ArrayLike<number>, k: number, row: number, out: Float32Array | Float64Array): void {
  let m = -Infinity;
  for (let j = 0; j < k; j++) m = Math.max(m, logits[row * k + j]);
  let s = 0;
  for (let j = 0; j < k; j++) s += Math.exp(logits[row * k + j] - m);
  const lse = m + Math.log(s);
  for (let j = 0; j < k; j++) out[j] = logits[row * k + j] - lse;
}

export function categoricalLogProb(logits: ArrayLike<number>, k: number, row: number, a: number, scratch: Float64Array): number {
  logSoftmax(logits, k, row, scratch);
  return scratch[a];
}

/** −Σ p log p. */
export function categoricalEntropy(logits: ArrayLike<number>, k: number, row: number, scratch: Float64Array): number {
  logSoftmax(logits, k, row, scratch);
  let h = 0;
  for (let j = 0; j < k; j++) h -= Math.exp(scratch[j]) * scratch[j];
  return h;
}

/** Samples an index by inverse CDF (rng null: argmax). */
export function sampleCategorical(logits: ArrayLike<number>, k: number, row: number, rng: Rng | null, scratch: Float64Array): number {
  logSoftmax(logits, k, row, scratch);
  if (!rng) {
    let best = 0;
    for (let j = 1; j < k; j++) if (scratch[j] > scratch[best]) best = j;
    return best;
  }
  const u = rng.uniform();
  let c = 0;
  for (let j = 0; j < k; j++) {
    c += Math.exp(scratch[j]);
    if (u < c) return j;
  }
  return k - 1;
}

/** [B] log π(a|s) for integer actions [B] (given as float or int tensor). */
export function categoricalLogProbTf(logits: tf.Tensor2D, actions: tf.Tensor1D): tf.Tensor1D {
  return tf.tidy(() => {
    const lsm = tf.logSoftmax(logits);
    const oh = tf.oneHot(tf.cast(actions, 'int32'), logits.shape[1]);
    return tf.sum(tf.mul(lsm, oh), -1) as tf.Tensor1D;
  });
}

/** [B] −Σ p log p. */
export function categoricalEntropyTf(logits: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => {
    const lsm = tf.logSoftmax(logits);
    return tf.neg(tf.sum(tf.mul(tf.exp(lsm), lsm), -1)) as tf.Tensor1D;
  });
}

/**
 * log π(a|s) per row and the mean entropy of a policy head, on the gradient tape: categorical
 * logits with action indices (one column), or Gaussian means with log σ.
 */
export function policyLogProbEntropyTf(discrete: boolean, head: tf.Tensor2D, logStd: tf.Tensor | null | undefined, act: tf.Tensor2D): { logp: tf.Tensor1D; ent: tf.Scalar } {
  if (discrete) return { logp: categoricalLogProbTf(head, tf.reshape(act, [-1]) as tf.Tensor1D), ent: tf.mean(categoricalEntropyTf(head)) };
  return { logp: gaussianLogProbTf(act, head, logStd as tf.Tensor), ent: tf.mean(gaussianEntropyTf(logStd as tf.Tensor)) };
}
