// npm run bench:train → bench/results/train.json
// End-to-end training env-steps/s (PPO with CleanRL defaults, A2C, A3C with 2 workers) on
// HalfCheetah and Hopper, ms per PPO gradient step at minibatch 64 and 2048 (the fused kernel
// training uses, and the TF.js-op step beside it), and — from the same
// run — ../shared/refbench's PyTorch and plain-TF.js figures for the same gradient step.
// Flags: --no-refbench (reuse bench/results/refbench.json), --quick (fewer updates).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ALGOS } from '../src/core/algos/index.js';
import type { AlgoName } from '../src/core/protocol.js';
import { ppoGradStepBench } from '../src/core/algos/ppo.js';
import { getMujoco } from '../src/core/envs/mujoco.js';
import { makeEnvSync } from '../src/core/envs/registry.js';
import { selectBackend } from '../src/core/rl/backend.js';
import { defaults } from '../src/core/config/schema.js';
import { writeFileAtomic } from '../src/core/runs/atomic.js';
import { machineInfo } from './machine.js';

const args = new Set(process.argv.slice(2));
const quick = args.has('--quick');
const outDir = resolve('bench/results');
mkdirSync(outDir, { recursive: true });

async function endToEnd(algo: AlgoName, task: string, minSteps: number) {
  // Schema defaults (CleanRL's for PPO), not the per-task presets: the speed target is for those.
  const config = { algoConfig: defaults(ALGOS[algo].schema), totalSteps: 10_000_000 };
  await getMujoco();
  const backend = await selectBackend('auto');
  const a = await ALGOS[algo].create({
    spec: makeEnvSync(task).spec, makeEnv: () => makeEnvSync(task), config: config.algoConfig, seed: 1, totalSteps: config.totalSteps, backend,
    onEpisode: () => {}, wantFrame: () => false, emitFrame: () => {},
  });
  try {
    await a.update(); // warm-up: kernels compiled, buffers allocated
    const s0 = a.steps;
    const t0 = performance.now();
    while (a.steps - s0 < minSteps) await a.update();
    const seconds = (performance.now() - t0) / 1000;
    return { algo, task, backend, steps: a.steps - s0, seconds: +seconds.toFixed(2), envStepsPerSecond: Math.round((a.steps - s0) / seconds) };
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

console.error('bench:train: gradient steps…');
// The step PPO takes by default for this net (fused WASM kernels; pull/push amortized over a
// CleanRL update's 320 steps at mb 64, or 20 at mb 2048), and the TF.js-op step for comparison.
const grad = { mb64: +(await ppoGradStepBench(backend as 'wasm', 64, quick ? 64 : 320)).toFixed(3), mb2048: +(await ppoGradStepBench(backend as 'wasm', 2048, quick ? 5 : 20)).toFixed(2) };
const gradTf = { mb64: +(await ppoGradStepBench(backend as 'wasm', 64, quick ? 50 : 200, 'tf')).toFixed(3), mb2048: +(await ppoGradStepBench(backend as 'wasm', 2048, quick ? 5 : 20, 'tf')).toFixed(2) };
const torch = refbench?.pytorch as { grad_step_ms_mb64: number; grad_step_ms_mb2048: number } | undefined;
const plain = refbench?.tfjs_plain as { grad_step_ms_mb64: number; grad_step_ms_mb2048: number } | undefined;

const runs = [];
const budget = quick ? 4096 : 12_288;
for (const [algo, task] of [['ppo', 'HalfCheetah'], ['ppo', 'Hopper'], ['a2c', 'HalfCheetah'], ['a2c', 'Hopper'], ['a3c', 'HalfCheetah'], ['a3c', 'Hopper']] as const) {
  if (!(algo in ALGOS)) { runs.push({ algo, task, error: `${algo} is not registered` }); continue; }
  console.error(`bench:train: ${algo} on ${task}…`);
  try {
    runs.push(await endToEnd(algo, task, budget));
  } catch (e) {
    runs.push({ algo, task, error: (e as Error).message });
  }
}

const ppoCheetah = runs.find((r) => r.algo === 'ppo' && r.task === 'HalfCheetah' && 'envStepsPerSecond' in r) as { envStepsPerSecond: number } | undefined;
const result = {
  machine: machineInfo(),
  backend,
  gradStepMs: grad,
  gradKernel: 'fused WASM-SIMD (src/core/kernels); PPO default for Gaussian policies with state-independent σ and separate nets',
  gradStepMsTfOps: gradTf,
  reference: torch && plain ? {
    pytorch: { mb64: torch.grad_step_ms_mb64, mb2048: torch.grad_step_ms_mb2048 },
    tfjsPlain: { mb64: plain.grad_step_ms_mb64, mb2048: plain.grad_step_ms_mb2048 },
    oursOverPytorch: { mb64: +(grad.mb64 / torch.grad_step_ms_mb64).toFixed(2), mb2048: +(grad.mb2048 / torch.grad_step_ms_mb2048).toFixed(2) },
    oursOverTfjsPlain: { mb64: +(grad.mb64 / plain.grad_step_ms_mb64).toFixed(2), mb2048: +(grad.mb2048 / plain.grad_step_ms_mb2048).toFixed(2) },
  } : null,
  endToEnd: runs,
  targets: {
    gradStepNoSlowerThanPytorch: torch ? grad.mb64 <= torch.grad_step_ms_mb64 && grad.mb2048 <= torch.grad_step_ms_mb2048 : null,
    ppoHalfCheetahAtLeast2600: ppoCheetah ? ppoCheetah.envStepsPerSecond >= 2600 : null,
  },
};
writeFileAtomic(resolve(outDir, 'train.json'), JSON.stringify(result, null, 2) + '\n');
console.log(JSON.stringify(result, null, 2));
