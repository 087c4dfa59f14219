// The lecture's claim, measured on a user's policy: with the parameters fixed, draw B independent
// on-policy batches of K episodes and, for every Φ_t estimator, compute from the SAME batches the
// policy-gradient estimate
//     ĝ_b = 1/K Σ_{τ∈batch b} Σ_t ∇_θ log π_θ(a_t|s_t) Φ_t        (θ: the actor's parameters)
// Reported per estimator: ‖mean_b ĝ_b‖ (meanGradNorm), the total variance tr Cov_b(ĝ_b) (the sum
// of the per-parameter variances, unbiased over B batches), and snr = meanGradNorm / √totalVariance
// (how many standard deviations of batch-to-batch noise the mean gradient is long).
// Estimators that need a critic the run does not have (V(s) or Q(s,a)) are reported as unavailable.

import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import { CoreAlgorithm } from '../algos/base.js';
import type { Env } from '../envs/types.js';
import { policyLogProbEntropyTf, sampleCategorical, sampleGaussian, type Squash } from '../rl/distributions.js';
import { ActorCritic, JsActor } from '../rl/networks.js';
import type { ObsNormalizer, RewardScaler } from '../rl/normalize.js';
import { computePhi, PHI_CHOICES, PHI_ESTIMATORS, type Phi } from '../rl/phi.js';
import { Rng } from '../rl/rng.js';
import { readCheckpoint } from '../runs/checkpoint.js';
import { runFiles, RunError } from '../runs/store.js';
import { envFactory } from '../trainer/env-factory.js';
import { loadRunAlgorithm } from '../trainer/evaluate.js';

/** The policy as the probe needs it: the trained net and how it sees observations and rewards. */
export interface ProbePolicy {
  readonly net: ActorCritic;
  /** Frozen observation normalizer (statistics are not updated by the probe). */
  readonly obsNorm?: ObsNormalizer;
  /** Frozen reward scaler: rewards are divided by its current std, as the critic was trained on. */
  readonly rewScaler?: RewardScaler;
  readonly squash: Squash;
  readonly low?: Float32Array;
  readonly high?: Float32Array;
}

export interface ProbeOptions {
  readonly batches: number;
  readonly episodesPerBatch: number;
  /** Estimators to measure (default: all). */
  readonly phi?: readonly Phi[];
  readonly seed: number;
  readonly gamma: number;
  readonly gaeLambda: number;
  readonly nSteps: number;
  /** Also return each parameter's variance (tests of per-parameter claims). */
  readonly perParameter?: boolean;
}

export interface EstimatorVariance {
  readonly phi: Phi;
  readonly available: boolean;
  /** Why an estimator could not be measured (a missing critic). */
  readonly reason?: string;
  readonly meanGradNorm: number;
  readonly totalVariance: number;
  readonly snr: number;
  /** Per-parameter variances across batches (with ProbeOptions.perParameter). */
  readonly perParameter?: Float64Array;
}

export interface VarianceReport {
  readonly batches: number;
  readonly episodesPerBatch: number;
  /** Environment steps collected for the probe. */
  readonly envSteps: number;
  /** The run's training steps at the probed checkpoint (0 when probing a bare policy). */
  readonly steps: number;
  readonly params: number;
  readonly estimators: EstimatorVariance[];
}

/** Complete episodes collected on-policy: normalized obs, pre-squash actions, rewards as the critic saw them, flags. */
export interface EpisodeBatch {
  T: number;
  obs: Float32Array;
  act: Float32Array;
  rewards: Float32Array;
  terminated: Uint8Array;
  truncated: Uint8Array;
  /** Normalized final obs where truncated, [T, obsDim]. */
  truncObs: Float32Array;
}

/** Plays `episodes` whole episodes of `env` with the policy (seeded by `rng` and `episodeSeed`). */
export function collectEpisodes(p: ProbePolicy, env: Env, episodes: number, rng: Rng, episodeSeed: () => number, actor = new JsActor({ ...p.net.actorSnapshot(), actDim: p.net.cfg.actDim }, 1)): EpisodeBatch {
  const net = p.net, od = net.cfg.obsDim, d = net.cfg.actDim, discrete = net.cfg.discrete, aw = discrete ? 1 : d;
  const obs: number[] = [], act: number[] = [], rew: number[] = [], term: number[] = [], trunc: number[] = [], truncObs: number[] = [];
  const norm = new Float32Array(od), u = new Float32Array(aw), a = new Float32Array(aw), scratch = new Float64Array(d);
  const sd = p.rewScaler ? Math.sqrt(p.rewScaler.rms.var[0] + p.rewScaler.eps) : 1, clip = p.rewScaler?.clip ?? Infinity;
  const normalize = (x: Float32Array, out: Float32Array) => (p.obsNorm ? p.obsNorm.normalize(x, 1, out) : out.set(x));
  for (let e = 0; e < episodes; e++) {
    normalize(env.reset(episodeSeed()), norm);
    for (;;) {
      actor.forward(norm, 1);
      if (discrete) { u[0] = a[0] = sampleCategorical(actor.mu, d, 0, rng, scratch); }
      else sampleGaussian(actor.mu, actor.logStd.subarray(0, d), 1, d, rng, u, a, p.squash, p.low, p.high);
      for (let i = 0; i < od; i++) obs.push(norm[i]);
      for (let i = 0; i < aw; i++) act.push(u[i]);
      const r = env.step(a);
      const sr = r.reward / sd;
      rew.push(sr < -clip ? -clip : sr > clip ? clip : sr);
      term.push(r.terminated ? 1 : 0);
      trunc.push(r.truncated && !r.terminated ? 1 : 0);
      normalize(r.obs, norm);
      for (let i = 0; i < od; i++) truncObs.push(r.truncated && !r.terminated ? norm[i] : 0);
      if (r.terminated || r.truncated) break;
    }
  }
  return { T: rew.length, obs: Float32Array.from(obs), act: Float32Array.from(act), rewards: Float32Array.from(rew), terminated: Uint8Array.from(term), truncated: Uint8Array.from(trunc), truncObs: Float32Array.from(truncObs) };
}

/** Measures every estimator on B batches of K episodes of `makeEnv`'s env under `policy`. */
export function probeGradientVariance(policy: ProbePolicy, makeEnv: () => Env, o: ProbeOptions): VarianceReport {
  if (!(o.batches >= 2)) throw new RangeError('variance probe: at least 2 batches are needed for a variance');
  if (!(o.episodesPerBatch >= 1)) throw new RangeError('variance probe: at least 1 episode per batch');
  const net = policy.net, od = net.cfg.obsDim, aw = net.cfg.discrete ? 1 : net.cfg.actDim;
  const wanted = o.phi ?? PHI_CHOICES;
  const has = { none: true, v: net.cfg.critic === 'v', q: net.cfg.critic === 'q' && !net.cfg.discrete };
  const measured = wanted.filter((f) => has[PHI_ESTIMATORS[f].critic]);
  const P = net.actorVars.reduce((s, v) => s + v.size, 0);
  const sum = measured.map(() => new Float64Array(P)), sq = measured.map(() => new Float64Array(P));
  const actor = new JsActor({ ...net.actorSnapshot(), actDim: net.cfg.actDim }, 1);
  const rng = new Rng(o.seed);
  let episode = 0, envSteps = 0;
  const env = makeEnv();
  try {
    for (let b = 0; b < o.batches; b++) {
      const B = collectEpisodes(policy, env, o.episodesPerBatch, rng, () => o.seed * 7919 + episode++, actor);
      envSteps += B.T;
      const roll = { T: B.T, N: 1, rewards: B.rewards, terminated: B.terminated, truncated: B.truncated };
      const values = new Float32Array(B.T), truncValues = new Float32Array(B.T), lastValues = new Float32Array(1);
      const obsT = tf.tensor2d(B.obs, [B.T, od]), actT = tf.tensor2d(B.act, [B.T, aw]);
      let q: Float32Array | undefined;
      if (has.v) {
        values.set(tf.tidy(() => net.value(obsT)).dataSync() as Float32Array);
        const tv = tf.tidy(() => net.value(tf.tensor2d(B.truncObs, [B.T, od]))).dataSync() as Float32Array;
        for (let i = 0; i < B.T; i++) if (B.truncated[i]) truncValues[i] = tv[i];
      }
      if (has.q && measured.includes('q')) q = Float32Array.from(tf.tidy(() => net.q(obsT, actT)).dataSync() as Float32Array);
      const phi = new Float32Array(B.T), target = new Float32Array(B.T);
      measured.forEach((kind, k) => {
        computePhi(kind, roll, { values, truncValues, lastValues }, o, phi, target, q);
        const phiT = tf.tensor1d(phi);
        const { value, grads } = tf.variableGrads(() => {
          const { out, logStd } = net.forward(obsT, false);
          const { logp } = policyLogProbEntropyTf(net.cfg.discrete, out, logStd, actT);
          return tf.div(tf.sum(tf.mul(logp, phiT)), o.episodesPerBatch) as tf.Scalar;
        }, net.actorVars);
        let off = 0;
        const s = sum[k], s2 = sq[k];
        for (const v of net.actorVars) {
          const g = grads[v.name].dataSync();
          for (let i = 0; i < g.length; i++) { s[off + i] += g[i]; s2[off + i] += g[i] * g[i]; }
          off += g.length;
        }
        tf.dispose([value, phiT, ...Object.values(grads)]);
      });
      tf.dispose([obsT, actT]);
    }
  } finally {
    env.dispose();
  }
  const Bn = o.batches;
  const estimators: EstimatorVariance[] = wanted.map((phi) => {
    const k = measured.indexOf(phi);
    if (k < 0) return { phi, available: false, reason: `needs a ${PHI_ESTIMATORS[phi].critic === 'v' ? 'V(s)' : 'Q(s,a)'} critic, which this run does not train`, meanGradNorm: NaN, totalVariance: NaN, snr: NaN };
    let norm2 = 0, tv = 0;
    const per = new Float64Array(P);
    for (let i = 0; i < P; i++) {
      const m = sum[k][i] / Bn;
      norm2 += m * m;
      per[i] = Math.max(0, (sq[k][i] - Bn * m * m) / (Bn - 1));
      tv += per[i];
    }
    const meanGradNorm = Math.sqrt(norm2);
    return { phi, available: true, meanGradNorm, totalVariance: tv, snr: tv > 0 ? meanGradNorm / Math.sqrt(tv) : Infinity, ...(o.perParameter ? { perParameter: per } : {}) };
  });
  return { batches: o.batches, episodesPerBatch: o.episodesPerBatch, envSteps, steps: 0, params: P, estimators };
}

export interface RunProbeOptions {
  readonly batches: number;
  readonly episodesPerBatch: number;
  readonly phi?: readonly Phi[];
  /** Default: the run's seed + 2,000,003 (disjoint from training and evaluation). */
  readonly seed?: number;
}

/** Probes a run's policy as saved in checkpoint `ckptPath` (default: its latest). */
export async function probeCheckpointFile(runDir: string, ckptPath: string = runFiles.checkpoint(runDir), o: RunProbeOptions): Promise<VarianceReport> {
  if (!existsSync(ckptPath)) throw new RunError(`${runDir} has no checkpoint ${ckptPath}: train it first`);
  const { config, algo } = await loadRunAlgorithm(runDir);
  const makeEnv = await envFactory(config);
  try {
    if (!(algo instanceof CoreAlgorithm)) throw new RunError(`variance probe: ${config.algo} does not expose its policy network`);
    const ckpt = readCheckpoint(ckptPath);
    await algo.loadState(ckpt.state);
    const core = algo.core;
    const c = config.algoConfig as { gamma?: number; gaeLambda?: number; nSteps?: number };
    const report = probeGradientVariance(
      { net: core.net, obsNorm: core.obsNorm, rewScaler: core.rewScaler, squash: core.opt.squash, low: core.low, high: core.high },
      makeEnv,
      { batches: o.batches, episodesPerBatch: o.episodesPerBatch, phi: o.phi, seed: o.seed ?? config.seed + 2_000_003, gamma: c.gamma ?? 0.99, gaeLambda: c.gaeLambda ?? 0.95, nSteps: c.nSteps ?? 10 },
    );
    return { ...report, steps: ckpt.trainer.steps };
  } finally {
    await algo.dispose();
  }
}
