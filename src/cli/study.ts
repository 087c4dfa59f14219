// policy-lab study …: define, run, follow and report studies (src/core/studies), and
// `policy-lab variance RUN_DIR` (src/core/analysis/gradient-variance.ts).

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { packageChildren } from '../backend/built-children.js';
import { ConfigError } from '../core/config/schema.js';
import { PHI_CHOICES, type Phi } from '../core/rl/phi.js';
import { BUILTIN_NAMES, BUILTIN_STUDIES } from '../core/studies/builtin.js';
import type { StudyExecutor, TrialOutcome } from '../core/studies/executor.js';
import { LocalExecutor } from '../core/studies/local-executor.js';
import { reportCsv, reportJson, reportTable, studyReport } from '../core/studies/report.js';
import { createStudyFolder, newStudyDir, readPlan, readStudy, studyFiles, trialDone } from '../core/studies/study-folder.js';
import { parseStudyText, validateStudy, type ValidStudy } from '../core/studies/study-file.js';
import { checkKnown, parseArgs, UsageError } from './args.js';
import { STUDY_EXECUTORS as EXECUTORS, STUDY_STATUS_SOURCES, STUDY_SUBCOMMANDS } from './study-registry.js';
// Other executors register themselves (src/cli/study-registry.ts) when their module loads.
import './study-slurm.js';
import { formatDuration } from './progress.js';

const out = (s = '') => process.stdout.write(s + '\n');

export { registerStudyExecutor, registerStudyStatusSource, registerStudySubcommand, type ExecutorFactory } from './study-registry.js';

export const STUDY_HELP = `Usage:
  policy-lab study run STUDY.json [--out DIR] [--workers N] [--quiet]
  policy-lab study run --builtin NAME [--out DIR] [--workers N]     (${BUILTIN_NAMES.join(', ')})
  policy-lab study run --resume DIR [--workers N]                    continue an interrupted study
  policy-lab study status DIR
  policy-lab study report DIR [--json | --csv]
  policy-lab study trial DIR INDEX                                   run one trial (what executors call)
  policy-lab study check STUDY.json                                  validate a study file, list its trials

A study is a base run × variants × seeds, as JSON:
  {"name": "phi-on-pendulum", "task": "InvertedPendulum", "algo": "reinforce", "steps": 100000,
   "seeds": [1,2,3,4,5], "grid": {"phi": ["total-return", "reward-to-go", "baseline", "gae"]}}
Keys: name, description, task, algo, steps, seeds, grid (setting → list of values; the variants
are every combination) or variants ([{"name": …, settings…}]), evalEpisodes (default 10),
variance ({"at": [fractions of steps], "batches": N, "episodesPerBatch": K}: gradient-variance
probes), backend, checkpointEvery, and any hyperparameter of the algorithm by its schema name.
Each trial is an ordinary run directory under DIR/trials/ (eval, export, resume work on it); its
score is the mean deterministic evaluation return of its final policy.
  --workers <int>   trial processes at once (default: the number of cores; an A3C trial counts its workers)
  --out <dir>       where the study folder is made (default studies/)
Ctrl-C or SIGTERM checkpoints every running trial; study run --resume DIR continues.`;

export const VARIANCE_HELP = `Usage: policy-lab variance RUN_DIR [--phi all|LIST] [--batches N] [--episodes K] [--json]

Fixes the run's current policy (latest checkpoint), draws N independent on-policy batches of K
episodes and, for every Φ_t estimator, computes the policy-gradient estimate
ĝ = 1/K Σ_τ Σ_t ∇log π(a_t|s_t) Φ_t from the same batches. Per estimator: the norm of the mean
gradient, the total variance (trace of the covariance of ĝ across batches) and
snr = ‖mean ĝ‖ / √(total variance). Estimators needing a critic the run lacks are listed as such.
  --phi <all|${PHI_CHOICES.join(',')}>   estimators (default all)
  --batches <int>   independent batches (default 20)
  --episodes <int>  episodes per batch (default 5)
  --json            {"estimators": [{"phi", "meanGradNorm", "totalVariance", "snr"}]}`;

function int(flags: Map<string, string>, name: string, lo: number, hi: number): number | undefined {
  const v = flags.get(name);
  if (v === undefined) return undefined;
  const n = Number(v.replace(/_/g, ''));
  if (!Number.isInteger(n) || n < lo || n > hi) throw new UsageError(`--${name}: expected an integer ${lo} … ${hi}, got "${v}"`);
  return n;
}

function loadStudyFile(path: string): ValidStudy {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read study file ${path}: ${(e as Error).message}`);
  }
  return parseStudyText(text, path);
}

/** "[#####-----]  45%  trials 3 done, 2 running, 0 failed of 10  450000/1000000 steps  ETA 3m30s" */
export function studyProgressLine(done: number, running: number, failed: number, trials: number, steps: number, total: number, elapsed: number, startSteps: number, width = 20): string {
  const frac = total > 0 ? Math.min(1, steps / total) : 0;
  const filled = Math.round(frac * width);
  const rate = (steps - startSteps) / Math.max(elapsed, 1e-9);
  const eta = rate > 0 ? (total - steps) / rate : Infinity;
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(frac * 100).toFixed(0).padStart(3)}%  trials ${done} done, ${running} running, ${failed} failed of ${trials}  ${steps}/${total} steps  ETA ${formatDuration(eta)}`;
}

async function runStudy(argv: string[]): Promise<number> {
  const extra = [...EXECUTORS.values()];
  for (const e of extra) if (e.takeArgs) argv = e.takeArgs(argv);
  const { positional, flags } = parseArgs(argv, new Set(['quiet', ...extra.flatMap((e) => e.booleans ?? [])]));
  if (flags.has('help')) { out(STUDY_HELP + extra.map((e) => '\n' + e.help).join('')); return 0; }
  checkKnown(flags, ['out', 'workers', 'quiet', 'resume', 'builtin', 'executor', 'help', ...extra.flatMap((e) => e.flags)], 'study run');
  let dir: string;
  if (flags.has('resume')) {
    if (positional.length || flags.has('builtin')) throw new UsageError('policy-lab study run --resume DIR: give no study file with --resume');
    dir = resolve(flags.get('resume')!);
    readStudy(dir);
    readPlan(dir);
  } else {
    let study: ValidStudy;
    const builtin = flags.get('builtin');
    if (builtin !== undefined) {
      if (positional.length) throw new UsageError('policy-lab study run: give a study file or --builtin NAME, not both');
      const raw = BUILTIN_STUDIES[builtin];
      if (!raw) throw new UsageError(`--builtin: unknown study "${builtin}" (known: ${BUILTIN_NAMES.join(', ')})`);
      study = validateStudy(raw);
    } else {
      if (positional.length !== 1) throw new UsageError('policy-lab study run: give exactly one STUDY.json (or --builtin NAME, or --resume DIR)');
      study = loadStudyFile(resolve(positional[0]));
    }
    dir = newStudyDir(resolve(flags.get('out') ?? 'studies'), study.spec.name);
    createStudyFolder(dir, study);
  }
  const executorName = flags.get('executor') ?? 'local';
  let executor: StudyExecutor;
  if (executorName === 'local') executor = new LocalExecutor({ ...packageChildren()?.study, workers: int(flags, 'workers', 1, 1024) });
  else {
    const f = EXECUTORS.get(executorName);
    if (!f) throw new UsageError(`--executor: unknown executor "${executorName}" (known: local${[...EXECUTORS.keys()].map((k) => ', ' + k).join('')})`);
    executor = f.create(flags);
  }
  if (executor.submit && !flags.has('wait')) {
    const plan = readPlan(dir);
    out(await executor.submit(dir, plan.trials.filter((t) => !trialDone(studyFiles.trialDir(dir, t))).map((t) => t.index)));
    return 0;
  }
  return executeStudy(dir, executor, flags.has('quiet') || !process.stderr.isTTY);
}

/** Runs every trial of the study folder that is not finished, with one progress line. */
export async function executeStudy(dir: string, executor: StudyExecutor, quiet: boolean): Promise<number> {
  const plan = readPlan(dir);
  const todo = plan.trials.filter((t) => !trialDone(studyFiles.trialDir(dir, t))).map((t) => t.index);
  out(`study: ${dir} (${plan.trials.length} trials, ${plan.trials.length - todo.length} already finished)`);
  const steps = new Map<number, number>();
  for (const t of plan.trials) steps.set(t.index, todo.includes(t.index) ? 0 : t.config.totalSteps);
  const total = plan.trials.reduce((s, t) => s + t.config.totalSteps, 0);
  const sum = () => [...steps.values()].reduce((a, b) => a + b, 0);
  const startSteps = sum();
  let done = plan.trials.length - todo.length, failed = 0;
  const running = new Set<number>();
  const t0 = Date.now();
  let lastLog = 0;
  const show = (force = false) => {
    const line = studyProgressLine(done, running.size, failed, plan.trials.length, sum(), total, (Date.now() - t0) / 1000, startSteps);
    if (!quiet) process.stderr.write('\r' + line + '\x1b[K');
    else if (force || Date.now() - lastLog > 10_000) { lastLog = Date.now(); process.stderr.write(line + '\n'); }
  };
  const ac = new AbortController();
  const onSig = () => {
    if (!ac.signal.aborted) process.stderr.write('\nstopping: every running trial writes a checkpoint…\n');
    ac.abort();
  };
  process.on('SIGINT', onSig);
  process.on('SIGTERM', onSig);
  const outcomes: TrialOutcome[] = [];
  try {
    const res = await executor.run(dir, todo, {
      signal: ac.signal,
      onTrial: (e) => {
        if (e.kind === 'started') running.add(e.index);
        else {
          running.delete(e.index);
          outcomes.push(e.outcome!);
          if (e.outcome === 'finished') { done++; steps.set(e.index, plan.trials[e.index].config.totalSteps); }
          if (e.outcome === 'failed') { failed++; process.stderr.write(`\ntrial ${e.index} (${plan.trials[e.index].variant}, seed ${plan.trials[e.index].seed}) failed: ${e.message ?? ''}\n`); }
        }
        show(true);
      },
      onProgress: (p) => { steps.set(p.index, p.steps); show(); },
    });
    if (!quiet) process.stderr.write('\n');
    if (res.stopped.length || res.notStarted.length) {
      out(`stopped: ${res.stopped.length} trials checkpointed, ${res.notStarted.length} not started; continue with: policy-lab study run --resume ${dir}`);
      return 75;
    }
    out(`finished in ${formatDuration((Date.now() - t0) / 1000)}: ${res.finished.length} trials finished, ${res.failed.length} failed`);
    out('');
    out(reportTable(studyReport(dir, { curves: false })));
    return res.failed.length ? 1 : 0;
  } finally {
    process.off('SIGINT', onSig);
    process.off('SIGTERM', onSig);
  }
}

function status(argv: string[]): number {
  const { positional, flags } = parseArgs(argv, new Set(['json']));
  if (flags.has('help')) { out('Usage: policy-lab study status DIR [--json]\n\nEvery trial of the study: variant, seed, status, steps, score.'); return 0; }
  checkKnown(flags, ['json', 'help'], 'study status');
  if (positional.length !== 1) throw new UsageError('policy-lab study status: give exactly one study DIR');
  const r = studyReport(resolve(positional[0]), { curves: false, reps: 200 });
  // A scheduler that knows the study (e.g. Slurm) tells each trial's queue state.
  let sched: Map<number, { state: string; detail?: string }> | null = null;
  for (const src of STUDY_STATUS_SOURCES) sched ??= src(r.dir);
  if (flags.has('json')) { out(JSON.stringify({ name: r.name, counts: r.counts, steps: r.steps, totalSteps: r.totalSteps, trials: r.variants.flatMap((v) => v.trials.map((t) => ({ variant: v.name, ...t, ...(sched?.has(t.index) ? { scheduler: sched.get(t.index) } : {}) }))) }, null, 2)); return 0; }
  out(`study ${r.name}: ${r.counts.finished} finished, ${r.counts.running} running, ${r.counts.stopped} stopped, ${r.counts.failed} failed, ${r.counts.pending} pending; ${r.steps}/${r.totalSteps} steps`);
  for (const v of r.variants) for (const t of v.trials) {
    const s = sched?.get(t.index);
    out(`  ${String(t.index).padStart(3)}  ${v.name.padEnd(24)} s${String(t.seed).padEnd(5)} ${(s?.state ?? t.status).padEnd(9)} ${String(t.steps).padStart(9)}/${t.totalSteps}  ${t.finalReturn !== null ? `score ${t.finalReturn.toFixed(1)}` : ''}${t.message ? `  ${t.message}` : ''}${s?.detail ? `  ${s.detail}` : ''}`);
  }
  return 0;
}

function report(argv: string[]): number {
  const { positional, flags } = parseArgs(argv, new Set(['json', 'csv']));
  if (flags.has('help')) { out('Usage: policy-lab study report DIR [--json | --csv]\n\nPer variant: mean and IQM of the final scores with 95% stratified-bootstrap CIs, probabilities of improvement, IQM learning curves, gradient variance.'); return 0; }
  checkKnown(flags, ['json', 'csv', 'help'], 'study report');
  if (positional.length !== 1) throw new UsageError('policy-lab study report: give exactly one study DIR');
  if (flags.has('json') && flags.has('csv')) throw new UsageError('policy-lab study report: --json or --csv, not both');
  const r = studyReport(resolve(positional[0]), { curves: flags.has('json') });
  if (flags.has('json')) out(JSON.stringify(reportJson(r), (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2));
  else if (flags.has('csv')) process.stdout.write(reportCsv(r));
  else out(reportTable(r));
  return 0;
}

async function trial(argv: string[]): Promise<number> {
  const { positional, flags } = parseArgs(argv);
  if (flags.has('help')) { out('Usage: policy-lab study trial DIR INDEX\n\nTrains trial INDEX of the study in DIR (resuming from its checkpoint), then scores it.\nExit 0 finished, 75 stopped by SIGTERM/SIGINT/SIGUSR1 (checkpointed), 1 failed (error in status.json).'); return 0; }
  checkKnown(flags, ['help'], 'study trial');
  if (positional.length !== 2 || !/^\d+$/.test(positional[1])) throw new UsageError('policy-lab study trial: give DIR and a trial INDEX');
  const { runTrialProcess } = await import('../core/studies/trial-child.js');
  return runTrialProcess(resolve(positional[0]), Number(positional[1]));
}

function check(argv: string[]): number {
  const { positional, flags } = parseArgs(argv);
  if (flags.has('help')) { out('Usage: policy-lab study check STUDY.json\n\nValidates a study file and lists its trials; nothing runs.'); return 0; }
  checkKnown(flags, ['help'], 'study check');
  if (positional.length !== 1) throw new UsageError('policy-lab study check: give exactly one STUDY.json');
  const s = loadStudyFile(resolve(positional[0]));
  out(`study ${s.spec.name}: ${s.variants.length} variants × ${s.spec.seeds.length} seeds = ${s.trials.length} trials`);
  for (const t of s.trials) out(`  ${String(t.index).padStart(3)}  ${t.variant.padEnd(24)} seed ${t.seed}  ${t.config.task} ${t.config.algo} ${t.config.totalSteps} steps`);
  return 0;
}

export async function studyCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case 'run': return runStudy(rest);
    case 'status': return status(rest);
    case 'report': return report(rest);
    case 'trial': return trial(rest);
    case 'check': return check(rest);
    case undefined: case 'help': case '--help': case '-h': out(STUDY_HELP + [...STUDY_SUBCOMMANDS.values()].map((c) => '\n' + c.help).join('')); return sub === undefined ? 1 : 0;
    default: {
      const extra = sub ? STUDY_SUBCOMMANDS.get(sub) : undefined;
      if (extra) return extra.run(rest);
      throw new UsageError(`policy-lab study: unknown subcommand "${sub}"\n\n${STUDY_HELP}`);
    }
  }
}

export async function varianceCommand(argv: string[]): Promise<number> {
  const { positional, flags } = parseArgs(argv, new Set(['json']));
  if (flags.has('help')) { out(VARIANCE_HELP); return 0; }
  checkKnown(flags, ['phi', 'batches', 'episodes', 'json', 'help'], 'variance');
  if (positional.length !== 1) throw new UsageError('policy-lab variance: give exactly one RUN_DIR');
  const phiFlag = flags.get('phi') ?? 'all';
  let phi: Phi[] | undefined;
  if (phiFlag !== 'all') {
    phi = phiFlag.split(',').filter(Boolean) as Phi[];
    for (const p of phi) if (!(PHI_CHOICES as readonly string[]).includes(p)) throw new ConfigError(`--phi: unknown estimator "${p}" (known: all, ${PHI_CHOICES.join(', ')})`);
    if (phi.length === 0) throw new UsageError('--phi: give all or a comma-separated list');
  }
  const batches = int(flags, 'batches', 2, 100_000) ?? 20;
  const episodes = int(flags, 'episodes', 1, 10_000) ?? 5;
  const { probeCheckpointFile } = await import('../core/analysis/gradient-variance.js');
  const dir = resolve(positional[0]);
  const r = await probeCheckpointFile(dir, undefined, { batches, episodesPerBatch: episodes, phi });
  const avail = r.estimators.filter((e) => e.available);
  if (flags.has('json')) {
    out(JSON.stringify({ runDir: dir, steps: r.steps, batches: r.batches, episodesPerBatch: r.episodesPerBatch, envSteps: r.envSteps, params: r.params,
      estimators: avail.map((e) => ({ phi: e.phi, meanGradNorm: e.meanGradNorm, totalVariance: e.totalVariance, snr: e.snr })),
      unavailable: r.estimators.filter((e) => !e.available).map((e) => ({ phi: e.phi, reason: e.reason })) }, null, 2));
    return 0;
  }
  out(`policy at step ${r.steps}: ${r.batches} batches × ${r.episodesPerBatch} episodes (${r.envSteps} env steps), ${r.params} actor parameters`);
  out('phi'.padEnd(14) + '‖mean ĝ‖'.padStart(12) + 'tr Cov(ĝ)'.padStart(14) + 'snr'.padStart(10));
  for (const e of avail) out(e.phi.padEnd(14) + e.meanGradNorm.toExponential(3).padStart(12) + e.totalVariance.toExponential(3).padStart(14) + e.snr.toFixed(4).padStart(10));
  for (const e of r.estimators.filter((x) => !x.available)) out(`${e.phi.padEnd(14)}  — ${e.reason}`);
  return 0;
}
