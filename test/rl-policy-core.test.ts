// Rollout collection: flags, truncation observations, auto-reset and bootstrap values land where
// the estimators expect them ([T, N] time-major).
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../src/core/rl/backend.js';
import { PolicyCore, RolloutBuffer, type CoreOptions } from '../src/core/rl/policy-core.js';
import type { Env, StepResult } from '../src/core/envs/types.js';
import { makeCtx, ToyCartPole } from './algos-toy-envs.js';

beforeAll(async () => { await selectBackend('cpu'); });

/** obs = [episode index, step in episode]; reward = 10·episode + step; env n truncates after 2+n steps. */
class CounterEnv extends ToyCartPole {
  private ep = -1;
  private k = 0;
  private readonly o = new Float32Array(4);
  private readonly r: StepResult = { obs: this.o, reward: 0, terminated: false, truncated: false, info: { rewardTerms: {}, elapsedSteps: 0 } };
  constructor(readonly limit: number) { super(); }
  override reset(): Float32Array {
    this.ep++;
    this.k = 0;
    this.o.set([this.ep, 0, 0, 0]);
    return this.o;
  }
  override step(): StepResult {
    this.k++;
    this.o.set([this.ep, this.k, 0, 0]);
    this.r.reward = 10 * this.ep + this.k;
    this.r.truncated = this.k >= this.limit;
    return this.r;
  }
  override getState(): Float64Array { return Float64Array.of(this.ep, this.k); }
  override setState(s: Float64Array): void { this.ep = s[0]; this.k = s[1]; }
}

const OPTS: CoreOptions = {
  numEnvs: 2, gamma: 0.9, hidden: [4], activation: 'tanh', shared: false, sigma: 'state-independent', squash: 'clip',
  orthoInit: true, logStdInit: 0, normObs: false, obsClip: 10, normReward: false, rewardClip: 10, critic: 'v',
  kernel: true, trainRows: 16,
};

describe('PolicyCore.collect', () => {
  it('records time-major steps, truncation obs, auto-resets and bootstrap values', () => {
    let made = 0;
    const episodes: { step: number; return: number; length: number }[] = [];
    const ctx = makeCtx({ makeEnv: (): Env => new CounterEnv(2 + (made++ % 2)), episodes });
    made = 0; // makeCtx made one env to read the spec
    const core = new PolicyCore(ctx, OPTS);
    const T = 5, buf = new RolloutBuffer(T, 2, 4, 1);
    core.collect(buf);
    // env 0 truncates at t=1 and t=3; env 1 at t=2 (limit 3).
    const trunc = Array.from(buf.truncated), term = Array.from(buf.terminated);
    expect(trunc).toEqual([0, 0, 1, 0, 0, 1, 1, 0, 0, 0]);
    expect(term.every((x) => x === 0)).toBe(true);
    // obs at (t, n): what the agent saw before acting. env 0: ep0 k0, ep0 k1, ep1 k0, ep1 k1, ep2 k0
    const obsAt = (t: number, n: number) => Array.from(buf.obs.subarray((t * 2 + n) * 4, (t * 2 + n) * 4 + 2));
    expect([0, 1, 2, 3, 4].map((t) => obsAt(t, 0))).toEqual([[0, 0], [0, 1], [1, 0], [1, 1], [2, 0]]);
    expect([0, 1, 2, 3, 4].map((t) => obsAt(t, 1))).toEqual([[0, 0], [0, 1], [0, 2], [1, 0], [1, 1]]);
    // the real final obs is kept where truncated (not the reset obs)
    expect(Array.from(buf.truncObs.subarray((1 * 2 + 0) * 4, (1 * 2 + 0) * 4 + 2))).toEqual([0, 2]);
    expect(Array.from(buf.truncObs.subarray((2 * 2 + 1) * 4, (2 * 2 + 1) * 4 + 2))).toEqual([0, 3]);
    expect(Array.from(buf.rewards)).toEqual([1, 1, 2, 2, 11, 3, 12, 11, 21, 12]);
    expect(Array.from(buf.lastObs.subarray(0, 2))).toEqual([2, 1]);
    expect(episodes.map((e) => [e.length, e.return])).toEqual([[2, 3], [3, 6], [2, 23]]);
    expect(core.pool.steps).toBe(10);
    // values: V(obs), V(final obs) only where truncated, V(last obs)
    core.computeValues(buf);
    const v = new Float32Array(1);
    core.valuesOf(buf.truncObs.subarray(2 * 4, 3 * 4), 1, v);
    expect(buf.truncValues[2]).toBe(v[0]);
    core.valuesOf(buf.lastObs.subarray(4, 8), 1, v);
    expect(buf.lastValues[1]).toBe(v[0]);
    expect(buf.truncValues[0]).toBe(0);
    core.dispose();
  });
});
