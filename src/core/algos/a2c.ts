// A2C: synchronous advantage actor-critic (Mnih et al. 2016, SB3's defaults). N envs each take
// numSteps steps; one gradient step on the whole rollout:
//
//   A_t  = G_t − V(s_t),  G_t = Σ_{i<k} γ^i r_{t+i} + γ^k V(s_{t+k})   (n-step; or GAE(λ))
//   loss = −E[A_t log π_θ(a_t|s_t)] − c_ent·H[π_θ] + c_V·E[(G_t − V_θ(s_t))²]
import * as tf from '@tensorflow/tfjs';
import { bool, choice, int, num, type ConfigOf } from '../config/schema.js';
import { BOTH } from '../kernels/kernel-net.js';
import { explainedVariance, gae, nStepReturns, normalizeInPlace } from '../rl/advantages.js';
import { policyLogProbEntropyTf } from '../rl/distributions.js';
import { Optimizer, scheduledLr, type LrSchedule } from '../rl/optim.js';
import type { ActorCritic } from '../rl/networks.js';
import { PolicyCore, RolloutBuffer, type KernelCore } from '../rl/policy-core.js';
import { coreOptions, gammaField, NETWORK_FIELDS, NORM_FIELDS, numEnvsField, OPTIM_FIELDS } from './common.js';
import { algoModule, CoreAlgorithm, updateStats } from './base.js';
import type { AlgoContext, UpdateStats } from './types.js';

export const A2C_SCHEMA = {
  numEnvs: numEnvsField(8),
  numSteps: int(5, 'steps per env per update (the n of n-step returns)', 1),
  gamma: gammaField,
  advantage: choice('nstep', ['nstep', 'gae'] as const, 'A_t from n-step returns, or GAE(λ)'),
  gaeLambda: num(0.95, 'GAE λ (advantage = gae)', { min: 0, max: 1 }),
  normAdv: bool(false, 'standardize advantages over the rollout'),
  entCoef: num(0, 'entropy bonus coefficient', { min: 0 }),
  vfCoef: num(0.5, 'value-loss coefficient', { min: 0 }),
  shared: bool(false, 'one trunk for actor and critic (A3C-style parameter sharing)'),
  ...NETWORK_FIELDS,
  ...NORM_FIELDS,
  ...OPTIM_FIELDS,
  optimizer: choice('rmsprop', ['adam', 'rmsprop'] as const, 'optimizer (SB3: RMSProp, α 0.99)'),
  lr: num(7e-4, 'learning rate', { min: 0 }),
  lrSchedule: choice('constant', ['constant', 'linear'] as const, 'learning-rate schedule'),
} as const;
export type A2cConfig = ConfigOf<typeof A2C_SCHEMA>;

class A2c extends CoreAlgorithm {
  readonly name = 'a2c' as const;
  private readonly opt: Optimizer;
  private readonly buf: RolloutBuffer;
  private readonly adv: Float32Array;
  private readonly ret: Float32Array;
  private readonly numUpdates: number;
  private readonly st = new Float64Array(3);

  constructor(ctx: AlgoContext, private readonly c: A2cConfig) {
    super(new PolicyCore(ctx, coreOptions(c, 'v', c.shared, c.numSteps * c.numEnvs)));
    this.opt = this.optimizer('opt', this.core.net.variables, { kind: c.optimizer, eps: c.optimEps, alpha: 0.99 });
    this.buf = new RolloutBuffer(c.numSteps, this.core.N, this.core.obsDim, this.core.actWidth);
    this.adv = new Float32Array(c.numSteps * this.core.N);
    this.ret = new Float32Array(c.numSteps * this.core.N);
    this.numUpdates = Math.max(1, Math.floor(ctx.totalSteps / (c.numSteps * this.core.N)));
  }

  async update(): Promise<UpdateStats> {
    const { core, c, buf } = this;
    core.collect(buf);
    core.computeValues(buf);
    a2cAdvantages(buf, c, this.adv, this.ret);
    const lr = scheduledLr(c.lr, c.lrSchedule as LrSchedule, this.updates / this.numUpdates);
    let s: ArrayLike<number>, gn: number;
    if (core.engine) {
      a2cLossGrad(core as KernelCore, buf, this.adv, this.ret, c, this.st);
      gn = this.engine.applyGradients(this.opt, lr, c.maxGradNorm);
      s = this.st;
    } else ({ norm: gn, stats: s } = this.tfStep(this.opt, lr, c.maxGradNorm, (keep) => a2cLoss(core.net, buf, this.adv, this.ret, c, keep)));
    this.updates++;
    return this.finishUpdate(updateStats({ policyLoss: s[0], valueLoss: s[1], entropy: s[2], explainedVariance: explainedVariance(buf.values, this.ret), gradNorm: gn }));
  }

}

/** A_t and the value targets R_t: n-step returns (R − V) or GAE(λ), optionally standardized. */
export function a2cAdvantages(buf: RolloutBuffer, c: Pick<A2cConfig, 'advantage' | 'gamma' | 'gaeLambda' | 'normAdv'>, adv: Float32Array, ret: Float32Array): void {
  if (c.advantage === 'gae') gae(buf, buf.valueInfo, c.gamma, c.gaeLambda, adv, ret);
  else {
    nStepReturns(buf, buf.valueInfo, c.gamma, ret);
    for (let i = 0; i < adv.length; i++) adv[i] = ret[i] - buf.values[i];
  }
  if (c.normAdv) normalizeInPlace(adv);
}

// ------------------------------------------------------------------ the loss, as TF.js ops (the reference)
/**
 * The A2C loss on one rollout: loss = −mean(Φ·log π) + c_V·mean((R − V)²) − c_ent·H with
 * Φ = adv, held constant. Hands [policy loss, value loss, entropy] to `keep`.
 */
export function a2cLoss(net: ActorCritic, buf: RolloutBuffer, advantages: Float32Array, returns: Float32Array, c: Pick<A2cConfig, 'entCoef' | 'vfCoef'>, keep: (stats: tf.Tensor) => void): tf.Scalar {
  const B = buf.T * buf.N;
  const obs = tf.tensor2d(buf.obs, [B, buf.obsDim]);
  const act = tf.tensor2d(buf.actions, [B, buf.actWidth]);
  const adv = tf.tensor1d(advantages), ret = tf.tensor1d(returns);
  const { out, logStd, value: v } = net.forward(obs);
  const { logp, ent } = policyLogProbEntropyTf(net.cfg.discrete, out, logStd, act);
  // The policy gradient with Φ_t = A_t (advantages are constants here).
  const pgLoss = tf.neg(tf.mean(tf.mul(adv, logp)));
  const vLoss = tf.mean(tf.square(tf.sub(ret, v as tf.Tensor1D)));
  keep(tf.stack([pgLoss, vLoss, ent]));
  return tf.add(tf.sub(pgLoss, tf.mul(c.entCoef, ent)), tf.mul(c.vfCoef, vLoss)) as tf.Scalar;
}

// ------------------------------------------------------------------ the same loss on the kernel engine
/**
 * a2cLoss on the kernel engine (A3C workers take the same step): its gradient with respect to
 * the net's outputs per sample, then the engine's backward; the parameter gradients are left in
 * the engine. Writes [policy loss, value loss, entropy] into `stats`.
 */
export function a2cLossGrad(core: KernelCore, buf: RolloutBuffer, adv: Float32Array, ret: Float32Array, c: Pick<A2cConfig, 'entCoef' | 'vfCoef'>, stats: Float64Array): void {
  const e = core.engine, head = core.head, F = e.arena.f32, B = buf.T * buf.N, aw = buf.actWidth;
  e.load(buf.obs, B);
  e.forward(B, BOTH);
  head.begin(B);
  const val = e.values, dV = e.dValue, dEnt = -c.entCoef / B;
  let pg = 0, vl = 0, ent = 0;
  for (let r = 0; r < B; r++) {
    // −mean(A·log π): ∂/∂log π = −A/B.
    pg -= adv[r] * head.logProb(r, buf.actions, r * aw);
    head.addGrad(r, buf.actions, r * aw, -adv[r] / B, dEnt);
    ent += head.entropy(r);
    // c_V·mean((R − V)²): ∂/∂V = 2·c_V·(V − R)/B.
    const d = val[r] - ret[r];
    vl += d * d;
    F[dV + r] = (2 * c.vfCoef * d) / B;
  }
  e.backward(B, BOTH);
  stats[0] = pg / B;
  stats[1] = vl / B;
  stats[2] = ent / B;
}

export const a2c = algoModule({
  name: 'a2c',
  title: 'Advantage Actor-Critic (synchronous)',
  summary: 'N envs, n-step returns or GAE, entropy bonus, RMSProp (SB3 defaults)',
  schema: A2C_SCHEMA,
}, (ctx, c) => new A2c(ctx, c));
