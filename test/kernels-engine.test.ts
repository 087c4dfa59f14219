// The kernel engine against the TF.js formulation (whose gradients are themselves checked against
// finite differences in rl-nets/rl-distributions tests), for every policy layout the lab offers —
// Gaussian with a free log σ or a log-σ head (clamped, rows outside the clamp included), categorical;
// separate or shared trunk; V, Q or no critic — and every algorithm's loss: the same loss and
// statistics, gradients within 2e-4 relative, the same optimizer updates (Adam, RMSProp, clipping,
// optimizers over part of the net), across shapes that exercise the SIMD tails. Then A3C's flat
// worker gradient and global step, whole updates, gradKernel 'fused' against 'tf', and acting
// against the plain-JS actor.
import * as tf from '@tensorflow/tfjs';
import { execFileSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { a2cLoss, a2cLossGrad } from '../src/core/algos/a2c.js';
import { A3C_SCHEMA } from '../src/core/algos/a3c.js';
import { A3cWorker } from '../src/core/algos/a3c-worker.js';
import { ALGOS } from '../src/core/algos/index.js';
import { ppoBatch, ppoLoss, ppoLossGrad } from '../src/core/algos/ppo.js';
import { qacLossGrad } from '../src/core/algos/qac.js';
import { criticLoss, criticLossGrad, reinforceLoss, reinforceLossGrad } from '../src/core/algos/reinforce.js';
import { resolveConfig } from '../src/core/config/schema.js';
import { BOTH } from '../src/core/kernels/kernel-net.js';
import { KernelNet } from '../src/core/kernels/kernel-net.js';
import { PolicyHead } from '../src/core/kernels/policy-head.js';
import { ACTIVATION_CODE, WasmArena } from '../src/core/kernels/wasm-mlp.js';
import { selectBackend } from '../src/core/rl/backend.js';
import { gaussianLogProbTf } from '../src/core/rl/distributions.js';
import { ActorCritic, JsActor, type NetConfig } from '../src/core/rl/networks.js';
import { Optimizer } from '../src/core/rl/optim.js';
import { RolloutBuffer, type KernelCore } from '../src/core/rl/policy-core.js';
import { Rng } from '../src/core/rl/rng.js';
import { makeCtx, ToyCartPole } from './algos-toy-envs.js';

beforeAll(async () => { await selectBackend('cpu'); });

interface Layout { name: string; discrete: boolean; sigma: NetConfig['sigma']; shared: boolean }
const LAYOUTS: Layout[] = [
  { name: 'Gaussian, free log σ, separate', discrete: false, sigma: 'state-independent', shared: false },
  { name: 'Gaussian, free log σ, shared trunk', discrete: false, sigma: 'state-independent', shared: true },
  { name: 'Gaussian, σ_φ(s), separate', discrete: false, sigma: 'state-dependent', shared: false },
  { name: 'Gaussian, σ_φ(s), shared trunk', discrete: false, sigma: 'state-dependent', shared: true },
  { name: 'categorical, separate', discrete: true, sigma: 'state-independent', shared: false },
  { name: 'categorical, shared trunk', discrete: true, sigma: 'state-independent', shared: true },
];
interface Shape { obsDim: number; actDim: number; hidden: number[]; activation: 'tanh' | 'relu' | 'elu'; rows: number }
const SHAPES: Shape[] = [
  { obsDim: 17, actDim: 6, hidden: [64, 64], activation: 'tanh', rows: 64 },
  { obsDim: 5, actDim: 3, hidden: [7, 9], activation: 'relu', rows: 13 },
  { obsDim: 11, actDim: 2, hidden: [16], activation: 'elu', rows: 6 },
  // More rows than the kernels' block of 128: the sums over rows are carried across blocks.
  { obsDim: 9, actDim: 5, hidden: [13, 10], activation: 'tanh', rows: 301 },
];

function netConfig(l: Layout, s: Shape, critic: NetConfig['critic'] = 'v'): NetConfig {
  return { obsDim: s.obsDim, actDim: s.actDim, discrete: l.discrete, hidden: s.hidden, activation: s.activation, shared: l.shared && critic === 'v', sigma: l.sigma, critic, orthoInit: true, logStdInit: -0.3 };
}

/** A net with non-trivial heads; a log-σ head whose outputs leave the clamp [−5, 2] on some rows. */
function makeNet(cfg: NetConfig): ActorCritic {
  const net = new ActorCritic(cfg, new Rng(7));
  const w = net.getWeights();
  for (const [n, a] of Object.entries(w)) {
    if (n.startsWith('mean') || n.startsWith('value') || n.startsWith('qout')) for (let i = 0; i < a.length; i++) a[i] += 0.2 * Math.sin(i + 1);
    if (n === 'logstd.w') for (let i = 0; i < a.length; i++) a[i] = 0.5 * Math.sin(3 * i + 1);
    if (n === 'logstd.b') for (let i = 0; i < a.length; i++) a[i] = [-2, 1.6, -0.5][i % 3];
  }
  net.setWeights(w);
  return net;
}

function kernelCore(net: ActorCritic, rows: number): KernelCore {
  const engine = new KernelNet(net, rows);
  return { engine, head: new PolicyHead(engine) };
}

/**
 * Random observations and actions drawn from the net's own policy there (pre-squash u = μ + σ·ε,
 * or indices), as a rollout holds them, for `rows` rows.
 */
function batch(cfg: NetConfig, rows: number, rng: Rng, net: ActorCritic): { obs: Float32Array; act: Float32Array; actWidth: number } {
  const actWidth = cfg.discrete ? 1 : cfg.actDim, d = cfg.actDim;
  const obs = Float32Array.from({ length: rows * cfg.obsDim }, () => rng.normal());
  const js = new JsActor({ ...net.actorSnapshot(), actDim: d }, rows);
  js.forward(obs, rows);
  const act = new Float32Array(rows * actWidth);
  for (let r = 0; r < rows; r++)
    if (cfg.discrete) act[r] = Math.floor(rng.uniform() * d);
    else for (let j = 0; j < d; j++) act[r * d + j] = js.mu[r * d + j] + Math.exp(js.logStd[r * d + j]) * rng.normal();
  return { obs, act, actWidth };
}

function closeTo(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string): void {
  let scale = 1e-6;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  expect(a.length, what).toBe(b.length);
  for (let i = 0; i < b.length; i++)
    if (!(Math.abs(a[i] - b[i]) <= tol * scale)) throw new Error(`${what}[${i}]: kernel ${a[i]} vs tf ${b[i]} (scale ${scale})`);
}

/** Every variable's gradient: the engine's against TF.js's (a variable TF.js does not reach must be 0 or untouched). */
function sameGrads(k: KernelCore, net: ActorCritic, grads: tf.NamedTensorMap, vars: readonly tf.Variable[], what: string): void {
  for (const { name, v } of net.named) {
    if (!vars.includes(v)) continue;
    const g = grads[v.name];
    if (!g) throw new Error(`${what}: TF.js has no gradient for ${name}`);
    closeTo(k.engine.gradOf(v), g.dataSync(), 2e-4, `${what}: grad ${name}`);
  }
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
  it('ships a kernel binary built from assembly/mlp.ts', () => {
    const out = execFileSync(process.execPath, ['scripts/build-kernels.mjs', '--check'], { encoding: 'utf8' });
    expect(out).toMatch(/up to date/);
  });
});

describe('kernel engine: forward and acting', () => {
  for (const l of LAYOUTS)
    it(`μ / logits and clamped log σ equal the JS actor's, V equals TF.js's (${l.name})`, () => {
      const s = SHAPES[1], cfg = netConfig(l, s), net = makeNet(cfg), k = kernelCore(net, s.rows);
      const { obs } = batch(cfg, s.rows, new Rng(2), net);
      const js = new JsActor({ ...net.actorSnapshot(), actDim: cfg.actDim }, s.rows);
      js.forward(obs, s.rows);
      k.engine.load(obs, s.rows);
      k.engine.forward(s.rows, BOTH);
      closeTo(k.engine.mu.subarray(0, s.rows * cfg.actDim), js.mu, 1e-5, 'μ');
      if (l.sigma === 'state-dependent' && !l.discrete) {
        const raw = k.engine.logStdRaw.subarray(0, s.rows * cfg.actDim);
        const clamped = raw.map((x) => Math.min(2, Math.max(-5, x)));
        closeTo(clamped, js.logStd, 1e-5, 'log σ');
        expect(Array.from(raw).some((x) => x < -5 || x > 2), 'some rows leave the clamp').toBe(true);
      }
      const v = tf.tidy(() => net.value(tf.tensor2d(obs, [s.rows, cfg.obsDim])));
      closeTo(k.engine.values.subarray(0, s.rows), v.dataSync(), 1e-5, 'V');
      v.dispose();
      net.dispose();
    });
});

describe('kernel engine: every loss gives TF.js\'s loss and gradients', () => {
  for (const l of LAYOUTS)
    for (const s of SHAPES) {
      const tag = `${l.name}; ${s.obsDim}→${s.hidden.join('→')}→${s.actDim} ${s.activation}, ${s.rows} rows`;

      it(`PPO (${tag})`, () => {
        const cfg = netConfig(l, s), net = makeNet(cfg), k = kernelCore(net, s.rows), rng = new Rng(3);
        const { obs, act, actWidth } = batch(cfg, s.rows, rng, net);
        const W = cfg.obsDim + actWidth + 4, B = s.rows;
        // Old log-probs near the current ones, so ratios straddle 1 ± ε and both branches are taken.
        k.engine.load(obs, B);
        k.engine.forward(B, BOTH);
        const data = new Float32Array(B * W);
        for (let r = 0; r < B; r++) {
          data.set(obs.subarray(r * cfg.obsDim, (r + 1) * cfg.obsDim), r * W);
          data.set(act.subarray(r * actWidth, (r + 1) * actWidth), r * W + cfg.obsDim);
          const o = r * W + cfg.obsDim + actWidth;
          data[o] = k.head.logProb(r, act, r * actWidth) + 0.3 * rng.normal();
          data[o + 1] = rng.normal() * 2 + 0.5;
          data[o + 2] = rng.normal();
          data[o + 3] = rng.normal() * 0.3;
        }
        const idx = Int32Array.from({ length: B }, (_, i) => (i * 5 + 2) % B);
        const c = { clipCoef: 0.2, clipVloss: s.rows !== 13, normAdv: s.rows !== 6, entCoef: 0.01, vfCoef: 0.5 };
        const rows = tf.tensor2d(Float32Array.from(Array.from(idx).flatMap((i) => Array.from(data.subarray(i * W, i * W + W)))), [B, W]);
        const b = ppoBatch(rows, cfg.obsDim, actWidth, c.normAdv);
        const held: { logratio?: tf.Tensor1D; parts?: tf.Tensor1D } = {};
        const { value, grads } = tf.variableGrads(() => ppoLoss(net, b, c, held), net.variables);
        const parts = held.parts!.dataSync(), lr = held.logratio!.dataSync();
        const kl = Array.from(lr).reduce((t, x) => t + Math.exp(x) - 1 - x, 0) / B;
        const cf = Array.from(lr).filter((x) => Math.abs(Math.exp(x) - 1) > 0.2).length / B;
        const stats = new Float64Array(5);
        ppoLossGrad(k, data, idx, cfg.obsDim, actWidth, c, stats);
        closeTo([stats[0] - c.entCoef * stats[2] + 0.5 * stats[1]], value.dataSync(), 1e-4, 'loss');
        closeTo(stats, [parts[0], parts[1], parts[2], kl, cf], 1e-4, 'stats');
        expect(cf).toBeGreaterThan(0);
        expect(cf).toBeLessThan(1);
        sameGrads(k, net, grads, net.variables, 'ppo');
        tf.dispose([rows, value, held.logratio!, held.parts!, ...Object.values(grads), ...Object.values(b)]);
        net.dispose();
      });

      it(`A2C (${tag})`, () => {
        const cfg = netConfig(l, s), net = makeNet(cfg), k = kernelCore(net, s.rows), rng = new Rng(4);
        const { obs, act, actWidth } = batch(cfg, s.rows, rng, net);
        const buf = new RolloutBuffer(s.rows, 1, cfg.obsDim, actWidth);
        buf.obs.set(obs);
        buf.actions.set(act);
        const adv = Float32Array.from({ length: s.rows }, () => rng.normal());
        const ret = Float32Array.from({ length: s.rows }, () => rng.normal());
        const c = { entCoef: 0.02, vfCoef: 0.7 };
        let kept: tf.Tensor | undefined;
        const { value, grads } = tf.variableGrads(() => a2cLoss(net, buf, adv, ret, c, (t) => { kept = tf.keep(t); }), net.variables);
        const stats = new Float64Array(3);
        a2cLossGrad(k, buf, adv, ret, c, stats);
        closeTo(stats, kept!.dataSync(), 1e-4, 'stats');
        closeTo([stats[0] - c.entCoef * stats[2] + c.vfCoef * stats[1]], value.dataSync(), 1e-4, 'loss');
        sameGrads(k, net, grads, net.variables, 'a2c');
        tf.dispose([value, kept!, ...Object.values(grads)]);
        net.dispose();
      });

      if (l.shared) continue; // REINFORCE and QAC keep actor and critic apart
      for (const critic of ['v', 'q'] as const) {
        if (critic === 'q' && l.discrete) continue;
        it(`REINFORCE policy step and ${critic.toUpperCase()} critic regression (${tag})`, () => {
          const cfg = netConfig(l, s, critic), net = makeNet(cfg), k = kernelCore(net, s.rows), rng = new Rng(5);
          const { obs, act, actWidth } = batch(cfg, s.rows, rng, net);
          const phi = Float32Array.from({ length: s.rows }, () => rng.normal() * 3);
          const target = Float32Array.from({ length: s.rows }, () => rng.normal());
          const obsT = tf.tensor2d(obs, [s.rows, cfg.obsDim]), actT = tf.tensor2d(act, [s.rows, actWidth]);
          let kept: tf.Tensor | undefined;
          const pol = tf.variableGrads(() => reinforceLoss(net, obsT, actT, tf.tensor1d(phi), 3, 0.05, (t) => { kept = tf.keep(t); }), net.actorVars);
          k.engine.load(obs, s.rows, critic === 'q' ? act : undefined);
          const stats = new Float64Array(2);
          reinforceLossGrad(k, act, phi, s.rows, 3, 0.05, stats);
          closeTo(stats, kept!.dataSync(), 1e-4, 'policy stats');
          sameGrads(k, net, pol.grads, net.actorVars, 'reinforce policy');
          let keptV: tf.Tensor | undefined;
          const cr = tf.variableGrads(() => criticLoss(net, obsT, actT, tf.tensor1d(target), critic, (t) => { keptV = tf.keep(t); }), net.criticVars);
          const vl = criticLossGrad(k, target, s.rows);
          closeTo([vl], keptV!.dataSync(), 1e-4, 'critic loss');
          sameGrads(k, net, cr.grads, net.criticVars, 'critic');
          tf.dispose([obsT, actT, pol.value, cr.value, kept!, keptV!, ...Object.values(pol.grads), ...Object.values(cr.grads)]);
          net.dispose();
        });
      }
      if (!l.discrete)
        it(`QAC (${tag})`, () => {
          const cfg = netConfig(l, s, 'q'), net = makeNet(cfg), k = kernelCore(net, s.rows), rng = new Rng(6), N = s.rows;
          const { obs, act } = batch(cfg, N, rng, net), next = batch(cfg, N, rng, net);
          const r = Float32Array.from({ length: N }, () => rng.normal());
          const notTerm = Float32Array.from({ length: N }, (_, i) => (i % 4 === 3 ? 0 : 1));
          const A = cfg.actDim;
          // As Qac.stepTf: Q_w(s,a) and the target y are constants, computed before the tape.
          const sT = tf.tensor2d(obs, [N, cfg.obsDim]), aT = tf.tensor2d(act, [N, A]);
          const qSa = net.q(sT, aT), qNext = net.q(tf.tensor2d(next.obs, [N, cfg.obsDim]), tf.tensor2d(next.act, [N, A]));
          const y = tf.add(tf.tensor1d(r), tf.mul(tf.mul(0.9, tf.tensor1d(notTerm)), qNext));
          const { grads, value } = tf.variableGrads(() => {
            const { out, logStd } = net.forward(sT, false);
            const piLoss = tf.neg(tf.mean(tf.mul(qSa, gaussianLogProbTf(aT, out, logStd as tf.Tensor))));
            return tf.add(piLoss, tf.mul(0.5, tf.mean(tf.square(tf.sub(y, net.q(sT, aT)))))) as tf.Scalar;
          });
          const stats = new Float64Array(3);
          qacLossGrad(k, obs, act, next.obs, next.act, r, notTerm, 0.9, new Float32Array(N), stats);
          const q = Array.from(qSa.dataSync()), yv = y.dataSync();
          closeTo([stats[0], stats[1]], [-q.reduce((t, x) => t + x, 0) / N, q.reduce((t, x, i) => t + (yv[i] - x) ** 2, 0) / N], 1e-4, 'stats');
          sameGrads(k, net, grads, net.variables, 'qac');
          tf.dispose([value, sT, aT, qSa, qNext, y, ...Object.values(grads)]);
          net.dispose();
        });
    }
});

describe('kernel engine: optimizer steps', () => {
  it('Adam and RMSProp with clipping, over the whole net or a part of it, match Optimizer.applyClipped; push/pull round-trip', () => {
    for (const kind of ['adam', 'rmsprop'] as const)
      for (const l of [LAYOUTS[0], LAYOUTS[3], LAYOUTS[5]])
        for (const part of ['all', 'actor', 'critic'] as const) {
          const s = SHAPES[1], cfg = netConfig(l, s);
          const A = makeNet(cfg), B = makeNet(cfg), w0 = A.getWeights();
          const vars = (n: ActorCritic) => (part === 'all' ? n.variables : part === 'actor' ? n.actorVars : n.criticVars);
          const oa = new Optimizer(vars(A), { kind, eps: 1e-5 }), ob = new Optimizer(vars(B), { kind, eps: 1e-5 });
          const k = new KernelNet(A, 4);
          const rng = new Rng(9);
          for (let step = 0; step < 3; step++) {
            const g = vars(B).map((v) => Float32Array.from({ length: v.size }, () => rng.normal() * (step + 1)));
            for (let i = 0; i < g.length; i++) k.gradOf(vars(A)[i]).set(g[i]);
            const maxNorm = step === 1 ? 0 : 0.5;
            const n1 = k.applyGradients(oa, 1e-2, maxNorm);
            const gt = g.map((x, i) => tf.tensor(x, vars(B)[i].shape));
            const n2 = ob.applyClipped(gt, 1e-2, maxNorm);
            expect(n1).toBeCloseTo(n2.dataSync()[0], 3);
            tf.dispose([...gt, n2]);
          }
          k.pushParams();
          k.pushOptimizer(oa);
          expect(oa.step).toBe(3);
          const wa = A.getWeights(), wb = B.getWeights();
          let moved = 0;
          for (const name of Object.keys(wb))
            for (let i = 0; i < wb[name].length; i++) {
              moved = Math.max(moved, Math.abs(wb[name][i] - w0[name][i]));
              expect(Math.abs(wa[name][i] - wb[name][i]), `${kind} ${part} ${name}`).toBeLessThan(2e-5);
            }
          expect(moved).toBeGreaterThan(1e-2);
          closeTo(oa.getState().slots, ob.getState().slots, 1e-4, `${kind} ${part} moments`);
          // pull after push gives the same arena; a fresh engine pulls the pushed state.
          const k2 = new KernelNet(A, 4);
          k2.pullOptimizer(oa);
          const fa = new Float32Array(k.paramCount), fb = new Float32Array(k.paramCount);
          k.readParams(fa);
          k2.readParams(fb);
          expect(Array.from(fb)).toEqual(Array.from(fa));
          A.dispose();
          B.dispose();
          oa.dispose();
          ob.dispose();
        }
  });

  it('refuses an optimizer whose variables are not a run of the net\'s', () => {
    const net = makeNet(netConfig(LAYOUTS[0], SHAPES[1]));
    const k = new KernelNet(net, 4);
    const opt = new Optimizer([net.variables[0], net.variables[2]], { kind: 'adam' });
    expect(() => k.applyGradients(opt, 1e-3, 0)).toThrow(/run of the net's variables/);
    net.dispose();
    opt.dispose();
  });
});

describe('kernel engine: A3C\'s flat worker gradient and global step match TF.js\'s', () => {
  const cases: { name: string; config: Record<string, unknown>; discrete?: boolean }[] = [
    { name: 'Gaussian, free log σ, separate, RMSProp', config: { hidden: [16, 8], entCoef: 0.01 } },
    { name: 'Gaussian, σ_φ(s), shared trunk, Adam', config: { hidden: [16, 8], shared: true, sigma: 'state-dependent', optimizer: 'adam' } },
    { name: 'categorical, shared trunk, RMSProp', config: { hidden: [16], shared: true, entCoef: 0.01 }, discrete: true },
  ];
  for (const k of cases)
    it(k.name, () => {
      const spec = new ToyCartPole(30, k.discrete).spec;
      const make = (gradKernel: string) => {
        const config = resolveConfig(A3C_SCHEMA, { numSteps: 32, numEnvsPerWorker: 2, vfCoef: 0.7, maxGradNorm: 0.5, ...k.config, gradKernel });
        const w = new A3cWorker({ seed: 5, spec, config, backend: 'cpu' }, () => new ToyCartPole(30, k.discrete));
        // The parent's one optimizer, as A3c builds it, over the net this worker's core holds.
        const opt = new Optimizer(w.core.net.variables, { kind: config.optimizer, eps: config.optimEps, alpha: 0.99 });
        return { config, w, opt };
      };
      const ker = make('fused'), ref = make('tf');
      expect(ker.w.core.engine).toBeDefined();
      expect(ref.w.core.engine).toBeUndefined();
      const n = ker.w.numParams, theta = new Float32Array(n), thetaRef = new Float32Array(n), theta0 = new Float32Array(n);
      ker.w.core.readParams(theta0);
      ref.w.core.readParams(thetaRef);
      expect(Array.from(thetaRef)).toEqual(Array.from(theta0));
      for (let round = 0; round < 3; round++) {
        // The engine's worker rolls out and takes its gradient; TF.js's takes the gradient of the same rollout.
        const msg = ker.w.step(round, ker.config);
        ref.w.buf.obs.set(ker.w.buf.obs);
        ref.w.buf.actions.set(ker.w.buf.actions);
        ref.w.adv.set(ker.w.adv);
        ref.w.ret.set(ker.w.ret);
        ref.w.lossGrad(ref.config);
        closeTo(msg.grads, ref.w.grads, 2e-4, `round ${round}: flat gradient`);
        closeTo(msg.stats.subarray(0, 3), ref.w.stats.subarray(0, 3), 1e-4, `round ${round}: [policy, value, entropy]`);
        // The global step (PolicyCore.applyFlatGradient): the engine (writeGrads, applyGradients)
        // and TF.js (applyFlatGradient) apply the same flat gradient, clipped, with one optimizer.
        const g = Float32Array.from(ref.w.grads), lr = 1e-2;
        const gnK = ker.w.core.applyFlatGradient(ker.opt, g, lr, ker.config.maxGradNorm);
        const gnT = ref.w.core.applyFlatGradient(ref.opt, g, lr, ref.config.maxGradNorm);
        expect(Math.abs(gnK - gnT), `round ${round}: grad norm ${gnK} vs ${gnT}`).toBeLessThan(1e-5 * Math.max(1, gnT));
        ker.w.core.readParams(theta);
        ref.w.core.readParams(thetaRef);
        for (let i = 0; i < n; i++) expect(Math.abs(theta[i] - thetaRef[i]), `round ${round}: θ[${i}]`).toBeLessThan(2e-5);
        // The global θ goes back to the workers (the engine's, so the next gradients compare at one θ).
        ref.w.setParams(theta, null);
      }
      let moved = 0;
      for (let i = 0; i < n; i++) moved = Math.max(moved, Math.abs(theta[i] - theta0[i]));
      expect(moved).toBeGreaterThan(1e-2);
      ker.w.core.engine?.pushOptimizer(ker.opt);
      expect(ker.opt.step).toBe(3);
      closeTo(ker.opt.getState().slots, ref.opt.getState().slots, 1e-4, 'optimizer moments');
      for (const x of [ker, ref]) {
        x.opt.dispose();
        x.w.dispose();
      }
    });
});

describe('kernel engine: whole updates match the TF.js-op updates (gradKernel fused vs tf)', () => {
  const cases: { algo: 'ppo' | 'a2c' | 'reinforce' | 'qac'; config: Record<string, unknown>; discrete?: boolean }[] = [
    { algo: 'ppo', config: { numSteps: 64, numEnvs: 2, numMinibatches: 4, updateEpochs: 3, hidden: [16, 8], entCoef: 0.01 } },
    { algo: 'ppo', config: { numSteps: 64, numEnvs: 2, numMinibatches: 4, updateEpochs: 2, hidden: [16, 8], shared: true, sigma: 'state-dependent' } },
    { algo: 'ppo', config: { numSteps: 64, numEnvs: 2, numMinibatches: 4, updateEpochs: 2, hidden: [16, 8], entCoef: 0.01 }, discrete: true },
    { algo: 'a2c', config: { hidden: [16, 8], entCoef: 0.01 } },
    { algo: 'a2c', config: { hidden: [16, 8], shared: true, optimizer: 'adam', squash: 'tanh', sigma: 'state-dependent' } },
    { algo: 'reinforce', config: { phi: 'baseline', batchSteps: 200, hidden: [16, 8], maxGradNorm: 1 } },
    { algo: 'reinforce', config: { phi: 'q', batchSteps: 200, hidden: [16, 8], vfIters: 3 } },
    { algo: 'reinforce', config: { phi: 'gae', batchSteps: 200, hidden: [16], entCoef: 0.01 }, discrete: true },
    { algo: 'qac', config: { stepsPerUpdate: 20, hidden: [16, 8] } },
  ];
  for (const k of cases)
    it(`${k.algo} ${JSON.stringify(k.config)}${k.discrete ? ' categorical' : ''}`, async () => {
      const make = (gradKernel: string) => ALGOS[k.algo].create(makeCtx({ makeEnv: () => new ToyCartPole(200, k.discrete), config: { ...k.config, gradKernel }, seed: 5, totalSteps: 10_000 }));
      const ker = await make('fused'), ref = await make('tf');
      expect(ker.gradientStep).toMatch(/kernel/);
      expect(ref.gradientStep).toBeUndefined();
      for (let u = 0; u < 3; u++) {
        const a = await ker.update(), b = await ref.update();
        for (const key of ['policyLoss', 'valueLoss', 'entropy', 'approxKl', 'gradNorm'] as const) {
          if (Number.isNaN(b[key])) {
            expect(a[key], `update ${u} ${key}`).toBeNaN();
            continue;
          }
          expect(Math.abs(a[key] - b[key]), `update ${u} ${key}: ${a[key]} vs ${b[key]}`).toBeLessThan(2e-3 * Math.max(1, Math.abs(b[key])));
        }
      }
      const sa = ker.snapshot(), sb = ref.snapshot();
      // The engine's snapshot (read from the arena) is what the tf variables hold once written.
      const saved = await ker.saveState();
      expect(Array.from(sa.meanHead[0].w)).toEqual(Array.from(saved.tensors['net/mean.w']));
      expect(Array.from(sa.trunk[0].b)).toEqual(Array.from(saved.tensors[`net/${(ker as unknown as { core: { net: ActorCritic } }).core.net.actorTrunk[0].name}.b`]));
      closeTo(sa.meanHead[0].w, sb.meanHead[0].w, 2e-3, 'mean head');
      const obs = Float32Array.of(0.01, -0.02, 0.03, 0.01);
      closeTo(ker.policyAt(obs).mu, ref.policyAt(obs).mu, 1e-3, 'policy at a state');
      await ker.dispose();
      await ref.dispose();
    });
});
