// Timed gradient steps and acting, each on the nets and sizes of ../shared/refbench's PyTorch
// counterpart (ppo_torch.py), through the code training runs: the algorithms' own loss functions
// on the kernel engine (or, for PPO, also the TF.js-op step), the engine's optimizer, PolicyCore's
// acting. Used by bench/train.ts.
import * as tf from '@tensorflow/tfjs';
import { a2cLossGrad } from '../src/core/algos/a2c.js';
import { coreOptions } from '../src/core/algos/common.js';
import { PPO_SCHEMA, ppoGradStep, ppoLossGrad } from '../src/core/algos/ppo.js';
import { criticLossGrad, reinforceLossGrad } from '../src/core/algos/reinforce.js';
import { defaults } from '../src/core/config/schema.js';
import { getMujoco } from '../src/core/envs/mujoco.js';
import { makeEnvSync } from '../src/core/envs/registry.js';
import { KernelNet } from '../src/core/kernels/kernel-net.js';
import { PolicyHead } from '../src/core/kernels/policy-head.js';
import { selectBackend } from '../src/core/rl/backend.js';
import { ActorCritic, type NetConfig } from '../src/core/rl/networks.js';
import { Optimizer } from '../src/core/rl/optim.js';
import { PolicyCore, RolloutBuffer, type KernelCore } from '../src/core/rl/policy-core.js';
import { Rng } from '../src/core/rl/rng.js';

const net = (c: Partial<NetConfig>): NetConfig => ({
  obsDim: 17, actDim: 6, discrete: false, hidden: [64, 64], activation: 'tanh', shared: false, sigma: 'state-independent', critic: 'v', orthoInit: true, logStdInit: 0, ...c,
});

function kernelCore(n: ActorCritic, rows: number): KernelCore {
  const engine = new KernelNet(n, rows);
  return { engine, head: new PolicyHead(engine) };
}

/** ms per call of `step`, after a warm-up long enough for V8 to tier the WASM up. */
function time(step: () => void, iters: number, warm = Math.max(100, iters >> 2)): number {
  for (let i = 0; i < warm; i++) step();
  const t0 = performance.now();
  for (let i = 0; i < iters; i++) step();
  return (performance.now() - t0) / iters;
}

/**
 * ms per PPO gradient step (loss, grads, clipping, Adam) at minibatch `mb`, a fresh random
 * minibatch of a 2048-row rollout each step. Layouts: 'gaussian' (17→64→64→6, free log σ, the
 * CleanRL net), 'categorical' (4→64→64→2 logits), 'stateSigma' (17→64→64→6 μ plus a 6-output
 * log-σ head: 12 policy outputs). `kernel` 'tf' is the TF.js-op step on the active backend.
 */
export function ppoStepMs(layout: 'gaussian' | 'categorical' | 'stateSigma', mb: number, iters: number, kernel: 'engine' | 'tf' = 'engine'): number {
  const rng = new Rng(1);
  const cfg = net(layout === 'categorical' ? { obsDim: 4, actDim: 2, discrete: true } : layout === 'stateSigma' ? { sigma: 'state-dependent' } : {});
  const n = new ActorCritic(cfg, rng), opt = new Optimizer(n.variables, { kind: 'adam', eps: 1e-5 });
  const aw = cfg.discrete ? 1 : cfg.actDim, W = cfg.obsDim + aw + 4, B = Math.max(2048, mb);
  const data = new Float32Array(B * W);
  for (let i = 0; i < B; i++) {
    for (let j = 0; j < W; j++) data[i * W + j] = rng.normal() * 0.5;
    if (cfg.discrete) data[i * W + cfg.obsDim] = i & 1;
    data[i * W + cfg.obsDim + aw] = cfg.discrete ? -0.7 : -8; // plausible old log-probs
  }
  const perm = Int32Array.from({ length: B }, (_, i) => i);
  const c = { clipCoef: 0.2, clipVloss: true, normAdv: true, entCoef: 0, vfCoef: 0.5, maxGradNorm: 0.5 };
  let ms: number;
  if (kernel === 'engine') {
    const k = kernelCore(n, mb), stats = new Float64Array(5);
    ms = time(() => {
      rng.shuffle(perm);
      ppoLossGrad(k, data, perm.subarray(0, mb), cfg.obsDim, aw, c, stats);
      k.engine.applyGradients(opt, 3e-4, c.maxGradNorm);
    }, iters);
  } else {
    const t = tf.tensor2d(data, [B, W]);
    ms = time(() => {
      rng.shuffle(perm);
      const idx = tf.tensor1d(perm.subarray(0, mb), 'int32');
      const m = tf.gather(t, idx) as tf.Tensor2D;
      const r = ppoGradStep(n, opt, m, cfg.obsDim, aw, c, 3e-4);
      r.stats.dataSync();
      tf.dispose([idx, m, r.stats, r.norm]);
    }, iters, 5);
    t.dispose();
  }
  opt.dispose();
  n.dispose();
  return ms;
}

/** ms per A2C step: 40 samples (8 envs × 5 steps), RMSProp, entropy 0.01, clipping 0.5. */
export function a2cStepMs(iters: number): number {
  const rng = new Rng(2), cfg = net({});
  const n = new ActorCritic(cfg, rng), opt = new Optimizer(n.variables, { kind: 'rmsprop', eps: 1e-5, alpha: 0.99 });
  const buf = new RolloutBuffer(5, 8, 17, 6);
  for (let i = 0; i < buf.obs.length; i++) buf.obs[i] = rng.normal();
  for (let i = 0; i < buf.actions.length; i++) buf.actions[i] = rng.normal();
  const adv = Float32Array.from({ length: 40 }, () => rng.normal()), ret = Float32Array.from({ length: 40 }, () => rng.normal());
  const k = kernelCore(n, 40), stats = new Float64Array(3);
  const ms = time(() => {
    a2cLossGrad(k, buf, adv, ret, { entCoef: 0.01, vfCoef: 0.5 }, stats);
    k.engine.applyGradients(opt, 7e-4, 0.5);
  }, iters);
  opt.dispose();
  n.dispose();
  return ms;
}

/** ms per REINFORCE-with-baseline step on one 1000-step episode: the policy step and one critic step (Adam both). */
export function reinforceStepMs(iters: number): number {
  const rng = new Rng(3), cfg = net({}), T = 1000;
  const n = new ActorCritic(cfg, rng);
  const opt = new Optimizer(n.actorVars, { kind: 'adam', eps: 1e-8 }), vOpt = new Optimizer(n.criticVars, { kind: 'adam', eps: 1e-8 });
  const obs = Float32Array.from({ length: T * 17 }, () => rng.normal()), act = Float32Array.from({ length: T * 6 }, () => rng.normal());
  const g = Float32Array.from({ length: T }, () => rng.normal()), phi = new Float32Array(T);
  const k = kernelCore(n, T), stats = new Float64Array(2);
  const ms = time(() => {
    // Φ = G − V(s) from the critic, as PyTorch's reference does in the same step.
    k.engine.load(obs, T);
    k.engine.forward(T, { policy: false, value: true });
    for (let i = 0; i < T; i++) phi[i] = g[i] - k.engine.values[i];
    reinforceLossGrad(k, act, phi, T, T, 0, stats);
    k.engine.applyGradients(opt, 3e-4, 0);
    criticLossGrad(k, g, T, false);
    k.engine.applyGradients(vOpt, 1e-3, 0);
  }, iters, 40);
  opt.dispose();
  vOpt.dispose();
  n.dispose();
  return ms;
}

/**
 * ms per acting call of a HalfCheetah PPO policy on the kernel engine, observation normalization
 * included: batch 1 is Algorithm.act on a raw observation (normalize, forward, squash); batch 8
 * is a training step's sampling for 8 envs (normalize and update the statistics, forward, sample,
 * log-probs).
 */
export async function actMs(batch: 1 | 8, iters: number): Promise<number> {
  await getMujoco();
  const cfg = { ...defaults(PPO_SCHEMA), numEnvs: batch };
  const ctx = {
    spec: makeEnvSync('HalfCheetah').spec, makeEnv: () => makeEnvSync('HalfCheetah'), config: cfg, seed: 1, totalSteps: 1e6, backend: 'wasm' as const,
    onEpisode: () => {},
  };
  const core = new PolicyCore(ctx, coreOptions(cfg, 'v', false, 64));
  const obs = Float32Array.from(core.pool.obs.subarray(0, 17));
  const ms = batch === 1
    ? time(() => { core.act(obs, true); }, iters)
    : time(() => { core.observe(); core.sampleAll(); }, iters);
  core.dispose();
  return ms;
}

export async function activate(backend: 'wasm' | 'cpu' | 'tensorflow'): Promise<void> {
  await selectBackend(backend);
}
