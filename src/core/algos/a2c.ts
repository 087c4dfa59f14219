// A2C: synchronous advantage actor-critic (Mnih et al. 2016, SB3's defaults). N envs each take
// numSteps steps; one gradient step on the whole rollout:
//
//   A_t  = G_t − V(s_t),  G_t = Σ_{i<k} γ^i r_{t+i} + γ^k V(s_{t+k})   (n-step; or GAE(λ))
//   loss = −E[A_t log π_θ(a_t|s_t)] − c_ent·H[π_θ] + c_V·E[(G_t − V_θ(s_t))²]
import * as tf from '@tensorflow/tfjs';
import { bool, choice, int, num, type ConfigOf, resolveConfig } from '../config/schema.js';
import { explainedVariance, gae, nStepReturns, normalizeInPlace } from '../rl/advantages.js';
import { policyLogProbEntropyTf } from '../rl/distributions.js';
import { Optimizer, scheduledLr, type LrSchedule } from '../rl/optim.js';
import type { ActorCritic } from '../rl/networks.js';
import { PolicyCore, RolloutBuffer } from '../rl/policy-core.js';
import { coreOptions, gammaField, NETWORK_FIELDS, NORM_FIELDS, numEnvsField, OPTIM_FIELDS } from './common.js';
import { CoreAlgorithm } from './base.js';
import type { AlgoContext, AlgoModule, UpdateStats } from './types.js';

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

/**
 * The A2C loss on one rollout and its gradient w.r.t. all of net's variables (A3C workers take
 * the same step): loss = −mean(Φ·log π) + c_V·mean((R − V)²) − c_ent·H with Φ = adv, held
 * constant. Returns the gradients by variable name, the loss, and [policy loss, value loss,
 * entropy] (kept); the caller disposes all three.
 */
export function a2cGrads(net: ActorCritic, buf: RolloutBuffer, advantages: Float32Array, returns: Float32Array, c: Pick<A2cConfig, 'entCoef' | 'vfCoef'>): { grads: tf.NamedTensorMap; value: tf.Scalar; stats: tf.Tensor1D } {
  const B = buf.T * buf.N;
  let stats: tf.Tensor1D | undefined;
  const { grads, value } = tf.tidy(() => {
    const obs = tf.tensor2d(buf.obs, [B, buf.obsDim]);
    const act = tf.tensor2d(buf.actions, [B, buf.actWidth]);
    const adv = tf.tensor1d(advantages), ret = tf.tensor1d(returns);
    return tf.variableGrads(() => {
      const { out, logStd, value: v } = net.forward(obs);
      const { logp, ent } = policyLogProbEntropyTf(net.cfg.discrete, out, logStd, act);
      // The policy gradient with Φ_t = A_t (advantages are constants here).
      const pgLoss = tf.neg(tf.mean(tf.mul(adv, logp)));
      const vLoss = tf.mean(tf.square(tf.sub(ret, v as tf.Tensor1D)));
      stats = tf.keep(tf.stack([pgLoss, vLoss, ent]) as tf.Tensor1D);
      return tf.add(tf.sub(pgLoss, tf.mul(c.entCoef, ent)), tf.mul(c.vfCoef, vLoss)) as tf.Scalar;
    }, net.variables);
  });
  return { grads, value, stats: stats as unknown as tf.Tensor1D };
}

class A2c extends CoreAlgorithm {
  readonly name = 'a2c' as const;
  private readonly opt: Optimizer;
  private readonly buf: RolloutBuffer;
  private readonly adv: Float32Array;
  private readonly ret: Float32Array;
  private readonly numUpdates: number;

  constructor(ctx: AlgoContext, private readonly c: A2cConfig) {
    super(new PolicyCore(ctx, coreOptions(c, 'v', c.shared)));
    this.opt = new Optimizer(this.core.net.variables, { kind: c.optimizer, eps: c.optimEps, alpha: 0.99 });
    this.buf = new RolloutBuffer(c.numSteps, this.core.N, this.core.obsDim, this.core.actWidth);
    this.adv = new Float32Array(c.numSteps * this.core.N);
    this.ret = new Float32Array(c.numSteps * this.core.N);
    this.numUpdates = Math.max(1, Math.floor(ctx.totalSteps / (c.numSteps * this.core.N)));
  }

  async update(): Promise<UpdateStats> {
    const { core, c, buf } = this;
    const { net } = core;
    core.collect(buf);
    core.computeValues(buf);
    if (c.advantage === 'gae') gae(buf, buf.valueInfo, c.gamma, c.gaeLambda, this.adv, this.ret);
    else {
      nStepReturns(buf, buf.valueInfo, c.gamma, this.ret);
      for (let i = 0; i < this.adv.length; i++) this.adv[i] = this.ret[i] - buf.values[i];
    }
    if (c.normAdv) normalizeInPlace(this.adv);
    const lr = scheduledLr(c.lr, c.lrSchedule as LrSchedule, this.updates / this.numUpdates);
    const vars = net.variables;
    const { grads, value, stats } = a2cGrads(net, buf, this.adv, this.ret, c);
    const norm = this.opt.applyClipped(vars.map((v) => grads[v.name]), lr, c.maxGradNorm);
    const s = stats.dataSync(), gn = norm.dataSync()[0];
    tf.dispose([value, stats, norm, ...Object.values(grads)]);
    this.updates++;
    const out: UpdateStats = {
      policyLoss: s[0], valueLoss: s[1], entropy: s[2], approxKl: NaN, clipFraction: NaN,
      explainedVariance: explainedVariance(buf.values, this.ret), gradNorm: gn,
    };
    return this.finishUpdate(out);
  }

  protected optimizers() {
    return { opt: this.opt };
  }
}

export const a2c: AlgoModule = {
  name: 'a2c',
  title: 'Advantage Actor-Critic (synchronous)',
  summary: 'N envs, n-step returns or GAE, entropy bonus, RMSProp (SB3 defaults)',
  schema: A2C_SCHEMA,
  async create(ctx) {
    return new A2c(ctx, resolveConfig(A2C_SCHEMA, ctx.config as Record<string, unknown>, 'a2c'));
  },
};
