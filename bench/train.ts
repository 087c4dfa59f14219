// npm run bench:train → bench/results/train.json
// Our side of every figure ../shared/refbench/run times in PyTorch, from the same run: the PPO
// gradient step at minibatch 64 and 2048 (kernel engine, and the TF.js-op step beside it), the
// A2C, REINFORCE, categorical-PPO and σ_φ(s)-PPO steps, acting at batch 1 and 8 (bench/steps.ts);
// end-to-end training env steps/s (PPO with CleanRL defaults, A2C, A3C with 2 workers) on
// HalfCheetah and Hopper beside the bare Env step rate measured in the same run. The machine's
// load average is recorded at start and end (the 2 cores are shared).
// Flags: --no-refbench (reuse bench/results/refbench.json), --quick (fewer iterations).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { ALGOS } from '../src/core/algos/index.js';
import type { AlgoName } from '../src/core/protocol.js';
import { getMujoco } from '../src/core/envs/mujoco.js';
import { makeEnvSync } from '../src/core/envs/registry.js';
import type { Env } from '../src/core/envs/types.js';
import { selectBackend } from '../src/core/rl/backend.js';
import { defaults } from '../src/core/config/schema.js';
import { writeFileAtomic } from '../src/core/runs/atomic.js';
import { machineInfo } from './machine.js';
import { a2cStepMs, actMs, ppoStepMs, reinforceStepMs } from './steps.js';

const args = new Set(process.argv.slice(2));
const quick = args.has('--quick');
const outDir = resolve('bench/results');
mkdirSync(outDir, { recursive: true });
const load = (): number[] => loadavg().map((x) => +x.toFixed(2));
const loadStart = load();

const cpuSeconds = (c: NodeJS.CpuUsage) => (c.user + c.system) / 1e6;

/** Env steps per second (wall) and per CPU second of one bare Env with smooth actions (auto-reset), best of 3 rounds: comparable across commits and with bench:sim, but not the simulation a training run does (see replayRate). */
async function bareEnvRate(task: string, steps: number): Promise<{ wall: number; cpu: number }> {
  await getMujoco();
  const env = makeEnvSync(task);
  const d = env.spec.actDim, a = new Float32Array(d);
  let seed = 1, wall = 0, cpu = 0;
  env.reset(seed);
  for (let round = 0; round < 3; round++) {
    const t0 = performance.now(), c0 = process.cpuUsage();
    for (let i = 0; i < steps; i++) {
      for (let j = 0; j < d; j++) a[j] = Math.sin(i * 0.37 + j) * 0.9;
      const r = env.step(a);
      if (r.terminated || r.truncated) env.reset(++seed);
    }
    wall = Math.max(wall, steps / ((performance.now() - t0) / 1000));
    cpu = Math.max(cpu, steps / cpuSeconds(process.cpuUsage(c0)));
  }
  env.dispose();
  return { wall: Math.round(wall), cpu: Math.round(cpu) };
}

/** Every reset and step one Env received, so the same simulation can be replayed bare. */
interface EnvLog { calls: ({ seed: number | undefined } | { action: Float32Array })[]; mark: number; reward: number }

/** The env as training sees it, logging each call (one small copy per step, next to a ~30 µs physics step). */
function recording(env: Env, log: EnvLog): Env {
  return {
    spec: env.spec, observationSpace: env.observationSpace, actionSpace: env.actionSpace,
    reset: (seed?: number) => { log.calls.push({ seed }); return env.reset(seed); },
    step: (a: ArrayLike<number>) => {
      log.calls.push({ action: Float32Array.from(a) });
      const r = env.step(a);
      if (log.calls.length > log.mark) log.reward += r.reward;
      return r;
    },
    renderDescription: () => env.renderDescription(), writePoses: (o) => env.writePoses(o),
    getState: () => env.getState(), setState: (s) => env.setState(s), dispose: () => env.dispose(),
  };
}

/**
 * The bare Env rate on exactly the simulation a training run did: each env's resets and actions
 * replayed through a fresh Env of the task, timed over the measured part only (after the warm-up
 * update). The sum of the replayed rewards must equal the run's, which proves it is the same
 * simulation. Why not a fixed action pattern: MuJoCo's cost per step depends on the contacts, so
 * smooth or uniform random actions cost per step a different amount than a learning policy's
 * (on HalfCheetah the sinusoid of bareEnvRate costs more per step than the PPO run's Gaussian
 * actions, which flattered the earlier ratios).
 */
function replayRate(task: string, logs: EnvLog[]): { wall: number; cpu: number; steps: number } {
  let wall = 0, cpu = 0, steps = 0, reward = 0, expected = 0;
  for (const log of logs) {
    const env = makeEnvSync(task);
    expected += log.reward;
    let t0 = 0, c0 = process.cpuUsage();
    for (let i = 0; i < log.calls.length; i++) {
      if (i === log.mark) { t0 = performance.now(); c0 = process.cpuUsage(); }
      const c = log.calls[i];
      if ('action' in c) {
        const r = env.step(c.action);
        if (i >= log.mark) { reward += r.reward; steps++; }
      } else env.reset(c.seed);
    }
    wall += (performance.now() - t0) / 1000;
    cpu += cpuSeconds(process.cpuUsage(c0));
    env.dispose();
  }
  if (Math.abs(reward - expected) > 1e-6 * Math.max(1, Math.abs(expected))) throw new Error(`replay diverged from the run: reward ${reward} vs ${expected}`);
  return { wall: Math.round(steps / wall), cpu: Math.round(steps / cpu), steps };
}

async function endToEnd(algo: AlgoName, task: string, minSteps: number) {
  // Schema defaults (CleanRL's for PPO, SB3's for A2C), not the per-task presets.
  const config = { algoConfig: defaults(ALGOS[algo].schema), totalSteps: 10_000_000 };
  await getMujoco();
  const backend = await selectBackend('auto');
  // A3C's envs live in its worker processes: not recorded (no replay basis for it).
  const logs: EnvLog[] = [];
  const makeEnv = algo === 'a3c' ? () => makeEnvSync(task) : () => {
    const log: EnvLog = { calls: [], mark: Infinity, reward: 0 };
    logs.push(log);
    return recording(makeEnvSync(task), log);
  };
  const a = await ALGOS[algo].create({
    spec: makeEnvSync(task).spec, makeEnv, config: config.algoConfig, seed: 1, totalSteps: config.totalSteps, backend,
    onEpisode: () => {},
  });
  try {
    await a.update(); // warm-up: kernels compiled, buffers allocated
    for (const log of logs) log.mark = log.calls.length;
    const s0 = a.steps;
    const t0 = performance.now(), c0 = process.cpuUsage();
    while (a.steps - s0 < minSteps) await a.update();
    const seconds = (performance.now() - t0) / 1000, cpu = cpuSeconds(process.cpuUsage(c0));
    const steps = a.steps - s0;
    const replay = logs.length ? replayRate(task, logs) : null;
    if (replay && replay.steps !== steps) throw new Error(`replayed ${replay.steps} env steps, the run took ${steps}`);
    // CPU time of this process only: meaningful for PPO and A2C; A3C's workers are other processes.
    return {
      algo, task, backend, gradientStep: a.gradientStep ?? 'TF.js ops', steps, seconds: +seconds.toFixed(2), envStepsPerSecond: Math.round(steps / seconds),
      envStepsPerCpuSecond: algo === 'a3c' ? null : Math.round(steps / cpu),
      replayedBareEnv: replay ? { wall: replay.wall, cpu: replay.cpu } : null,
    };
  } finally {
    await a.dispose();
  }
}

const backend = await selectBackend('auto');
let refbench: Record<string, unknown> | null = null;
const refPath = resolve(outDir, 'refbench.json');
const refScript = resolve('../shared/refbench/run');
if (!args.has('--no-refbench') && existsSync(refScript)) {
  console.error('bench:train: running ../shared/refbench/run (about two minutes)…');
  execFileSync('bash', [refScript, refPath], { stdio: ['ignore', 'ignore', 'inherit'] });
}
if (existsSync(refPath)) refbench = JSON.parse(readFileSync(refPath, 'utf8'));

console.error('bench:train: gradient steps and acting…');
const q = (n: number) => (quick ? Math.max(5, n >> 3) : n);
const r3 = (x: number) => +x.toFixed(3), r4 = (x: number) => +x.toFixed(4);
// PPO's step (17→64→64→6 Gaussian + value net, Adam, clipping) on the kernel engine and as TF.js ops.
const grad = { mb64: r3(ppoStepMs('gaussian', 64, q(640))), mb2048: r3(ppoStepMs('gaussian', 2048, q(40))) };
const gradTf = { mb64: r3(ppoStepMs('gaussian', 64, q(200), 'tf')), mb2048: r3(ppoStepMs('gaussian', 2048, q(20), 'tf')) };
const ours = {
  a2c: r3(a2cStepMs(q(1000))),
  reinforce: r3(reinforceStepMs(q(60))),
  ppoCategorical: r3(ppoStepMs('categorical', 64, q(1000))),
  ppoStateSigma: r3(ppoStepMs('stateSigma', 64, q(1000))),
  act1: r4(await actMs(1, q(20000))),
  act8: r4(await actMs(8, q(10000))),
};
interface Torch {
  grad_step_ms_mb64: number; grad_step_ms_mb2048: number; act_ms_b1?: number; act_ms_b8?: number;
  a2c_step_ms_b40?: number; reinforce_step_ms_b1000?: number; ppo_categorical_step_ms_mb64?: number; ppo_state_sigma_step_ms_mb64?: number;
}
const torch = refbench?.pytorch as Torch | undefined;
const plain = refbench?.tfjs_plain as { grad_step_ms_mb64: number; grad_step_ms_mb2048: number } | undefined;
const ratio = (a: number, b: number | undefined) => (b ? +(a / b).toFixed(2) : null);
const theirs = torch ? {
  a2c: torch.a2c_step_ms_b40, reinforce: torch.reinforce_step_ms_b1000, ppoCategorical: torch.ppo_categorical_step_ms_mb64,
  ppoStateSigma: torch.ppo_state_sigma_step_ms_mb64, act1: torch.act_ms_b1, act8: torch.act_ms_b8,
} : null;
const vsPytorch = theirs ? Object.fromEntries(Object.entries(ours).map(([k, v]) => [k, ratio(v, theirs[k as keyof typeof theirs])])) as Record<keyof typeof ours, number | null> : null;

const runs: Record<string, unknown>[] = [];
const budget = quick ? 4096 : 12_288;
const bare: Record<string, { wall: number; cpu: number }> = {};
for (const task of ['HalfCheetah', 'Hopper']) bare[task] = await bareEnvRate(task, quick ? 20_000 : 100_000);
for (const [algo, task] of [['ppo', 'HalfCheetah'], ['ppo', 'Hopper'], ['a2c', 'HalfCheetah'], ['a2c', 'Hopper'], ['a3c', 'HalfCheetah'], ['a3c', 'Hopper']] as const) {
  console.error(`bench:train: ${algo} on ${task}…`);
  try {
    const r = await endToEnd(algo, task, budget);
    runs.push({
      ...r, vsBareEnv: +(r.envStepsPerSecond / bare[task].wall).toFixed(2),
      vsBareEnvCpu: r.envStepsPerCpuSecond === null ? null : +(r.envStepsPerCpuSecond / bare[task].cpu).toFixed(2),
      vsReplayedEnvCpu: r.envStepsPerCpuSecond === null || !r.replayedBareEnv ? null : +(r.envStepsPerCpuSecond / r.replayedBareEnv.cpu).toFixed(2),
    });
  } catch (e) {
    runs.push({ algo, task, error: (e as Error).message });
  }
}
const e2eRun = (algo: string) => runs.find((r) => r.algo === algo && r.task === 'HalfCheetah' && 'vsBareEnv' in r);
// On CPU time: on a shared machine the wall-clock rates of two measurements seconds apart differ
// with the other jobs' load; the CPU rates of the same process do not (the wall ratio is kept too).
const e2e = (algo: string) => e2eRun(algo)?.vsReplayedEnvCpu as number | undefined;
const e2eSmooth = (algo: string) => e2eRun(algo)?.vsBareEnvCpu as number | undefined;
const e2eWall = (algo: string) => e2eRun(algo)?.vsBareEnv as number | undefined;

const result = {
  machine: machineInfo(),
  loadAverage: { start: loadStart, end: load(), note: '1/5/15-min load averages on the 2 shared cores (other engineers\' jobs ran too)' },
  backend,
  gradientStep: 'WASM-SIMD kernel engine (src/core/kernels): every algorithm and policy layout',
  gradStepMs: grad,
  gradStepMsTfOps: gradTf,
  stepsMs: ours,
  reference: torch && plain ? {
    pytorch: {
      mb64: torch.grad_step_ms_mb64, mb2048: torch.grad_step_ms_mb2048, a2c: torch.a2c_step_ms_b40, reinforce: torch.reinforce_step_ms_b1000,
      ppoCategorical: torch.ppo_categorical_step_ms_mb64, ppoStateSigma: torch.ppo_state_sigma_step_ms_mb64, act1: torch.act_ms_b1, act8: torch.act_ms_b8,
    },
    tfjsPlain: { mb64: plain.grad_step_ms_mb64, mb2048: plain.grad_step_ms_mb2048 },
    oursOverPytorch: { mb64: ratio(grad.mb64, torch.grad_step_ms_mb64), mb2048: ratio(grad.mb2048, torch.grad_step_ms_mb2048) },
    oursOverTfjsPlain: { mb64: ratio(grad.mb64, plain.grad_step_ms_mb64), mb2048: ratio(grad.mb2048, plain.grad_step_ms_mb2048) },
  } : null,
  vsPytorch,
  bareEnvStepsPerSecond: bare,
  endToEnd: runs,
  endToEndVsEnv: {
    ppo: e2e('ppo') ?? null, a2c: e2e('a2c') ?? null,
    basis: 'env steps per CPU second of the training process ÷ of a bare Env replaying the same run\'s resets and actions (the same simulation), HalfCheetah, same run',
    smoothActions: { ppo: e2eSmooth('ppo') ?? null, a2c: e2eSmooth('a2c') ?? null, basis: 'the same ÷ bareEnvStepsPerSecond (sinusoidal actions), the basis before 2026-12-01' },
    wall: { ppo: e2eWall('ppo') ?? null, a2c: e2eWall('a2c') ?? null },
  },
  targets: {
    stepsAtMostHalfOfPytorch: vsPytorch ? (['a2c', 'reinforce', 'ppoCategorical', 'ppoStateSigma'] as const).every((k) => (vsPytorch[k] ?? Infinity) <= 0.5) : null,
    actingNoSlowerThanPytorch: vsPytorch ? (vsPytorch.act1 ?? Infinity) <= 1 && (vsPytorch.act8 ?? Infinity) <= 1 : null,
    endToEndAtLeast0_7OfEnv: { ppo: (e2e('ppo') ?? 0) >= 0.7, a2c: (e2e('a2c') ?? 0) >= 0.7 },
  },
  notes: [
    'acting: batch 1 is Algorithm.act on a raw observation (normalization, forward, squash); batch 8 is one training step\'s sampling for 8 envs (normalization with statistics update, forward, sampling, log-probs); PyTorch\'s figure is the bare policy forward',
    'reinforce: one 1000-step episode, the policy step plus one critic regression step sharing the critic\'s forward, as ppo_torch.py does',
    'endToEndVsEnv: each env\'s resets and actions in the measured updates are replayed through a fresh Env of the task (the same simulation; the replayed rewards must sum to the run\'s); smoothActions keeps the earlier sinusoidal-action basis',
    'the 1M-step learning table (bench:learn, docs/BENCHMARKS.md) ran on this engine (commit c6dce5f)',
  ],
};
writeFileAtomic(resolve(outDir, 'train.json'), JSON.stringify(result, null, 2) + '\n');
console.log(JSON.stringify(result, null, 2));
