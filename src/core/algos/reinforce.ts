// REINFORCE (Williams 1992) as in the lecture: collect a batch D of whole episodes with π_θ, then
// one gradient step on
//
//   ∇J ≈ 1/|D| Σ_τ Σ_t ∇ log π_θ(a_t|s_t) Φ_t
//
// with the choice of Φ_t: 'total-return' R(τ), 'reward-to-go', 'baseline' (reward-to-go − V(s_t)),
// 'q' (Q_w(s_t,a_t)), 'td' (r + γV(s') − V(s)), 'nstep' (n-step return − V), 'gae' (GAE(λ));
// the list and their math live in src/core/rl/phi.ts.
// Critics, when Φ needs one, are fitted on the same batch by a few full-batch regression steps.
import * as tf from '@tensorflow/tfjs';
import { bool, choice, int, num, type ConfigOf } from '../config/schema.js';
import { POLICY, VALUE } from '../kernels/kernel-net.js';
import { explainedVariance, normalizeInPlace } from '../rl/advantages.js';
import type { ActorCritic } from '../rl/networks.js';
import { computePhi, PHI_CHOICES, phiCritic, type Phi, type PhiCritic } from '../rl/phi.js';
import { policyLogProbEntropyTf } from '../rl/distributions.js';
import { Optimizer, scheduledLr, type LrSchedule } from '../rl/optim.js';
import { PolicyCore, RolloutBuffer, type KernelCore } from '../rl/policy-core.js';
import { coreOptions, gammaField, NETWORK_FIELDS, NORM_FIELDS, numEnvsField, OPTIM_FIELDS } from './common.js';
import { algoModule, CoreAlgorithm, updateStats, type StateTensors } from './base.js';
import type { AlgoContext, AlgoState, UpdateStats } from './types.js';

export const REINFORCE_SCHEMA = {
  phi: choice<Phi>('reward-to-go', PHI_CHOICES, 'Φ_t in ∇J = E[Σ ∇log π(a_t|s_t) Φ_t]'),
  numEnvs: numEnvsField(1),
  batchSteps: int(4000, 'collect whole episodes until at least this many steps per update', 1),
  gamma: gammaField,
  gaeLambda: num(0.95, 'λ (phi = gae)', { min: 0, max: 1 }),
  nSteps: int(10, 'n (phi = nstep)', 1),
  normPhi: bool(false, 'standardize Φ over the batch (acts as a baseline; off = the plain estimator)'),
  entCoef: num(0, 'entropy bonus coefficient', { min: 0 }),
  vfLr: num(1e-3, 'critic learning rate (phi = baseline | q | td | nstep | gae)', { min: 0 }),
  vfIters: int(10, 'critic regression steps per batch', 0),
  ...NETWORK_FIELDS,
  ...NORM_FIELDS,
  normReward: bool(false, 'scale rewards by the running std of the discounted return'),
  ...OPTIM_FIELDS,
  lr: num(1e-3, 'policy learning rate', { min: 0 }),
  lrSchedule: choice('constant', ['constant', 'linear'] as const, 'learning-rate schedule'),
  maxGradNorm: num(0, 'clip the global gradient norm to this (0: off)', { min: 0 }),
} as const;
export type ReinforceConfig = ConfigOf<typeof REINFORCE_SCHEMA>;

/** The longest episode the staging buffers hold. */
function episodeCap(ctx: AlgoContext): number {
  return Math.max(1, ctx.spec.maxEpisodeSteps > 0 && Number.isFinite(ctx.spec.maxEpisodeSteps) ? ctx.spec.maxEpisodeSteps : 10_000);
}
/** The most steps a batch can hold: batchSteps plus one unfinished episode per env. */
function reinforceCapacity(ctx: AlgoContext, c: ReinforceConfig): number {
  return c.batchSteps + c.numEnvs * episodeCap(ctx);
}

class Reinforce extends CoreAlgorithm {
  readonly name = 'reinforce' as const;
  private readonly opt: Optimizer;
  private readonly vOpt?: Optimizer;
  private readonly numUpdates: number;
  /** Envs are all at an episode's end between updates (except before the first). */
  private needsReset = false;
  // Per-env staging of the running episode, and the flat batch ([T, 1] layout, episode after episode).
  private readonly cap: number;
  private readonly stObs: Float32Array[];
  private readonly stAct: Float32Array[];
  private readonly stRew: Float32Array[];
  private readonly stLen: Int32Array;
  private readonly active: Uint8Array;
  private buf: RolloutBuffer;
  private readonly row: Float32Array;
  private readonly st = new Float64Array(2);
  /** Per-env views (made once: the step loop allocates nothing). */
  private readonly normObsRow: Float32Array[];
  private readonly uRow: Float32Array[];
  private readonly obsRow: Float32Array[];

  constructor(ctx: AlgoContext, private readonly c: ReinforceConfig) {
    super(new PolicyCore(ctx, coreOptions(c, phiCritic(c.phi), false, reinforceCapacity(ctx, c))));
    const { N, obsDim, actWidth, net } = this.core;
    this.opt = this.optimizer('opt', net.actorVars, { kind: c.optimizer, eps: c.optimEps });
    if (net.criticVars.length > 0) this.vOpt = this.optimizer('vOpt', net.criticVars, { kind: c.optimizer, eps: c.optimEps });
    this.cap = episodeCap(ctx);
    this.stObs = Array.from({ length: N }, () => new Float32Array(this.cap * obsDim));
    this.stAct = Array.from({ length: N }, () => new Float32Array(this.cap * actWidth));
    this.stRew = Array.from({ length: N }, () => new Float32Array(this.cap));
    this.stLen = new Int32Array(N);
    this.active = new Uint8Array(N);
    this.buf = new RolloutBuffer(reinforceCapacity(ctx, c), 1, obsDim, actWidth);
    this.row = new Float32Array(actWidth);
    const core = this.core;
    this.normObsRow = Array.from({ length: N }, (_, n) => core.normObs.subarray(n * obsDim, (n + 1) * obsDim));
    this.uRow = Array.from({ length: N }, (_, n) => core.u.subarray(n * actWidth, (n + 1) * actWidth));
    this.obsRow = Array.from({ length: N }, (_, n) => core.pool.obs.subarray(n * obsDim, (n + 1) * obsDim));
    this.numUpdates = Math.max(1, Math.floor(ctx.totalSteps / c.batchSteps));
  }

  async update(): Promise<UpdateStats> {
    const { core, c } = this;
    const { obsDim: od, actWidth: aw } = core;
    const { T, episodes } = this.collectEpisodes();
    // A [T, 1] view of the batch for the estimators.
    const b = this.buf;
    const roll = { T, N: 1, rewards: b.rewards.subarray(0, T), terminated: b.terminated.subarray(0, T), truncated: b.truncated.subarray(0, T) };
    const values = b.values.subarray(0, T), truncValues = b.truncValues.subarray(0, T);
    const vinfo = { values, truncValues, lastValues: b.lastValues };
    const phi = new Float32Array(T), target = new Float32Array(T);
    const kind = phiCritic(c.phi);
    const obs = b.obs.subarray(0, T * od), act = b.actions.subarray(0, T * aw);
    if (kind === 'v') {
      for (let i = 0; i < T; i++) if (roll.truncated[i]) core.valuesOf(b.truncObs.subarray(i * od, (i + 1) * od), 1, truncValues.subarray(i, i + 1));
      // The batch last: on the engine its critic activations are then still there for the first regression step.
      core.valuesOf(obs, T, values);
    }
    if (kind === 'q') core.qValuesOf(obs, act, T, values);
    computePhi(c.phi, roll, vinfo, c, phi, target, kind === 'q' ? values : undefined);
    if (c.normPhi) normalizeInPlace(phi);
    const lr = scheduledLr(c.lr, c.lrSchedule as LrSchedule, this.updates / this.numUpdates);
    // The policy-gradient step, then a few regression steps of the critic on this batch's targets.
    const fitCritic = this.vOpt !== undefined && c.vfIters > 0;
    let s: ArrayLike<number>, gn: number, vLoss = NaN;
    if (core.engine) {
      const e = this.engine, st = this.st;
      e.load(obs, T, kind === 'q' ? act : undefined);
      reinforceLossGrad(core as KernelCore, act, phi, T, episodes, c.entCoef, st);
      gn = e.applyGradients(this.opt, lr, c.maxGradNorm);
      s = st;
      if (fitCritic) for (let k = 0; k < c.vfIters; k++) {
        // The policy step left the critic's forward of this batch (values above) untouched.
        vLoss = criticLossGrad(core as KernelCore, target, T, k > 0);
        e.applyGradients(this.vOpt as Optimizer, c.vfLr, 0);
      }
    } else {
      const obsT = tf.tensor2d(obs, [T, od]), actT = tf.tensor2d(act, [T, aw]), phiT = tf.tensor1d(phi), tgt = tf.tensor1d(target);
      ({ norm: gn, stats: s } = this.tfStep(this.opt, lr, c.maxGradNorm, (keep) => reinforceLoss(core.net, obsT, actT, phiT, episodes, c.entCoef, keep)));
      if (fitCritic) for (let k = 0; k < c.vfIters; k++)
        vLoss = this.tfStep(this.vOpt as Optimizer, c.vfLr, 0, (keep) => criticLoss(core.net, obsT, actT, tgt, kind, keep)).stats[0];
      tf.dispose([obsT, actT, phiT, tgt]);
    }
    this.updates++;
    // valueLoss is NaN when Φ_t uses no critic.
    return this.finishUpdate(updateStats({
      policyLoss: s[0], valueLoss: vLoss, entropy: s[1], explainedVariance: kind === 'none' ? NaN : explainedVariance(values, target), gradNorm: gn,
    }), ['policyLoss', 'gradNorm']);
  }

  /** Runs the envs until ≥ batchSteps steps of whole episodes are in the batch. Returns (T, episodes). */
  private collectEpisodes(): { T: number; episodes: number } {
    const { core, c } = this;
    const { pool, N, obsDim: od, actWidth: aw, obsNorm } = core;
    const big = this.buf;
    if (this.needsReset) {
      // Each env's reset obs feeds the statistics on its own, as its steps below do (one batch of
      // N rows would give other numbers); then all rows are normalized with the result.
      for (let n = 0; n < N; n++) {
        pool.resetEnv(n);
        obsNorm?.rms.update(this.obsRow[n], 1);
      }
      core.observeRows(pool.obs, N, core.normObs, undefined);
    }
    this.needsReset = true;
    this.active.fill(1);
    this.stLen.fill(0);
    let T = 0, episodes = 0, live = N;
    while (live > 0) {
      core.sampleAll();
      for (let n = 0; n < N; n++) {
        if (!this.active[n]) continue;
        const k = this.stLen[n];
        if (k >= this.cap) throw new RangeError(`reinforce: an episode exceeded ${this.cap} steps`);
        this.stObs[n].set(this.normObsRow[n], k * od);
        this.stAct[n].set(this.uRow[n], k * aw);
        for (let j = 0; j < aw; j++) this.row[j] = core.action[n * aw + j];
        pool.stepEnv(n, this.row, false);
        this.stRew[n][k] = pool.rewards[n];
        this.stLen[n] = k + 1;
      }
      if (core.rewScaler) core.rewScaler.scale(pool.rewards, pool.done);
      for (let n = 0; n < N; n++) {
        if (!this.active[n]) continue;
        const k = this.stLen[n] - 1;
        if (core.rewScaler) this.stRew[n][k] = pool.rewards[n];
        if (pool.done[n]) {
          // Move the whole episode into the batch.
          const L = this.stLen[n];
          big.obs.set(this.stObs[n].subarray(0, L * od), T * od);
          big.actions.set(this.stAct[n].subarray(0, L * aw), T * aw);
          big.rewards.set(this.stRew[n].subarray(0, L), T);
          big.terminated.fill(0, T, T + L);
          big.truncated.fill(0, T, T + L);
          big.terminated[T + L - 1] = pool.terminated[n];
          big.truncated[T + L - 1] = pool.truncated[n];
          if (pool.truncated[n]) core.normalizeFinal(n, big.truncObs, (T + L - 1) * od);
          T += L;
          episodes++;
          this.stLen[n] = 0;
          if (T >= c.batchSteps) {
            this.active[n] = 0;
            live--;
            continue;
          }
          pool.resetEnv(n);
        }
        core.observeRows(this.obsRow[n], 1, this.normObsRow[n], obsNorm?.rms);
      }
    }
    return { T, episodes };
  }

  protected override saveExtra(_t: StateTensors, json: Record<string, unknown>): void {
    json['needsReset'] = this.needsReset;
  }
  protected override loadExtra(state: AlgoState): void {
    this.needsReset = state.json['needsReset'] === true;
  }
}

// ------------------------------------------------------------------ the losses, as TF.js ops (the reference)
/** −1/|D| Σ_t log π(a_t|s_t) Φ_t − c_ent·mean H; hands [policy loss, entropy] to `keep`. */
export function reinforceLoss(net: ActorCritic, obs: tf.Tensor2D, act: tf.Tensor2D, phi: tf.Tensor1D, episodes: number, entCoef: number, keep: (t: tf.Tensor) => void): tf.Scalar {
  const { out, logStd } = net.forward(obs, false);
  const { logp, ent } = policyLogProbEntropyTf(net.cfg.discrete, out, logStd, act);
  const pg = tf.div(tf.neg(tf.sum(tf.mul(logp, phi))), episodes) as tf.Scalar;
  keep(tf.stack([pg, ent]));
  return tf.sub(pg, tf.mul(entCoef, ent)) as tf.Scalar;
}

/** The critic's regression mean((V(s) − target)²) (or Q(s, a)); hands [loss] to `keep`. */
export function criticLoss(net: ActorCritic, obs: tf.Tensor2D, act: tf.Tensor2D, target: tf.Tensor1D, kind: PhiCritic, keep: (t: tf.Tensor) => void): tf.Scalar {
  const loss = tf.mean(tf.square(tf.sub(kind === 'q' ? net.q(obs, act) : net.value(obs), target))) as tf.Scalar;
  keep(tf.reshape(loss, [1]));
  return loss;
}

// ------------------------------------------------------------------ the same losses on the kernel engine
/**
 * reinforceLoss on the kernel engine, on the T rows already loaded: per-sample gradients
 * ∂/∂log π = −Φ_t/|D| and the entropy bonus, then the policy's backward. Writes [policy loss,
 * entropy] into `stats`.
 */
export function reinforceLossGrad(core: KernelCore, act: Float32Array, phi: Float32Array, T: number, episodes: number, entCoef: number, stats: Float64Array): void {
  const e = core.engine, head = core.head, aw = act.length / T;
  e.forward(T, POLICY);
  head.begin(T);
  let pg = 0, ent = 0;
  for (let r = 0; r < T; r++) {
    pg -= head.logProb(r, act, r * aw) * phi[r];
    head.addGrad(r, act, r * aw, -phi[r] / episodes, -entCoef / T);
    ent += head.entropy(r);
  }
  e.backward(T, POLICY);
  stats[0] = pg / episodes;
  stats[1] = ent / T;
}

/**
 * criticLoss on the kernel engine (rows loaded, with actions for a Q critic); returns the loss.
 * `forward` false: the critic's forward of these rows with the current weights is still in the engine.
 */
export function criticLossGrad(core: KernelCore, target: Float32Array, T: number, forward = true): number {
  const e = core.engine, F = e.arena.f32, v = e.values, dV = e.dValue;
  if (forward) e.forward(T, VALUE);
  let loss = 0;
  for (let r = 0; r < T; r++) {
    const d = v[r] - target[r];
    loss += d * d;
    F[dV + r] = (2 * d) / T;
  }
  e.backward(T, VALUE);
  return loss / T;
}

export const reinforce = algoModule({
  name: 'reinforce',
  title: 'REINFORCE (vanilla policy gradient)',
  summary: 'whole-episode batches; Φ_t = total return, reward-to-go, baseline, Q, TD, n-step or GAE',
  schema: REINFORCE_SCHEMA,
}, (ctx, c) => new Reinforce(ctx, c));
