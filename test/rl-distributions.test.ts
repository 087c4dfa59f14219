import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../src/core/rl/backend.js';
import { Rng } from '../src/core/rl/rng.js';
import {
  categoricalEntropy, categoricalEntropyTf, categoricalLogProb, categoricalLogProbTf, gaussianEntropy, gaussianEntropyTf,
  gaussianLogProb, gaussianLogProbTf, sampleCategorical, sampleGaussian, squashedGaussianLogProb,
} from '../src/core/rl/distributions.js';

beforeAll(async () => { await selectBackend('cpu'); });

// Independent closed form: the density written as the lecture writes it, then log.
const normalPdf = (x: number, m: number, s: number) => Math.exp(-((x - m) ** 2) / (2 * s * s)) / Math.sqrt(2 * Math.PI * s * s);

describe('diagonal Gaussian', () => {
  const mu = [0.3, -1.2, 2.0], ls = [-0.5, 0.1, 0.7], x = [0.1, -0.4, 3.3];
  const expectLp = Math.log(normalPdf(x[0], mu[0], Math.exp(ls[0]))) + Math.log(normalPdf(x[1], mu[1], Math.exp(ls[1]))) + Math.log(normalPdf(x[2], mu[2], Math.exp(ls[2])));
  const expectH = ls.reduce((s, l) => s + 0.5 * Math.log(2 * Math.PI * Math.E * Math.exp(2 * l)), 0);

  it('JS log-prob and entropy equal the closed forms', () => {
    expect(gaussianLogProb(x, mu, ls, 3)).toBeCloseTo(expectLp, 10);
    expect(gaussianEntropy(ls)).toBeCloseTo(expectH, 10);
  });
  it('tf log-prob and entropy equal the closed forms (state-independent and per-row σ)', () => {
    const lp = gaussianLogProbTf(tf.tensor2d([x, x]), tf.tensor2d([mu, mu]), tf.tensor1d(ls)).arraySync();
    expect(lp[0]).toBeCloseTo(expectLp, 4);
    const lp2 = gaussianLogProbTf(tf.tensor2d([x]), tf.tensor2d([mu]), tf.tensor2d([ls])).arraySync();
    expect(lp2[0]).toBeCloseTo(expectLp, 4);
    expect(gaussianEntropyTf(tf.tensor1d(ls)).arraySync() as number).toBeCloseTo(expectH, 4);
  });
  it('samples have mean μ and std σ; deterministic returns μ; clip keeps bounds', () => {
    const rng = new Rng(5), n = 40000;
    const m = Float32Array.of(1, -2), l = Float32Array.of(Math.log(0.5), Math.log(2));
    const u = new Float32Array(2), a = new Float32Array(2);
    let s0 = 0, s1 = 0, q0 = 0, q1 = 0;
    for (let i = 0; i < n; i++) {
      sampleGaussian(m, l, 1, 2, rng, u, a, 'clip', [-1.5, -1.5], [1.5, 1.5]);
      s0 += u[0]; s1 += u[1]; q0 += u[0] ** 2; q1 += u[1] ** 2;
      expect(Math.abs(a[0]) <= 1.5 && Math.abs(a[1]) <= 1.5).toBe(true);
    }
    expect(s0 / n).toBeCloseTo(1, 1.5);
    expect(s1 / n).toBeCloseTo(-2, 1);
    expect(Math.sqrt(q0 / n - (s0 / n) ** 2)).toBeCloseTo(0.5, 1.5);
    expect(Math.sqrt(q1 / n - (s1 / n) ** 2)).toBeCloseTo(2, 1);
    sampleGaussian(m, l, 1, 2, null, u, a, 'tanh', [-3, 0], [3, 1]);
    expect(a[0]).toBeCloseTo(-3 + (Math.tanh(1) + 1) * 3, 5);
    expect(a[1]).toBeCloseTo((Math.tanh(-2) + 1) * 0.5, 5);
  });
  it('tanh-squashed log-prob is the change-of-variables density (numerical check)', () => {
    // p_A(a) = p_U(u) / |da/du| with a = lo + (tanh u + 1)(hi − lo)/2.
    const lo = [-2], hi = [4], m = [0.4], l = [-0.3], u = [0.9];
    const dadu = (1 - Math.tanh(u[0]) ** 2) * (hi[0] - lo[0]) / 2;
    const expected = Math.log(normalPdf(u[0], m[0], Math.exp(l[0])) / dadu);
    expect(squashedGaussianLogProb(u, m, l, 1, lo, hi)).toBeCloseTo(expected, 5);
    // …and integrates to one over the box (midpoint rule in a).
    let integral = 0; const K = 20000;
    for (let k = 0; k < K; k++) {
      const a = lo[0] + (k + 0.5) * (hi[0] - lo[0]) / K;
      const uu = Math.atanh(2 * (a - lo[0]) / (hi[0] - lo[0]) - 1);
      integral += Math.exp(squashedGaussianLogProb([uu], m, l, 1, lo, hi)) * (hi[0] - lo[0]) / K;
    }
    expect(integral).toBeCloseTo(1, 2);
  });
});

describe('categorical', () => {
  const logits = [0.5, -1, 2, 0];
  const z = logits.reduce((s, v) => s + Math.exp(v), 0);
  const p = logits.map((v) => Math.exp(v) / z);
  const H = -p.reduce((s, q) => s + q * Math.log(q), 0);
  it('JS log-prob, entropy and sampling frequencies', () => {
    const scr = new Float64Array(4);
    for (let a = 0; a < 4; a++) expect(categoricalLogProb(logits, 4, 0, a, scr)).toBeCloseTo(Math.log(p[a]), 10);
    expect(categoricalEntropy(logits, 4, 0, scr)).toBeCloseTo(H, 10);
    const rng = new Rng(9), counts = [0, 0, 0, 0], n = 40000;
    for (let i = 0; i < n; i++) counts[sampleCategorical(logits, 4, 0, rng, scr)]++;
    for (let a = 0; a < 4; a++) expect(Math.abs(counts[a] / n - p[a])).toBeLessThan(0.01);
    expect(sampleCategorical(logits, 4, 0, null, scr)).toBe(2);
  });
  it('tf log-prob and entropy', () => {
    const lt = tf.tensor2d([logits, logits]);
    const lp = categoricalLogProbTf(lt, tf.tensor1d([2, 1])).arraySync();
    expect(lp[0]).toBeCloseTo(Math.log(p[2]), 5);
    expect(lp[1]).toBeCloseTo(Math.log(p[1]), 5);
    expect(categoricalEntropyTf(lt).arraySync()[0]).toBeCloseTo(H, 5);
  });
});
