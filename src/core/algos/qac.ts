// Q actor-critic, online, as in the lecture's pseudo-code (after Lilian Weng), batched over N envs:
//
//   sample a ~ π_θ(·|s)
//   for each step: take a, observe r, s';  sample a' ~ π_θ(·|s')
//     θ ← θ + α_θ · Q_w(s,a) ∇_θ log π_θ(a|s)
//     δ = r + γ Q_w(s',a') − Q_w(s,a)         (Q_w(s',a') = 0 after a terminal state)
//     w ← w + α_w · δ ∇_w Q_w(s,a)
//     a ← a', s ← s'
//
// At a time-limit truncation δ bootstraps from the real final state and an action sampled there;
// the next episode then starts with a fresh sample at its initial state.
import * as tf from '@tensorflow/tfjs';
import { choice, int, num, type ConfigOf } from '../config/schema.js';
import { BOTH, VALUE } from '../kernels/kernel-net.js';
import { gaussianLogProbTf, sampleGaussian, squashValue } from '../rl/distributions.js';
import { Optimizer, scheduledLr, type LrSchedule } from '../rl/optim.js';
import { PolicyCore, type KernelCore } from '../rl/policy-core.js';
import { coreOptions, gammaField, NETWORK_FIELDS, NORM_FIELDS, numEnvsField, OPTIM_FIELDS } from './common.js';
import { algoModule, CoreAlgorithm, tfGradStep, updateStats, type StateTensors } from './base.js';
import type { AlgoContext, AlgoState, UpdateStats } from './types.js';

export const QAC_SCHEMA = {
  numEnvs: numEnvsField(8),
  stepsPerUpdate: int(100, 'online steps between two UpdateStats reports (learning happens every step)', 1),
  gamma: gammaField,
  ...NETWORK_FIELDS,
  ...NORM_FIELDS,
  ...OPTIM_FIELDS,
  lr: num(1e-4, 'actor learning rate α_θ', { min: 0 }),
  criticLr: num(1e-3, 'critic learning rate α_w', { min: 0 }),
  lrSchedule: choice('constant', ['constant', 'linear'] as const, 'learning-rate schedule'),
  maxGradNorm: num(1, 'clip each gradient step’s global norm to this (0: off)', { min: 0 }),
} as const;
export type QacConfig = ConfigOf<typeof QAC_SCHEMA>;

class Qac extends CoreAlgorithm {
  readonly name = 'qac' as const;
  private readonly optPi: Optimizer;
  private readonly optQ: Optimizer;
  private readonly s: Float32Array;
  private readonly a: Float32Array;
  private readonly sBoot: Float32Array;
  private readonly aBoot: Float32Array;
  private readonly aEnv: Float32Array;
  private readonly uTmp: Float32Array;
  private readonly r: Float32Array;
  private readonly notTerm: Float32Array;
  private readonly totalSteps: number;
  private readonly y: Float32Array;
  private readonly st = new Float64Array(3);

  constructor(ctx: AlgoContext, private readonly c: QacConfig) {
    super(new PolicyCore(ctx, coreOptions(c, 'q', false, c.numEnvs)));
    const { N, obsDim, actWidth, net } = this.core;
    if (this.core.discrete) throw new RangeError('qac: Q(s,a) takes a continuous action; use a box-action task');
    this.optPi = this.optimizer('optPi', net.actorVars, { kind: c.optimizer, eps: c.optimEps });
    this.optQ = this.optimizer('optQ', net.criticVars, { kind: c.optimizer, eps: c.optimEps });
    this.s = new Float32Array(N * obsDim);
    this.sBoot = new Float32Array(N * obsDim);
    this.a = new Float32Array(N * actWidth);
    this.aBoot = new Float32Array(N * actWidth);
    this.aEnv = new Float32Array(N * actWidth);
    this.uTmp = new Float32Array(N * actWidth);
    this.r = new Float32Array(N);
    this.notTerm = new Float32Array(N);
    this.totalSteps = ctx.totalSteps;
    this.y = new Float32Array(N);
    // Initial s and a ~ π(·|s).
    this.s.set(this.core.normObs);
    this.sample(this.s, this.a);
  }

  /** Samples pre-squash actions u ~ π(·|obs) for all N rows with one forward of the current θ. */
  private sample(obs: Float32Array, u: Float32Array): void {
    const { core } = this;
    core.policyForward(obs, core.N);
    sampleGaussian(core.lastMu, core.lastLogStd, core.N, core.actDim, core.rng, u, this.uTmp, 'none');
  }

  /** Env actions from pre-squash samples (clip or tanh into the bounds). */
  private envActions(u: Float32Array): void {
    const { actDim, low, high } = this.core;
    for (let i = 0; i < u.length; i++) this.aEnv[i] = squashValue(u[i], this.c.squash, i % actDim, low, high);
  }

  async update(): Promise<UpdateStats> {
    const { core, c } = this;
    const { pool, N, obsDim, actWidth } = core;
    let sumPi = 0, sumQ = 0, sumNorm = 0;
    for (let k = 0; k < c.stepsPerUpdate; k++) {
      // take a, observe r, s'
      this.envActions(this.a);
      pool.stepAll(this.aEnv);
      if (core.rewScaler) core.rewScaler.scale(pool.rewards, pool.done);
      this.r.set(pool.rewards);
      core.observe();
      // s' for bootstrapping: the real final state where an episode ended.
      this.sBoot.set(core.normObs);
      for (let n = 0; n < N; n++) {
        this.notTerm[n] = pool.terminated[n] ? 0 : 1;
        if (pool.done[n]) core.normalizeFinal(n, this.sBoot, n * obsDim);
      }
      // a' ~ π(·|s')
      this.sample(this.sBoot, this.aBoot);
      const lr = scheduledLr(c.lr, c.lrSchedule as LrSchedule, pool.steps / this.totalSteps);
      const lrQ = scheduledLr(c.criticLr, c.lrSchedule as LrSchedule, pool.steps / this.totalSteps);
      const v = core.engine ? this.stepKernel(lr, lrQ) : this.stepTf(lr, lrQ);
      sumPi += v[0];
      sumQ += v[1];
      sumNorm += v[2];
      // the episode that started at a reset needs its first action from its own initial state
      let anyDone = false;
      for (let n = 0; n < N; n++) anyDone ||= pool.done[n] === 1;
      if (anyDone) {
        this.sample(core.normObs, this.uTmp);
        for (let n = 0; n < N; n++) if (pool.done[n]) for (let j = 0; j < actWidth; j++) this.aBoot[n * actWidth + j] = this.uTmp[n * actWidth + j];
      }
      // a ← a', s ← s'
      this.a.set(this.aBoot);
      this.s.set(core.normObs);
    }
    const K = c.stepsPerUpdate;
    this.updates++;
    return this.finishUpdate(updateStats({ policyLoss: sumPi / K, valueLoss: sumQ / K, gradNorm: sumNorm / K }));
  }

  /** The step of the pseudo-code on the kernel engine: [−mean Q, mean δ², grad norms]. */
  private stepKernel(lr: number, lrQ: number): Float64Array {
    const e = this.engine, st = this.st, c = this.c;
    qacLossGrad(this.core as KernelCore, this.s, this.a, this.sBoot, this.aBoot, this.r, this.notTerm, c.gamma, this.y, st);
    st[2] = e.applyGradients(this.optPi, lr, c.maxGradNorm) + e.applyGradients(this.optQ, lrQ, c.maxGradNorm);
    return st;
  }

  /** The same step as TF.js ops (the reference). */
  private stepTf(lr: number, lrQ: number): Float32Array {
    const { core, c } = this, { N, obsDim, actWidth, net } = core;
    const res = tf.tidy(() => {
      const s = tf.tensor2d(this.s, [N, obsDim]), a = tf.tensor2d(this.a, [N, actWidth]);
      // Targets are constants: Q_w(s,a) as the actor's Φ, and r + γ Q_w(s',a') for the critic.
      const qSa = net.q(s, a);
      const qNext = net.q(tf.tensor2d(this.sBoot, [N, obsDim]), tf.tensor2d(this.aBoot, [N, actWidth]));
      const y = tf.add(tf.tensor1d(this.r), tf.mul(tf.mul(c.gamma, tf.tensor1d(this.notTerm)), qNext));
      // One tape for both losses; θ's optimizer steps first, then w's.
      const [nPi, nQ] = tfGradStep(() => {
        const { out, logStd } = net.forward(s, false);
        const logp = gaussianLogProbTf(a, out, logStd as tf.Tensor);
        // θ ← θ + α Q_w(s,a) ∇ log π(a|s)  ⇔  descend −mean(Q·log π)
        const piLoss = tf.neg(tf.mean(tf.mul(qSa, logp)));
        // w ← w + α δ ∇Q_w(s,a)  ⇔  descend ½ mean(δ²) with the target held fixed
        const qLoss = tf.mul(0.5, tf.mean(tf.square(tf.sub(y, net.q(s, a)))));
        return tf.add(piLoss, qLoss) as tf.Scalar;
      }, [{ opt: this.optPi, lr, maxNorm: c.maxGradNorm }, { opt: this.optQ, lr: lrQ, maxNorm: c.maxGradNorm }]);
      const out = tf.stack([tf.neg(tf.mean(qSa)), tf.mean(tf.square(tf.sub(y, qSa))), tf.add(nPi, nQ)]);
      tf.dispose([nPi, nQ]); // kept tensors escape tidy
      return out;
    });
    // θ moved: the JS actor that samples the next actions follows every step (the engine needs nothing).
    core.syncActor();
    const v = res.dataSync() as Float32Array;
    res.dispose();
    return v;
  }

  protected override saveExtra(tensors: StateTensors): void {
    tensors['qac/s'] = Float32Array.from(this.s);
    tensors['qac/a'] = Float32Array.from(this.a);
  }
  protected override loadExtra(state: AlgoState): void {
    this.s.set(state.tensors['qac/s'] as Float32Array);
    this.a.set(state.tensors['qac/a'] as Float32Array);
  }
}

// ------------------------------------------------------------------ the step's losses on the kernel engine
/**
 * One step of the pseudo-code on the kernel engine, the losses of stepTf: −mean(Q_w(s,a)·log π(a|s))
 * for θ and ½·mean((r + γQ_w(s',a') − Q_w(s,a))²) for w, the target y held fixed. Leaves both
 * gradients in the engine; writes [−mean Q_w(s,a), mean δ²] into stats[0..1].
 */
export function qacLossGrad(core: KernelCore, s: Float32Array, a: Float32Array, sNext: Float32Array, aNext: Float32Array, r: Float32Array, notTerm: Float32Array, gamma: number, y: Float32Array, stats: Float64Array): void {
  const e = core.engine, head = core.head, F = e.arena.f32, N = r.length, aw = a.length / N, q = e.values, dQ = e.dValue;
  e.load(sNext, N, aNext);
  e.forward(N, VALUE);
  for (let n = 0; n < N; n++) y[n] = r[n] + gamma * notTerm[n] * q[n];
  e.load(s, N, a);
  e.forward(N, BOTH);
  head.begin(N);
  let qSum = 0, d2 = 0;
  for (let n = 0; n < N; n++) {
    const qn = q[n], delta = y[n] - qn;
    head.addGrad(n, a, n * aw, -qn / N, 0); // ∂/∂log π of −mean(Q·log π)
    F[dQ + n] = -delta / N; // ∂/∂Q of ½ mean(δ²)
    qSum += qn;
    d2 += delta * delta;
  }
  e.backward(N, BOTH);
  stats[0] = -qSum / N;
  stats[1] = d2 / N;
}

export const qac = algoModule({
  name: 'qac',
  title: 'Q Actor-Critic (online)',
  summary: 'the lecture’s online Q actor-critic: Φ = Q_w(s,a), SARSA-style TD critic, every step',
  schema: QAC_SCHEMA,
}, (ctx, c) => new Qac(ctx, c));
