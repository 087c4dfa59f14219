// Every algorithm on box and discrete toy tasks: the Algorithm contract (stats, snapshot layout,
// act, policyAt, episodes), bad configs, and NaN detection.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { ALGOS } from '../src/core/algos/index.js';
import type { AlgoName } from '../src/core/protocol.js';
import { ConfigError } from '../src/core/config/schema.js';
import { selectBackend } from '../src/core/rl/backend.js';
import { makeCtx, ToyCartPole } from './algos-toy-envs.js';

beforeAll(async () => { await selectBackend('cpu'); });

const SMALL: Record<string, Record<string, unknown>> = {
  ppo: { numSteps: 32, numEnvs: 2, numMinibatches: 2, updateEpochs: 1, hidden: [8] },
  a2c: { numSteps: 8, numEnvs: 2, hidden: [8] },
  reinforce: { batchSteps: 40, hidden: [8] },
  qac: { numEnvs: 2, stepsPerUpdate: 20, hidden: [8] },
};
const ALGS = Object.keys(SMALL) as AlgoName[];

describe.each(ALGS)('%s contract', (name) => {
  it.each([false, true])('runs updates and honours the interface (discrete actions: %s)', async (discrete) => {
    const mk = () => new ToyCartPole(30, discrete);
    const episodes: { step: number; return: number; length: number }[] = [];
    const ctx = makeCtx({ makeEnv: mk, config: SMALL[name], seed: 3, episodes });
    if (name === 'qac' && discrete) {
      await expect(ALGOS[name].create(ctx)).rejects.toThrow(/continuous/);
      return;
    }
    const a = await ALGOS[name].create(ctx);
    for (let i = 0; i < 2 || (episodes.length === 0 && i < 50); i++) {
      const s = await a.update();
      expect(Number.isFinite(s.policyLoss)).toBe(true);
      expect(Number.isFinite(s.gradNorm)).toBe(true);
    }
    // no tensor leaks: another update, act, save/load leave the tensor count unchanged
    const live = tf.memory().numTensors;
    await a.update();
    a.act(Float32Array.of(0, 0, 0, 0), false);
    await a.loadState(await a.saveState());
    expect(tf.memory().numTensors).toBe(live);
    expect(a.steps).toBeGreaterThan(0);
    expect(episodes.length).toBeGreaterThan(0);
    expect(episodes.every((e) => e.length >= 1 && e.length <= 30)).toBe(true);
    const snap = a.snapshot();
    expect(snap.kind).toBe(discrete ? 'categorical' : 'gaussian');
    expect(snap.obsDim).toBe(4);
    expect(snap.actDim).toBe(discrete ? 2 : 1);
    expect(snap.trunk[0].inDim).toBe(4);
    expect(snap.trunk[0].w.length).toBe(4 * 8);
    expect(snap.meanHead[snap.meanHead.length - 1].outDim).toBe(discrete ? 2 : 1);
    const obs = Float32Array.of(0.01, 0.02, -0.01, 0);
    const act = a.act(obs, false);
    expect(act.length).toBe(1);
    const p = a.policyAt(obs);
    if (discrete) {
      expect(p.mu.reduce((x, y) => x + y, 0)).toBeCloseTo(1, 5);
      expect(Number.isInteger(act[0])).toBe(true);
    } else {
      expect(p.std[0]).toBeGreaterThan(0);
      expect(Math.abs(a.act(obs, true)[0])).toBeLessThanOrEqual(3);
    }
    expect(() => a.act(new Float32Array(3), true)).toThrow(RangeError);
    await a.dispose();
  });

  it('rejects unknown or bad config fields with a ConfigError', async () => {
    await expect(ALGOS[name].create(makeCtx({ makeEnv: () => new ToyCartPole(), config: { nope: 1 } }))).rejects.toThrow(ConfigError);
    await expect(ALGOS[name].create(makeCtx({ makeEnv: () => new ToyCartPole(), config: { gamma: 2 } }))).rejects.toThrow(/gamma/);
  });

  it('a NaN reward makes update() throw a clear error', async () => {
    class NanEnv extends ToyCartPole {
      override step(a: ArrayLike<number>) {
        const r = super.step(a);
        r.reward = NaN;
        return r;
      }
    }
    const a = await ALGOS[name].create(makeCtx({ makeEnv: () => new NanEnv(30), config: { ...SMALL[name], normReward: false } }));
    await expect(a.update()).rejects.toThrow(/NaN|non-finite/i);
    await a.dispose();
  });
});

describe('option coverage', () => {
  const variants: [AlgoName, Record<string, unknown>][] = [
    ['ppo', { ...SMALL.ppo, shared: true, sigma: 'state-dependent', squash: 'tanh', activation: 'elu', optimizer: 'rmsprop', orthoInit: false, targetKl: 0.001, clipVloss: false, normAdv: false, entCoef: 0.01, lrSchedule: 'constant' }],
    ['a2c', { ...SMALL.a2c, shared: true, advantage: 'gae', normAdv: true, optimizer: 'adam', activation: 'relu', sigma: 'state-dependent', entCoef: 0.01 }],
    ['qac', { ...SMALL.qac, squash: 'tanh', normObs: false }],
    ...(['total-return', 'reward-to-go', 'baseline', 'q', 'td', 'nstep', 'gae'] as const).map((phi): [AlgoName, Record<string, unknown>] => ['reinforce', { ...SMALL.reinforce, phi, normPhi: phi === 'gae', entCoef: 0.01 }]),
  ];
  it.each(variants)('%s %j', async (name, config) => {
    const a = await ALGOS[name].create(makeCtx({ makeEnv: () => new ToyCartPole(30), config, seed: 5 }));
    const before = JSON.stringify(Array.from(a.snapshot().meanHead[0].w));
    const s = await a.update();
    expect(Number.isFinite(s.policyLoss)).toBe(true);
    const snap = a.snapshot();
    expect(JSON.stringify(Array.from(snap.meanHead[0].w))).not.toBe(before); // the policy moved
    if (config.sigma === 'state-dependent') expect(snap.logStdHead?.length).toBe(1);
    else expect(snap.logStd?.length).toBe(1);
    if (config.squash === 'tanh') expect(snap.squash).toBe('tanh');
    const act = a.act(Float32Array.of(0, 0.1, 0, 0), false);
    expect(Math.abs(act[0])).toBeLessThanOrEqual(3);
    await a.dispose();
  });
});
