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

/** Env steps per second (wall) and per CPU second of one bare Env with smooth actions (auto-reset), best of 3 rounds. */
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

async function endToEnd(algo: AlgoName, task: string, minSteps: number) {
  // Schema defaults (CleanRL's for PPO, SB3's for A2C), not the per-task presets.
  const config = { algoConfig: defaults(ALGOS[algo].schema), totalSteps: 10_000_000 };
  await getMujoco();
  const backend = await selectBackend('auto');
  const a = await ALGOS[algo].create({
    spec: makeEnvSync(task).spec, makeEnv: () => makeEnvSync(task), config: config.algoConfig, seed: 1, totalSteps: config.totalSteps, backend,
    onEpisode: () => {},
  });
  try {
    await a.update(); // warm-up: kernels compiled, buffers allocated
    const s0 = a.steps;
    const t0 = performance.now(), c0 = process.cpuUsage();
    while (a.steps - s0 < minSteps) await a.update();
    const seconds = (performance.now() - t0) / 1000, cpu = cpuSeconds(process.cpuUsage(c0));
    const steps = a.steps - s0;
    // CPU time of this process only: meaningful for PPO and A2C; A3C's workers are other processes.
    return {
      algo, task, backend, gradientStep: a.gradientStep ?? 'TF.js ops', steps, seconds: +seconds.toFixed(2), envStepsPerSecond: Math.round(steps / seconds),
      envStepsPerCpuSecond: algo === 'a3c' ? null : Math.round(steps / cpu),
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
    });
  } catch (e) {
    runs.push({ algo, task, error: (e as Error).message });
  }
}
const e2eRun = (algo: string) => runs.find((r) => r.algo === algo && r.task === 'HalfCheetah' && 'vsBareEnv' in r);
// On CPU time: on a shared machine the wall-clock rates of two measurements seconds apart differ
// with the other jobs' load; the CPU rates of the same process do not (the wall ratio is kept too).
const e2e = (algo: string) => e2eRun(algo)?.vsBareEnvCpu as number | undefined;
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
  endToEndVsEnv: { ppo: e2e('ppo') ?? null, a2c: e2e('a2c') ?? null, basis: 'env steps per CPU second of the training process ÷ of a bare Env, HalfCheetah, same run', wall: { ppo: e2eWall('ppo') ?? null, a2c: e2eWall('a2c') ?? null } },
  targets: {
    stepsAtMostHalfOfPytorch: vsPytorch ? (['a2c', 'reinforce', 'ppoCategorical', 'ppoStateSigma'] as const).every((k) => (vsPytorch[k] ?? Infinity) <= 0.5) : null,
    actingNoSlowerThanPytorch: vsPytorch ? (vsPytorch.act1 ?? Infinity) <= 1 && (vsPytorch.act8 ?? Infinity) <= 1 : null,
    endToEndAtLeast0_7OfEnv: { ppo: (e2e('ppo') ?? 0) >= 0.7, a2c: (e2e('a2c') ?? 0) >= 0.7 },
  },
  notes: [
    'acting: batch 1 is Algorithm.act on a raw observation (normalization, forward, squash); batch 8 is one training step\'s sampling for 8 envs (normalization with statistics update, forward, sampling, log-probs); PyTorch\'s figure is the bare policy forward',
    'reinforce: one 1000-step episode, the policy step plus one critic regression step sharing the critic\'s forward, as ppo_torch.py does',
    'the 1M-step learning table (bench:learn) was not re-run with this engine: no CPU for it on the shared machine; test/algos-learning.test.ts was run',
  ],
};
writeFileAtomic(resolve(outDir, 'train.json'), JSON.stringify(result, null, 2) + '\n');
console.log(JSON.stringify(result, null, 2));
