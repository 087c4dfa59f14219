// The lecture's claim, measured with the lab's own variance probe (src/core/analysis/
// gradient-variance.ts, what `policy-lab variance` and studies run): on a fixed policy, the
// policy-gradient estimate ĝ = 1/K Σ_τ Σ_t ∇log π(a_t|s_t) Φ_t has lower per-parameter variance
// (across independent batches of K episodes) with Φ = reward-to-go than with Φ = R(τ), and lower
// again with a fitted baseline, Φ = reward-to-go − V(s_t).
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { collectEpisodes, probeGradientVariance, type ProbePolicy } from '../src/core/analysis/gradient-variance.js';
import { rewardToGo } from '../src/core/rl/advantages.js';
import { selectBackend } from '../src/core/rl/backend.js';
import { ActorCritic } from '../src/core/rl/networks.js';
import { Optimizer } from '../src/core/rl/optim.js';
import { Rng } from '../src/core/rl/rng.js';
import { ToyCartPole } from './algos-toy-envs.js';

beforeAll(async () => { await selectBackend('cpu'); });

describe('variance of the policy-gradient estimate', () => {
  it('reward-to-go < total return, and a fitted baseline lowers it further', () => {
    const gamma = 0.99;
    const net = new ActorCritic({ obsDim: 4, actDim: 1, discrete: false, hidden: [16], activation: 'tanh', shared: false, sigma: 'state-independent', critic: 'v', orthoInit: true, logStdInit: 0 }, new Rng(3));
    // A fixed, non-trivial policy: a mildly stabilizing mean.
    net.meanHead.w.assign(tf.mul(net.meanHead.w, 50));
    const policy: ProbePolicy = { net, squash: 'clip', low: Float32Array.of(-3), high: Float32Array.of(3) };
    const makeEnv = () => new ToyCartPole(200);
    // Fit V(s) to reward-to-go on an independent set of episodes.
    let ep = 0;
    const fit = collectEpisodes(policy, makeEnv(), 300, new Rng(1), () => 100_000 + ep++);
    const fitTarget = new Float32Array(fit.T);
    rewardToGo({ T: fit.T, N: 1, rewards: fit.rewards, terminated: fit.terminated, truncated: fit.truncated }, gamma, fitTarget);
    const opt = new Optimizer(net.criticVars, { kind: 'adam' });
    const X = tf.tensor2d(fit.obs, [fit.T, 4]), Y = tf.tensor1d(fitTarget);
    for (let i = 0; i < 300; i++) {
      const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(tf.sub(net.value(X), Y))) as tf.Scalar, net.criticVars);
      opt.apply(net.criticVars.map((v) => grads[v.name]), 3e-3);
      tf.dispose([value, ...Object.values(grads)]);
    }
    const r = probeGradientVariance(policy, makeEnv, { batches: 300, episodesPerBatch: 10, phi: ['total-return', 'reward-to-go', 'baseline'], seed: 2, gamma, gaeLambda: 0.95, nSteps: 10, perParameter: true });
    const [vTot, vRtg, vBase] = r.estimators.map((e) => e.perParameter!);
    const [tTot, tRtg, tBase] = r.estimators.map((e) => e.totalVariance);
    const frac = (a: Float64Array, b: Float64Array) => a.filter((x, i) => x < b[i]).length / a.length;
    console.log(`total variance: total return ${tTot.toExponential(3)}, reward-to-go ${tRtg.toExponential(3)}, baseline ${tBase.toExponential(3)}; ` +
      `share of parameters lower: rtg<total ${(100 * frac(vRtg, vTot)).toFixed(0)}%, baseline<rtg ${(100 * frac(vBase, vRtg)).toFixed(0)}%`);
    expect(tRtg).toBeLessThan(tTot);
    expect(tBase).toBeLessThan(tRtg);
    expect(frac(vRtg, vTot)).toBeGreaterThan(0.9);
    expect(frac(vBase, vRtg)).toBeGreaterThan(0.9);
  }, 180_000);
});
