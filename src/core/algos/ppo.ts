// PPO with the clipped surrogate objective (Schulman et al. 2017), following CleanRL's
// ppo_continuous_action.py: GAE(λ) advantages, minibatch epochs over one rollout, advantage
// normalization per minibatch, optional value clipping and target-KL early stop.
//
//   ratio_t  = π_θ(a_t|s_t) / π_θold(a_t|s_t)
//   L_clip   = E[ max(−A_t·ratio_t, −A_t·clip(ratio_t, 1−ε, 1+ε)) ]
//   L_V      = ½ E[(V_θ(s_t) − R_t)²]            (or the clipped form)
//   loss     = L_clip − c_ent·H[π_θ] + c_V·L_V
import * as tf from '@tensorflow/tfjs';
import { bool, int, num, type ConfigOf, resolveConfig } from '../config/schema.js';
import { explainedVariance, gae } from '../rl/advantages.js';
import { selectBackend } from '../rl/backend.js';
import { categoricalEntropyTf, categoricalLogProbTf, gaussianEntropyTf, gaussianLogProbTf } from '../rl/distributions.js';
import { ActorCritic } from '../rl/networks.js';
import { clipByGlobalNorm, Optimizer, scheduledLr, type LrSchedule } from '../rl/optim.js';
import { assertFiniteNumbers, PolicyCore, RolloutBuffer } from '../rl/policy-core.js';
import { Rng } from '../rl/rng.js';
import { coreOptions, gammaField, NETWORK_FIELDS, NORM_FIELDS, numEnvsField, OPTIM_FIELDS } from './common.js';
import type { AlgoContext, AlgoModule, AlgoState, Algorithm, UpdateStats } from './types.js';

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

/** Builds the fused PPO loss over one minibatch [B, obsDim + actWidth + 4] and accumulates stats. */
export function ppoLoss(net: ActorCritic, mb: tf.Tensor2D, obsDim: number, actWidth: number, c: Pick<PpoConfig, 'clipCoef' | 'clipVloss' | 'normAdv' | 'entCoef' | 'vfCoef'>, statsOut: { t?: tf.Tensor1D }): tf.Scalar {
  const [o, a, oldLp2, adv2, ret2, oldV2] = tf.split(mb, [obsDim, actWidth, 1, 1, 1, 1], 1) as tf.Tensor2D[];
  const oldLp = tf.reshape(oldLp2, [-1]), ret = tf.reshape(ret2, [-1]), oldV = tf.reshape(oldV2, [-1]);
  let adv = tf.reshape(adv2, [-1]) as tf.Tensor1D;
  const { out, logStd, value } = net.forward(o);
  let newLp: tf.Tensor1D, ent: tf.Scalar;
  if (net.cfg.discrete) {
    newLp = categoricalLogProbTf(out, tf.reshape(a, [-1]) as tf.Tensor1D);
    ent = tf.mean(categoricalEntropyTf(out));
  } else {
    newLp = gaussianLogProbTf(a, out, logStd as tf.Tensor);
    ent = tf.mean(gaussianEntropyTf(logStd as tf.Tensor));
  }
  const logratio = tf.sub(newLp, oldLp);
  const ratio = tf.exp(logratio);
  if (c.normAdv) {
    const n = adv.shape[0];
    const m = tf.mean(adv);
    const sd = tf.sqrt(tf.div(tf.sum(tf.square(tf.sub(adv, m))), Math.max(1, n - 1)));
    adv = tf.div(tf.sub(adv, m), tf.add(sd, 1e-8));
  }
  // Policy loss: the clipped surrogate, negated for descent.
  const pg1 = tf.mul(tf.neg(adv), ratio);
  const pg2 = tf.mul(tf.neg(adv), tf.clipByValue(ratio, 1 - c.clipCoef, 1 + c.clipCoef));
  const pgLoss = tf.mean(tf.maximum(pg1, pg2));
  // Value loss.
  const v = value as tf.Tensor1D;
  let vLoss: tf.Scalar;
  if (c.clipVloss) {
    const unclipped = tf.square(tf.sub(v, ret));
    const vClipped = tf.add(oldV, tf.clipByValue(tf.sub(v, oldV), -c.clipCoef, c.clipCoef));
    vLoss = tf.mul(0.5, tf.mean(tf.maximum(unclipped, tf.square(tf.sub(vClipped, ret)))));
  } else vLoss = tf.mul(0.5, tf.mean(tf.square(tf.sub(v, ret))));
  const loss = tf.add(tf.sub(pgLoss, tf.mul(c.entCoef, ent)), tf.mul(c.vfCoef, vLoss)) as tf.Scalar;
  // Diagnostics (no gradient): approx KL (Schulman's k3 estimator) and the clipped fraction.
  const approxKl = tf.mean(tf.sub(tf.sub(ratio, 1), logratio));
  const clipFrac = tf.mean(tf.cast(tf.greater(tf.abs(tf.sub(ratio, 1)), c.clipCoef), 'float32'));
  statsOut.t = tf.keep(tf.stack([pgLoss, vLoss, ent, approxKl, clipFrac]) as tf.Tensor1D);
  return loss;
}

class Ppo implements Algorithm {
  readonly name = 'ppo' as const;
  private readonly core: PolicyCore;
  private readonly opt: Optimizer;
  private readonly buf: RolloutBuffer;
  private readonly adv: Float32Array;
  private readonly ret: Float32Array;
  private readonly packed: Float32Array;
  private readonly perm: Int32Array;
  private readonly numUpdates: number;
  private updates = 0;

  constructor(ctx: AlgoContext, private readonly c: PpoConfig) {
    this.core = new PolicyCore(ctx, coreOptions(c, 'v', c.shared));
    this.opt = new Optimizer(this.core.net.variables, { kind: c.optimizer, eps: c.optimEps });
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

  get steps(): number {
    return this.core.pool.steps;
  }

  async update(): Promise<UpdateStats> {
    const { core, c, buf } = this;
    const { net, obsDim, actWidth } = core;
    core.collect(buf);
    core.computeValues(buf);
    gae(buf, buf.valueInfo, c.gamma, c.gaeLambda, this.adv, this.ret);
    const B = buf.T * buf.N, W = obsDim + actWidth + 4;
    // Pack [obs | action | old logp | adv | return | old value] once; upload once per update.
    const P = this.packed;
    for (let i = 0; i < B; i++) {
      const o = i * W;
      P.set(buf.obs.subarray(i * obsDim, (i + 1) * obsDim), o);
      P.set(buf.actions.subarray(i * actWidth, (i + 1) * actWidth), o + obsDim);
      P[o + obsDim + actWidth] = buf.logp[i];
      P[o + obsDim + actWidth + 1] = this.adv[i];
      P[o + obsDim + actWidth + 2] = this.ret[i];
      P[o + obsDim + actWidth + 3] = buf.values[i];
    }
    const data = tf.tensor2d(P, [B, W]);
    const lr = scheduledLr(c.lr, c.lrSchedule as LrSchedule, this.updates / this.numUpdates);
    const mbSize = Math.floor(B / c.numMinibatches);
    let statSum: tf.Tensor1D = tf.zeros([5]);
    let normSum: tf.Scalar = tf.scalar(0);
    let count = 0;
    const vars = net.variables;
    for (let epoch = 0; epoch < c.updateEpochs; epoch++) {
      core.rng.shuffle(this.perm);
      let lastStats: tf.Tensor1D | undefined;
      for (let s = 0; s + mbSize <= B; s += mbSize) {
        const holder: { t?: tf.Tensor1D } = {};
        const idx = tf.tensor1d(this.perm.subarray(s, s + mbSize), 'int32');
        const mb = tf.gather(data, idx) as tf.Tensor2D;
        const { value, grads } = tf.variableGrads(() => ppoLoss(net, mb, obsDim, actWidth, c, holder), vars);
        const clipped = clipByGlobalNorm(vars.map((v) => grads[v.name]), c.maxGradNorm);
        this.opt.apply(clipped.grads, lr);
        const st = holder.t as tf.Tensor1D;
        const ns = tf.add(statSum, st) as tf.Tensor1D, nn = tf.add(normSum, clipped.norm) as tf.Scalar;
        statSum.dispose();
        normSum.dispose();
        statSum = ns;
        normSum = nn;
        lastStats?.dispose();
        lastStats = st;
        count++;
        tf.dispose([idx, mb, value, clipped.norm, ...clipped.grads, ...Object.values(grads)]);
      }
      // CleanRL checks the KL of the last minibatch after each epoch: one read, only when asked.
      const stop = c.targetKl > 0 && lastStats !== undefined && (lastStats.dataSync()[3] > c.targetKl);
      lastStats?.dispose();
      if (stop) break;
    }
    data.dispose();
    const s = statSum.dataSync(), gn = normSum.dataSync()[0];
    statSum.dispose();
    normSum.dispose();
    this.updates++;
    const stats: UpdateStats = {
      policyLoss: s[0] / count, valueLoss: s[1] / count, entropy: s[2] / count, approxKl: s[3] / count, clipFraction: s[4] / count,
      explainedVariance: explainedVariance(buf.values, this.ret), gradNorm: gn / count,
    };
    assertFiniteNumbers('ppo update', { policyLoss: stats.policyLoss, valueLoss: stats.valueLoss, gradNorm: stats.gradNorm });
    net.assertFinite('ppo update');
    core.syncActor();
    return stats;
  }

  act(obs: Float32Array, deterministic: boolean): Float32Array {
    return this.core.act(obs, deterministic);
  }
  policyAt(obs: Float32Array) {
    return this.core.policyAt(obs);
  }
  snapshot() {
    return this.core.snapshot();
  }

  async saveState(): Promise<AlgoState> {
    const tensors: Record<string, AlgoState['tensors'][string]> = {}, json: Record<string, unknown> = {};
    this.core.saveInto(tensors, json);
    const o = this.opt.getState();
    tensors['opt'] = o.slots;
    json['optStep'] = o.step;
    json['updates'] = this.updates;
    return { tensors, json };
  }

  async loadState(state: AlgoState): Promise<void> {
    this.core.loadFrom(state);
    this.opt.setState({ slots: state.tensors['opt'] as Float32Array, step: Number(state.json['optStep']) });
    this.updates = Number(state.json['updates']);
  }

  async dispose(): Promise<void> {
    this.opt.dispose();
    this.core.dispose();
  }
}

export const ppo: AlgoModule = {
  name: 'ppo',
  title: 'Proximal Policy Optimization',
  summary: 'clipped surrogate, GAE(λ), minibatch epochs (CleanRL defaults)',
  schema: PPO_SCHEMA,
  async create(ctx) {
    return new Ppo(ctx, resolveConfig(PPO_SCHEMA, ctx.config as Record<string, unknown>, 'ppo'));
  },
};

/**
 * Benchmark hook: ms per PPO gradient step (fused loss, grads, clipping, Adam) for a
 * 17→64→64→6 Gaussian policy plus a separate 17→64→64→1 value net at minibatch `mb`, data
 * already on the backend. Activates `backend` first.
 */
export async function ppoGradStepBench(backend: 'wasm' | 'cpu' | 'tensorflow', mb: number, iters = 50): Promise<number> {
  await selectBackend(backend);
  const rng = new Rng(1);
  const obsDim = 17, actDim = 6, W = obsDim + actDim + 4, B = Math.max(2048, mb);
  const net = new ActorCritic({ obsDim, actDim, discrete: false, hidden: [64, 64], activation: 'tanh', shared: false, sigma: 'state-independent', critic: 'v', orthoInit: true, logStdInit: 0 }, rng);
  const opt = new Optimizer(net.variables, { kind: 'adam', eps: 1e-5 });
  const host = new Float32Array(B * W);
  for (let i = 0; i < host.length; i++) host[i] = rng.normal() * 0.5;
  for (let i = 0; i < B; i++) host[i * W + obsDim + actDim] = -8; // plausible old log-probs
  const data = tf.tensor2d(host, [B, W]);
  const perm = new Int32Array(B);
  const cfg = { clipCoef: 0.2, clipVloss: true, normAdv: true, entCoef: 0, vfCoef: 0.5 };
  const step = () => {
    rng.shuffle(perm);
    const holder: { t?: tf.Tensor1D } = {};
    const idx = tf.tensor1d(perm.subarray(0, mb), 'int32');
    const m = tf.gather(data, idx) as tf.Tensor2D;
    const vars = net.variables;
    const { value, grads } = tf.variableGrads(() => ppoLoss(net, m, obsDim, actDim, cfg, holder), vars);
    const clipped = clipByGlobalNorm(vars.map((v) => grads[v.name]), 0.5);
    opt.apply(clipped.grads, 3e-4);
    tf.dispose([idx, m, value, holder.t as tf.Tensor, clipped.norm, ...clipped.grads, ...Object.values(grads)]);
  };
  for (let i = 0; i < 5; i++) step();
  await net.variables[0].data();
  const t0 = performance.now();
  for (let i = 0; i < iters; i++) step();
  await net.variables[0].data();
  const ms = (performance.now() - t0) / iters;
  data.dispose();
  opt.dispose();
  net.dispose();
  return ms;
}
