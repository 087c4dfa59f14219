// A3C: the global apply path against closed forms, the obs-moment merge, a worker's gradient
// against a closed form, learning on InvertedPendulum with 2 worker processes, crash handling
// (SIGKILL), checkpoint round-trip, and that dispose leaves no child processes.
import * as tf from '@tensorflow/tfjs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { A3C_SCHEMA, A3c, a3c, type A3cContext } from '../src/core/algos/a3c.js';
import { A3cWorkerCrashError } from '../src/core/algos/a3c-messages.js';
import { applyFlatGradient, paramCount, readParams } from '../src/core/rl/flat-params.js';
import { A3cWorker } from '../src/core/algos/a3c-worker.js';
import { resolveConfig } from '../src/core/config/schema.js';
import { getMujoco } from '../src/core/envs/mujoco.js';
import { makeEnvSync } from '../src/core/envs/registry.js';
import { RunningMeanStd } from '../src/core/rl/normalize.js';
import { Optimizer } from '../src/core/rl/optim.js';
import { Rng } from '../src/core/rl/rng.js';
import { evaluate, ToyCartPole } from './algos-toy-envs.js';

const TOY_PATH = fileURLToPath(new URL('./algos-toy-envs.ts', import.meta.url));

interface Made {
  ctx: A3cContext;
  episodes: { step: number; return: number; length: number }[];
}

function ctxFor(task: string, config: Record<string, unknown>, seed = 1, totalSteps = 100_000): Made {
  const episodes: Made['episodes'] = [];
  const env0 = makeEnvSync(task);
  const spec = env0.spec;
  env0.dispose();
  const ctx: A3cContext = {
    spec, makeEnv: () => makeEnvSync(task), config, seed, totalSteps, backend: 'cpu',
    onEpisode: (ep) => episodes.push(ep),
  };
  return { ctx, episodes };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitDead(pids: number[], ms = 3000): Promise<void> {
  const t0 = Date.now();
  while (pids.some(isAlive) && Date.now() - t0 < ms) await new Promise((r) => setTimeout(r, 20));
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

beforeAll(async () => {
  await tf.setBackend('cpu');
  await getMujoco();
});

describe('a3c: the global apply path', () => {
  const shapes: number[][] = [[2, 3], [3]];
  const init = [Float32Array.of(0.1, -0.2, 0.3, 0.4, -0.5, 0.6), Float32Array.of(1, -1, 0.5)];
  const makeVars = () => shapes.map((s, i) => tf.variable(tf.tensor(init[i], s)));

  it('RMSProp: two clipped steps with shared statistics match the closed form', () => {
    const vars = makeVars();
    const lr = 0.01, alpha = 0.99, eps = 1e-5, maxNorm = 0.5;
    const opt = new Optimizer(vars, { kind: 'rmsprop', alpha, eps });
    const g1 = Float32Array.of(0.3, -0.1, 0.2, 0, 0.5, -0.4, 0.05, 0.1, -0.2);
    const g2 = Float32Array.of(-0.1, 0.2, 0.1, 0.3, -0.2, 0.1, 0.4, -0.3, 0.2);
    const theta = Float64Array.from([...init[0], ...init[1]]);
    const s = new Float64Array(theta.length);
    for (const g of [g1, g2]) {
      const norm = Math.sqrt(g.reduce((a, x) => a + x * x, 0));
      const coef = Math.min(1, maxNorm / (norm + 1e-6));
      const got = applyFlatGradient(opt, g, lr, maxNorm);
      expect(got).toBeCloseTo(norm, 5);
      for (let i = 0; i < theta.length; i++) {
        const gc = g[i] * coef;
        s[i] = alpha * s[i] + (1 - alpha) * gc * gc;
        theta[i] -= (lr * gc) / (Math.sqrt(s[i]) + eps);
      }
    }
    const flat = new Float32Array(paramCount(vars));
    readParams(vars, flat);
    for (let i = 0; i < theta.length; i++) expect(flat[i]).toBeCloseTo(theta[i], 5);
    expect(opt.step).toBe(2);
    opt.dispose();
    tf.dispose(vars);
  });

  it('Adam: first step is lr·g/(|g|+ε) per parameter (no clipping)', () => {
    const vars = makeVars();
    const opt = new Optimizer(vars, { kind: 'adam', eps: 1e-8 });
    const g = Float32Array.of(3, -0.1, 2, 0, 5, -4, 0.5, 1, -2);
    applyFlatGradient(opt, g, 0.1, 0);
    const flat = new Float32Array(9);
    readParams(vars, flat);
    const theta = [...init[0], ...init[1]];
    for (let i = 0; i < 9; i++) expect(flat[i]).toBeCloseTo(theta[i] - (0.1 * g[i]) / (Math.abs(g[i]) + 1e-8), 5);
    opt.dispose();
    tf.dispose(vars);
  });

  it('a gradient of the wrong size is refused', () => {
    const vars = makeVars();
    const opt = new Optimizer(vars, { kind: 'adam' });
    expect(() => applyFlatGradient(opt, new Float32Array(8), 0.1, 0)).toThrow(/8 numbers for 9 parameters/);
    opt.dispose();
    tf.dispose(vars);
  });
});

describe('a3c: merging workers\' observation moments (RunningMeanStd.merge)', () => {
  it('equals the mean and variance of all the data', () => {
    const rng = new Rng(3), d = 3;
    const a = Float32Array.from({ length: 40 * d }, () => rng.normal() * 2 + 1);
    const b = Float32Array.from({ length: 25 * d }, () => rng.normal() * 0.5 - 3);
    const global = new RunningMeanStd(d);
    global.count = 0;
    global.update(a, 40);
    const batch = new RunningMeanStd(d);
    batch.count = 0;
    batch.update(b, 25);
    global.merge(batch.getState());
    expect(global.count).toBe(65);
    for (let j = 0; j < d; j++) {
      const xs: number[] = [];
      for (let r = 0; r < 40; r++) xs.push(a[r * d + j]);
      for (let r = 0; r < 25; r++) xs.push(b[r * d + j]);
      const m = mean(xs);
      expect(global.mean[j]).toBeCloseTo(m, 5);
      expect(global.var[j]).toBeCloseTo(mean(xs.map((x) => (x - m) ** 2)), 4);
    }
    expect(() => global.merge(new Float64Array(4))).toThrow(RangeError);
  });
});

describe('a3c: one worker\'s gradient', () => {
  it('the value-head bias gets −2·c_V·mean(R − V); steps and episodes are counted', () => {
    const config = resolveConfig(A3C_SCHEMA, { numSteps: 64, numEnvsPerWorker: 2, vfCoef: 0.7, entCoef: 0.01 });
    const env0 = new ToyCartPole(30);
    const w = new A3cWorker({ seed: 5, spec: env0.spec, config, backend: 'cpu' }, () => new ToyCartPole(30));
    const msg = w.step(0, config);
    const n = w.numParams;
    expect(msg.grads.length).toBe(n);
    // The value head's bias is the last parameter; with separate trunks only the value loss reaches it.
    let s = 0;
    for (let i = 0; i < w.adv.length; i++) s += w.adv[i];
    expect(msg.grads[n - 1]).toBeCloseTo((-2 * 0.7 * s) / w.adv.length, 4);
    expect(msg.stats[4]).toBe(128);
    // 30-step episodes at most: 2 envs × 64 steps finish at least 4 episodes.
    expect(msg.stats[5]).toBeGreaterThanOrEqual(4);
    expect(msg.episodes.length).toBe(2 * msg.stats[5]);
    for (let i = 1; i < msg.episodes.length; i += 2) expect(msg.episodes[i]).toBeLessThanOrEqual(30);
    // Raw-observation moments over all 128 steps (plus nothing else: the counter restarts at 0).
    expect(msg.obsMoments?.[2 * 4]).toBe(128);
    w.dispose();
    env0.dispose();
  });
});

describe('a3c: worker processes', () => {
  // A3C is asynchronous: which worker's gradient lands on which θ depends on the scheduler, so
  // the run is not reproducible under load (CI runs test files in parallel). The claim is
  // therefore "reaches the bar within the budget", checked by a deterministic evaluation every
  // ~5k steps — on a quiet machine it is at 1000 by 40k steps; the 100k budget leaves room for
  // the staler gradients a loaded machine produces, and a policy that never learns still fails.
  it('learns InvertedPendulum with 2 workers (global θ changes, return ~tens → hundreds)', async () => {
    const budget = 100_000;
    const { ctx, episodes } = ctxFor('InvertedPendulum', { numWorkers: 2 }, 1, budget);
    const algo = (await a3c.create(ctx)) as A3c;
    const pids = algo.workerPids;
    expect(pids.length).toBe(2);
    expect(pids.every(isAlive)).toBe(true);
    const before = (await algo.saveState()).tensors['net/mean.w'] as Float32Array;
    const probe = Float32Array.of(0.01, -0.02, 0.03, 0.01);
    const policyBefore = algo.policyAt(probe).mu[0];
    const evalOf = () => evaluate((o) => algo.act(o, true), () => makeEnvSync('InvertedPendulum'), 3);
    const evalBefore = evalOf();
    let updates = 0;
    let evalReturn = evalBefore;
    let nextEval = 5_000;
    while (algo.steps < budget) {
      const s = await algo.update();
      expect(Number.isFinite(s.policyLoss) && Number.isFinite(s.valueLoss) && Number.isFinite(s.gradNorm)).toBe(true);
      updates++;
      if (algo.steps >= nextEval) {
        nextEval += 5_000;
        evalReturn = evalOf();
        if (evalReturn >= 500) break;
      }
    }
    expect(algo.applied).toBeGreaterThanOrEqual(algo.steps / 20);
    expect(updates).toBeGreaterThan(5);
    const after = (await algo.saveState()).tensors['net/mean.w'] as Float32Array;
    let diff = 0;
    for (let i = 0; i < after.length; i++) diff += Math.abs(after[i] - before[i]);
    expect(diff).toBeGreaterThan(1e-3);
    expect(algo.policyAt(probe).mu[0]).not.toBe(policyBefore);
    // Episodes come from both workers; the first ones are short (the pole falls at once).
    const early = mean(episodes.slice(0, 20).map((e) => e.return));
    console.log(`a3c InvertedPendulum: first 20 episodes ${early.toFixed(1)}, deterministic eval ${evalBefore.toFixed(1)} before, ${evalReturn.toFixed(1)} after ${algo.steps} steps`);
    expect(early).toBeLessThan(100);
    expect(evalBefore).toBeLessThan(100);
    expect(evalReturn).toBeGreaterThanOrEqual(500);
    await algo.dispose();
    await waitDead(pids);
    expect(pids.filter(isAlive)).toEqual([]);
  }, 240_000);

  it('a SIGKILLed worker is reported and restarted; training continues', async () => {
    const { ctx } = ctxFor('InvertedPendulum', { numWorkers: 2, numSteps: 10, updatesPerReport: 5 });
    const algo = (await a3c.create(ctx)) as A3c;
    await algo.update();
    const [victim, other] = algo.workerPids;
    process.kill(victim, 'SIGKILL');
    const steps0 = algo.steps;
    const warn = console.warn;
    const warned: string[] = [];
    console.warn = (m: string) => warned.push(m);
    try {
      while (algo.restarts === 0 || algo.steps < steps0 + 2000) await algo.update();
    } finally {
      console.warn = warn;
    }
    expect(algo.restarts).toBe(1);
    expect(algo.crashLog[0]).toMatch(/^A3C worker 0 crashed \(signal SIGKILL\); restarted/);
    expect(warned.some((m) => m.includes('A3C worker 0 crashed (signal SIGKILL)'))).toBe(true);
    const [fresh, same] = algo.workerPids;
    expect(fresh).not.toBe(victim);
    expect(same).toBe(other);
    // The new worker contributes: run until both slots have sent gradients again.
    const applied = algo.applied;
    await algo.update();
    await algo.update();
    expect(algo.applied).toBeGreaterThan(applied);
    expect(isAlive(fresh)).toBe(true);
    await algo.dispose();
    await waitDead([fresh, same]);
    expect([fresh, same].filter(isAlive)).toEqual([]);
  }, 120_000);

  it('with restartWorkers=false a crash fails update() with a clear error, and stays failed', async () => {
    const { ctx } = ctxFor('InvertedPendulum', { numWorkers: 2, numSteps: 10, updatesPerReport: 5, restartWorkers: false });
    const algo = (await a3c.create(ctx)) as A3c;
    await algo.update();
    const pids = algo.workerPids;
    process.kill(pids[1], 'SIGKILL');
    let err: unknown;
    try {
      for (let i = 0; i < 1000; i++) await algo.update();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(A3cWorkerCrashError);
    expect((err as Error).message).toBe('A3C worker 1 crashed (signal SIGKILL)');
    await expect(algo.update()).rejects.toThrow('A3C worker 1 crashed (signal SIGKILL)');
    await algo.dispose();
    await waitDead(pids);
    expect(pids.filter(isAlive)).toEqual([]);
  }, 120_000);

  it('a hung worker (SIGSTOP) fails the update after workerTimeout', async () => {
    const { ctx } = ctxFor('InvertedPendulum', { numWorkers: 1, numSteps: 5, updatesPerReport: 2, workerTimeout: 60 });
    const algo = (await a3c.create(ctx)) as A3c;
    await algo.update();
    // Short only now: the first rollout (backend warm-up) may take seconds on a busy machine.
    algo.c.workerTimeout = 1;
    const [pid] = algo.workerPids;
    process.kill(pid, 'SIGSTOP');
    const t0 = Date.now();
    await expect((async () => { for (;;) await algo.update(); })()).rejects.toThrow('A3C workers sent nothing for 1 s (hung?)');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    await algo.dispose();
    await waitDead([pid]);
    expect(isAlive(pid)).toBe(false);
  }, 60_000);

  it('saveState/loadState: global θ, optimizer, normalizer and counters round-trip; training resumes', async () => {
    const a = ctxFor('InvertedPendulum', { numWorkers: 2, numSteps: 10, updatesPerReport: 5 }, 1);
    const algoA = (await a3c.create(a.ctx)) as A3c;
    for (let i = 0; i < 3; i++) await algoA.update();
    const state = await algoA.saveState();
    const b = ctxFor('InvertedPendulum', { numWorkers: 2, numSteps: 10, updatesPerReport: 5 }, 7);
    const algoB = (await a3c.create(b.ctx)) as A3c;
    await algoB.update(); // B's workers now hold gradients of B's own θ, which must be dropped
    await algoB.loadState(state);
    expect(algoB.steps).toBe(algoA.steps);
    const again = await algoB.saveState();
    for (const k of Object.keys(state.tensors)) {
      if (k.startsWith('pool/') || k === 'normObs' || k === 'frameObs' || k === 'rng' || k === 'evalRng') continue;
      expect(Array.from(again.tensors[k]), k).toEqual(Array.from(state.tensors[k]));
    }
    expect(again.json['optStep']).toBe(state.json['optStep']);
    const obs = Float32Array.of(0.05, -0.1, 0.2, -0.3);
    expect(Array.from(algoB.act(obs, true))).toEqual(Array.from(algoA.act(obs, true)));
    expect(Array.from(algoB.policyAt(obs).std)).toEqual(Array.from(algoA.policyAt(obs).std));
    const stepsLoaded = algoB.steps, appliedLoaded = algoB.applied;
    await algoB.update();
    expect(algoB.steps).toBeGreaterThanOrEqual(stepsLoaded + 2 * 10 * 5);
    expect(algoB.applied).toBeGreaterThan(appliedLoaded);
    const { opt: _opt, ...withoutOpt } = state.tensors;
    await expect(algoB.loadState({ tensors: withoutOpt, json: state.json })).rejects.toThrow(/lacks "opt"/);
    const pids = [...algoA.workerPids, ...algoB.workerPids];
    await algoA.dispose();
    await algoB.dispose();
    await waitDead(pids);
    expect(pids.filter(isAlive)).toEqual([]);
  }, 120_000);

  it('categorical policy with a shared trunk (InvertedPendulumDiscrete) and a module env source (toy cart-pole) run', async () => {
    const d = ctxFor('InvertedPendulumDiscrete', { numWorkers: 1, numSteps: 5, updatesPerReport: 4, entCoef: 0.01, shared: true });
    const algoD = (await a3c.create(d.ctx)) as A3c;
    const names = Object.keys((await algoD.saveState()).tensors).filter((k) => k.startsWith('net/'));
    expect(names.some((k) => k.startsWith('net/trunk')) && !names.some((k) => k.startsWith('net/vf'))).toBe(true);
    const s = await algoD.update();
    expect(s.entropy).toBeGreaterThan(0.6); // ≈ log 2 for a fresh policy
    expect(s.entropy).toBeLessThanOrEqual(Math.log(2) + 1e-6);
    const probs = algoD.policyAt(Float32Array.of(0, 0, 0, 0)).mu;
    expect(probs[0] + probs[1]).toBeCloseTo(1, 5);
    const toy = new ToyCartPole(200);
    const episodes: number[] = [];
    const ctx: A3cContext = {
      spec: toy.spec, makeEnv: () => new ToyCartPole(200), config: { numWorkers: 2, numSteps: 8, updatesPerReport: 4 }, seed: 3, totalSteps: 10_000, backend: 'cpu',
      onEpisode: (ep) => episodes.push(ep.return),
      envSource: { kind: 'module', path: TOY_PATH, exportName: 'ToyCartPole', args: [200] },
    };
    const algoT = (await a3c.create(ctx)) as A3c;
    while (algoT.steps < 3000) await algoT.update();
    expect(episodes.length).toBeGreaterThan(0);
    const pids = [...algoD.workerPids, ...algoT.workerPids];
    await algoD.dispose();
    await algoT.dispose();
    toy.dispose();
    await waitDead(pids);
    expect(pids.filter(isAlive)).toEqual([]);
  }, 120_000);

  it('a worker that cannot build its env fails create() with the worker\'s message and leaves no process', async () => {
    const toy = new ToyCartPole(200);
    const ctx: A3cContext = {
      spec: toy.spec, makeEnv: () => new ToyCartPole(200), config: { numWorkers: 2 }, seed: 1, totalSteps: 1000, backend: 'cpu',
      onEpisode: () => {},
      envSource: { kind: 'module', path: TOY_PATH, exportName: 'NoSuchEnv' },
    };
    await expect(a3c.create(ctx)).rejects.toThrow(/A3C worker \d: .*has no function export "NoSuchEnv"/);
    toy.dispose();
    // A custom task without an env source cannot reach the workers.
    const custom: A3cContext = { ...ctx, spec: { ...toy.spec, name: 'custom' }, envSource: undefined };
    await expect(a3c.create(custom)).rejects.toThrow(/custom MJCF task needs ctx.envSource/);
    expect(() => resolveConfig(A3C_SCHEMA, { numWorkers: 0 }, 'a3c')).toThrow(/numWorkers: must be ≥ 1/);
  }, 60_000);
});
