import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../src/core/rl/backend.js';
import { Rng } from '../src/core/rl/rng.js';
import { ObsNormalizer, RewardScaler, RunningMeanStd } from '../src/core/rl/normalize.js';
import { NonFiniteError } from '../src/core/rl/errors.js';
import { ActorCritic, JsActor, orthogonal, type NetConfig } from '../src/core/rl/networks.js';
import { clipByGlobalNorm, Optimizer, scheduledLr } from '../src/core/rl/optim.js';
import { gaussianLogProbTf } from '../src/core/rl/distributions.js';

beforeAll(async () => { await selectBackend('cpu'); });

describe('normalizers', () => {
  it('parallel merge equals the statistics of all data at once', () => {
    const rng = new Rng(1), d = 3;
    const all: number[][] = [];
    const rms = new RunningMeanStd(d);
    for (let b = 0; b < 7; b++) {
      const rows = 1 + b * 3, x = new Float32Array(rows * d);
      for (let i = 0; i < x.length; i++) x[i] = rng.normal() * (1 + (i % d)) + (i % d);
      for (let r = 0; r < rows; r++) all.push(Array.from(x.subarray(r * d, r * d + d)));
      rms.update(x, rows);
    }
    for (let j = 0; j < d; j++) {
      const m = all.reduce((s, r) => s + r[j], 0) / all.length;
      const v = all.reduce((s, r) => s + (r[j] - m) ** 2, 0) / all.length;
      expect(rms.mean[j]).toBeCloseTo(m, 4);
      expect(rms.var[j]).toBeCloseTo(v, 3);
    }
    const st = rms.getState(), r2 = new RunningMeanStd(d);
    r2.setState(st);
    expect(Array.from(r2.mean)).toEqual(Array.from(rms.mean));
  });
  it('obs normalizer applies clip((x−μ)/√(σ²+ε)) and snapshots it', () => {
    const n = new ObsNormalizer(2, 3);
    n.rms.setState([1, -1, 4, 0.25, 10]);
    const out = new Float32Array(2);
    n.normalize([5, 100], 1, out);
    expect(out[0]).toBeCloseTo(2, 5);
    expect(out[1]).toBe(3);
    const s = n.snapshot();
    expect(Array.from(s.mean)).toEqual([1, -1]);
    expect(s.clip).toBe(3);
  });
  it('reward scaler divides by the std of the discounted return (SB3 VecNormalize)', () => {
    const g = 0.9, sc = new RewardScaler(1, g, 100);
    const rs = [1, 2, 3, 4, 5], done = [0, 0, 1, 0, 0];
    const rets: number[] = [];
    let ret = 0;
    for (let t = 0; t < rs.length; t++) {
      ret = ret * g + rs[t];
      rets.push(ret);
      const r = Float32Array.of(rs[t]);
      sc.scale(r, Uint8Array.of(done[t]));
      // Pooled variance of the returns so far plus the prior (weight 1e-4, mean 0, var 1).
      const c = rets.length + 1e-4;
      const m = rets.reduce((a, b) => a + b, 0) / c;
      const v = (1e-4 * (1 + m * m) + rets.reduce((a, b) => a + (b - m) ** 2, 0)) / c;
      expect(r[0]).toBeCloseTo(rs[t] / Math.sqrt(v + 1e-8), 3);
      if (done[t]) ret = 0;
    }
  });
});

describe('networks', () => {
  it('orthogonal init: WᵀW = g²I (tall) and WWᵀ = g²I (wide)', () => {
    const rng = new Rng(2);
    for (const [r, c] of [[6, 3], [3, 6], [4, 4]]) {
      const w = orthogonal(r, c, 1.5, rng);
      const k = Math.min(r, c);
      for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) {
        let s = 0;
        if (r >= c) for (let i = 0; i < r; i++) s += w[i * c + a] * w[i * c + b];
        else for (let i = 0; i < c; i++) s += w[a * c + i] * w[b * c + i];
        expect(s).toBeCloseTo(a === b ? 2.25 : 0, 4);
      }
    }
  });

  const cfgs: NetConfig[] = [
    { obsDim: 5, actDim: 2, discrete: false, hidden: [8, 7], activation: 'tanh', shared: false, sigma: 'state-independent', critic: 'v', orthoInit: true, logStdInit: -0.3 },
    { obsDim: 5, actDim: 2, discrete: false, hidden: [6], activation: 'elu', shared: true, sigma: 'state-dependent', critic: 'v', orthoInit: false, logStdInit: 0 },
    { obsDim: 5, actDim: 2, discrete: false, hidden: [6, 6], activation: 'relu', shared: false, sigma: 'state-independent', critic: 'q', orthoInit: true, logStdInit: 0 },
  ];
  it.each(cfgs.map((c, i) => [i, c] as const))('tf forward equals the JS mirror built from the snapshot (cfg %i)', (_i, cfg) => {
    const net = new ActorCritic(cfg, new Rng(3));
    // Make heads non-trivial (0.01 gain otherwise hides errors).
    net.meanHead.w.assign(tf.randomNormal(net.meanHead.w.shape, 0, 1, 'float32', 4));
    if (net.logStdHead) net.logStdHead.w.assign(tf.randomNormal(net.logStdHead.w.shape, 0, 1, 'float32', 5));
    const x = tf.randomNormal([4, 5], 0, 1, 'float32', 6) as tf.Tensor2D;
    const { out, logStd } = net.forward(x);
    const js = new JsActor(net.snapshot({ squash: 'clip' }), 4);
    js.forward(x.dataSync(), 4);
    const mu = out.dataSync();
    for (let i = 0; i < 8; i++) expect(js.mu[i]).toBeCloseTo(mu[i], 4);
    const ls = logStd!.dataSync();
    for (let i = 0; i < 8; i++) expect(js.logStd[i]).toBeCloseTo(ls[ls.length === 2 ? i % 2 : i], 4);
    if (cfg.critic === 'q') expect(net.q(x, out).shape).toEqual([4]);
    else expect(net.value(x).shape).toEqual([4]);
  });
  it('weights round-trip by name and NaN parameters are reported', () => {
    const a = new ActorCritic(cfgs[0], new Rng(1)), b = new ActorCritic(cfgs[0], new Rng(2));
    b.setWeights(a.getWeights());
    for (const k of Object.keys(a.getWeights())) expect(Array.from(b.getWeights()[k])).toEqual(Array.from(a.getWeights()[k]));
    expect(() => b.setWeights({})).toThrow(/missing/);
    b.meanHead.b.assign(tf.tensor1d([NaN, 0]));
    expect(() => b.assertFinite('test')).toThrow(NonFiniteError);
  });

  it.each(['tanh', 'relu', 'elu'] as const)('hand-written dense gradients equal tf autodiff of the plain formula (%s, value and Q heads)', (act) => {
    const cfg: NetConfig = { obsDim: 3, actDim: 2, discrete: false, hidden: [5, 4], activation: act, shared: false, sigma: 'state-independent', critic: 'q', orthoInit: true, logStdInit: 0 };
    const net = new ActorCritic(cfg, new Rng(21));
    net.meanHead.w.assign(tf.randomNormal([4, 2], 0, 1, 'float32', 2));
    const x = tf.randomNormal([6, 3], 0, 1.5, 'float32', 3) as tf.Tensor2D;
    const a = tf.randomNormal([6, 2], 0, 1, 'float32', 4) as tf.Tensor2D;
    const R = tf.randomNormal([6, 2], 0, 1, 'float32', 5);
    const plainAct = (z: tf.Tensor) => (act === 'tanh' ? tf.tanh(z) : act === 'relu' ? tf.relu(z) : tf.elu(z));
    const plain = (h0: tf.Tensor, layers: { w: tf.Variable; b: tf.Variable; activation: string }[]) =>
      layers.reduce((h, l) => { const z = tf.add(tf.matMul(h, l.w), l.b); return l.activation === 'linear' ? z : plainAct(z); }, h0);
    const vars = net.variables;
    const mine = tf.variableGrads(() => tf.add(tf.sum(tf.mul(net.forward(x, false).out, R)), tf.sum(net.q(x, a))) as tf.Scalar, vars);
    const ref = tf.variableGrads(() => tf.add(
      tf.sum(tf.mul(plain(x, [...net.actorTrunk, net.meanHead]), R)),
      tf.sum(plain(tf.concat([x, a], 1), [...net.criticTrunk, net.valueHead!])),
    ) as tf.Scalar, vars);
    expect(mine.value.dataSync()[0]).toBeCloseTo(ref.value.dataSync()[0], 4);
    for (const v of vars) {
      if (v === net.logStd) continue;
      const g1 = mine.grads[v.name].dataSync(), g2 = ref.grads[v.name].dataSync();
      for (let i = 0; i < g1.length; i++) expect(g1[i]).toBeCloseTo(g2[i], 4);
    }
  });

  it('policy-gradient loss gradient equals central finite differences (float64 reimplementation)', () => {
    const cfg: NetConfig = { obsDim: 3, actDim: 2, discrete: false, hidden: [4], activation: 'tanh', shared: false, sigma: 'state-independent', critic: 'none', orthoInit: true, logStdInit: -0.2 };
    const net = new ActorCritic(cfg, new Rng(11));
    net.meanHead.w.assign(tf.randomNormal([4, 2], 0, 0.7, 'float32', 1));
    const B = 5, rng = new Rng(12);
    const xs = Array.from({ length: B * 3 }, () => rng.normal());
    const as = Array.from({ length: B * 2 }, () => rng.normal());
    const adv = Array.from({ length: B }, () => rng.normal());
    const { grads } = tf.variableGrads(() => {
      const { out, logStd } = net.forward(tf.tensor2d(xs, [B, 3]));
      const lp = gaussianLogProbTf(tf.tensor2d(as, [B, 2]), out, logStd!);
      return tf.neg(tf.mean(tf.mul(lp, tf.tensor1d(adv)))) as tf.Scalar;
    }, net.actorVars);
    // float64 loss: −mean_b A_b Σ_j log N(a_bj; μ_bj, σ_j)
    const W = net.getWeights();
    const p: Record<string, Float64Array> = {};
    for (const k of Object.keys(W)) p[k] = Float64Array.from(W[k]);
    const loss = (): number => {
      let L = 0;
      for (let b = 0; b < B; b++) {
        const h = [0, 0, 0, 0].map((_, o) => Math.tanh(p['pi0.b'][o] + [0, 1, 2].reduce((s, i) => s + xs[b * 3 + i] * p['pi0.w'][i * 4 + o], 0)));
        let lp = 0;
        for (let j = 0; j < 2; j++) {
          const mu = p['mean.b'][j] + h.reduce((s, hv, o) => s + hv * p['mean.w'][o * 2 + j], 0);
          const ls = p['logstd'][j];
          lp += -0.5 * ((as[b * 2 + j] - mu) / Math.exp(ls)) ** 2 - ls - 0.5 * Math.log(2 * Math.PI);
        }
        L -= adv[b] * lp;
      }
      return L / B;
    };
    const eps = 1e-6;
    for (const { name, v } of net.named) {
      const g = grads[v.name].dataSync();
      for (let i = 0; i < p[name].length; i++) {
        const o = p[name][i];
        p[name][i] = o + eps; const lp = loss();
        p[name][i] = o - eps; const lm = loss();
        p[name][i] = o;
        expect(g[i]).toBeCloseTo((lp - lm) / (2 * eps), 3);
      }
    }
  });
});

describe('optimizers', () => {
  const g1 = [0.5, -2], g2 = [1, 0.1], g3 = [-0.3, 0.7];
  it('Adam matches the PyTorch update written out, and resumes exactly', () => {
    const v = tf.variable(tf.tensor1d([1, 2]));
    const opt = new Optimizer([v], { kind: 'adam', eps: 1e-5 });
    let m = [0, 0], s = [0, 0]; const th = [1, 2];
    [g1, g2].forEach((g, k) => {
      opt.apply([tf.tensor1d(g)], 0.1);
      const t = k + 1;
      m = m.map((mi, i) => 0.9 * mi + 0.1 * g[i]);
      s = s.map((si, i) => 0.999 * si + 0.001 * g[i] ** 2);
      for (let i = 0; i < 2; i++) th[i] -= (0.1 / (1 - 0.9 ** t)) * m[i] / (Math.sqrt(s[i]) / Math.sqrt(1 - 0.999 ** t) + 1e-5);
    });
    const got = v.dataSync();
    expect(got[0]).toBeCloseTo(th[0], 5);
    expect(got[1]).toBeCloseTo(th[1], 5);
    // resume: copy params + state into a fresh optimizer, take the same step on both
    const st = opt.getState();
    const v2 = tf.variable(tf.tensor1d(Array.from(got)));
    const opt2 = new Optimizer([v2], { kind: 'adam', eps: 1e-5 });
    opt2.setState(st);
    opt.apply([tf.tensor1d(g3)], 0.05);
    opt2.apply([tf.tensor1d(g3)], 0.05);
    expect(Array.from(v2.dataSync())).toEqual(Array.from(v.dataSync()));
    expect(() => opt2.setState({ slots: new Float32Array(3), step: 1 })).toThrow(RangeError);
  });
  it('RMSProp matches its update written out', () => {
    const v = tf.variable(tf.tensor1d([1, 2]));
    const opt = new Optimizer([v], { kind: 'rmsprop', alpha: 0.99, eps: 1e-5 });
    let s = [0, 0]; const th = [1, 2];
    for (const g of [g1, g2, g3]) {
      opt.apply([tf.tensor1d(g)], 0.01);
      s = s.map((si, i) => 0.99 * si + 0.01 * g[i] ** 2);
      for (let i = 0; i < 2; i++) th[i] -= 0.01 * g[i] / (Math.sqrt(s[i]) + 1e-5);
    }
    expect(v.dataSync()[0]).toBeCloseTo(th[0], 5);
    expect(v.dataSync()[1]).toBeCloseTo(th[1], 5);
  });
  it('global-norm clipping and schedules', () => {
    const { grads, norm } = clipByGlobalNorm([tf.tensor1d([3, 0]), tf.tensor1d([4])], 1);
    expect(norm.dataSync()[0]).toBeCloseTo(5, 5);
    expect(grads[0].dataSync()[0]).toBeCloseTo(0.6, 5);
    expect(grads[1].dataSync()[0]).toBeCloseTo(0.8, 5);
    const un = clipByGlobalNorm([tf.tensor1d([0.3])], 1);
    expect(un.grads[0].dataSync()[0]).toBeCloseTo(0.3, 6);
    expect(scheduledLr(1, 'linear', 0.25)).toBeCloseTo(0.75);
    expect(scheduledLr(1, 'constant', 0.9)).toBe(1);
  });
});
