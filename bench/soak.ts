// npm run bench:soak → bench/results/soak.json. The lab's backend (as serve mode runs it, real
// trainer and viewer processes) trains PPO for SOAK_MINUTES (default 30) with the live view
// playing, and every SOAK_EVAL_EVERY_MIN (default 3) evaluates and exports the run. Every
// SOAK_SAMPLE_SEC (default 10) it records the resident memory of every process (this host and
// all its descendants, by role) and the number of trainer processes.
// Verdict (written into the JSON): after warm-up (SOAK_WARMUP_MIN, default a third of the run,
// at most 5 min) no long-lived process grows more than 10 % (median of its first three samples
// after warm-up against its last three), the evaluate/export trainers do not grow from job to job,
// and the trainer count never exceeds 1 run + 1 spare + 2 job slots.
// Smoke test: SOAK_MINUTES=2 SOAK_EVAL_EVERY_MIN=0.5 npm run bench:soak
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { LabEvent } from '../src/backend/api.js';
import { createLabBackend } from '../src/backend/default-deps.js';
import { createDispatcher } from '../src/backend/dispatch.js';
import { DEFAULT_LIMITS } from '../src/backend/lab-backend.js';
import { writeFileAtomic } from '../src/core/runs/atomic.js';
import { machineInfo } from './machine.js';

const num = (name: string, d: number): number => {
  const v = process.env[name];
  const n = v === undefined ? d : Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name}: expected a positive number, got ${v}`);
  return n;
};
const MINUTES = num('SOAK_MINUTES', 30);
const EVAL_EVERY_MIN = num('SOAK_EVAL_EVERY_MIN', 3);
const SAMPLE_SEC = num('SOAK_SAMPLE_SEC', 10);
const WARMUP_MIN = num('SOAK_WARMUP_MIN', Math.min(5, MINUTES / 3));
const TASK = process.env.SOAK_TASK ?? 'HalfCheetah';
const OUT = path.resolve(process.env.SOAK_OUT ?? 'bench/results/soak.json');
const GROWTH_LIMIT = 0.10;
/** One active run, one warm spare, the evaluate/export slots. */
const TRAINER_BOUND = 1 + 1 + DEFAULT_LIMITS.jobSlots;
const log = (s: string) => console.error(`bench:soak ${new Date().toISOString().slice(11, 19)}: ${s}`);

type Role = 'host' | 'trainer' | 'viewer' | 'a3c-worker' | 'other';
interface Proc { readonly pid: number; readonly ppid: number; readonly role: Role; readonly rssMB: number }
interface Sample { readonly t: number; readonly procs: Proc[]; readonly trainers: number; readonly processes: number }

function readProc(pid: number): { ppid: number; rssMB: number; cmd: string } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
    return { ppid, rssMB: rss ? Number(rss[1]) / 1024 : 0, cmd };
  } catch {
    return null; // exited meanwhile
  }
}

function roleOf(cmd: string): Role {
  if (/trainer[/\\]child\.ts|trainer(-entry)?\.js/.test(cmd)) return 'trainer';
  if (/viewer/.test(cmd)) return 'viewer';
  if (/a3c-worker/.test(cmd)) return 'a3c-worker';
  return 'other';
}

/** This process and every descendant, with their resident memory. */
function sampleTree(t: number): Sample {
  const all = new Map<number, { ppid: number; rssMB: number; cmd: string }>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const p = readProc(Number(name));
    if (p) all.set(Number(name), p);
  }
  const procs: Proc[] = [];
  const self = all.get(process.pid);
  if (self) procs.push({ pid: process.pid, ppid: self.ppid, role: 'host', rssMB: self.rssMB });
  const frontier = [process.pid];
  while (frontier.length) {
    const parent = frontier.pop() as number;
    for (const [pid, p] of all) {
      if (p.ppid !== parent) continue;
      procs.push({ pid, ppid: p.ppid, role: roleOf(p.cmd), rssMB: Math.round(p.rssMB * 10) / 10 });
      frontier.push(pid);
    }
  }
  return { t, procs, trainers: procs.filter((p) => p.role === 'trainer').length, processes: procs.length };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function verdict(samples: Sample[], warmupS: number, endS: number) {
  const after = samples.filter((s) => s.t >= warmupS);
  // Long-lived: present in at least 80 % of the samples after warm-up (host, the training trainer, the viewer).
  const seen = new Map<number, { role: Role; series: number[] }>();
  for (const s of after) for (const p of s.procs) {
    const e = seen.get(p.pid) ?? { role: p.role, series: [] };
    e.series.push(p.rssMB);
    seen.set(p.pid, e);
  }
  const perProcess = [...seen].filter(([, e]) => e.series.length >= Math.max(6, 0.8 * after.length)).map(([pid, e]) => {
    const start = median(e.series.slice(0, 3));
    const end = median(e.series.slice(-3));
    const growth = (end - start) / start;
    return { pid, role: e.role, samples: e.series.length, startMB: Math.round(start), endMB: Math.round(end), maxMB: Math.round(Math.max(...e.series)), growthPct: Math.round(growth * 1000) / 10, ok: growth <= GROWTH_LIMIT };
  });
  // Short-lived trainers (spares, evaluate/export jobs): their peak must not creep up from job to job.
  const peaks = new Map<number, { first: number; peak: number }>();
  for (const s of after) for (const p of s.procs) {
    if (p.role !== 'trainer' || seen.get(p.pid)!.series.length >= Math.max(6, 0.8 * after.length)) continue;
    const e = peaks.get(p.pid) ?? { first: s.t, peak: 0 };
    e.peak = Math.max(e.peak, p.rssMB);
    peaks.set(p.pid, e);
  }
  const span = endS - warmupS;
  const early = [...peaks.values()].filter((x) => x.first < warmupS + span / 3).map((x) => x.peak);
  const late = [...peaks.values()].filter((x) => x.first >= warmupS + (2 * span) / 3).map((x) => x.peak);
  const jobGrowth = early.length && late.length ? (Math.max(...late) - Math.max(...early)) / Math.max(...early) : null;
  const maxTrainers = Math.max(...samples.map((s) => s.trainers));
  const maxProcesses = Math.max(...samples.map((s) => s.processes));
  const memoryOk = perProcess.every((p) => p.ok) && (jobGrowth === null || jobGrowth <= GROWTH_LIMIT);
  const processesOk = maxTrainers <= TRAINER_BOUND;
  return {
    warmupS, growthLimitPct: GROWTH_LIMIT * 100, perProcess,
    shortLivedTrainers: { count: peaks.size, earlyPeakMB: early.length ? Math.round(Math.max(...early)) : null, latePeakMB: late.length ? Math.round(Math.max(...late)) : null, growthPct: jobGrowth === null ? null : Math.round(jobGrowth * 1000) / 10 },
    maxTrainers, trainerBound: TRAINER_BOUND, maxProcesses, memoryOk, processesOk, pass: memoryOk && processesOk && perProcess.length > 0,
  };
}

async function main(): Promise<void> {
  const root = await mkdtemp(path.join(tmpdir(), 'lab-soak-'));
  const backend = createLabBackend(root);
  const call = createDispatcher(backend);
  const counts = { metrics: 0, viewerStates: 0, errors: 0, crashes: 0, lastSteps: 0 };
  const errors: string[] = [];
  backend.onEvent((e: LabEvent) => {
    if (e.type === 'metrics') { counts.metrics++; counts.lastSteps = e.row.steps; }
    else if (e.type === 'viewer-states') counts.viewerStates += e.states.length;
    else if (e.type === 'error') { counts.errors++; if (errors.length < 20) errors.push(e.message); }
    else if (e.type === 'trainer-exit' && e.crashed) counts.crashes++;
  });
  const t0 = Date.now();
  const now = () => (Date.now() - t0) / 1000;
  const samples: Sample[] = [];
  const operations: { t: number; kind: string; ms: number; ok: boolean; error?: string }[] = [];
  const config = { minutes: MINUTES, evalEveryMin: EVAL_EVERY_MIN, sampleSec: SAMPLE_SEC, warmupMin: WARMUP_MIN, task: TASK, algo: 'ppo' };
  const write = (done: boolean) => {
    const result = {
      machine: machineInfo(), config, done, durationS: Math.round(now()), counts, errors, operations, samples,
      ...(done ? { verdict: verdict(samples, WARMUP_MIN * 60, now()) } : {}),
    };
    writeFileAtomic(OUT, JSON.stringify(result, null, 1) + '\n');
    return result;
  };
  const op = async (kind: string, f: () => Promise<unknown>) => {
    const s = Date.now();
    try {
      await f();
      operations.push({ t: Math.round(now()), kind, ms: Date.now() - s, ok: true });
    } catch (e) {
      operations.push({ t: Math.round(now()), kind, ms: Date.now() - s, ok: false, error: (e as Error).message.slice(0, 300) });
      log(`${kind} failed: ${(e as Error).message}`);
    }
  };
  try {
    const { runDir } = (await call('start', { task: TASK, algo: 'ppo', seed: 1, totalSteps: 1_000_000_000, backend: 'auto', checkpointEvery: 10, algoConfig: {} })) as { runDir: string };
    log(`training ${TASK} in ${runDir} for ${MINUTES} min; evaluate + export every ${EVAL_EVERY_MIN} min`);
    // The live view: the viewer process follows the training run by itself (viewer-state events count it).
    const end = t0 + MINUTES * 60_000;
    let nextSample = Date.now();
    let nextJob = t0 + EVAL_EVERY_MIN * 60_000;
    let jobs = 0;
    while (Date.now() < end) {
      if (Date.now() >= nextSample) {
        samples.push(sampleTree(Math.round(now())));
        nextSample += SAMPLE_SEC * 1000;
        const s = samples.at(-1)!;
        if (samples.length % 6 === 1) log(`t=${s.t}s steps=${counts.lastSteps} trainers=${s.trainers} processes=${s.processes} rss=${s.procs.map((p) => `${p.role}:${Math.round(p.rssMB)}`).join(' ')}`);
        write(false);
      }
      if (Date.now() >= nextJob) {
        nextJob += EVAL_EVERY_MIN * 60_000;
        const k = ++jobs;
        // Not awaited: sampling goes on while the evaluate and export trainers work.
        void op('evaluate', () => call('evaluate', { runDir, episodes: 2, deterministic: true }))
          .then(async () => {
            await mkdir(path.join(root, 'exports'), { recursive: true });
            await op('export', () => call('exportRun', { runDir, format: 'all', outDir: path.join(root, 'exports', `e${k}`) }));
          });
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    samples.push(sampleTree(Math.round(now())));
    await op('stop', () => call('stop', undefined));
    await new Promise((r) => setTimeout(r, 5000));
  } finally {
    const r = write(true);
    log(`verdict: ${JSON.stringify(r.verdict)}`);
    backend.dispose();
    await rm(root, { recursive: true, force: true });
  }
}

await main();
