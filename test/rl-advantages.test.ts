import { describe, expect, it } from 'vitest';
import { explainedVariance, gae, nStepReturns, normalizeInPlace, qPhi, rewardToGo, rewardToGoMinusBaseline, tdError, totalReturn, type Rollout, type Values } from '../src/core/rl/advantages.js';

// A tiny "env": T=6 steps, N=2 envs, reward r[t,n] = (t+1)*(n+1), V(s_t,n) = 0.1*(t+1) + n.
// env 0: terminates at t=2, then a new episode runs past the rollout's end (bootstrap lastValues).
// env 1: is truncated at t=3 (bootstrap V(final obs) = 7), then terminates at t=5.
const T = 6, N = 2;
const rewards = new Float32Array(T * N);
const values = new Float32Array(T * N);
const terminated = new Uint8Array(T * N);
const truncated = new Uint8Array(T * N);
for (let t = 0; t < T; t++) for (let n = 0; n < N; n++) {
  rewards[t * N + n] = (t + 1) * (n + 1);
  values[t * N + n] = 0.1 * (t + 1) + n;
}
terminated[2 * N + 0] = 1;
truncated[3 * N + 1] = 1;
terminated[5 * N + 1] = 1;
const truncValues = new Float32Array(T * N);
truncValues[3 * N + 1] = 7;
const lastValues = Float32Array.of(3, -100 /* unused: env 1 terminated */);
const roll: Rollout = { T, N, rewards, terminated, truncated };
const vals: Values = { values, truncValues, lastValues };
const at = (t: number, n: number) => t * N + n;

// Closed forms written forward from the definitions (independent of the backward recursions).
/** Steps [t, end] of the episode containing t, and the value after `end` (0 / V(final) / lastV). */
function segment(t: number, n: number): { end: number; boot: number } {
  let s = t;
  for (;;) {
    const i = at(s, n);
    if (terminated[i]) return { end: s, boot: 0 };
    if (truncated[i]) return { end: s, boot: truncValues[i] };
    if (s === T - 1) return { end: s, boot: lastValues[n] };
    s++;
  }
}
function vNext(t: number, n: number): number {
  const { end, boot } = segment(t, n);
  return end === t ? boot : values[at(t + 1, n)];
}
function delta(t: number, n: number, g: number): number {
  return rewards[at(t, n)] + g * vNext(t, n) - values[at(t, n)];
}
function mcBootstrapped(t: number, n: number, g: number): number {
  const { end, boot } = segment(t, n);
  let s = 0;
  for (let k = t; k <= end; k++) s += g ** (k - t) * rewards[at(k, n)];
  return s + g ** (end - t + 1) * boot;
}
function gaeClosed(t: number, n: number, g: number, l: number): number {
  const { end } = segment(t, n);
  let a = 0;
  for (let k = t; k <= end; k++) a += (g * l) ** (k - t) * delta(k, n, g);
  return a;
}

const GAMMAS = [0, 0.5, 0.9, 0.99, 1];
const LAMBDAS = [0, 0.3, 0.95, 1];

describe('advantage estimators', () => {
  it('hand-computed tiny case: rewards 1,1,1 terminating, γ=0.5', () => {
    const r: Rollout = { T: 3, N: 1, rewards: Float32Array.of(1, 1, 1), terminated: Uint8Array.of(0, 0, 1), truncated: new Uint8Array(3) };
    const out = new Float32Array(3);
    rewardToGo(r, 0.5, out);
    expect(Array.from(out)).toEqual([1.75, 1.5, 1]);
    totalReturn(r, 0.5, out);
    expect(Array.from(out)).toEqual([1.75, 1.75, 1.75]);
    const v: Values = { values: Float32Array.of(1, 1, 1), truncValues: new Float32Array(3), lastValues: new Float32Array(1) };
    tdError(r, v, 0.5, out);
    expect(Array.from(out)).toEqual([0.5, 0.5, 0]); // 1 + .5·1 − 1, …, 1 + 0 − 1
    gae(r, v, 0.5, 1, out);
    expect(Array.from(out)).toEqual([0.75, 0.5, 0]); // MC return − V
  });

  it.each(GAMMAS)('total return and reward-to-go follow episode boundaries (γ=%s)', (g) => {
    const out = new Float32Array(T * N);
    totalReturn(roll, g, out);
    // env0 episodes: t 0..2 and 3..5; env1: 0..3 and 4..5.
    const ep = (n: number, a: number, b: number) => { let s = 0; for (let k = a; k <= b; k++) s += g ** (k - a) * rewards[at(k, n)]; return s; };
    const expectTot = [[0, 2, 0], [3, 5, 0], [0, 3, 1], [4, 5, 1]];
    for (const [a, b, n] of expectTot) for (let t = a; t <= b; t++) expect(out[at(t, n)]).toBeCloseTo(ep(n, a, b), 4);
    rewardToGo(roll, g, out);
    for (const [a, b, n] of expectTot) for (let t = a; t <= b; t++) expect(out[at(t, n)]).toBeCloseTo(ep(n, t, b), 4);
    rewardToGoMinusBaseline(roll, g, values, out);
    for (const [a, b, n] of expectTot) for (let t = a; t <= b; t++) expect(out[at(t, n)]).toBeCloseTo(ep(n, t, b) - values[at(t, n)], 4);
  });

  it.each(GAMMAS)('TD error with termination (V=0) and truncation bootstrap (γ=%s)', (g) => {
    const out = new Float32Array(T * N);
    tdError(roll, vals, g, out);
    for (let t = 0; t < T; t++) for (let n = 0; n < N; n++) expect(out[at(t, n)]).toBeCloseTo(delta(t, n, g), 5);
    // spot checks by hand: terminal step of env 0, truncated step of env 1
    expect(out[at(2, 0)]).toBeCloseTo(3 - 0.3, 5);
    expect(out[at(3, 1)]).toBeCloseTo(8 + g * 7 - 1.4, 5);
  });

  it.each(GAMMAS.flatMap((g) => LAMBDAS.map((l) => [g, l])))('GAE matches its closed form (γ=%s, λ=%s)', (g, l) => {
    const out = new Float32Array(T * N);
    const ret = new Float32Array(T * N);
    gae(roll, vals, g, l, out, ret);
    for (let t = 0; t < T; t++) for (let n = 0; n < N; n++) {
      expect(out[at(t, n)]).toBeCloseTo(gaeClosed(t, n, g, l), 4);
      expect(ret[at(t, n)]).toBeCloseTo(gaeClosed(t, n, g, l) + values[at(t, n)], 4);
    }
  });

  it.each(GAMMAS)('GAE(λ=1) = bootstrapped MC return − V and GAE(λ=0) = TD error (γ=%s)', (g) => {
    const a1 = new Float32Array(T * N), a0 = new Float32Array(T * N), td = new Float32Array(T * N), ns = new Float32Array(T * N);
    gae(roll, vals, g, 1, a1);
    gae(roll, vals, g, 0, a0);
    tdError(roll, vals, g, td);
    nStepReturns(roll, vals, g, ns);
    for (let i = 0; i < T * N; i++) {
      expect(a0[i]).toBeCloseTo(td[i], 5);
      expect(ns[i] - values[i]).toBeCloseTo(a1[i], 4);
    }
    for (let t = 0; t < T; t++) for (let n = 0; n < N; n++) expect(ns[at(t, n)]).toBeCloseTo(mcBootstrapped(t, n, g), 4);
  });

  it('n-step returns with a finite n bootstrap from V(s_{t+n})', () => {
    const g = 0.9;
    const out = new Float32Array(T * N);
    nStepReturns(roll, vals, g, out, 2);
    // env 0, t=3: r3 + γ r4 + γ² V(s5)
    expect(out[at(3, 0)]).toBeCloseTo(4 + g * 5 + g * g * values[at(5, 0)], 4);
    // env 0, t=1: r1 + γ r2 (terminal) + 0
    expect(out[at(1, 0)]).toBeCloseTo(2 + g * 3, 4);
    // env 1, t=3 truncated: r3 + γ·7
    expect(out[at(3, 1)]).toBeCloseTo(8 + g * 7, 4);
    // env 0, t=5: r5 + γ·lastV
    expect(out[at(5, 0)]).toBeCloseTo(6 + g * 3, 4);
    nStepReturns(roll, vals, g, out, 1);
    const td = new Float32Array(T * N);
    tdError(roll, vals, g, td);
    for (let i = 0; i < T * N; i++) expect(out[i] - values[i]).toBeCloseTo(td[i], 4);
    expect(() => nStepReturns(roll, vals, g, out, 0)).toThrow(RangeError);
  });

  it('Q-based Φ copies Q, normalization and explained variance', () => {
    const q = Float32Array.of(1, 2, 3), o = new Float32Array(3);
    qPhi(q, o);
    expect(Array.from(o)).toEqual([1, 2, 3]);
    normalizeInPlace(o);
    expect(o[0]).toBeCloseTo(-1, 5);
    expect(o[1]).toBeCloseTo(0, 5);
    expect(explainedVariance([1, 2, 3], [1, 2, 3])).toBe(1);
    expect(explainedVariance([2, 2, 2], [1, 2, 3])).toBeCloseTo(0, 6);
    expect(() => rewardToGo(roll, 0.9, new Float32Array(3))).toThrow(RangeError);
  });
});
