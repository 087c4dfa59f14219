// The fused WASM-SIMD PPO step against the TF.js formulation (whose gradients are themselves
// checked against finite differences in rl-nets/rl-distributions tests): same loss, same
// gradients, same optimizer update, across shapes that exercise the SIMD tails.
import * as tf from '@tensorflow/tfjs';
import { execFileSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { ppoBatch, ppoFusedGradStep, ppoFusedLossGrad, ppoGradStep, ppoLoss } from '../src/core/algos/ppo.js';
import { FusedActorCritic, fusedUnsupportedReason } from '../src/core/kernels/fused-actor-critic.js';
import { ACTIVATION_CODE, WasmArena } from '../src/core/kernels/wasm-mlp.js';
import { ALGOS } from '../src/core/algos/index.js';
import { selectBackend } from '../src/core/rl/backend.js';
import { ActorCritic, type NetConfig } from '../src/core/rl/networks.js';
import { Optimizer } from '../src/core/rl/optim.js';
import { Rng } from '../src/core/rl/rng.js';
import { makeCtx, ToyCartPole } from './algos-toy-envs.js';

beforeAll(async () => { await selectBackend('cpu'); });

interface Case {
  obsDim: number; actDim: number; hidden: number[]; activation: 'tanh' | 'relu' | 'elu'; mb: number;
  clipVloss: boolean; normAdv: boolean; entCoef: number; maxGradNorm: number; optimizer: 'adam' | 'rmsprop';
}

const CASES: Case[] = [
  { obsDim: 17, actDim: 6, hidden: [64, 64], activation: 'tanh', mb: 64, clipVloss: true, normAdv: true, entCoef: 0, maxGradNorm: 0.5, optimizer: 'adam' },
  { obsDim: 5, actDim: 3, hidden: [7, 9], activation: 'relu', mb: 13, clipVloss: false, normAdv: false, entCoef: 0.01, maxGradNorm: 0, optimizer: 'adam' },
  { obsDim: 11, actDim: 1, hidden: [16], activation: 'elu', mb: 6, clipVloss: true, normAdv: true, entCoef: 0.05, maxGradNorm: 100, optimizer: 'rmsprop' },
  { obsDim: 8, actDim: 4, hidden: [12, 5, 8], activation: 'tanh', mb: 31, clipVloss: true, normAdv: false, entCoef: 0, maxGradNorm: 0.1, optimizer: 'adam' },
];

function netConfig(k: Case): NetConfig {
  return { obsDim: k.obsDim, actDim: k.actDim, discrete: false, hidden: k.hidden, activation: k.activation, shared: false, sigma: 'state-independent', critic: 'v', orthoInit: true, logStdInit: -0.3 };
}

/** Packed rows [obs | u | old logp | adv | return | old value] whose ratios straddle 1 ± ε. */
function packedData(k: Case, B: number, rng: Rng): Float32Array {
  const W = k.obsDim + k.actDim + 4, P = new Float32Array(B * W);
  for (let i = 0; i < B; i++) {
    const o = i * W;
    for (let j = 0; j < k.obsDim; j++) P[o + j] = rng.normal();
    let lp = 0;
    for (let j = 0; j < k.actDim; j++) {
      const u = rng.normal() * Math.exp(-0.3);
      P[o + k.obsDim + j] = u;
      lp += -0.5 * (u / Math.exp(-0.3)) ** 2 + 0.3 - 0.5 * Math.log(2 * Math.PI);
    }
    P[o + k.obsDim + k.actDim] = lp + 0.3 * rng.normal(); // old log-prob: ratios spread around 1
    P[o + k.obsDim + k.actDim + 1] = rng.normal() * 2 + 0.5; // advantage
    P[o + k.obsDim + k.actDim + 2] = rng.normal(); // return
    P[o + k.obsDim + k.actDim + 3] = rng.normal() * 0.3; // old value
  }
  return P;
}

function setup(k: Case) {
  const cfg = netConfig(k);
  const net = new ActorCritic(cfg, new Rng(7));
  // Non-trivial heads, so every branch of the loss is visited.
  net.setWeights(Object.fromEntries(Object.entries(net.getWeights()).map(([n, w]) => [n, w.map((x, i) => (n.startsWith('mean') || n.startsWith('value') ? x + 0.2 * Math.sin(i) : x))])));
  const opt = new Optimizer(net.variables, { kind: k.optimizer, eps: 1e-5 });
  const fused = new FusedActorCritic(net, k.mb);
  return { net, opt, fused };
}

const hp = (k: Case) => ({ clipCoef: 0.2, clipVloss: k.clipVloss, normAdv: k.normAdv, entCoef: k.entCoef, vfCoef: 0.5, maxGradNorm: k.maxGradNorm });

function closeTo(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string) {
  let scale = 1e-6;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  for (let i = 0; i < b.length; i++)
    if (!(Math.abs(a[i] - b[i]) <= tol * scale)) throw new Error(`${what}[${i}]: fused ${a[i]} vs tf ${b[i]} (scale ${scale})`);
}

describe('WASM activation kernels', () => {
  // One input column, W = [1], b = 0: the layer's output is act(z) for each row's z.
  const zs = Float32Array.from({ length: 4001 }, (_, i) => -20 + i * 0.01);
  const extremes = Float32Array.of(-1000, -100, -88.5, 88.5, 100, 1000, 0, -0, 1e-8, -1e-8);
  function run(act: 'tanh' | 'relu' | 'elu', z: Float32Array): Float32Array {
    const a = new WasmArena();
    const w = a.alloc(1), b = a.alloc(1), x = a.alloc(z.length), y = a.alloc(z.length);
    a.f32[w] = 1;
    a.f32.set(z, x);
    a.k.denseForward(a.ptr(x), z.length, 1, a.ptr(w), a.ptr(b), 1, a.ptr(y), ACTIVATION_CODE[act]);
    return a.f32.slice(y, y + z.length);
  }
  it('tanh agrees with Math.tanh to 3e-7 and saturates cleanly', () => {
    const y = run('tanh', zs);
    for (let i = 0; i < zs.length; i++) expect(Math.abs(y[i] - Math.tanh(zs[i])), `z=${zs[i]}`).toBeLessThan(3e-7);
    const e = run('tanh', extremes);
    for (let i = 0; i < extremes.length; i++) expect(Math.abs(e[i] - Math.tanh(extremes[i])), `z=${extremes[i]}`).toBeLessThan(3e-7);
  });
  it('ELU agrees with its closed form (relative 1e-6) and ReLU is exact', () => {
    const y = run('elu', zs), r = run('relu', zs);
    for (let i = 0; i < zs.length; i++) {
      const want = zs[i] > 0 ? zs[i] : Math.expm1(zs[i]);
      expect(Math.abs(y[i] - want), `z=${zs[i]}`).toBeLessThanOrEqual(1e-6 * Math.max(Math.abs(want), 1e-3));
      expect(r[i]).toBe(Math.max(0, zs[i]));
    }
    const e = run('elu', extremes);
    expect(Array.from(e).every(Number.isFinite)).toBe(true);
    expect(e[0]).toBeCloseTo(-1, 6);
  });
});

describe('fused WASM PPO step', () => {
  for (const k of CASES) {
    it(`gives TF.js's loss, stats and gradients (${k.obsDim}→${k.hidden.join('→')}→${k.actDim} ${k.activation}, mb ${k.mb}, clipV ${k.clipVloss}, normAdv ${k.normAdv})`, () => {
      const rng = new Rng(3);
      const B = k.mb, W = k.obsDim + k.actDim + 4;
      const data = packedData(k, B, rng);
      const { net, opt, fused } = setup(k);
      const idx = Int32Array.from({ length: k.mb }, (_, i) => (i * 5 + 2) % B);
      // TF.js: the loss and its gradients on the same rows.
      const rows = tf.tensor2d(Float32Array.from(Array.from(idx).flatMap((i) => Array.from(data.subarray(i * W, i * W + W)))), [k.mb, W]);
      const b = ppoBatch(rows, k.obsDim, k.actDim, k.normAdv);
      const held: { logratio?: tf.Tensor1D; parts?: tf.Tensor1D } = {};
      const { value, grads } = tf.variableGrads(() => ppoLoss(net, b, hp(k), held), net.variables);
      const parts = held.parts!.dataSync();
      const lr = held.logratio!.dataSync();
      const kl = Array.from(lr).reduce((s, x) => s + Math.exp(x) - 1 - x, 0) / k.mb;
      const cf = Array.from(lr).filter((x) => Math.abs(Math.exp(x) - 1) > 0.2).length / k.mb;
      // Fused.
      fused.pull(opt);
      const stats = new Float64Array(5);
      ppoFusedLossGrad(fused, data, idx, k.obsDim, k.actDim, hp(k), stats);
      const total = stats[0] - k.entCoef * stats[2] + 0.5 * stats[1];
      expect(total).toBeCloseTo(value.dataSync()[0], 4);
      closeTo(stats, [parts[0], parts[1], parts[2], kl, cf], 1e-4, 'stats');
      expect(cf).toBeGreaterThan(0); // the clipped branch was exercised
      expect(cf).toBeLessThan(1);
      const F = fused.arena.f32;
      let offset = 0;
      for (const { name, v } of net.named) {
        const g = grads[v.name].dataSync();
        const at = fused.grad + offset;
        closeTo(F.subarray(at, at + v.size), g, 2e-4, `grad ${name}`);
        offset += (v.size + 3) & ~3;
      }
      tf.dispose([rows, value, held.logratio!, held.parts!, ...Object.values(grads), ...Object.values(b)]);
      net.dispose();
      opt.dispose();
    });
  }

  it('takes the same optimizer steps as Optimizer.applyClipped, and push/pull round-trips', () => {
    for (const k of CASES) {
      const rng = new Rng(11);
      const B = 3 * k.mb, W = k.obsDim + k.actDim + 4;
      const data = packedData(k, B, rng);
      const A = setup(k), Bn = setup(k);
      A.fused.pull(A.opt);
      const stats = new Float64Array(5);
      const norms: number[] = [];
      // Three fused steps on A.
      for (let s = 0; s < 3; s++) {
        const idx = Int32Array.from({ length: k.mb }, (_, i) => s * k.mb + i);
        norms.push(ppoFusedGradStep(A.fused, A.opt, data, idx, k.obsDim, k.actDim, hp(k), 1e-3, stats));
      }
      A.fused.push(A.opt);
      // Three TF.js steps on B.
      for (let s = 0; s < 3; s++) {
        const mb = tf.tensor2d(data.subarray(s * k.mb * W, (s + 1) * k.mb * W), [k.mb, W]);
        const r = ppoGradStep(Bn.net, Bn.opt, mb, k.obsDim, k.actDim, hp(k), 1e-3);
        expect(norms[s]).toBeCloseTo(r.norm.dataSync()[0], 3);
        tf.dispose([mb, r.stats, r.norm]);
      }
      expect(A.opt.step).toBe(3);
      const wa = A.net.getWeights(), wb = Bn.net.getWeights(), w0 = setup(k).net.getWeights();
      // Parameters moved by up to ~lr per step; the two paths agree far closer than that.
      let moved = 0;
      for (const name of Object.keys(wb))
        for (let i = 0; i < wb[name].length; i++) {
          moved = Math.max(moved, Math.abs(wb[name][i] - w0[name][i]));
          expect(Math.abs(wa[name][i] - wb[name][i]), name).toBeLessThan(2e-4);
        }
      expect(moved).toBeGreaterThan(2e-3);
      const sa = A.opt.getState().slots, sb = Bn.opt.getState().slots;
      closeTo(sa, sb, 1e-3, `${k.optimizer} moments`);
    }
  });

  it('makes PPO updates that match the TF.js-op updates (gradKernel fused vs tf)', async () => {
    const config = { numSteps: 64, numEnvs: 2, numMinibatches: 4, updateEpochs: 3, hidden: [16, 8], entCoef: 0.01 };
    const make = (gradKernel: string) => ALGOS.ppo.create(makeCtx({ makeEnv: () => new ToyCartPole(200), config: { ...config, gradKernel }, seed: 5, totalSteps: 10_000 }));
    const fusedAlgo = await make('fused'), tfAlgo = await make('tf');
    for (let u = 0; u < 3; u++) {
      const a = await fusedAlgo.update(), b = await tfAlgo.update();
      for (const key of ['policyLoss', 'valueLoss', 'entropy', 'approxKl', 'gradNorm'] as const)
        expect(Math.abs(a[key] - b[key]), `update ${u} ${key}`).toBeLessThan(1e-3 * Math.max(1, Math.abs(b[key])));
    }
    const sa = fusedAlgo.snapshot(), sb = tfAlgo.snapshot();
    closeTo(sa.meanHead[0].w, sb.meanHead[0].w, 1e-3, 'mean head');
    closeTo(sa.logStd!, sb.logStd!, 1e-3, 'log σ');
    await fusedAlgo.dispose();
    await tfAlgo.dispose();
  });

  it('names what it cannot fuse', () => {
    const base = netConfig(CASES[0]);
    expect(fusedUnsupportedReason(base)).toBeNull();
    expect(fusedUnsupportedReason({ ...base, discrete: true })).toMatch(/categorical/);
    expect(fusedUnsupportedReason({ ...base, sigma: 'state-dependent' })).toMatch(/state-dependent/);
    expect(fusedUnsupportedReason({ ...base, shared: true })).toMatch(/shared/);
    expect(() => new FusedActorCritic(new ActorCritic({ ...base, shared: true }, new Rng(1)), 8)).toThrow(RangeError);
    const ctx = makeCtx({ makeEnv: () => new ToyCartPole(50, true), config: { gradKernel: 'fused' } });
    return expect(ALGOS.ppo.create(ctx)).rejects.toThrow(/gradKernel "fused" is not available: categorical/);
  });

  it('ships a kernel binary built from assembly/mlp.ts', () => {
    const out = execFileSync(process.execPath, ['scripts/build-kernels.mjs', '--check'], { encoding: 'utf8' });
    expect(out).toMatch(/up to date/);
  });
});
