// What the policy-gradient algorithms share (SB3's OnPolicyAlgorithm in spirit): the envs, the
// actor-critic net, its plain-JS mirror for acting, normalizers, the seeded generators, rollout
// collection into a time-major buffer, batched values, and the common part of checkpoints.
// The algorithm files keep their losses and update rules.
//
// Two engines do the net's arithmetic: the WASM-SIMD kernel engine (`engine`, src/core/kernels),
// the default, which then holds the parameters during training and does acting, values and
// gradient steps; or TF.js ops (`kernel: false`, the reference), with a plain-JS mirror of the
// actor for acting.
import * as tf from '@tensorflow/tfjs';
import { KernelNet, POLICY, VALUE } from '../kernels/kernel-net.js';
import { PolicyHead } from '../kernels/policy-head.js';
import type { AlgoContext, AlgoState } from './context.js';
import type { PolicySnapshot } from '../policy/snapshot.js';
import { EnvPool } from './env-pool.js';
import { gaussianLogProb, logSoftmax, sampleCategorical, sampleGaussian, squashValue, type Squash } from './distributions.js';
import { ActorCritic, JsActor, LOG_STD_MAX, LOG_STD_MIN, type Activation } from './networks.js';
import { ObsNormalizer, RewardScaler, type RunningMeanStd } from './normalize.js';
import { applyFlatGradient, paramCount, readParams, writeParams } from './flat-params.js';
import type { Optimizer } from './optim.js';
import { Rng } from './rng.js';
import type { Rollout, Values } from './advantages.js';

/** The schema fields every policy-gradient algorithm understands (see common fields in algos/common.ts). */
export interface CoreOptions {
  readonly numEnvs: number;
  readonly gamma: number;
  readonly hidden: readonly number[];
  readonly activation: Activation;
  readonly shared: boolean;
  readonly sigma: 'state-independent' | 'state-dependent';
  readonly squash: Squash;
  readonly orthoInit: boolean;
  readonly logStdInit: number;
  readonly normObs: boolean;
  readonly obsClip: number;
  readonly normReward: boolean;
  readonly rewardClip: number;
  readonly critic: 'v' | 'q' | 'none';
  /** Run on the kernel engine (else TF.js ops and a JS actor). */
  readonly kernel: boolean;
  /** The most rows one training forward takes (the engine's buffers are sized for it). */
  readonly trainRows: number;
}

/** What a loss on the kernel engine needs from the core: the engine and its policy distribution. */
export interface KernelCore {
  readonly engine: KernelNet;
  readonly head: PolicyHead;
}

/** One rollout of T steps × N envs (time-major), observations already normalized. */
export class RolloutBuffer implements Rollout {
  readonly obs: Float32Array;
  /** Pre-squash Gaussian samples u (or action indices). */
  readonly actions: Float32Array;
  readonly logp: Float32Array;
  readonly rewards: Float32Array;
  readonly terminated: Uint8Array;
  readonly truncated: Uint8Array;
  /** Normalized final obs where truncated (for V bootstrapping). */
  readonly truncObs: Float32Array;
  readonly lastObs: Float32Array;
  readonly values: Float32Array;
  readonly truncValues: Float32Array;
  readonly lastValues: Float32Array;
  constructor(readonly T: number, readonly N: number, readonly obsDim: number, readonly actWidth: number) {
    const TN = T * N;
    this.obs = new Float32Array(TN * obsDim);
    this.actions = new Float32Array(TN * actWidth);
    this.logp = new Float32Array(TN);
    this.rewards = new Float32Array(TN);
    this.terminated = new Uint8Array(TN);
    this.truncated = new Uint8Array(TN);
    this.truncObs = new Float32Array(TN * obsDim);
    this.lastObs = new Float32Array(N * obsDim);
    this.values = new Float32Array(TN);
    this.truncValues = new Float32Array(TN);
    this.lastValues = new Float32Array(N);
  }
  get valueInfo(): Values {
    return { values: this.values, truncValues: this.truncValues, lastValues: this.lastValues };
  }
}

export class PolicyCore {
  readonly pool: EnvPool;
  readonly net: ActorCritic;
  /** Training randomness: init, actions, shuffles. */
  readonly rng: Rng;
  /** act(obs, false) for evaluation draws from here so it never shifts the training stream. */
  readonly evalRng: Rng;
  readonly obsNorm?: ObsNormalizer;
  readonly rewScaler?: RewardScaler;
  readonly N: number;
  readonly obsDim: number;
  readonly actDim: number;
  readonly actWidth: number;
  readonly discrete: boolean;
  readonly low?: Float32Array;
  readonly high?: Float32Array;
  /** Current observations, normalized, [N, obsDim]. */
  readonly normObs: Float32Array;
  /** Last sample: pre-squash u (or index), env action, log-prob. */
  readonly u: Float32Array;
  readonly action: Float32Array;
  readonly logp: Float32Array;
  /** The kernel engine and its policy distribution, unless the run asked for TF.js ops. */
  readonly engine?: KernelNet;
  readonly head?: PolicyHead;
  private actor?: JsActor;
  /** log σ as sampleGaussian wants it: [actDim] (state-independent) or [N, actDim]. */
  private lsView!: Float32Array;
  /** μ (or logits) of the last acting forward, [N, actDim]. */
  private muView!: Float32Array;
  private readonly one: Float32Array;
  private readonly scratch: Float64Array;
  private readonly rowU: Float32Array;
  private readonly rowA: Float32Array;

  constructor(readonly ctx: AlgoContext, readonly opt: CoreOptions) {
    this.rng = new Rng(ctx.seed);
    this.evalRng = new Rng((ctx.seed ^ 0x5bd1e995) >>> 0);
    this.N = opt.numEnvs;
    this.pool = new EnvPool(ctx, this.N);
    const e0 = this.pool.envs[0];
    this.obsDim = this.pool.obsDim;
    this.discrete = this.pool.discrete;
    this.actWidth = this.pool.actWidth;
    this.actDim = e0.actionSpace.kind === 'discrete' ? e0.actionSpace.n : e0.actionSpace.shape[0];
    if (e0.actionSpace.kind === 'box') {
      this.low = Float32Array.from(e0.actionSpace.low);
      this.high = Float32Array.from(e0.actionSpace.high);
    }
    this.net = new ActorCritic({
      obsDim: this.obsDim, actDim: this.actDim, discrete: this.discrete, hidden: opt.hidden, activation: opt.activation,
      shared: opt.shared, sigma: opt.sigma, critic: opt.critic, orthoInit: opt.orthoInit, logStdInit: opt.logStdInit,
    }, this.rng);
    if (opt.normObs) this.obsNorm = new ObsNormalizer(this.obsDim, opt.obsClip);
    if (opt.normReward) this.rewScaler = new RewardScaler(this.N, opt.gamma, opt.rewardClip);
    this.normObs = new Float32Array(this.N * this.obsDim);
    this.u = new Float32Array(this.N * this.actWidth);
    this.action = new Float32Array(this.N * this.actWidth);
    this.logp = new Float32Array(this.N);
    this.one = new Float32Array(this.obsDim);
    this.scratch = new Float64Array(this.actDim);
    this.rowU = new Float32Array(this.actWidth);
    this.rowA = new Float32Array(this.actWidth);
    if (opt.kernel) {
      this.engine = new KernelNet(this.net, Math.max(opt.trainRows, this.N));
      this.head = new PolicyHead(this.engine);
      this.muView = this.engine.mu;
      // A free log σ is read in place; a head's is clamped into its own buffer per forward.
      this.lsView = this.net.logStdHead ? new Float32Array(this.N * this.actDim) : this.engine.logStdRaw;
    }
    this.syncActor();
    this.pool.resetAll(ctx.seed);
    this.observe();
  }

  /** TF.js path: rebuilds the JS actor from the tf variables (after every parameter change). */
  syncActor(): void {
    if (this.engine) return;
    const actor = new JsActor({ ...this.net.actorSnapshot(), actDim: this.actDim }, this.N);
    this.actor = actor;
    this.muView = actor.mu;
    this.lsView = this.opt.sigma === 'state-independent' ? actor.logStd.subarray(0, this.actDim) : actor.logStd;
  }

  /** μ (or logits) and log σ (clamped) of the last policyForward, [rows, actDim] (log σ [actDim] when state-independent). */
  get lastMu(): Float32Array {
    return this.muView;
  }
  get lastLogStd(): Float32Array {
    return this.lsView;
  }

  /** μ (or logits) and log σ of rows of normalized observations into lastMu / lastLogStd. */
  policyForward(obs: Float32Array, rows: number): void {
    const e = this.engine;
    if (!e) {
      (this.actor as JsActor).forward(obs, rows);
      return;
    }
    e.load(obs, rows);
    e.forward(rows, POLICY);
    if (e.logStdHead) {
      const raw = e.logStdRaw, ls = this.lsView, n = rows * this.actDim;
      for (let i = 0; i < n; i++) ls[i] = Math.min(LOG_STD_MAX, Math.max(LOG_STD_MIN, raw[i]));
    }
  }

  /** The tf variables brought up to date with the engine (before reading them). */
  syncTf(): void {
    this.engine?.pushParams();
  }

  // ------------------------------------------------------------- flat parameters (A3C)
  get paramCount(): number {
    return paramCount(this.net.variables);
  }
  /** All parameters, flat, in the net's order. */
  readParams(out: Float32Array): void {
    if (this.engine) this.engine.readParams(out);
    else readParams(this.net.variables, out);
  }
  writeParams(flat: Float32Array): void {
    if (this.engine) this.engine.writeParams(flat);
    else {
      writeParams(this.net.variables, flat);
      this.syncActor();
    }
  }
  /** Clips and applies a flat gradient of all parameters with opt (over all of them); returns its norm. */
  applyFlatGradient(opt: Optimizer, flat: Float32Array, lr: number, maxNorm: number): number {
    if (!this.engine) return applyFlatGradient(opt, flat, lr, maxNorm);
    this.engine.writeGrads(flat);
    return this.engine.applyGradients(opt, lr, maxNorm);
  }

  /** Throws NonFiniteError if any parameter is NaN or ±Inf. */
  assertFinite(where: string): void {
    if (this.engine) this.engine.assertFinite(where);
    else this.net.assertFinite(where);
  }

  /** Updates the obs statistics with the current raw obs and writes normObs. */
  observe(): void {
    this.observeRows(this.pool.obs, this.N, this.normObs, this.obsNorm?.rms);
  }

  /**
   * Feeds `rows` raw observations to `stats` (the normalizer's own, another stream's, or none to
   * leave them be), then writes them normalized into `out`, or copied when obs are not normalized.
   */
  observeRows(raw: Float32Array, rows: number, out: Float32Array, stats: RunningMeanStd | undefined): void {
    if (this.obsNorm) {
      stats?.update(raw, rows);
      this.obsNorm.normalize(raw, rows, out);
    } else out.set(raw);
  }

  /** Normalizes (no stats update) the final obs of env n into out at offset. */
  normalizeFinal(n: number, out: Float32Array, offset: number): void {
    const src = this.pool.finalObs.subarray(n * this.obsDim, (n + 1) * this.obsDim);
    const dst = out.subarray(offset, offset + this.obsDim);
    if (this.obsNorm) this.obsNorm.normalize(src, 1, dst);
    else dst.set(src);
  }

  /** Samples u, action and log π for all N envs from normObs (one batched JS forward). */
  sampleAll(): void {
    const N = this.N, d = this.actDim;
    this.policyForward(this.normObs, N);
    if (this.discrete) {
      for (let n = 0; n < N; n++) {
        const a = sampleCategorical(this.muView, d, n, this.rng, this.scratch);
        this.u[n] = a;
        this.action[n] = a;
        this.logp[n] = this.scratch[a];
      }
      return;
    }
    const mu = this.muView, ls = this.lsView;
    sampleGaussian(mu, ls, N, d, this.rng, this.u, this.action, this.opt.squash, this.low, this.high);
    // Log-prob of u: the tanh Jacobian does not depend on θ given u, so losses and ratios use u.
    for (let n = 0; n < N; n++) this.logp[n] = gaussianLogProb(this.u, mu, ls, d, n);
  }

  /**
   * Collects T steps into buf: obs, u, log π, (scaled) rewards, flags, truncation obs. Values are
   * filled afterwards by computeValues.
   */
  collect(buf: RolloutBuffer): void {
    const N = this.N, od = this.obsDim, aw = this.actWidth, p = this.pool;
    for (let t = 0; t < buf.T; t++) {
      const base = t * N;
      buf.obs.set(this.normObs, base * od);
      this.sampleAll();
      buf.actions.set(this.u, base * aw);
      buf.logp.set(this.logp, base);
      p.stepAll(this.action);
      if (this.rewScaler) this.rewScaler.scale(p.rewards, p.done);
      buf.rewards.set(p.rewards, base);
      buf.terminated.set(p.terminated, base);
      buf.truncated.set(p.truncated, base);
      for (let n = 0; n < N; n++) if (p.truncated[n]) this.normalizeFinal(n, buf.truncObs, (base + n) * od);
      this.observe();
    }
    buf.lastObs.set(this.normObs);
  }

  /** V(s) for rows × obsDim normalized observations, batched (on the engine, in chunks of its rows). */
  valuesOf(obs: Float32Array, rows: number, out: Float32Array): void {
    this.critic(obs, undefined, rows, out);
  }

  /** Q(s, a) for rows of normalized observations and pre-squash actions. */
  qValuesOf(obs: Float32Array, actions: Float32Array, rows: number, out: Float32Array): void {
    this.critic(obs, actions, rows, out);
  }

  /** The critic, V(s) (actions undefined) or Q(s, a), batched: on the engine in chunks of its rows. */
  private critic(obs: Float32Array, actions: Float32Array | undefined, rows: number, out: Float32Array): void {
    if (rows === 0) return;
    const e = this.engine, od = this.obsDim, aw = this.actWidth;
    if (e) {
      for (let r0 = 0; r0 < rows; r0 += e.maxRows) {
        const r = Math.min(e.maxRows, rows - r0);
        e.load(obs.subarray(r0 * od, (r0 + r) * od), r, actions?.subarray(r0 * aw, (r0 + r) * aw));
        e.forward(r, VALUE);
        out.set(e.values.subarray(0, r), r0);
      }
      return;
    }
    const v = tf.tidy(() => {
      const x = tf.tensor2d(obs.subarray(0, rows * od), [rows, od]);
      return actions ? this.net.q(x, tf.tensor2d(actions.subarray(0, rows * aw), [rows, aw])) : this.net.value(x);
    });
    out.set(v.dataSync() as Float32Array);
    v.dispose();
  }

  /** Fills buf.values, buf.truncValues (where truncated) and buf.lastValues. */
  computeValues(buf: RolloutBuffer): void {
    const TN = buf.T * buf.N, od = this.obsDim;
    this.valuesOf(buf.obs, TN, buf.values);
    this.valuesOf(buf.lastObs, buf.N, buf.lastValues);
    let k = 0;
    for (let i = 0; i < TN; i++) if (buf.truncated[i]) k++;
    if (k > 0) {
      const obs = new Float32Array(k * od), v = new Float32Array(k);
      let j = 0;
      for (let i = 0; i < TN; i++) if (buf.truncated[i]) obs.set(buf.truncObs.subarray(i * od, (i + 1) * od), od * j++);
      this.valuesOf(obs, k, v);
      j = 0;
      for (let i = 0; i < TN; i++) if (buf.truncated[i]) buf.truncValues[i] = v[j++];
    }
  }

  // ------------------------------------------------------------- acting on raw observations
  private actorAt(obs: Float32Array): void {
    if (obs.length !== this.obsDim) throw new RangeError(`act: observation has ${obs.length} numbers, expected ${this.obsDim}`);
    if (this.obsNorm) this.obsNorm.normalize(obs, 1, this.one);
    else this.one.set(obs);
    this.policyForward(this.one, 1);
  }

  act(obs: Float32Array, deterministic: boolean): Float32Array {
    this.actorAt(obs);
    const d = this.actDim;
    if (this.discrete) return Float32Array.of(sampleCategorical(this.muView, d, 0, deterministic ? null : this.evalRng, this.scratch));
    sampleGaussian(this.muView, this.lsView, 1, d, deterministic ? null : this.evalRng, this.rowU, this.rowA, this.opt.squash, this.low, this.high);
    return Float32Array.from(this.rowA);
  }

  policyAt(obs: Float32Array): { mu: Float32Array; std: Float32Array } {
    this.actorAt(obs);
    const d = this.actDim;
    if (this.discrete) {
      logSoftmax(this.muView, d, 0, this.scratch);
      return { mu: Float32Array.from(this.scratch, (l) => Math.exp(l)), std: new Float32Array(0) };
    }
    const mu = new Float32Array(d), std = new Float32Array(d);
    for (let j = 0; j < d; j++) {
      mu[j] = squashValue(this.muView[j], this.opt.squash, j, this.low, this.high);
      std[j] = Math.exp(this.lsView[j]);
    }
    return { mu, std };
  }

  /** The policy as plain arrays (read from the engine directly: published after every update). */
  snapshot(): PolicySnapshot {
    const e = this.engine;
    return this.net.snapshot({ obsNorm: this.obsNorm?.snapshot(), squash: this.discrete ? 'none' : this.opt.squash, low: this.low, high: this.high }, e ? (v) => e.paramOf(v) : undefined);
  }

  // ------------------------------------------------------------- checkpoints
  saveInto(tensors: Record<string, AlgoState['tensors'][string]>, json: Record<string, unknown>): void {
    this.syncTf();
    for (const [k, v] of Object.entries(this.net.getWeights())) tensors[`net/${k}`] = v;
    tensors['rng'] = this.rng.getState();
    tensors['evalRng'] = this.evalRng.getState();
    if (this.obsNorm) tensors['obsNorm'] = this.obsNorm.rms.getState();
    if (this.rewScaler) tensors['rewScaler'] = this.rewScaler.getState();
    const ps = this.pool.getState();
    tensors['pool/envStates'] = ps.envStates;
    tensors['pool/envStateLengths'] = ps.envStateLengths;
    tensors['pool/obs'] = ps.obs;
    tensors['pool/epReturn'] = ps.epReturn;
    tensors['pool/epLength'] = ps.epLength;
    tensors['normObs'] = Float32Array.from(this.normObs);
    json['steps'] = ps.steps;
  }

  loadFrom(state: AlgoState): void {
    const t = state.tensors;
    const need = (k: string) => {
      const v = t[k];
      if (!v) throw new RangeError(`loadState: checkpoint lacks "${k}"`);
      return v;
    };
    const w: Record<string, Float32Array> = {};
    for (const { name } of this.net.named) w[name] = need(`net/${name}`) as Float32Array;
    this.net.setWeights(w);
    this.engine?.pullParams();
    this.rng.setState(need('rng'));
    this.evalRng.setState(need('evalRng'));
    if (this.obsNorm) this.obsNorm.rms.setState(need('obsNorm'));
    if (this.rewScaler) this.rewScaler.setState(need('rewScaler'));
    this.pool.setState({
      envStates: need('pool/envStates') as Float64Array, envStateLengths: need('pool/envStateLengths') as Int32Array,
      obs: need('pool/obs') as Float32Array, epReturn: need('pool/epReturn') as Float64Array, epLength: need('pool/epLength') as Int32Array,
      steps: Number(state.json['steps']),
    });
    this.normObs.set(need('normObs'));
    this.syncActor();
  }

  dispose(): void {
    this.net.dispose();
    this.pool.dispose();
  }
}
