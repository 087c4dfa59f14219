// The variance probe on a case whose answer is known in closed form: a one-step bandit, obs 0,
// reward r = a, a ~ N(μ, σ²), a net whose only live actor parameters are the mean's bias (μ) and
// log σ. With z = (a − μ)/σ, the per-episode gradient is (z/σ·Φ, (z² − 1)·Φ):
//   Φ = R(τ) = reward-to-go = μ + σz:  E ĝ = (1, 0); Var = μ²/σ² + 2 and 2μ² + 10σ² (per episode)
//   Φ = a − V with V ≡ μ (baseline, TD, GAE):  E ĝ = (1, 0); Var = 2 and 10σ²
// and a batch of K episodes divides the variances by K.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { probeGradientVariance } from '../src/core/analysis/gradient-variance.js';
import type { BoxSpace, Env, RenderDescription, StepResult, TaskSpec } from '../src/core/envs/types.js';
import { selectBackend } from '../src/core/rl/backend.js';
import { ActorCritic } from '../src/core/rl/networks.js';
import { Rng } from '../src/core/rl/rng.js';

beforeAll(async () => { await selectBackend('cpu'); });

const BOX = (n: number, lo: number, hi: number): BoxSpace => ({ kind: 'box', shape: [n], low: new Float32Array(n).fill(lo), high: new Float32Array(n).fill(hi) });

/** One step, observation 0, reward = the action. */
class OneStepBandit implements Env {
  readonly spec: TaskSpec = { name: 'OneStepBandit', description: 'r = a', obsDim: 1, actDim: 1, actionKind: 'box', frameSkip: 1, maxEpisodeSteps: 1, rewardTerms: ['a'] };
  readonly observationSpace = BOX(1, -1, 1);
  readonly actionSpace = BOX(1, -1e9, 1e9);
  private readonly obs = new Float32Array(1);
  reset(): Float32Array { return this.obs; }
  step(a: ArrayLike<number>): StepResult {
    return { obs: this.obs, reward: a[0], terminated: true, truncated: false, info: { rewardTerms: { a: a[0] }, elapsedSteps: 1 } };
  }
  renderDescription(): RenderDescription { return { task: 'OneStepBandit', geoms: [], bodyNames: [], trackBody: 0 }; }
  writePoses(): void {}
  getState(): Float64Array { return new Float64Array(0); }
  setState(): void {}
  dispose(): void {}
}

describe('gradient-variance probe', () => {
  it('matches the closed-form mean and total variance of every estimator on the one-step bandit', () => {
    const mu = 2, sigma = 0.5, K = 4, B = 2000;
    const net = new ActorCritic({ obsDim: 1, actDim: 1, discrete: false, hidden: [4], activation: 'tanh', shared: false, sigma: 'state-independent', critic: 'v', orthoInit: false, logStdInit: Math.log(sigma) }, new Rng(1));
    // Everything zero except μ's bias and V's bias (= μ): only ∂/∂μ and ∂/∂log σ are non-zero.
    for (const { name, v } of net.named) tf.tidy(() => v.assign(name === 'logstd' ? tf.fill(v.shape, Math.log(sigma)) : name === 'mean.b' || name === 'value.b' ? tf.fill(v.shape, mu) : tf.zerosLike(v)));
    const r = probeGradientVariance({ net, squash: 'none' }, () => new OneStepBandit(), { batches: B, episodesPerBatch: K, phi: ['total-return', 'reward-to-go', 'baseline', 'td', 'gae', 'q'], seed: 7, gamma: 0.99, gaeLambda: 0.95, nSteps: 5 });
    expect(r.envSteps).toBe(B * K);
    const by = Object.fromEntries(r.estimators.map((e) => [e.phi, e]));
    const noBaseline = (mu ** 2 / sigma ** 2 + 2 + 2 * mu ** 2 + 10 * sigma ** 2) / K; // 7.125
    const withBaseline = (2 + 10 * sigma ** 2) / K; // 1.125
    console.log(r.estimators.map((e) => `${e.phi}: ‖ḡ‖ ${e.meanGradNorm.toFixed(3)}, tr Cov ${e.totalVariance.toFixed(3)}, snr ${e.snr.toFixed(3)}`).join('; '));
    for (const phi of ['total-return', 'reward-to-go']) {
      expect(by[phi].meanGradNorm).toBeGreaterThan(1 - 0.2);
      expect(by[phi].meanGradNorm).toBeLessThan(1 + 0.2);
      expect(by[phi].totalVariance / noBaseline).toBeGreaterThan(0.88);
      expect(by[phi].totalVariance / noBaseline).toBeLessThan(1.12);
    }
    for (const phi of ['baseline', 'td', 'gae']) {
      expect(Math.abs(by[phi].meanGradNorm - 1)).toBeLessThan(0.08);
      expect(by[phi].totalVariance / withBaseline).toBeGreaterThan(0.88);
      expect(by[phi].totalVariance / withBaseline).toBeLessThan(1.12);
      expect(by[phi].snr).toBeCloseTo(by[phi].meanGradNorm / Math.sqrt(by[phi].totalVariance), 12);
    }
    // Same batches for every estimator: with one step and V ≡ μ, baseline, TD and GAE are the same Φ.
    expect(by.td.totalVariance).toBeCloseTo(by.baseline.totalVariance, 6);
    expect(by.gae.totalVariance).toBeCloseTo(by.baseline.totalVariance, 6);
    expect(by['reward-to-go'].totalVariance).toBeCloseTo(by['total-return'].totalVariance, 6);
    // The net has a V critic, not a Q critic: 'q' is reported as unavailable, not guessed.
    expect(by.q.available).toBe(false);
    expect(by.q.reason).toMatch(/Q\(s,a\) critic/);
  }, 120_000);

  it('refuses fewer than 2 batches', () => {
    const net = new ActorCritic({ obsDim: 1, actDim: 1, discrete: false, hidden: [2], activation: 'tanh', shared: false, sigma: 'state-independent', critic: 'none', orthoInit: false, logStdInit: 0 }, new Rng(1));
    expect(() => probeGradientVariance({ net, squash: 'none' }, () => new OneStepBandit(), { batches: 1, episodesPerBatch: 1, seed: 1, gamma: 0.99, gaeLambda: 0.95, nSteps: 5 })).toThrow(/at least 2 batches/);
  });
});
