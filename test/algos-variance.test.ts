// The lecture's claim, measured: on a fixed policy, the policy-gradient estimate
// ĝ = 1/K Σ_τ Σ_t ∇log π(a_t|s_t) Φ_t has lower per-parameter variance (across resampled
// batches of K episodes) with Φ = reward-to-go than with Φ = R(τ), and lower again with a fitted
// baseline, Φ = reward-to-go − V(s_t).
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { rewardToGo, rewardToGoMinusBaseline, totalReturn, type Rollout } from '../src/core/rl/advantages.js';
import { selectBackend } from '../src/core/rl/backend.js';
import { gaussianLogProbTf, sampleGaussian } from '../src/core/rl/distributions.js';
import { ActorCritic, JsActor } from '../src/core/rl/networks.js';
import { Optimizer } from '../src/core/rl/optim.js';
import { Rng } from '../src/core/rl/rng.js';
import { ToyCartPole } from './algos-toy-envs.js';

beforeAll(async () => { await selectBackend('cpu'); });

interface Episodes { obs: Float32Array; act: Float32Array; roll: Rollout; starts: number[]; lens: number[] }

function collect(net: ActorCritic, episodes: number, seed: number): Episodes {
  const rng = new Rng(seed), env = new ToyCartPole(200);
  const actor = new JsActor({ ...net.actorSnapshot(), actDim: 1 }, 1);
  const obs: number[] = [], act: number[] = [], rew: number[] = [], term: number[] = [], trunc: number[] = [];
  const starts: number[] = [], lens: number[] = [];
  const u = new Float32Array(1), a = new Float32Array(1);
  for (let e = 0; e < episodes; e++) {
    let o = Float32Array.from(env.reset(seed * 100_000 + e));
    starts.push(rew.length);
    for (;;) {
      actor.forward(o, 1);
      sampleGaussian(actor.mu, actor.logStd.subarray(0, 1), 1, 1, rng, u, a, 'clip', [-3], [3]);
      const r = env.step(a);
      obs.push(...o);
      act.push(u[0]);
      rew.push(r.reward);
      term.push(r.terminated ? 1 : 0);
      trunc.push(r.truncated ? 1 : 0);
      o = Float32Array.from(r.obs);
      if (r.terminated || r.truncated) break;
    }
    lens.push(rew.length - starts[e]);
  }
  const T = rew.length;
  return { obs: Float32Array.from(obs), act: Float32Array.from(act), starts, lens, roll: { T, N: 1, rewards: Float32Array.from(rew), terminated: Uint8Array.from(term), truncated: Uint8Array.from(trunc) } };
}

/** Σ_{t∈τ} Φ_t ∇_θ log π(a_t|s_t) for every episode τ, as flat vectors over the actor's parameters. */
function perEpisodeGrads(net: ActorCritic, d: Episodes, phi: Float32Array): Float64Array[] {
  return d.starts.map((s, e) => {
    const L = d.lens[e];
    const { grads } = tf.variableGrads(() => {
      const { out, logStd } = net.forward(tf.tensor2d(d.obs.subarray(s * 4, (s + L) * 4), [L, 4]), false);
      const lp = gaussianLogProbTf(tf.tensor2d(d.act.subarray(s, s + L), [L, 1]), out, logStd!);
      return tf.sum(tf.mul(lp, tf.tensor1d(phi.subarray(s, s + L)))) as tf.Scalar;
    }, net.actorVars);
    const flat: number[] = [];
    for (const v of net.actorVars) flat.push(...grads[v.name].dataSync());
    tf.dispose(Object.values(grads));
    return Float64Array.from(flat);
  });
}

/** Per-parameter variance of the K-episode batch mean across `batches` resampled batches. */
function resampledVariance(g: Float64Array[], K: number, batches: number, rng: Rng): Float64Array {
  const P = g[0].length, sum = new Float64Array(P), sq = new Float64Array(P), est = new Float64Array(P);
  for (let b = 0; b < batches; b++) {
    est.fill(0);
    for (let k = 0; k < K; k++) {
      const e = g[rng.int(g.length)];
      for (let p = 0; p < P; p++) est[p] += e[p] / K;
    }
    for (let p = 0; p < P; p++) {
      sum[p] += est[p];
      sq[p] += est[p] * est[p];
    }
  }
  const v = new Float64Array(P);
  for (let p = 0; p < P; p++) v[p] = sq[p] / batches - (sum[p] / batches) ** 2;
  return v;
}

describe('variance of the policy-gradient estimate', () => {
  it('reward-to-go < total return, and a fitted baseline lowers it further', () => {
    const gamma = 0.99;
    const net = new ActorCritic({ obsDim: 4, actDim: 1, discrete: false, hidden: [16], activation: 'tanh', shared: false, sigma: 'state-independent', critic: 'v', orthoInit: true, logStdInit: 0 }, new Rng(3));
    // A fixed, non-trivial policy: a mildly stabilizing mean.
    net.meanHead.w.assign(tf.mul(net.meanHead.w, 50));
    const fit = collect(net, 300, 1), meas = collect(net, 300, 2);
    // Fit V(s) to reward-to-go on an independent set of episodes.
    const fitTarget = new Float32Array(fit.roll.T);
    rewardToGo(fit.roll, gamma, fitTarget);
    const opt = new Optimizer(net.criticVars, { kind: 'adam' });
    const X = tf.tensor2d(fit.obs, [fit.roll.T, 4]), Y = tf.tensor1d(fitTarget);
    for (let i = 0; i < 300; i++) {
      const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(tf.sub(net.value(X), Y))) as tf.Scalar, net.criticVars);
      opt.apply(net.criticVars.map((v) => grads[v.name]), 3e-3);
      tf.dispose([value, ...Object.values(grads)]);
    }
    const T = meas.roll.T;
    const V = net.value(tf.tensor2d(meas.obs, [T, 4])).dataSync() as Float32Array;
    const phiTotal = new Float32Array(T), phiRtg = new Float32Array(T), phiBase = new Float32Array(T);
    totalReturn(meas.roll, gamma, phiTotal);
    rewardToGo(meas.roll, gamma, phiRtg);
    rewardToGoMinusBaseline(meas.roll, gamma, V, phiBase);
    const K = 10, B = 3000;
    const vTot = resampledVariance(perEpisodeGrads(net, meas, phiTotal), K, B, new Rng(9));
    const vRtg = resampledVariance(perEpisodeGrads(net, meas, phiRtg), K, B, new Rng(9));
    const vBase = resampledVariance(perEpisodeGrads(net, meas, phiBase), K, B, new Rng(9));
    const sum = (v: Float64Array) => v.reduce((a, b) => a + b, 0);
    const frac = (a: Float64Array, b: Float64Array) => a.filter((x, i) => x < b[i]).length / a.length;
    console.log(`Σ per-parameter variance: total return ${sum(vTot).toExponential(3)}, reward-to-go ${sum(vRtg).toExponential(3)}, baseline ${sum(vBase).toExponential(3)}; ` +
      `share of parameters lower: rtg<total ${(100 * frac(vRtg, vTot)).toFixed(0)}%, baseline<rtg ${(100 * frac(vBase, vRtg)).toFixed(0)}%`);
    expect(sum(vRtg)).toBeLessThan(sum(vTot));
    expect(sum(vBase)).toBeLessThan(sum(vRtg));
    expect(frac(vRtg, vTot)).toBeGreaterThan(0.9);
    expect(frac(vBase, vRtg)).toBeGreaterThan(0.9);
  }, 120_000);
});
