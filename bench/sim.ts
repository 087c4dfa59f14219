// Simulation throughput: Env steps/s per task, the raw mj_step rate of the same model, VecEnv of
// 8 and 16, and two processes. Writes bench/results/sim.json and prints the targets with pass/fail.
// The Env-vs-raw ratio is taken on CPU time of this process (process.cpuUsage), which measures the
// wrapper's own work even when other processes share the cores; wall-clock ratios are kept too.
// Your own robot: `customLoadS` (a model folder with 10 MB of meshes) and `customRobot` (the
// quadruped's walk Env vs raw mj_step); `tsx bench/sim.ts --custom-only` measures only those and
// merges them into the existing sim.json.
// Run: npm run bench:sim   (about a minute)

import { fork } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getMujoco, mujocoVersion, type MjData, type MjModel } from '../src/core/envs/mujoco.js';
import { makeEnv, TASKS } from '../src/core/envs/registry.js';
import { EnvRng } from '../src/core/envs/rng.js';
import { VecEnv } from '../src/core/envs/vec-env.js';
import { loadModelFolder } from '../src/core/envs/model-folder.js';
import { RobotEnv } from '../src/core/envs/robot-tasks.js';
import type { Env } from '../src/core/envs/types.js';

const ENV_SECONDS = 1.5;
const ROUNDS = 4;
const PROC_SECONDS = 3;
const POOL = 1024;

/** A pool of random actions drawn up front, so the timed loops measure stepping only. */
function actionPool(env: { spec: { actDim: number; actionKind: 'box' | 'discrete' } }, n: number, seed: number): Float32Array[] {
  const rng = new EnvRng(seed);
  return Array.from({ length: n }, () =>
    Float32Array.from({ length: env.spec.actDim }, () => (env.spec.actionKind === 'discrete' ? (rng.next() < 0.5 ? 0 : 1) : rng.uniform(-1, 1))),
  );
}

interface EnvRun {
  stepsPerSec: number;
  /** Steps per CPU-second of this process: insensitive to other processes taking the cores. */
  stepsPerCpuSec: number;
  /** Step indices after which an episode ended (the raw loop resets at the same points). */
  resets: number[];
  steps: number;
}

/** Steps the env `steps` times with pooled random actions, auto-resetting; best of `rounds`. */
function timeEnv(env: Env, pool: Float32Array[], steps: number, rounds: number): EnvRun {
  let best = 0;
  let bestCpu = 0;
  let resets: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const ends: number[] = [];
    env.reset(0);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) {
      const r = env.step(pool[i & (POOL - 1)]);
      if (r.terminated || r.truncated) {
        ends.push(i);
        env.reset();
      }
    }
    const rate = steps / ((performance.now() - t0) / 1000);
    const cpu = process.cpuUsage(cpu0);
    const cpuRate = steps / ((cpu.user + cpu.system) / 1e6);
    if (rate > best) best = rate;
    if (cpuRate > bestCpu) bestCpu = cpuRate;
    resets = ends;
  }
  return { stepsPerSec: best, stepsPerCpuSec: bestCpu, resets, steps };
}

/**
 * The same physics without the Env: the env's own MjModel/MjData, the same controls (clamped to
 * ctrlrange as the env does), frameSkip × mj_step, and env.reset() exactly where the env's
 * episodes ended, so both loops visit identical states. Returns mj_step/s, best of `rounds`.
 */
async function timeRaw(env: Env, pool: Float32Array[], run: EnvRun, rounds: number, ctrls?: Float64Array[]): Promise<{ wall: number; cpu: number }> {
  const mj = await getMujoco();
  const inner = env as unknown as { model: MjModel; data: MjData };
  const { model, data } = inner;
  const frameSkip = env.spec.frameSkip;
  const nu = model.nu;
  const range = model.actuator_ctrlrange as Float64Array;
  const discrete = env.spec.actionKind === 'discrete';
  // Controls precomputed (clamped, discrete mapped) so the loop is only ctrl writes and mj_step.
  const ctrlPool = ctrls ?? pool.map((a) => Float64Array.from({ length: nu }, (_, i) => (discrete ? (a[0] === 1 ? 1 : -1) : Math.min(range[2 * i + 1], Math.max(range[2 * i], a[i])))));
  let best = 0;
  let bestCpu = 0;
  for (let round = 0; round < rounds; round++) {
    env.reset(0);
    const ctrl = data.ctrl as Float64Array;
    let next = 0;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < run.steps; i++) {
      ctrl.set(ctrlPool[i & (POOL - 1)]);
      for (let f = 0; f < frameSkip; f++) mj.mj_step(model, data);
      if (run.resets[next] === i) {
        next++;
        env.reset();
      }
    }
    const rate = (run.steps * frameSkip) / ((performance.now() - t0) / 1000);
    const cpu = process.cpuUsage(cpu0);
    const cpuRate = (run.steps * frameSkip) / ((cpu.user + cpu.system) / 1e6);
    if (rate > best) best = rate;
    if (cpuRate > bestCpu) bestCpu = cpuRate;
  }
  return { wall: best, cpu: bestCpu };
}

async function timeVec(task: string, n: number, seconds: number): Promise<number> {
  const vec = await VecEnv.create(task, n);
  vec.reset(0);
  const rng = new EnvRng(2);
  const pool = Array.from({ length: 64 }, () => Float32Array.from({ length: n * vec.actDim }, () => rng.uniform(-1, 1)));
  let calls = 0;
  for (let i = 0; i < 50; i++) vec.step(pool[i & 63]);
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  while (performance.now() < end) {
    for (let k = 0; k < 16; k++) vec.step(pool[calls++ & 63]);
  }
  const rate = (calls * n) / ((performance.now() - t0) / 1000);
  vec.dispose();
  return rate;
}

/** Child mode: step HalfCheetah for the given seconds and report the rate to the parent. */
async function worker(task: string, seconds: number): Promise<void> {
  const env = await makeEnv(task);
  const pool = actionPool(env, POOL, 1);
  const probe = timeEnv(env, pool, 2000, 1);
  const steps = Math.round(probe.stepsPerSec * seconds);
  const cpu0 = process.cpuUsage();
  const r = timeEnv(env, pool, steps, 1);
  const cpu = process.cpuUsage(cpu0);
  env.dispose();
  // Steps per CPU-second tells contention for cores apart from the processes slowing each other.
  process.send?.({ stepsPerSec: r.stepsPerSec, stepsPerCpuSec: steps / ((cpu.user + cpu.system) / 1e6) });
}

interface WorkerRate {
  stepsPerSec: number;
  stepsPerCpuSec: number;
}

function runWorkers(count: number, task: string, seconds: number): Promise<WorkerRate[]> {
  const self = fileURLToPath(import.meta.url);
  return Promise.all(
    Array.from({ length: count }, () =>
      new Promise<WorkerRate>((resolve, reject) => {
        const child = fork(self, ['--worker', task, String(seconds)], { execArgv: process.execArgv });
        child.once('message', (m) => resolve(m as WorkerRate));
        child.once('error', reject);
        child.once('exit', (code) => {
          if (code !== 0) reject(new Error(`worker exited with ${code}`));
        });
      }),
    ),
  );
}

/** Env and raw rounds alternating, best of each (as for the built-in tasks). */
async function envVsRaw(env: Env, pool: Float32Array[], ctrls?: Float64Array[]) {
  const probe = timeEnv(env, pool, 500, 1);
  const steps = Math.max(1000, Math.round((probe.stepsPerSec * ENV_SECONDS) / ROUNDS));
  let r = timeEnv(env, pool, steps, 1);
  let envWall = r.stepsPerSec;
  let envCpu = r.stepsPerCpuSec;
  let rawWall = 0;
  let rawCpu = 0;
  for (let round = 0; round < ROUNDS; round++) {
    if (round > 0) {
      r = timeEnv(env, pool, steps, 1);
      envWall = Math.max(envWall, r.stepsPerSec);
      envCpu = Math.max(envCpu, r.stepsPerCpuSec);
    }
    const raw = await timeRaw(env, pool, r, 1, ctrls);
    rawWall = Math.max(rawWall, raw.wall);
    rawCpu = Math.max(rawCpu, raw.cpu);
  }
  const fs = env.spec.frameSkip;
  return {
    frameSkip: fs, envStepsPerSec: Math.round(envWall), episodesPerRound: r.resets.length, rawMjStepsPerSec: Math.round(rawWall),
    wallRatio: Math.round(((envWall * fs) / rawWall) * 1000) / 1000, envStepsPerCpuSec: Math.round(envCpu), rawMjStepsPerCpuSec: Math.round(rawCpu),
    ratio: Math.round(((envCpu * fs) / rawCpu) * 1000) / 1000,
  };
}

/**
 * Your own robot (issue 14): loading a model folder with 10 MB of meshes (generated here, in a
 * temp folder: ten closed binary-STL spheres of ~1 MB), and the fixture quadruped's `walk` Env
 * against raw mj_step on the same model with the same controls (position actions mapped to ctrl
 * exactly as the env maps them).
 */
async function customRobotBench(mj: Awaited<ReturnType<typeof getMujoco>>) {
  const dir = mkdtempSync(join(os.tmpdir(), 'bench-robot-'));
  try {
    const fixture = join(dirname(fileURLToPath(import.meta.url)), '..', 'test', 'fixtures', 'robots', 'quadruped');
    cpSync(fixture, dir, { recursive: true });
    let meshBytes = 0;
    const geoms: string[] = [];
    const assets: string[] = [];
    for (let i = 0; i < 10; i++) {
      const stl = sphereStl(0.02 + 0.002 * i, 102, 102);
      meshBytes += stl.length;
      writeFileSync(join(dir, 'assets', `big${i}.stl`), stl);
      assets.push(`<mesh name="big${i}" file="big${i}.stl"/>`);
      geoms.push(`<geom class="visual" mesh="big${i}" pos="${(0.02 * i - 0.1).toFixed(3)} 0 0.04"/>`);
    }
    const robot = join(dir, 'quadruped.xml');
    writeFileSync(robot, readFileSync(robot, 'utf8')
      .replace('<mesh name="leg" file="leg.stl"/>', `<mesh name="leg" file="leg.stl"/>${assets.join('')}`)
      .replace('<site name="imu" pos="0 0 0"/>', `<site name="imu" pos="0 0 0"/>${geoms.join('')}`));
    const times: number[] = [];
    for (let k = 0; k < 3; k++) {
      const t0 = performance.now();
      const env = new RobotEnv(mj, loadModelFolder(join(dir, 'scene.xml')), 'walk');
      times.push((performance.now() - t0) / 1000);
      env.dispose();
    }
    // The first load in a process also pays WASM tier-up and heap growth: kept beside the median.
    const customLoadColdS = Math.round(times[0] * 1000) / 1000;
    times.sort((a, b) => a - b);
    const customLoadS = Math.round(times[1] * 1000) / 1000;
    console.log(`custom robot: loading a folder with ${(meshBytes / 1e6).toFixed(1)} MB of meshes takes ${customLoadS} s (median of 3; first ${customLoadColdS} s)`);

    const env = new RobotEnv(mj, loadModelFolder(join(fixture, 'scene.xml')), 'walk');
    const pool = actionPool(env, POOL, 1);
    env.reset(0);
    const ctrls = pool.map((a) => {
      const ctrl = env.step(a);
      const c = Float64Array.from(env.inspect().ctrl);
      if (ctrl.terminated || ctrl.truncated) env.reset(0);
      return c;
    });
    const r = await envVsRaw(env, pool, ctrls);
    env.dispose();
    console.log(`custom robot (quadruped walk): env ${r.envStepsPerSec} steps/s   raw ${r.rawMjStepsPerSec} mj_step/s   ratio (CPU time) ${r.ratio}  (wall ${r.wallRatio})`);
    return { customLoadS, customLoadColdS, customLoadMeshBytes: meshBytes, customRobot: { model: 'test/fixtures/robots/quadruped (walk)', ...r } };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A closed UV sphere as binary STL: lat × lon quads, two triangles each (poles degenerate ones dropped). */
function sphereStl(radius: number, lat: number, lon: number): Buffer {
  const p = (i: number, j: number): number[] => {
    const th = (Math.PI * i) / lat;
    const ph = (2 * Math.PI * j) / lon;
    return [radius * Math.sin(th) * Math.cos(ph), radius * Math.sin(th) * Math.sin(ph), radius * Math.cos(th)];
  };
  const tris: number[][][] = [];
  for (let i = 0; i < lat; i++) {
    for (let j = 0; j < lon; j++) {
      const a = p(i, j), b = p(i + 1, j), c = p(i + 1, j + 1), d = p(i, j + 1);
      if (i > 0) tris.push([a, b, d]);
      if (i < lat - 1) tris.push([b, c, d]);
    }
  }
  const buf = Buffer.alloc(84 + 50 * tris.length);
  buf.writeUInt32LE(tris.length, 80);
  tris.forEach((t, k) => t.forEach((v, m) => v.forEach((x, d) => buf.writeFloatLE(x, 84 + 50 * k + 12 + 12 * m + 4 * d))));
  return buf;
}

/** `--custom-only`: measures only your own robot and merges its keys into an existing sim.json. */
async function customOnly(): Promise<void> {
  const mj = await getMujoco();
  const out = join(dirname(fileURLToPath(import.meta.url)), 'results', 'sim.json');
  const previous = JSON.parse(readFileSync(out, 'utf8')) as Record<string, unknown> & { targets?: { name: string }[] };
  const custom = await customRobotBench(mj);
  const targets = (previous.targets ?? []).filter((t) => !t.name.startsWith('Custom robot'));
  targets.push(...customTargets(custom));
  writeFileSync(out, JSON.stringify({ ...previous, ...custom, customDate: new Date().toISOString(), targets }, null, 2) + '\n');
  for (const t of customTargets(custom)) console.log(`  ${t.pass ? 'PASS' : 'FAIL'}  ${t.name}: ${t.value} ${t.unit}`);
  console.log(`merged into ${out}`);
}

function customTargets(c: Awaited<ReturnType<typeof customRobotBench>>) {
  return [
    { name: 'Custom robot: loading a model folder with 10 MB of meshes ≤ 2 s', value: c.customLoadS, unit: 's', pass: c.customLoadS <= 2 },
    { name: 'Custom robot: Env ≥ 0.9× raw mj_step of the same model (CPU time)', value: c.customRobot.ratio, unit: '×', pass: c.customRobot.ratio >= 0.9 },
  ];
}

async function main(): Promise<void> {
  const mj = await getMujoco();
  const started = performance.now();
  const perTask: Record<string, unknown>[] = [];
  for (const spec of TASKS) {
    const env = await makeEnv(spec.name);
    const pool = actionPool(env, POOL, 1);
    // Env and raw rounds alternate, best of each, so a burst of load hits both sides alike.
    const r = await envVsRaw(env, pool);
    env.dispose();
    perTask.push({ task: spec.name, ...r, overheadPct: Math.round((1 / r.ratio - 1) * 1000) / 10 });
    console.log(
      `${spec.name.padEnd(26)} env ${r.envStepsPerSec.toString().padStart(7)} steps/s   raw ${r.rawMjStepsPerSec.toString().padStart(8)} mj_step/s   ratio (CPU time) ${r.ratio.toFixed(3)}  (wall ${r.wallRatio.toFixed(3)})`,
    );
  }
  const vec8 = await timeVec('HalfCheetah', 8, 1.5);
  const vec16 = await timeVec('HalfCheetah', 16, 1.5);
  console.log(`VecEnv HalfCheetah ×8  ${Math.round(vec8)} env steps/s; ×16 ${Math.round(vec16)} env steps/s`);
  const [oneW] = await runWorkers(1, 'HalfCheetah', PROC_SECONDS);
  const twoW = await runWorkers(2, 'HalfCheetah', PROC_SECONDS);
  const one = oneW.stepsPerSec;
  const two = twoW.map((w) => w.stepsPerSec);
  const twoSum = two[0] + two[1];
  const cpuScaling = (twoW[0].stepsPerCpuSec + twoW[1].stepsPerCpuSec) / oneW.stepsPerCpuSec;
  console.log(`processes: one ${Math.round(one)} steps/s; two ${two.map(Math.round).join(' + ')} = ${Math.round(twoSum)} (×${(twoSum / one).toFixed(2)}; per CPU-second ×${cpuScaling.toFixed(2)})`);

  const cheetah = perTask.find((t) => t.task === 'HalfCheetah') as { envStepsPerSec: number; overheadPct: number };
  const worstOverhead = Math.max(...perTask.map((t) => t.overheadPct as number));
  const targets = [
    { name: 'Env overhead over raw mj_step ≤ 10% (every task, CPU time)', value: worstOverhead, unit: '%', pass: worstOverhead <= 10 },
    { name: 'HalfCheetah ≥ 12,000 env steps/s in one process', value: cheetah.envStepsPerSec, unit: 'steps/s', pass: cheetah.envStepsPerSec >= 12000 },
    { name: 'Two processes ≥ 1.8× one', value: Math.round((twoSum / one) * 100) / 100, unit: '×', pass: twoSum / one >= 1.8 },
  ];
  const custom = await customRobotBench(mj);
  targets.push(...customTargets(custom));
  const cpus = os.cpus();
  const result = {
    date: new Date().toISOString(),
    machine: {
      platform: `${os.platform()} ${os.release()}`,
      arch: os.arch(),
      cpuModel: cpus[0]?.model ?? 'unknown',
      cpuCount: cpus.length,
      loadAvg1m: Math.round(os.loadavg()[0] * 100) / 100,
      node: process.version,
      mujoco: mujocoVersion(mj),
    },
    perTask,
    vecEnv: { task: 'HalfCheetah', n8EnvStepsPerSec: Math.round(vec8), n16EnvStepsPerSec: Math.round(vec16) },
    processes: { task: 'HalfCheetah', oneProcessStepsPerSec: Math.round(one), twoProcessesStepsPerSec: two.map(Math.round), sum: Math.round(twoSum), scaling: Math.round((twoSum / one) * 100) / 100,
      // Same ratio on steps per CPU-second: ≈2 means the processes do not slow each other, and a
      // low wall-clock scaling comes from cores being busy with other work (see loadAvg1m).
      cpuTimeScaling: Math.round(cpuScaling * 100) / 100,
      oneProcessStepsPerCpuSec: Math.round(oneW.stepsPerCpuSec) },
    ...custom,
    targets,
    seconds: Math.round((performance.now() - started) / 100) / 10,
  };
  const out = join(dirname(fileURLToPath(import.meta.url)), 'results', 'sim.json');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
  console.log('\ntargets:');
  for (const t of targets) console.log(`  ${t.pass ? 'PASS' : 'FAIL'}  ${t.name}: ${t.value} ${t.unit}`);
  console.log(`\nwrote ${out} (${result.seconds}s, load avg ${result.machine.loadAvg1m} on ${result.machine.cpuCount} CPUs)`);
}

const argv = process.argv.slice(2);
if (argv[0] === '--worker') {
  await worker(argv[1], Number(argv[2]));
} else if (argv[0] === '--custom-only') {
  await customOnly();
} else {
  await main();
}
