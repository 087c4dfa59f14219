// Actor and critic MLPs as raw tf.variables. The forward is a few fused matMul+bias and an
// activation per layer: with tf.layers every small op goes through far more dispatch.
// A plain-JS mirror of the actor (JsMlp) runs the rollout loop without touching tf at all.
import * as tf from '@tensorflow/tfjs';
import type { Activation, DenseLayer, ObsNormSnapshot, PolicySnapshot } from '../policy/snapshot.js';
import { NonFiniteError } from './errors.js';
import type { Rng } from './rng.js';

export type { Activation };

export interface DenseVars {
  readonly name: string;
  readonly inDim: number;
  readonly outDim: number;
  readonly w: tf.Variable; // [in, out]
  readonly b: tf.Variable; // [out]
  readonly activation: Activation;
}

/**
 * A (gain-scaled) matrix with orthonormal columns or rows, [rows, cols] row-major, from Gaussian
 * noise by modified Gram–Schmidt (the Q of a QR, with R's diagonal made positive), as
 * torch.nn.init.orthogonal_ does.
 */
export function orthogonal(rows: number, cols: number, gain: number, rng: Rng): Float32Array {
  const tall = rows >= cols;
  const m = tall ? rows : cols, n = tall ? cols : rows;
  // q: n column vectors of length m, stored column after column.
  const q = new Float64Array(m * n);
  for (let i = 0; i < q.length; i++) q[i] = rng.normal();
  for (let k = 0; k < n; k++) {
    for (let p = 0; p < k; p++) {
      let dot = 0;
      for (let i = 0; i < m; i++) dot += q[k * m + i] * q[p * m + i];
      for (let i = 0; i < m; i++) q[k * m + i] -= dot * q[p * m + i];
    }
    let norm = 0;
    for (let i = 0; i < m; i++) norm += q[k * m + i] ** 2;
    norm = Math.sqrt(norm);
    if (norm < 1e-12) throw new Error('orthogonal: degenerate random matrix');
    for (let i = 0; i < m; i++) q[k * m + i] /= norm;
  }
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) out[r * cols + c] = gain * (tall ? q[c * m + r] : q[r * m + c]);
  return out;
}

export function makeDense(name: string, inDim: number, outDim: number, activation: Activation, gain: number, ortho: boolean, rng: Rng): DenseVars {
  let w: Float32Array;
  if (ortho) w = orthogonal(inDim, outDim, gain, rng);
  else {
    // PyTorch's default Linear init: U(−1/√in, 1/√in).
    const k = 1 / Math.sqrt(inDim);
    w = new Float32Array(inDim * outDim);
    for (let i = 0; i < w.length; i++) w[i] = (2 * rng.uniform() - 1) * k;
  }
  return { name, inDim, outDim, activation, w: tf.tidy(() => tf.variable(tf.tensor2d(w, [inDim, outDim]))), b: tf.tidy(() => tf.variable(tf.zeros([outDim]))) };
}

/** act(z) for the forward pass. tanh is computed as 2σ(2z) − 1: on the wasm backend the Tanh
 * kernel is ~10× slower than Sigmoid (measured: 1.9 ms vs 0.13 ms at [2048, 64]). */
export function activate(x: tf.Tensor2D, a: Activation): tf.Tensor2D {
  switch (a) {
    case 'tanh': return tf.sub(tf.mul(tf.sigmoid(tf.mul(x, 2)), 2), 1);
    case 'relu': return tf.relu(x);
    case 'elu': return tf.elu(x);
    case 'linear': return x;
  }
}

/** dL/dz from dL/dy and y = act(z), written with the output only. */
function activationGrad(dy: tf.Tensor2D, y: tf.Tensor2D, a: Activation): tf.Tensor2D {
  switch (a) {
    case 'tanh': return tf.mul(dy, tf.sub(1, tf.square(y)));
    case 'relu': return tf.mul(dy, tf.step(y));
    case 'elu': return tf.mul(dy, tf.where(tf.greater(y, 0), tf.onesLike(y), tf.add(y, 1)));
    case 'linear': return dy;
  }
}

/** [1, B] ones: bias gradients as ones·dz (a small matMul beats an axis-0 Sum on wasm). */
function onesRow(b: number): tf.Tensor2D {
  return tf.ones([1, b]);
}

/**
 * y = act(x·W + b) with a hand-written gradient. The generic one costs 10× more on wasm: its
 * transposed matMuls (transposeA/B flags) are ~10× slower there than an explicit transpose
 * followed by a plain matMul, and Sum over the batch axis is slower than ones·dz.
 * `needDx` false (the first layer, whose input is data) skips dL/dx.
 */
function denseWithGrad(x: tf.Tensor2D, l: DenseVars, needDx: boolean): tf.Tensor2D {
  const w = l.w as tf.Tensor2D, b = l.b as tf.Tensor1D, act = l.activation;
  if (!needDx) {
    const f = tf.customGrad(((wv: tf.Tensor, bv: tf.Tensor, save: tf.GradSaveFunc) => {
      const y = activate(tf.fused.matMul({ a: x, b: wv as tf.Tensor2D, bias: bv }) as tf.Tensor2D, act);
      // x is saved too: the caller's tensor may be disposed before the backward pass.
      save([x, y]);
      return {
        value: y,
        gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
          const [xs, ys] = saved as tf.Tensor2D[];
          const dz = activationGrad(dy as tf.Tensor2D, ys, act);
          return [tf.matMul(tf.transpose(xs), dz), tf.reshape(tf.matMul(onesRow(dz.shape[0]), dz), [l.outDim])];
        },
      };
    }) as unknown as CustomGradFn) as unknown as (w: tf.Tensor, b: tf.Tensor) => tf.Tensor2D;
    return f(w, b);
  }
  const f = tf.customGrad(((xv: tf.Tensor, wv: tf.Tensor, bv: tf.Tensor, save: tf.GradSaveFunc) => {
    const y = activate(tf.fused.matMul({ a: xv as tf.Tensor2D, b: wv as tf.Tensor2D, bias: bv }) as tf.Tensor2D, act);
    save([xv, wv, y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [xs, ws, ys] = saved as tf.Tensor2D[];
        const dz = activationGrad(dy as tf.Tensor2D, ys, act);
        return [
          tf.matMul(dz, tf.transpose(ws)),
          tf.matMul(tf.transpose(xs), dz),
          tf.reshape(tf.matMul(onesRow(dz.shape[0]), dz), [l.outDim]),
        ];
      },
    };
  }) as unknown as CustomGradFn) as unknown as (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => tf.Tensor2D;
  return f(x, w, b);
}

type CustomGradFn = Parameters<typeof tf.customGrad>[0];

/** One dense layer; `first`: x is data (no gradient needed with respect to it). */
export function applyDense(x: tf.Tensor2D, l: DenseVars, first = false): tf.Tensor2D {
  return denseWithGrad(x, l, !first);
}

/** A stack of dense layers on data x. */
export function applyStack(x: tf.Tensor2D, layers: readonly DenseVars[]): tf.Tensor2D {
  let h = x;
  layers.forEach((l, i) => { h = applyDense(h, l, i === 0); });
  return h;
}

export interface NetConfig {
  readonly obsDim: number;
  /** Action dims (gaussian) or number of actions (categorical). */
  readonly actDim: number;
  readonly discrete: boolean;
  readonly hidden: readonly number[];
  readonly activation: Activation;
  /** One trunk feeding both heads, or separate actor and critic MLPs. */
  readonly shared: boolean;
  readonly sigma: 'state-independent' | 'state-dependent';
  /** 'v': V(s) head, 'q': Q(s,a) MLP on [s, a], 'none'. */
  readonly critic: 'v' | 'q' | 'none';
  readonly orthoInit: boolean;
  readonly logStdInit: number;
}

const HIDDEN_GAIN = Math.SQRT2;
const POLICY_GAIN = 0.01;
const VALUE_GAIN = 1;
/** State-dependent log σ is kept in a sane range (SAC-style bounds). */
export const LOG_STD_MIN = -5;
export const LOG_STD_MAX = 2;

export interface ActorOut {
  /** μ (gaussian) or logits (categorical), [B, actDim]. */
  readonly out: tf.Tensor2D;
  /** log σ: [actDim] (state-independent) or [B, actDim]; absent for categorical. */
  readonly logStd?: tf.Tensor;
  /** V(s), [B] (critic 'v'). */
  readonly value?: tf.Tensor1D;
}

function stack(prefix: string, inDim: number, hidden: readonly number[], act: Activation, ortho: boolean, rng: Rng): DenseVars[] {
  const out: DenseVars[] = [];
  let d = inDim;
  hidden.forEach((h, i) => {
    out.push(makeDense(`${prefix}${i}`, d, h, act, HIDDEN_GAIN, ortho, rng));
    d = h;
  });
  return out;
}

/** The policy π_θ and its critic, with CleanRL's init gains (√2 hidden, 0.01 policy, 1 value). */
export class ActorCritic {
  readonly actorTrunk: DenseVars[];
  readonly meanHead: DenseVars;
  readonly logStd?: tf.Variable;
  readonly logStdHead?: DenseVars;
  readonly criticTrunk: DenseVars[];
  readonly valueHead?: DenseVars;
  /** The named variables, in a fixed order (checkpoints, optimizers). */
  readonly named: ReadonlyArray<{ name: string; v: tf.Variable }>;
  readonly actorVars: tf.Variable[];
  readonly criticVars: tf.Variable[];

  constructor(readonly cfg: NetConfig, rng: Rng) {
    if (!(cfg.hidden.length >= 1)) throw new RangeError('ActorCritic: at least one hidden layer is required');
    const h = cfg.hidden[cfg.hidden.length - 1];
    this.actorTrunk = stack(cfg.shared ? 'trunk' : 'pi', cfg.obsDim, cfg.hidden, cfg.activation, cfg.orthoInit, rng);
    this.meanHead = makeDense('mean', h, cfg.actDim, 'linear', POLICY_GAIN, cfg.orthoInit, rng);
    if (!cfg.discrete) {
      if (cfg.sigma === 'state-independent') this.logStd = tf.tidy(() => tf.variable(tf.fill([cfg.actDim], cfg.logStdInit)));
      else {
        this.logStdHead = makeDense('logstd', h, cfg.actDim, 'linear', POLICY_GAIN, cfg.orthoInit, rng);
        const ls = this.logStdHead.b;
        tf.tidy(() => ls.assign(tf.fill([cfg.actDim], cfg.logStdInit)));
      }
    }
    this.criticTrunk = [];
    if (cfg.critic === 'v') {
      if (!cfg.shared) this.criticTrunk = stack('vf', cfg.obsDim, cfg.hidden, cfg.activation, cfg.orthoInit, rng);
      this.valueHead = makeDense('value', h, 1, 'linear', VALUE_GAIN, cfg.orthoInit, rng);
    } else if (cfg.critic === 'q') {
      if (cfg.discrete) throw new RangeError('ActorCritic: the Q(s,a) critic is for continuous actions');
      this.criticTrunk = stack('q', cfg.obsDim + cfg.actDim, cfg.hidden, cfg.activation, cfg.orthoInit, rng);
      this.valueHead = makeDense('qout', h, 1, 'linear', VALUE_GAIN, cfg.orthoInit, rng);
    }
    const named: { name: string; v: tf.Variable }[] = [];
    const actorVars: tf.Variable[] = [], criticVars: tf.Variable[] = [];
    const addLayer = (l: DenseVars, into: tf.Variable[]) => {
      named.push({ name: `${l.name}.w`, v: l.w }, { name: `${l.name}.b`, v: l.b });
      into.push(l.w, l.b);
    };
    // A shared trunk counts as actor (its gradient gets both losses anyway).
    for (const l of this.actorTrunk) addLayer(l, actorVars);
    addLayer(this.meanHead, actorVars);
    if (this.logStd) {
      named.push({ name: 'logstd', v: this.logStd });
      actorVars.push(this.logStd);
    }
    if (this.logStdHead) addLayer(this.logStdHead, actorVars);
    for (const l of this.criticTrunk) addLayer(l, criticVars);
    if (this.valueHead) addLayer(this.valueHead, criticVars);
    this.named = named;
    this.actorVars = actorVars;
    this.criticVars = criticVars;
  }

  get variables(): tf.Variable[] {
    return this.named.map((n) => n.v);
  }

  /** π(·|s) (and V(s) when the critic is 'v') for a batch of normalized observations. */
  forward(x: tf.Tensor2D, withValue = true): ActorOut {
    const h = applyStack(x, this.actorTrunk);
    const out = applyDense(h, this.meanHead);
    let logStd: tf.Tensor | undefined;
    if (this.logStd) logStd = this.logStd;
    else if (this.logStdHead) logStd = tf.clipByValue(applyDense(h, this.logStdHead), LOG_STD_MIN, LOG_STD_MAX);
    let value: tf.Tensor1D | undefined;
    if (withValue && this.cfg.critic === 'v' && this.valueHead) {
      const hv = this.cfg.shared ? h : applyStack(x, this.criticTrunk);
      value = tf.reshape(applyDense(hv, this.valueHead), [-1]) as tf.Tensor1D;
    }
    return { out, logStd, value };
  }

  /** V(s) alone ([B]). */
  value(x: tf.Tensor2D): tf.Tensor1D {
    if (this.cfg.critic !== 'v' || !this.valueHead) throw new Error('ActorCritic.value: this net has no V critic');
    if (this.cfg.shared) return this.forward(x).value as tf.Tensor1D;
    return tf.reshape(applyDense(applyStack(x, this.criticTrunk), this.valueHead), [-1]) as tf.Tensor1D;
  }

  /** Q_w(s, a) ([B]) on the concatenation [s, a]. */
  q(x: tf.Tensor2D, a: tf.Tensor2D): tf.Tensor1D {
    if (this.cfg.critic !== 'q' || !this.valueHead) throw new Error('ActorCritic.q: this net has no Q critic');
    return tf.reshape(applyDense(applyStack(tf.concat([x, a], 1), this.criticTrunk), this.valueHead), [-1]) as tf.Tensor1D;
  }

  /** Copies of all parameters, by name. */
  getWeights(): Record<string, Float32Array> {
    const out: Record<string, Float32Array> = {};
    for (const { name, v } of this.named) out[name] = Float32Array.from(v.dataSync() as Float32Array);
    return out;
  }

  setWeights(w: Record<string, Float32Array>): void {
    for (const { name, v } of this.named) {
      const a = w[name];
      if (!a || a.length !== v.size) throw new RangeError(`ActorCritic.setWeights: "${name}" missing or of wrong size (expected ${v.size})`);
      tf.tidy(() => v.assign(tf.tensor(a, v.shape)));
    }
  }

  /** Throws if any parameter is NaN or ±Inf (one read per variable). */
  assertFinite(where: string): void {
    for (const { name, v } of this.named) {
      const d = v.dataSync();
      for (let i = 0; i < d.length; i++) if (!Number.isFinite(d[i])) throw new NonFiniteError(`${where}: parameter ${name} (${d[i]})`);
    }
  }

  /**
   * The actor as plain arrays (PolicySnapshot layout): copies of the variables, or of whatever
   * `read` returns for each (the kernel engine, which holds the current values during training).
   */
  actorSnapshot(read: (v: tf.Variable) => Float32Array = readVariable): { trunk: DenseLayer[]; meanHead: DenseLayer[]; logStd?: Float32Array; logStdHead?: DenseLayer[] } {
    const layer = (l: DenseVars): DenseLayer => ({ inDim: l.inDim, outDim: l.outDim, activation: l.activation, w: read(l.w), b: read(l.b) });
    return {
      trunk: this.actorTrunk.map(layer),
      meanHead: [layer(this.meanHead)],
      logStd: this.logStd ? read(this.logStd) : undefined,
      logStdHead: this.logStdHead ? [layer(this.logStdHead)] : undefined,
    };
  }

  snapshot(extra: { obsNorm?: ObsNormSnapshot; squash: PolicySnapshot['squash']; low?: Float32Array; high?: Float32Array }, read: (v: tf.Variable) => Float32Array = readVariable): PolicySnapshot {
    const a = this.actorSnapshot(read);
    return {
      kind: this.cfg.discrete ? 'categorical' : 'gaussian', obsDim: this.cfg.obsDim, actDim: this.cfg.actDim,
      obsNorm: extra.obsNorm, trunk: a.trunk, meanHead: a.meanHead, logStd: a.logStd, logStdHead: a.logStdHead,
      logStdRange: a.logStdHead ? [LOG_STD_MIN, LOG_STD_MAX] : undefined,
      squash: extra.squash, actionLow: extra.low, actionHigh: extra.high,
    };
  }

  dispose(): void {
    for (const { v } of this.named) v.dispose();
  }
}

function readVariable(v: tf.Variable): Float32Array {
  return Float32Array.from(v.dataSync() as Float32Array);
}

/** A dense stack evaluated in plain JS for up to maxRows rows, with preallocated scratch. */
export class JsMlp {
  private readonly bufs: Float32Array[];
  constructor(readonly layers: readonly DenseLayer[], readonly maxRows: number) {
    this.bufs = layers.map((l) => new Float32Array(maxRows * l.outDim));
  }

  /**
   * Runs rows × inDim values of x; returns the internal output buffer ([maxRows, outDim], the
   * first rows are valid until the next call). No allocation.
   */
  forward(x: ArrayLike<number>, rows: number): Float32Array {
    let inp: ArrayLike<number> = x;
    for (let k = 0; k < this.layers.length; k++) {
      const { inDim, outDim, w, b, activation } = this.layers[k];
      const out = this.bufs[k];
      for (let r = 0; r < rows; r++) {
        const ro = r * outDim, ri = r * inDim;
        for (let o = 0; o < outDim; o++) out[ro + o] = b[o];
        for (let i = 0; i < inDim; i++) {
          const xi = inp[ri + i];
          if (xi === 0) continue;
          const wo = i * outDim;
          for (let o = 0; o < outDim; o++) out[ro + o] += xi * w[wo + o];
        }
        for (let o = 0; o < outDim; o++) {
          const v = out[ro + o];
          out[ro + o] = activation === 'tanh' ? Math.tanh(v) : activation === 'relu' ? (v > 0 ? v : 0) : activation === 'elu' ? (v > 0 ? v : Math.exp(v) - 1) : v;
        }
      }
      inp = out;
    }
    return this.bufs[this.bufs.length - 1];
  }
}

/** The actor of a PolicySnapshot in plain JS: μ (or logits) and log σ for a batch of normalized obs. */
export class JsActor {
  private trunk: JsMlp;
  private mean: JsMlp;
  private lsHead?: JsMlp;
  private lsFixed?: Float32Array;
  readonly mu: Float32Array;
  readonly logStd: Float32Array;
  constructor(snap: Pick<PolicySnapshot, 'trunk' | 'meanHead' | 'logStd' | 'logStdHead' | 'actDim'>, readonly maxRows: number) {
    this.trunk = new JsMlp(snap.trunk, maxRows);
    this.mean = new JsMlp(snap.meanHead, maxRows);
    if (snap.logStdHead) this.lsHead = new JsMlp(snap.logStdHead, maxRows);
    this.lsFixed = snap.logStd;
    this.mu = new Float32Array(maxRows * snap.actDim);
    this.logStd = new Float32Array(maxRows * snap.actDim);
  }

  /** Fills this.mu and this.logStd ([rows, actDim]). */
  forward(x: ArrayLike<number>, rows: number): void {
    const h = this.trunk.forward(x, rows);
    this.mu.set(this.mean.forward(h, rows));
    if (this.lsHead) {
      const ls = this.lsHead.forward(h, rows);
      for (let i = 0; i < ls.length; i++) this.logStd[i] = Math.min(LOG_STD_MAX, Math.max(LOG_STD_MIN, ls[i]));
    } else if (this.lsFixed) {
      const d = this.lsFixed.length;
      for (let r = 0; r < rows; r++) this.logStd.set(this.lsFixed, r * d);
    }
  }
}
