// VecEnv: flat buffers, auto-reset with the terminal observation kept, episode statistics, and
// agreement with the same envs stepped one by one.
import { describe, expect, it } from 'vitest';
import { makeEnv } from '../src/core/envs/registry.js';
import { EnvRng } from '../src/core/envs/rng.js';
import { VecEnv } from '../src/core/envs/vec-env.js';
import { EnvError } from '../src/core/envs/types.js';

describe('VecEnv', () => {
  it('matches single envs step for step, auto-resetting with final obs, return and length', async () => {
    const n = 3;
    const vec = await VecEnv.create('InvertedPendulum', n);
    const singles = await Promise.all(Array.from({ length: n }, () => makeEnv('InvertedPendulum')));
    expect(vec.obs.length).toBe(n * 4);
    vec.reset(10);
    singles.forEach((e, i) => {
      expect(Array.from(vec.obs.subarray(i * 4, i * 4 + 4))).toEqual(Array.from(e.reset(10 + i)));
    });
    const rng = new EnvRng(1);
    const actions = new Float32Array(n);
    const returns = new Array<number>(n).fill(0);
    const lengths = new Array<number>(n).fill(0);
    let episodes = 0;
    for (let t = 0; t < 300; t++) {
      for (let i = 0; i < n; i++) actions[i] = rng.uniform(-3, 3);
      vec.step(actions);
      for (let i = 0; i < n; i++) {
        const r = singles[i].step([actions[i]]);
        returns[i] += r.reward;
        lengths[i]++;
        expect(vec.rewards[i]).toBe(Math.fround(r.reward));
        expect(vec.terminated[i]).toBe(r.terminated ? 1 : 0);
        expect(vec.truncated[i]).toBe(r.truncated ? 1 : 0);
        if (r.terminated || r.truncated) {
          episodes++;
          expect(Array.from(vec.finalObs.subarray(i * 4, i * 4 + 4))).toEqual(Array.from(r.obs));
          expect(vec.episodeReturns[i]).toBe(returns[i]);
          expect(vec.episodeLengths[i]).toBe(lengths[i]);
          returns[i] = 0;
          lengths[i] = 0;
          expect(Array.from(vec.obs.subarray(i * 4, i * 4 + 4))).toEqual(Array.from(singles[i].reset()));
        } else {
          expect(Array.from(vec.obs.subarray(i * 4, i * 4 + 4))).toEqual(Array.from(r.obs));
        }
      }
    }
    expect(episodes).toBeGreaterThan(10); // random pushes topple the pole quickly
    vec.dispose();
    singles.forEach((e) => e.dispose());
  });

  it('truncates every env at the time limit and keeps the pre-reset obs for bootstrapping', async () => {
    const vec = await VecEnv.create('Reacher', 4);
    vec.reset(0);
    const a = new Float32Array(8);
    for (let t = 1; t < 50; t++) {
      vec.step(a);
      expect(Array.from(vec.truncated)).toEqual([0, 0, 0, 0]);
    }
    const before = Float32Array.from(vec.obs);
    vec.step(a);
    expect(Array.from(vec.truncated)).toEqual([1, 1, 1, 1]);
    expect(Array.from(vec.episodeLengths)).toEqual([50, 50, 50, 50]);
    // The final obs continues the trajectory (joint velocity damped, target unchanged) while the
    // new obs starts a new episode with a new target.
    for (let i = 0; i < 4; i++) {
      expect(vec.finalObs[i * 10 + 4]).toBeCloseTo(before[i * 10 + 4], 6);
      expect(vec.obs[i * 10 + 4]).not.toBeCloseTo(vec.finalObs[i * 10 + 4], 6);
    }
    vec.dispose();
  });

  it('saves and restores all envs exactly', async () => {
    const a = await VecEnv.create('Hopper', 2);
    const b = await VecEnv.create('Hopper', 2);
    a.reset(3);
    b.reset(99);
    const rng = new EnvRng(4);
    const acts = Array.from({ length: 80 }, () => Float32Array.from({ length: 6 }, () => rng.uniform(-1, 1)));
    for (let t = 0; t < 30; t++) a.step(acts[t]);
    b.setState(a.getState());
    expect(Array.from(b.obs)).toEqual(Array.from(a.obs));
    let ended = 0;
    for (let t = 30; t < 80; t++) {
      a.step(acts[t]);
      b.step(acts[t]);
      expect(Array.from(b.obs)).toEqual(Array.from(a.obs));
      expect(Array.from(b.terminated)).toEqual(Array.from(a.terminated));
      for (let i = 0; i < 2; i++) {
        if (a.terminated[i] || a.truncated[i]) {
          ended++;
          expect(b.episodeReturns[i]).toBe(a.episodeReturns[i]); // running returns were restored too
          expect(b.episodeLengths[i]).toBe(a.episodeLengths[i]);
        }
      }
    }
    expect(ended).toBeGreaterThan(0); // random Hopper actions end episodes within 80 steps
    a.dispose();
    b.dispose();
  });

  it('rejects a wrong action length and works after dispose only with an error', async () => {
    const vec = await VecEnv.create('HalfCheetah', 2);
    vec.reset(0);
    expect(() => vec.step(new Float32Array(6))).toThrow(EnvError);
    vec.dispose();
    expect(() => vec.step(new Float32Array(12))).toThrow(/disposed/);
  });
});
