// npm run bench:learn — long (not in CI; run it in the background). Trains each listed
// (algo, task) for a fixed budget with seed 1 through the real trainer process, evaluates the
// final policy deterministically, and writes bench/results/learn.json and the table in
// docs/BENCHMARKS.md beside the published Stable-Baselines3 RL Zoo figures (1M steps, tuned).
// Usage: tsx bench/learn.ts [--steps N] [--only ppo:HalfCheetah,a2c:HalfCheetah]
//        tsx bench/learn.ts --from-run ppo:HalfCheetah=runs/<dir>   (evaluate a finished run instead of training)
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { AlgoName, TrainerToHost } from '../src/core/protocol.js';
import { resolveRunConfig } from '../src/core/runs/run-config.js';
import { newRunDir, readMetrics, readStatus } from '../src/core/runs/store.js';
import { writeFileAtomic } from '../src/core/runs/atomic.js';
import { evaluateRun } from '../src/core/trainer/evaluate.js';
import { TrainerHost } from '../src/core/trainer/host.js';
import { machineInfo } from './machine.js';

/** RL Zoo (SB3) 1M-step figures quoted by the issue. */
export const ZOO: Record<string, number> = {
  'ppo:HalfCheetah': 5819, 'ppo:Hopper': 2410, 'ppo:Walker2d': 3479, 'ppo:Swimmer': 282, 'ppo:Ant': 1327,
  'a2c:HalfCheetah': 3041, 'a2c:Hopper': 733, 'a2c:Swimmer': 201,
};

const argv = process.argv.slice(2);
const flag = (n: string) => { const i = argv.indexOf(`--${n}`); return i >= 0 ? argv[i + 1] : undefined; };
const steps = Number(flag('steps') ?? 1_000_000);
const only = (flag('only') ?? 'ppo:HalfCheetah,ppo:Hopper,a2c:HalfCheetah').split(',');
const resultsPath = resolve('bench/results/learn.json');
mkdirSync(resolve('bench/results'), { recursive: true });
const previous: Record<string, unknown> = existsSync(resultsPath) ? JSON.parse(readFileSync(resultsPath, 'utf8')).runs ?? {} : {};
const runs: Record<string, unknown> = { ...previous };

function train(algo: AlgoName, task: string): Promise<{ runDir: string; seconds: number; backend: string; stepsDone?: number }> {
  const config = resolveRunConfig({ task, algo, seed: 1, totalSteps: steps, checkpointEvery: 20 });
  return newRunDir(resolve('runs/bench-learn'), config).then((runDir) => new Promise((done, fail) => {
    const host = TrainerHost.spawn();
    const t0 = Date.now();
    let backend = '?';
    host.onMessage((m: TrainerToHost) => {
      if (m.type === 'started') backend = m.backend;
      if (m.type === 'metrics' && m.row.update % 20 === 0) console.error(`${algo}:${task} ${m.row.steps} steps, return ${m.row.returnMean.toFixed(1)}, ${Math.round(m.row.stepsPerSecond)} steps/s`);
      if (m.type === 'error') console.error(`${algo}:${task} error: ${m.message}`);
      if (m.type === 'done') {
        host.kill();
        if (m.reason === 'finished') done({ runDir, seconds: (Date.now() - t0) / 1000, backend });
        else fail(new Error(`${algo}:${task} ${m.reason}`));
      }
    });
    host.send({ type: 'start', config, runDir, resume: false });
  }));
}

function writeDoc() {
  const rows = Object.entries(runs).map(([key, r]) => {
    const x = r as { evalMean?: number; evalStd?: number; seconds?: number; steps?: number; backend?: string; error?: string };
    const zoo = ZOO[key];
    if (x.error) return `| ${key.replace(':', ' | ')} | — | ${zoo ?? '—'} | — | failed: ${x.error} |`;
    const verdict = zoo === undefined ? '' : x.evalMean! >= zoo ? 'meets the Zoo figure' : `short by ${Math.round(zoo - x.evalMean!)}`;
    return `| ${key.replace(':', ' | ')} | ${x.evalMean!.toFixed(0)} ± ${x.evalStd!.toFixed(0)} | ${zoo ?? '—'} | ${(x.steps! / 1e6).toFixed(2)}M steps, ${(x.seconds! / 60).toFixed(0)} min (${x.backend}) | ${verdict} |`;
  });
  const docPath = resolve('docs/BENCHMARKS.md');
  const doc = existsSync(docPath) ? readFileSync(docPath, 'utf8') : '# Benchmarks\n';
  const table = `<!-- learn:begin -->\nFinal deterministic evaluation (10 episodes), seed 1, default hyperparameters + presets (src/core/algos/presets.ts); written by \`npm run bench:learn\` on ${machineInfo().cpus} cores, ${new Date().toISOString().slice(0, 10)}.\n\n| algo | task | ours | RL Zoo (1M, tuned) | budget, wall clock | verdict |\n|---|---|---|---|---|---|\n${rows.join('\n')}\n<!-- learn:end -->`;
  const next = doc.includes('<!-- learn:begin -->') ? doc.replace(/<!-- learn:begin -->[\s\S]*<!-- learn:end -->/, table) : `${doc.trimEnd()}\n\n## Learning (bench:learn)\n\n${table}\n`;
  writeFileAtomic(docPath, next);
}

/** A finished run (trained with the same trainer, e.g. from the CLI) evaluated as if trained here. */
async function fromRun(runDir: string): Promise<{ runDir: string; seconds: number; backend: string; stepsDone: number }> {
  const last = readMetrics(runDir).at(-1);
  return { runDir, seconds: last?.wallTime ?? NaN, backend: readStatus(runDir).backend ?? '?', stepsDone: last?.steps ?? 0 };
}

const given = flag('from-run');
const keys = given ? [given.split('=')[0]] : only;
for (const key of keys) {
  const [algo, task] = key.split(':') as [AlgoName, string];
  try {
    const { runDir, seconds, backend, stepsDone = steps } = given ? await fromRun(resolve(given.split('=')[1])) : await train(algo, task);
    const ev = await evaluateRun(runDir, 10, true);
    const r = Array.from(ev.returns);
    const mean = r.reduce((a, b) => a + b, 0) / r.length;
    const std = Math.sqrt(r.reduce((a, b) => a + (b - mean) ** 2, 0) / r.length);
    runs[key] = { runDir, steps: stepsDone, seconds, backend, evalMean: mean, evalStd: std, zoo: ZOO[key] ?? null };
  } catch (e) {
    runs[key] = { error: (e as Error).message };
  }
  writeFileAtomic(resultsPath, JSON.stringify({ machine: machineInfo(), runs }, null, 2) + '\n');
  writeDoc();
}
