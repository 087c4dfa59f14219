// A net's parameters and gradients as one flat Float32Array, in the variables' order: what A3C
// sends between processes. These are the TF.js-path versions; the kernel engine has the same
// operations on its arena (KernelNet.readParams / writeParams / readGrads / writeGrads), and
// PolicyCore and the A3C worker pick whichever holds the parameters.
import * as tf from '@tensorflow/tfjs';
import type { Optimizer } from './optim.js';

export function paramCount(vars: readonly tf.Variable[]): number {
  return vars.reduce((s, v) => s + v.size, 0);
}

/** Copies every variable, in order, into `out`. */
export function readParams(vars: readonly tf.Variable[], out: Float32Array): void {
  let o = 0;
  for (const v of vars) {
    out.set(v.dataSync() as Float32Array, o);
    o += v.size;
  }
  if (o !== out.length) throw new RangeError(`readParams: ${o} parameters for a buffer of ${out.length}`);
}

/** Assigns `flat` to the variables, in order (tidy: the temporary tensors are freed). */
export function writeParams(vars: readonly tf.Variable[], flat: Float32Array): void {
  const n = paramCount(vars);
  if (flat.length !== n) throw new RangeError(`writeParams: ${flat.length} numbers for ${n} parameters`);
  let o = 0;
  tf.tidy(() => {
    for (const v of vars) {
      v.assign(tf.tensor(flat.subarray(o, o + v.size), v.shape));
      o += v.size;
    }
  });
}

/**
 * Copies the named gradients (tf.variableGrads's) into `out` in the variables' order; a variable
 * without one (the loss does not reach it) gets zeros.
 */
export function readGrads(vars: readonly tf.Variable[], grads: tf.NamedTensorMap, out: Float32Array): void {
  let o = 0;
  for (const v of vars) {
    const g = grads[v.name];
    if (g) out.set(g.dataSync() as Float32Array, o);
    else out.fill(0, o, o + v.size);
    o += v.size;
  }
  if (o !== out.length) throw new RangeError(`readGrads: ${o} parameters for a buffer of ${out.length}`);
}

/**
 * θ ← θ − lr·update(clip(g)) with g a flat gradient in the variables' order. Returns the global
 * norm of g before clipping.
 */
export function applyFlatGradient(opt: Optimizer, flat: Float32Array, lr: number, maxGradNorm: number): number {
  const vars = opt.vars;
  const n = paramCount(vars);
  if (flat.length !== n) throw new RangeError(`applyFlatGradient: ${flat.length} numbers for ${n} parameters`);
  let o = 0;
  const grads = vars.map((v) => {
    const g = tf.tensor(flat.subarray(o, o + v.size), v.shape);
    o += v.size;
    return g;
  });
  const normT = opt.applyClipped(grads, lr, maxGradNorm);
  const norm = normT.dataSync()[0];
  tf.dispose([...grads, normT]);
  return norm;
}
