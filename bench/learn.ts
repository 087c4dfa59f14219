// npm run bench:learn — long (not in CI; run it in the background). The learning table as a
// study: every (algo, task) row is a variant with the shipped defaults + presets, trained for 1M
// steps with seeds 1, 2, 3 through the study machinery (src/core/studies: one process per trial,
// checkpointed, resumable), scored by the deterministic evaluation of each final policy (10
// episodes), and reported per row as mean, IQM and 95% stratified-bootstrap CI beside the RL Zoo
// figure. Rows run cheapest first; after every trial bench/results/learn.json and the table in
// docs/BENCHMARKS.md are rewritten, so an interrupted run still reports what finished, and running
// it again continues the same study folder.
// Usage: tsx bench/learn.ts [--workers 1] [--steps 1000000] [--seeds 1,2,3] [--only ppo:Swimmer,a2c:Hopper]
//        [--dir runs/bench-learn-study] [--report-only] [--code LABEL: the code revision to record]
//        [--reuse-seed1]: count the previous seed-1 results (PREVIOUS_SEED1) for rows whose seed-1
//        trial has not run yet, and run the seed-1 trials last. Allowed because they came from the
//        same code path: this study reproduced them bit for bit where it re-ran them (see the doc).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { writeFileAtomic } from '../src/core/runs/atomic.js';
import { LocalExecutor } from '../src/core/studies/local-executor.js';
import { studyReport, type StudyReport } from '../src/core/studies/report.js';
import { aggregate } from '../src/core/stats/rliable.js';
import { createStudyFolder, isStudyDir, readPlan, studyFiles, trialDone } from '../src/core/studies/study-folder.js';
import { validateStudy } from '../src/core/studies/study-file.js';
import { machineInfo } from './machine.js';

/** RL Zoo (SB3) 1M-step figures quoted by the issue. */
export const ZOO: Record<string, number> = {
  'ppo:HalfCheetah': 5819, 'ppo:Hopper': 2410, 'ppo:Walker2d': 3479, 'ppo:Swimmer': 282, 'ppo:Ant': 1327,
  'a2c:HalfCheetah': 3041, 'a2c:Hopper': 733, 'a2c:Swimmer': 201,
};
/** Rows cheapest first: seed-1 wall clock (s) on this machine, bench/results/learn.json of 2026-11-26. */
const COST: Record<string, number> = {
  'ppo:Swimmer': 66, 'a2c:HalfCheetah': 77, 'ppo:Hopper': 87, 'ppo:Walker2d': 127, 'a2c:Hopper': 143, 'a2c:Swimmer': 189, 'ppo:Ant': 230, 'ppo:HalfCheetah': 553,
};

/**
 * Seed-1 final scores of the previous bench:learn (2026-11-26, bench/results/learn.json before this
 * study version): same trainer, presets and evaluation (10 deterministic episodes).
 */
const PREVIOUS_SEED1: Record<string, number> = {
  'ppo:HalfCheetah': 5891.229043829373, 'a2c:HalfCheetah': 3701.168607665244, 'ppo:Hopper': 3762.3205377254644, 'a2c:Hopper': 1020.071163665084,
  'a2c:Swimmer': 49.59601471645686, 'ppo:Walker2d': 3581.187036310029, 'ppo:Swimmer': 352.9835537211672, 'ppo:Ant': 1700.3577622154758,
};

const argv = process.argv.slice(2);
const flag = (n: string) => { const i = argv.indexOf(`--${n}`); return i >= 0 ? argv[i + 1] : undefined; };
const steps = Number(flag('steps') ?? 1_000_000);
const seeds = (flag('seeds') ?? '1,2,3').split(',').map(Number);
const rows = (flag('only')?.split(',') ?? Object.keys(ZOO)).sort((a, b) => (COST[a] ?? 1e9) - (COST[b] ?? 1e9));
const dir = resolve(flag('dir') ?? 'runs/bench-learn-study');
const workers = Number(flag('workers') ?? 1);
const reuse = argv.includes('--reuse-seed1');
const resultsPath = resolve('bench/results/learn.json');
const commit = flag('code') ?? (() => { try { return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim(); } catch { return 'unknown'; } })();

if (!isStudyDir(dir)) {
  createStudyFolder(dir, validateStudy({
    name: 'bench-learn', description: 'The learning table: shipped defaults + presets, 1M steps, seeds 1/2/3',
    steps, seeds, checkpointEvery: 20, evalEpisodes: 10,
    variants: rows.map((key) => { const [algo, task] = key.split(':'); return { name: key, algo, task }; }),
  }));
}

const fmt = (x: number | null | undefined) => (x === null || x === undefined || !Number.isFinite(x) ? '—' : Math.round(x).toLocaleString('en-US'));

function write(r: StudyReport, running: Set<number>): void {
  const out: Record<string, unknown> = {};
  const reproduced: string[] = [];
  const lines = r.variants.map((v) => {
    const zoo = ZOO[v.name];
    // A seed-1 trial not run yet counts with its previous result when --reuse-seed1 is given.
    const trials = v.trials.map((t) => {
      const prev = t.seed === 1 ? PREVIOUS_SEED1[v.name] : undefined;
      if (t.finalReturn !== null && prev !== undefined && t.finalReturn === prev) reproduced.push(v.name);
      const reused = reuse && t.finalReturn === null && prev !== undefined;
      return { ...t, score: t.finalReturn ?? (reused ? prev! : null), reused };
    });
    const scores = trials.map((t) => t.score).filter((x): x is number => x !== null);
    const f = scores.length ? aggregate([scores], { seed: 7 }) : null;
    out[v.name] = {
      zoo: zoo ?? null, scored: scores.length, seeds: v.seeds,
      mean: f?.mean ?? null, iqm: f?.iqm ?? null, ci95: f?.ci95 ?? null,
      trials: trials.map((t) => ({ seed: t.seed, status: running.has(t.index) ? 'running' : t.status, finalReturn: t.finalReturn, reusedPreviousResult: t.reused ? t.score : undefined, steps: t.steps, trainSeconds: Math.round(t.wallTime), runDir: t.runDir })),
    };
    const perSeed = trials.map((t) => `s${t.seed}: ${t.score !== null ? `${fmt(t.score)}${t.reused ? '*' : ''}` : running.has(t.index) ? 'running' : t.status === 'created' ? 'not run' : t.status}`).join(', ');
    const all = scores.length === v.trials.length;
    const verdict = !f ? 'not run' : zoo === undefined ? '' : `${all ? '' : `${scores.length} of ${v.trials.length} seeds: `}${f.mean >= zoo ? 'mean meets the Zoo figure' : `mean short by ${fmt(zoo - f.mean)}`}`;
    const wall = trials.filter((t) => t.finalReturn !== null).map((t) => t.wallTime);
    return `| ${v.algo} | ${v.task} | ${fmt(f?.mean)} | ${fmt(f?.iqm)} | ${f ? `[${fmt(f.ci95[0])}, ${fmt(f.ci95[1])}]` : '—'} | ${perSeed} | ${zoo !== undefined ? fmt(zoo) : '—'} | ${wall.length ? `${(wall.reduce((a, b) => a + b, 0) / wall.length / 60).toFixed(0)} min` : '—'} | ${verdict} |`;
  });
  writeFileAtomic(resultsPath, JSON.stringify({ machine: machineInfo(), commit, studyDir: dir, steps, reuseSeed1: reuse, reproducedSeed1: reproduced, rows: out }, null, 2) + '\n');
  const docPath = resolve('docs/BENCHMARKS.md');
  const doc = existsSync(docPath) ? readFileSync(docPath, 'utf8') : '# Benchmarks\n';
  const table = `<!-- learn:begin -->
Final score of each trial: deterministic evaluation of the final policy (10 episodes), shipped defaults + presets (src/core/algos/presets.ts), ${(steps / 1e6).toFixed(2)}M steps, seeds ${seeds.join(', ')}; run as a study (\`npm run bench:learn\`, ${workers} worker${workers > 1 ? 's' : ''}, commit ${commit}) on ${machineInfo().cpus} shared cores, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC. IQM is rliable's interquartile mean (with 3 seeds it drops nothing and equals the mean); the 95% CI is IQM's stratified-bootstrap percentile interval (2,000 resamples; with 3 seeds it spans their range).${reuse ? ` A score marked * is the previous bench:learn's seed-1 result (2026-11-26), counted because its seed-1 trial had not run yet: same trainer, presets and evaluation, and this study reproduced the previous seed-1 result bit for bit on every row where it re-ran it (${reproduced.length ? reproduced.join(', ') : 'none yet'}).` : ''}

| algo | task | mean | IQM | IQM 95% CI | per seed | RL Zoo (1M, tuned) | train time / seed | verdict |
|---|---|---|---|---|---|---|---|---|
${lines.join('\n')}
<!-- learn:end -->`;
  const next = doc.includes('<!-- learn:begin -->') ? doc.replace(/<!-- learn:begin -->[\s\S]*?<!-- learn:end -->(\n<!-- learn:end -->)*/, table) : `${doc.trimEnd()}\n\n## Learning (bench:learn)\n\n${table}\n`;
  writeFileAtomic(docPath, next);
}

const running = new Set<number>();
const report = () => write(studyReport(dir, { curves: false }), running);
if (argv.includes('--report-only')) {
  report();
} else {
  const plan = readPlan(dir);
  // With --reuse-seed1 the seed-1 trials (whose previous results count meanwhile) run last.
  const todo = plan.trials.filter((t) => !trialDone(studyFiles.trialDir(dir, t)))
    .sort((a, b) => (reuse ? Number(a.seed === 1) - Number(b.seed === 1) : 0) || a.index - b.index).map((t) => t.index);
  console.error(`bench:learn: study ${dir}, ${todo.length} of ${plan.trials.length} trials to run, ${workers} worker(s), commit ${commit}`);
  const ac = new AbortController();
  process.on('SIGINT', () => ac.abort());
  process.on('SIGTERM', () => ac.abort());
  report();
  const res = await new LocalExecutor({ workers }).run(dir, todo, {
    signal: ac.signal,
    onTrial: (e) => {
      const t = plan.trials[e.index];
      if (e.kind === 'started') running.add(e.index);
      else running.delete(e.index);
      console.error(`${new Date().toISOString()} trial ${e.index} ${t.variant} seed ${t.seed}: ${e.kind === 'started' ? 'started' : `${e.outcome}${e.message ? ` (${e.message})` : ''} after ${Math.round(e.seconds ?? 0)} s`}`);
      report();
    },
  });
  report();
  console.error(`bench:learn: ${res.finished.length} finished, ${res.failed.length} failed, ${res.stopped.length} stopped, ${res.notStarted.length} not started`);
}
