// Adam and RMSProp over a fixed list of tf.Variables, written out so their whole state (moments,
// step count) is ours to checkpoint: a resumed run continues bit-exactly. Plus gradient-norm
// clipping over all gradients together and learning-rate schedules.
import * as tf from '@tensorflow/tfjs';

export type OptimizerName = 'adam' | 'rmsprop';
export type LrSchedule = 'constant' | 'linear';

export interface OptimizerOptions {
  readonly kind: OptimizerName;
  /** Adam β1 (CleanRL/PyTorch 0.9). */
  readonly beta1?: number;
  /** Adam β2 (0.999). */
  readonly beta2?: number;
  /** RMSProp smoothing α (SB3's A2C: 0.99). */
  readonly alpha?: number;
  /** ε in the denominator (CleanRL and SB3 use 1e-5). */
  readonly eps?: number;
}

/** lr at `progress` ∈ [0, 1] of training: constant, or linearly annealed to 0 (CleanRL's anneal_lr). */
export function scheduledLr(lr0: number, schedule: LrSchedule, progress: number): number {
  if (schedule === 'constant') return lr0;
  return lr0 * Math.max(0, 1 - progress);
}

export class Optimizer {
  /** Adam: m then v per variable; RMSProp: the square average per variable. */
  private readonly slots: tf.Variable[][];
  step = 0;
  private readonly b1: number;
  private readonly b2: number;
  private readonly alpha: number;
  private readonly eps: number;

  constructor(readonly vars: readonly tf.Variable[], readonly opts: OptimizerOptions) {
    this.b1 = opts.beta1 ?? 0.9;
    this.b2 = opts.beta2 ?? 0.999;
    this.alpha = opts.alpha ?? 0.99;
    this.eps = opts.eps ?? 1e-5;
    const n = opts.kind === 'adam' ? 2 : 1;
    this.slots = vars.map((v) => Array.from({ length: n }, () => tf.variable(tf.zerosLike(v), false)));
  }

  /**
   * One descent step θ ← θ − lr·update(g). `grads` in the order of `vars`. The grads are not
   * disposed here.
   */
  apply(grads: readonly tf.Tensor[], lr: number): void {
    if (grads.length !== this.vars.length) throw new RangeError(`Optimizer.apply: ${grads.length} grads for ${this.vars.length} variables`);
    this.step++;
    const t = this.step;
    tf.tidy(() => {
      if (this.opts.kind === 'adam') {
        // PyTorch's form: θ −= lr/(1−β1^t) · m / (√v/√(1−β2^t) + ε).
        const bc1 = 1 - this.b1 ** t, bc2 = Math.sqrt(1 - this.b2 ** t);
        const stepSize = tf.scalar(lr / bc1), b1 = tf.scalar(this.b1), b1c = tf.scalar(1 - this.b1);
        const b2 = tf.scalar(this.b2), b2c = tf.scalar(1 - this.b2), invBc2 = tf.scalar(1 / bc2), eps = tf.scalar(this.eps);
        this.vars.forEach((v, i) => {
          const [m, s] = this.slots[i];
          const g = grads[i];
          const m1 = tf.add(tf.mul(m, b1), tf.mul(g, b1c));
          const s1 = tf.add(tf.mul(s, b2), tf.mul(tf.square(g), b2c));
          m.assign(m1);
          s.assign(s1);
          v.assign(tf.sub(v, tf.div(tf.mul(m1, stepSize), tf.add(tf.mul(tf.sqrt(s1), invBc2), eps))));
        });
      } else {
        // PyTorch RMSprop: v = αv + (1−α)g²; θ −= lr·g/(√v + ε).
        const a = tf.scalar(this.alpha), ac = tf.scalar(1 - this.alpha), lrT = tf.scalar(lr), eps = tf.scalar(this.eps);
        this.vars.forEach((v, i) => {
          const [s] = this.slots[i];
          const g = grads[i];
          const s1 = tf.add(tf.mul(s, a), tf.mul(tf.square(g), ac));
          s.assign(s1);
          v.assign(tf.sub(v, tf.div(tf.mul(g, lrT), tf.add(tf.sqrt(s1), eps))));
        });
      }
    });
  }

  getState(): { slots: Float32Array; step: number } {
    const size = this.slots.reduce((s, sl) => s + sl.reduce((a, v) => a + v.size, 0), 0);
    const out = new Float32Array(size);
    let o = 0;
    for (const sl of this.slots) for (const v of sl) {
      out.set(v.dataSync() as Float32Array, o);
      o += v.size;
    }
    return { slots: out, step: this.step };
  }

  setState(st: { slots: Float32Array; step: number }): void {
    let o = 0;
    for (const sl of this.slots) for (const v of sl) {
      if (o + v.size > st.slots.length) throw new RangeError('Optimizer.setState: state too short for these variables');
      v.assign(tf.tensor(st.slots.subarray(o, o + v.size), v.shape));
      o += v.size;
    }
    if (o !== st.slots.length) throw new RangeError(`Optimizer.setState: ${st.slots.length} numbers for ${o} slots`);
    this.step = st.step;
  }

  dispose(): void {
    for (const sl of this.slots) for (const v of sl) v.dispose();
  }
}

/**
 * Scales all grads together so their global L2 norm is at most maxNorm (maxNorm ≤ 0 or Infinity:
 * no clipping). Returns the clipped grads and the pre-clip norm as a scalar tensor (no sync).
 */
export function clipByGlobalNorm(grads: readonly tf.Tensor[], maxNorm: number): { grads: tf.Tensor[]; norm: tf.Scalar } {
  return tf.tidy(() => {
    const sq = grads.map((g) => tf.sum(tf.square(g)));
    const norm = tf.sqrt(tf.addN(sq)) as tf.Scalar;
    if (!(maxNorm > 0) || maxNorm === Infinity) return { grads: grads.map((g) => tf.clone(g)), norm };
    // PyTorch's clip_grad_norm_: coef = max/(norm + 1e-6), applied only when < 1.
    const coef = tf.minimum(tf.div(tf.scalar(maxNorm), tf.add(norm, 1e-6)), 1);
    return { grads: grads.map((g) => tf.mul(g, coef)), norm };
  });
}
