// PPO with the clipped surrogate objective (Schulman et al. 2017), following CleanRL's
// ppo_continuous_action.py: GAE(λ) advantages, minibatch epochs over one rollout, advantage
// normalization per minibatch, optional value clipping and target-KL early stop.
//
//   ratio_t  = π_θ(a_t|s_t) / π_θold(a_t|s_t)
//   L_clip   = E[ max(−A_t·ratio_t, −A_t·clip(ratio_t, 1−ε, 1+ε)) ]
//   L_V      = ½ E[(V_θ(s_t) − R_t)²]            (or the clipped form)
//   loss     = L_clip − c_ent·H[π_θ] + c_V·L_V
import * as tf from '@tensorflow/tfjs';
import { bool, int, num, type ConfigOf } from '../config/schema.js';
import { explainedVariance, gae } from '../rl/advantages.js';
import { policyLogProbEntropyTf } from '../rl/distributions.js';
import type { ActorCritic } from '../rl/networks.js';
import { Optimizer, scheduledLr, type LrSchedule } from '../rl/optim.js';
import { BOTH } from '../kernels/kernel-net.js';
import { PolicyCore, RolloutBuffer, type KernelCore } from '../rl/policy-core.js';
import { coreOptions, gammaField, NETWORK_FIELDS, NORM_FIELDS, numEnvsField, OPTIM_FIELDS } from './common.js';
import { algoModule, CoreAlgorithm, tfGradStep, updateStats } from './base.js';
import type { AlgoContext, UpdateStats } from './types.js';

export const PPO_SCHEMA = {
  numEnvs: numEnvsField(1),
  numSteps: int(2048, 'steps per env per rollout', 1),
  numMinibatches: int(32, 'minibatches per epoch', 1),
  updateEpochs: int(10, 'passes over each rollout', 1),
  gamma: gammaField,
  gaeLambda: num(0.95, 'GAE λ', { min: 0, max: 1 }),
  clipCoef: num(0.2, 'surrogate clipping ε', { min: 0 }),
  clipVloss: bool(true, 'clip the value update around the old values (CleanRL default)'),
  normAdv: bool(true, 'normalize advantages per minibatch'),
  entCoef: num(0, 'entropy bonus coefficient', { min: 0 }),
  vfCoef: num(0.5, 'value-loss coefficient', { min: 0 }),
  targetKl: num(0, 'stop the epochs when approx-KL exceeds this (0: off)', { min: 0 }),
  shared: bool(false, 'one trunk for actor and critic'),
  ...NETWORK_FIELDS,
  ...NORM_FIELDS,
  ...OPTIM_FIELDS,
} as const;
export type PpoConfig = ConfigOf<typeof PPO_SCHEMA>;

class Ppo extends CoreAlgorithm {
  readonly name = 'ppo' as const;
  private readonly opt: Optimizer;
  private readonly buf: RolloutBuffer;
  private readonly adv: Float32Array;
  private readonly ret: Float32Array;
  private readonly packed: Float32Array;
  private readonly perm: Int32Array;
  private readonly numUpdates: number;

  constructor(ctx: AlgoContext, private readonly c: PpoConfig) {
    super(new PolicyCore(ctx, coreOptions(c, 'v', c.shared, Math.max(1, Math.floor((c.numSteps * c.numEnvs) / c.numMinibatches)))));
    this.opt = this.optimizer('opt', this.core.net.variables, { kind: c.optimizer, eps: c.optimEps });
    const { N, obsDim, actWidth } = this.core;
    this.buf = new RolloutBuffer(c.numSteps, N, obsDim, actWidth);
    const B = c.numSteps * N;
    if (B < c.numMinibatches) throw new RangeError(`ppo: batch ${B} is smaller than numMinibatches ${c.numMinibatches}`);
    this.adv = new Float32Array(B);
    this.ret = new Float32Array(B);
    this.packed = new Float32Array(B * (obsDim + actWidth + 4));
    this.perm = new Int32Array(B);
    this.numUpdates = Math.max(1, Math.floor(ctx.totalSteps / B));
  }

  async update(): Promise<UpdateStats> {
    const { core, c, buf } = this;
    const { obsDim, actWidth } = core;
    core.collect(buf);
    core.computeValues(buf);
    gae(buf, buf.valueInfo, c.gamma, c.gaeLambda, this.adv, this.ret);
    const B = buf.T * buf.N, W = obsDim + actWidth + 4;
    // Pack [obs | action | old logp | adv | return | old value] once per update.
    const P = this.packed;
    for (let i = 0; i < B; i++) {
      const o = i * W;
      for (let j = 0; j < obsDim; j++) P[o + j] = buf.obs[i * obsDim + j];
      for (let j = 0; j < actWidth; j++) P[o + obsDim + j] = buf.actions[i * actWidth + j];
      P[o + obsDim + actWidth] = buf.logp[i];
      P[o + obsDim + actWidth + 1] = this.adv[i];
      P[o + obsDim + actWidth + 2] = this.ret[i];
      P[o + obsDim + actWidth + 3] = buf.values[i];
    }
    const lr = scheduledLr(c.lr, c.lrSchedule as LrSchedule, this.updates / this.numUpdates);
    const mbSize = Math.floor(B / c.numMinibatches);
    const { s, gn, count } = core.engine ? this.epochsKernel(lr, mbSize) : this.epochsTf(lr, mbSize);
    this.updates++;
    return this.finishUpdate(updateStats({
      policyLoss: s[0] / count, valueLoss: s[1] / count, entropy: s[2] / count, approxKl: s[3] / count, clipFraction: s[4] / count,
      explainedVariance: explainedVariance(buf.values, this.ret), gradNorm: gn / count,
    }));
  }

  /** The minibatch epochs on the kernel engine; returns summed stats and grad norms. */
  private epochsKernel(lr: number, mbSize: number): { s: Float64Array; gn: number; count: number } {
    const { core, c } = this, B = this.perm.length;
    const st = new Float64Array(5), sum = new Float64Array(5);
    let gn = 0, count = 0;
    for (let epoch = 0; epoch < c.updateEpochs; epoch++) {
      core.rng.shuffle(this.perm);
      for (let s = 0; s + mbSize <= B; s += mbSize) {
        ppoLossGrad(core as KernelCore, this.packed, this.perm.subarray(s, s + mbSize), core.obsDim, core.actWidth, c, st);
        gn += this.engine.applyGradients(this.opt, lr, c.maxGradNorm);
        for (let i = 0; i < 5; i++) sum[i] += st[i];
        count++;
      }
      // CleanRL checks the KL of the last minibatch after each epoch.
      if (c.targetKl > 0 && st[3] > c.targetKl) break;
    }
    return { s: sum, gn, count };
  }

  /** The minibatch epochs as TF.js ops (stats stay on the backend until the end). */
  private epochsTf(lr: number, mbSize: number): { s: Float64Array; gn: number; count: number } {
    const { core, c } = this, { net, obsDim, actWidth } = core, B = this.perm.length;
    const data = tf.tensor2d(this.packed, [B, obsDim + actWidth + 4]);
    let statSum: tf.Tensor1D = tf.zeros([5]);
    let normSum: tf.Scalar = tf.scalar(0);
    let count = 0;
    for (let epoch = 0; epoch < c.updateEpochs; epoch++) {
      core.rng.shuffle(this.perm);
      let lastStats: tf.Tensor1D | undefined;
      for (let s = 0; s + mbSize <= B; s += mbSize) {
        const idx = tf.tensor1d(this.perm.subarray(s, s + mbSize), 'int32');
        const mb = tf.gather(data, idx) as tf.Tensor2D;
        const { stats: st, norm } = ppoGradStep(net, this.opt, mb, obsDim, actWidth, c, lr);
        const ns = tf.add(statSum, st) as tf.Tensor1D, nn = tf.add(normSum, norm) as tf.Scalar;
        statSum.dispose();
        normSum.dispose();
        statSum = ns;
        normSum = nn;
        lastStats?.dispose();
        lastStats = st;
        count++;
        tf.dispose([idx, mb, norm]);
      }
      // One read per epoch, only when a target KL is set.
      const stop = c.targetKl > 0 && lastStats !== undefined && (lastStats.dataSync()[3] > c.targetKl);
      lastStats?.dispose();
      if (stop) break;
    }
    data.dispose();
    const s = Float64Array.from(statSum.dataSync()), gn = normSum.dataSync()[0];
    statSum.dispose();
    normSum.dispose();
    return { s, gn, count };
  }

}

// ------------------------------------------------------------------ the loss, as TF.js ops (the reference)
/** One minibatch, split from the packed rows [obs | action | old logp | adv | return | old value]. */
export interface PpoBatch {
  readonly obs: tf.Tensor2D;
  readonly act: tf.Tensor2D;
  readonly oldLp: tf.Tensor1D;
  readonly adv: tf.Tensor1D;
  readonly ret: tf.Tensor1D;
  readonly oldV: tf.Tensor1D;
}

/**
 * Splits a packed minibatch and (optionally) standardizes its advantages. Runs outside the
 * gradient tape: these are constants, and every op recorded on the tape costs a saved copy.
 */
export function ppoBatch(mb: tf.Tensor2D, obsDim: number, actWidth: number, normAdv: boolean): PpoBatch {
  const r = tf.tidy(() => {
    const [obs, act, lp2, adv2, ret2, v2] = tf.split(mb, [obsDim, actWidth, 1, 1, 1, 1], 1) as tf.Tensor2D[];
    let adv = tf.reshape(adv2, [-1]) as tf.Tensor1D;
    if (normAdv) {
      // CleanRL: (A − mean) / (std + 1e-8) per minibatch, with the unbiased std.
      const { mean, variance } = tf.moments(adv);
      const n = adv.shape[0];
      adv = tf.div(tf.sub(adv, mean), tf.add(tf.sqrt(tf.mul(variance, n / Math.max(1, n - 1))), 1e-8)) as tf.Tensor1D;
    }
    return { obs, act, oldLp: tf.reshape(lp2, [-1]), adv, ret: tf.reshape(ret2, [-1]), oldV: tf.reshape(v2, [-1]) };
  });
  return r as unknown as PpoBatch;
}

/**
 * The PPO loss of one minibatch (to run inside tf.variableGrads). Also hands out, kept, the log
 * ratio and [policy loss, value loss, entropy] for the diagnostics computed after the tape.
 */
export function ppoLoss(net: ActorCritic, b: PpoBatch, c: Pick<PpoConfig, 'clipCoef' | 'clipVloss' | 'entCoef' | 'vfCoef'>, out: { logratio?: tf.Tensor1D; parts?: tf.Tensor1D }): tf.Scalar {
  const { out: head, logStd, value } = net.forward(b.obs);
  const { logp: newLp, ent } = policyLogProbEntropyTf(net.cfg.discrete, head, logStd, b.act);
  const logratio = tf.sub(newLp, b.oldLp);
  const ratio = tf.exp(logratio);
  // Policy loss: the clipped surrogate, negated for descent.
  const negAdv = tf.neg(b.adv);
  const pg1 = tf.mul(negAdv, ratio);
  const pg2 = tf.mul(negAdv, tf.clipByValue(ratio, 1 - c.clipCoef, 1 + c.clipCoef));
  const pgLoss = tf.mean(tf.maximum(pg1, pg2));
  // Value loss (optionally clipped around the old values, as CleanRL).
  const v = value as tf.Tensor1D;
  let vLoss: tf.Scalar;
  if (c.clipVloss) {
    const unclipped = tf.squaredDifference(v, b.ret);
    const vClipped = tf.add(b.oldV, tf.clipByValue(tf.sub(v, b.oldV), -c.clipCoef, c.clipCoef));
    vLoss = tf.mul(0.5, tf.mean(tf.maximum(unclipped, tf.squaredDifference(vClipped, b.ret))));
  } else vLoss = tf.mul(0.5, tf.mean(tf.squaredDifference(v, b.ret)));
  out.logratio = tf.keep(logratio) as tf.Tensor1D;
  out.parts = tf.keep(tf.stack([pgLoss, vLoss, ent]) as tf.Tensor1D);
  return tf.add(tf.sub(pgLoss, tf.mul(c.entCoef, ent)), tf.mul(c.vfCoef, vLoss)) as tf.Scalar;
}

/** [policy loss, value loss, entropy, approx KL (k3), clip fraction] of one minibatch. */
function ppoStats(logratio: tf.Tensor1D, parts: tf.Tensor1D, clipCoef: number): tf.Tensor1D {
  return tf.tidy(() => {
    const ratio = tf.exp(logratio);
    const approxKl = tf.mean(tf.sub(tf.sub(ratio, 1), logratio));
    const clipFrac = tf.mean(tf.cast(tf.greater(tf.abs(tf.sub(ratio, 1)), clipCoef), 'float32'));
    return tf.concat([parts, tf.stack([approxKl, clipFrac])]) as tf.Tensor1D;
  });
}

/** One PPO gradient step on a packed minibatch; returns [5 stats] and the pre-clip grad norm. */
export function ppoGradStep(net: ActorCritic, opt: Optimizer, mb: tf.Tensor2D, obsDim: number, actWidth: number, c: Pick<PpoConfig, 'clipCoef' | 'clipVloss' | 'normAdv' | 'entCoef' | 'vfCoef' | 'maxGradNorm'>, lr: number): { stats: tf.Tensor1D; norm: tf.Scalar } {
  const b = ppoBatch(mb, obsDim, actWidth, c.normAdv);
  const held: { logratio?: tf.Tensor1D; parts?: tf.Tensor1D } = {};
  const [norm] = tfGradStep(() => ppoLoss(net, b, c, held), [{ opt, lr, maxNorm: c.maxGradNorm }]);
  const stats = ppoStats(held.logratio as tf.Tensor1D, held.parts as tf.Tensor1D, c.clipCoef);
  tf.dispose([held.logratio as tf.Tensor, held.parts as tf.Tensor, ...Object.values(b)]);
  return { stats, norm };
}

// ------------------------------------------------------------------ the same loss on the kernel engine
/**
 * The PPO loss of ppoLoss on the kernel engine, for any policy layout: rows `idx` of the packed
 * rollout `data` ([obs | action | old logp | adv | return | old value], width W) form the
 * minibatch; the loss's gradient with respect to the net's outputs is written per sample, then
 * the engine's backward fills the parameter gradients (KernelNet.applyGradients takes the step).
 * Writes [policy loss, value loss, entropy, approx KL, clip fraction] into `stats`. Tie-breaking
 * follows TF.js's max and clip gradients exactly.
 */
export function ppoLossGrad(core: KernelCore, data: Float32Array, idx: Int32Array, obsDim: number, actWidth: number, c: Pick<PpoConfig, 'clipCoef' | 'clipVloss' | 'normAdv' | 'entCoef' | 'vfCoef'>, stats: Float64Array): void {
  const e = core.engine, head = core.head, F = e.arena.f32, mb = idx.length, W = obsDim + actWidth + 4, eps = c.clipCoef;
  const A0 = obsDim + actWidth; // column of the old log-prob; adv, return, old value follow
  for (let r = 0; r < mb; r++) {
    const src = idx[r] * W, dst = e.x + r * obsDim;
    for (let j = 0; j < obsDim; j++) F[dst + j] = data[src + j];
  }
  e.forward(mb, BOTH);
  // Advantages standardized per minibatch with the unbiased std, as ppoBatch.
  let advMean = 0, advScale = 1;
  if (c.normAdv) {
    for (let r = 0; r < mb; r++) advMean += data[idx[r] * W + A0 + 1];
    advMean /= mb;
    let ss = 0;
    for (let r = 0; r < mb; r++) ss += (data[idx[r] * W + A0 + 1] - advMean) ** 2;
    advScale = 1 / (Math.sqrt(ss / Math.max(1, mb - 1)) + 1e-8);
  }
  head.begin(mb);
  const val = e.values, dV = e.dValue, dEnt = -c.entCoef / mb;
  let pgSum = 0, vSum = 0, entSum = 0, klSum = 0, clipped = 0;
  for (let r = 0; r < mb; r++) {
    const o = idx[r] * W;
    const logratio = head.logProb(r, data, o + obsDim) - data[o + A0], ratio = Math.exp(logratio);
    const adv = (data[o + A0 + 1] - advMean) * advScale;
    // Clipped surrogate: max(−A·ratio, −A·clip(ratio)); its gradient reaches ratio only
    // through the unclipped branch (the clipped one is flat wherever it is the larger).
    const pg1 = -adv * ratio, pg2 = -adv * Math.min(Math.max(ratio, 1 - eps), 1 + eps);
    pgSum += Math.max(pg1, pg2);
    // ∂ratio/∂log π = ratio; the entropy bonus −c_ent·mean H.
    head.addGrad(r, data, o + obsDim, pg1 >= pg2 ? (-adv * ratio) / mb : 0, dEnt);
    entSum += head.entropy(r);
    // Value loss ½(V − R)², or ½·max((V − R)², (V_clip − R)²) with V_clip = V_old + clip(V − V_old).
    const v = val[r], ret = data[o + A0 + 2];
    let dv = v - ret;
    if (c.clipVloss) {
      const oldV = data[o + A0 + 3], d = v - oldV;
      const vc = oldV + Math.min(Math.max(d, -eps), eps);
      const un = (v - ret) ** 2, cl = (vc - ret) ** 2;
      if (un >= cl) vSum += un;
      else {
        vSum += cl;
        dv = d >= -eps && d <= eps ? vc - ret : 0;
      }
    } else vSum += dv * dv;
    F[dV + r] = (c.vfCoef * dv) / mb;
    klSum += ratio - 1 - logratio;
    if (Math.abs(ratio - 1) > eps) clipped++;
  }
  e.backward(mb, BOTH);
  stats[0] = pgSum / mb;
  stats[1] = (0.5 * vSum) / mb;
  stats[2] = entSum / mb;
  stats[3] = klSum / mb;
  stats[4] = clipped / mb;
}

export const ppo = algoModule({
  name: 'ppo',
  title: 'Proximal Policy Optimization',
  summary: 'clipped surrogate, GAE(λ), minibatch epochs (CleanRL defaults)',
  schema: PPO_SCHEMA,
}, (ctx, c) => new Ppo(ctx, c));
