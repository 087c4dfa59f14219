// Runs a study's trials on a Slurm cluster, with Slurm's own job arrays: one array task per trial
// (the array index IS the trial index), each running `policy-lab study trial DIR INDEX`, which
// trains the trial or resumes it from its checkpoint. Everything Slurm-specific lives here (and in
// src/cli/study-slurm.ts): the study folder, the trial runner and the report know nothing of it.
//
// In the study folder:
//   study.sbatch       the batch script, readable, submittable by hand (`sbatch study.sbatch`)
//   slurm.json         {"version":1,"submissions":[{jobId, submittedAt, arrayIndices, trials:[{index, arrayIndex, dir}], options}]},
//                      written (atomically) only after sbatch accepted the job
//   slurm-logs/        Slurm's output per array task (%A_%a.out, appended across requeues)
//
// Time limits and preemption: the script asks for USR1 before the limit (--signal=B:USR1@S) and
// --requeue. The batch shell traps USR1 and TERM and passes them on to the trial (as SIGTERM),
// which checkpoints and exits 75; after a USR1 the shell requeues its own array task
// (scontrol requeue), which resumes from that checkpoint. A preemption or `scontrol requeue`
// sends SIGTERM to the trial directly: it checkpoints, and Slurm requeues the task. Lost work:
// at most one checkpoint interval.
//
// The study folder must be on a filesystem the submitting machine and the compute nodes share,
// and the script runs the same Node executable and Policy Lab install as the submitter (or
// --node / --lab).

import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../runs/atomic.js';
import { readRegularFileSync, UnsafeFileError } from '../runs/safe-read.js';
import { readStatus } from '../runs/store.js';
import type { ExecutorHooks, ExecutorResult, StudyExecutor, TrialOutcome } from './executor.js';
import { followStudy } from './follow.js';
import { readPlan, readStudy, StudyError, studyFiles, trialDone } from './study-folder.js';

export class SlurmError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SlurmError';
  }
}

export interface SlurmOptions {
  readonly partition?: string;
  /** Slurm time format: minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS. */
  readonly time?: string;
  readonly cpusPerTask?: number;
  /** Memory per node, e.g. 4G. */
  readonly mem?: string;
  /** At most this many array tasks at once (%K). */
  readonly maxParallel?: number;
  /** Seconds before the time limit at which Slurm sends USR1 (default: 300, or a quarter of --time when shorter). */
  readonly signalSeconds?: number;
  /** More #SBATCH options, verbatim (e.g. --account=abc, --qos=long). */
  readonly sbatchArgs?: readonly string[];
  /** Node executable on the compute nodes (default: this process's). */
  readonly node?: string;
  /** Policy Lab install folder on the compute nodes (default: this one). */
  readonly lab?: string;
  /** Environment for the Slurm client commands (sbatch, squeue, …; e.g. SLURM_CONF). */
  readonly env?: NodeJS.ProcessEnv;
}

/** This Policy Lab install: the folder holding bin/policy-lab.mjs. */
export const LAB_ROOT = fileURLToPath(new URL('../../../', import.meta.url)).replace(/\/$/, '');

export const slurmFiles = {
  script: (dir: string) => join(dir, 'study.sbatch'),
  record: (dir: string) => join(dir, 'slurm.json'),
  logs: (dir: string) => join(dir, 'slurm-logs'),
  taskLog: (dir: string, jobId: string, arrayIndex: number) => join(dir, 'slurm-logs', `${jobId}_${arrayIndex}.out`),
};

export interface SlurmSubmission {
  readonly jobId: string;
  readonly submittedAt: string;
  readonly arrayIndices: readonly number[];
  readonly trials: readonly { readonly index: number; readonly arrayIndex: number; readonly dir: string }[];
  readonly options: Omit<SlurmOptions, 'env'>;
}

export interface SlurmRecord {
  readonly version: 1;
  readonly submissions: readonly SlurmSubmission[];
}

/** Parses Slurm's time format to seconds; null when malformed. */
export function slurmTimeSeconds(t: string): number | null {
  const m = /^(?:(\d+)-)?(\d+)(?::(\d+))?(?::(\d+))?$/.exec(t.trim());
  if (!m) return null;
  const [, d, a, b, c] = m;
  const n = (s: string | undefined) => (s === undefined ? 0 : Number(s));
  if (d !== undefined) return n(d) * 86400 + n(a) * 3600 + n(b) * 60 + n(c); // D-HH[:MM[:SS]]
  if (c !== undefined) return n(a) * 3600 + n(b) * 60 + n(c); // HH:MM:SS
  if (b !== undefined) return n(a) * 60 + n(b); // MM:SS
  return n(a) * 60; // minutes
}

/** "0-3", "1,3,5-7" (%K appended when given): Slurm's --array for these indices. */
export function arraySpec(indices: readonly number[], maxParallel?: number): string {
  const xs = [...new Set(indices)].sort((a, b) => a - b);
  if (xs.length === 0) throw new SlurmError('no trials to submit');
  const parts: string[] = [];
  for (let i = 0; i < xs.length;) {
    let j = i;
    while (j + 1 < xs.length && xs[j + 1] === xs[j] + 1) j++;
    parts.push(j > i ? `${xs[i]}-${xs[j]}` : String(xs[i]));
    i = j + 1;
  }
  return parts.join(',') + (maxParallel ? `%${maxParallel}` : '');
}

/** Single-quotes a string for bash. */
export const shq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

const SIZE = /^\d+[KMGT]?$/i;
const WHITESPACE = /\s/;

/** Checks the options; returns them with the signal lead time resolved. */
export function checkSlurmOptions(o: SlurmOptions): SlurmOptions & { signalSeconds: number } {
  if (o.partition !== undefined && !/^[A-Za-z0-9_.,-]+$/.test(o.partition)) throw new SlurmError(`--partition: "${o.partition}" is not a partition name`);
  const limit = o.time === undefined ? null : slurmTimeSeconds(o.time);
  if (o.time !== undefined && (limit === null || limit <= 0)) throw new SlurmError(`--time: "${o.time}" is not a Slurm time (minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS)`);
  if (o.cpusPerTask !== undefined && !(Number.isInteger(o.cpusPerTask) && o.cpusPerTask >= 1)) throw new SlurmError('--cpus-per-task: expected an integer ≥ 1');
  if (o.mem !== undefined && !SIZE.test(o.mem)) throw new SlurmError(`--mem: "${o.mem}" is not a size (e.g. 4G, 512M)`);
  if (o.maxParallel !== undefined && !(Number.isInteger(o.maxParallel) && o.maxParallel >= 1)) throw new SlurmError('--max-parallel: expected an integer ≥ 1');
  for (const a of o.sbatchArgs ?? []) {
    if (!a.startsWith('-') || /[\r\n]/.test(a)) throw new SlurmError(`--sbatch-arg: "${a}" is not an sbatch option (e.g. --account=abc)`);
    if (/^--array(=|$)|^-a/.test(a)) throw new SlurmError('--sbatch-arg: --array is set by Policy Lab (one array task per trial); use --max-parallel to limit concurrency');
  }
  let signalSeconds = o.signalSeconds ?? (limit !== null ? Math.min(300, Math.max(1, Math.floor(limit / 4))) : 300);
  if (!(Number.isInteger(signalSeconds) && signalSeconds >= 1 && signalSeconds <= 65535)) throw new SlurmError('--signal-seconds: expected an integer 1 … 65535');
  if (limit !== null && signalSeconds >= limit) throw new SlurmError(`--signal-seconds ${signalSeconds} is not shorter than --time ${o.time}`);
  signalSeconds = Math.floor(signalSeconds);
  return { ...o, signalSeconds };
}

/** The batch script for the given trials of the study in `dir` (absolute). */
export function slurmScript(dir: string, indices: readonly number[], opts: SlurmOptions): string {
  const o = checkSlurmOptions(opts);
  dir = resolve(dir);
  if (WHITESPACE.test(dir)) throw new SlurmError(`the study folder "${dir}" contains whitespace, which #SBATCH lines cannot carry: choose a folder without spaces`);
  const plan = readPlan(dir);
  for (const i of indices) if (!plan.trials[i]) throw new SlurmError(`${dir}: no trial ${i}`);
  const name = readStudy(dir).spec.name;
  const node = o.node ?? process.execPath;
  const lab = o.lab ?? LAB_ROOT;
  const slurmPct = (s: string) => s.replace(/%/g, '%%'); // Slurm expands %A, %a, … in --output
  const sbatch = [
    `--job-name=pl-${name.replace(/[^A-Za-z0-9_.-]+/g, '-').slice(0, 40)}`,
    `--array=${arraySpec(indices, o.maxParallel)}`,
    `--output=${slurmPct(slurmFiles.logs(dir))}/%A_%a.out`,
    '--open-mode=append',
    `--chdir=${dir}`,
    '--ntasks=1',
    ...(o.partition ? [`--partition=${o.partition}`] : []),
    ...(o.time ? [`--time=${o.time}`] : []),
    `--cpus-per-task=${o.cpusPerTask ?? 1}`,
    ...(o.mem ? [`--mem=${o.mem}`] : []),
    `--signal=B:USR1@${o.signalSeconds}`,
    '--requeue',
    ...(o.sbatchArgs ?? []),
  ];
  return `#!/bin/bash
# Policy Lab study "${name.replace(/[\r\n]/g, ' ')}": one Slurm array task per trial; the array index is the
# trial index in plan.json. Written by \`policy-lab study run --executor slurm\`; you may submit it
# by hand from the study folder: sbatch study.sbatch (edit --array to choose trials).
# Each task runs \`policy-lab study trial STUDY INDEX\`: it trains the trial, or resumes it from its
# checkpoint, then scores it. Before the time limit Slurm sends USR1 to this script: the trial
# writes a checkpoint and exits 75, and the task requeues itself to continue from there. A
# preemption or \`scontrol requeue\` sends SIGTERM: the trial checkpoints the same way.
${sbatch.map((a) => `#SBATCH ${a}`).join('\n')}

STUDY=${shq(dir)}
NODE=${shq(node)}
LAB=${shq(lab)}
INDEX="\${SLURM_ARRAY_TASK_ID:?this script runs as a Slurm array task: submit it with sbatch}"
TASK="\${SLURM_ARRAY_JOB_ID}_\${SLURM_ARRAY_TASK_ID}"

trial=""
requeue=0
interrupted=0
forward() { interrupted=1; if [ -n "$trial" ]; then kill "-$1" "$trial" 2>/dev/null; fi; }
# The trial gets SIGTERM for both: a Node process that has not yet installed its handlers would
# take SIGUSR1 as "start the inspector" and keep training, but dies on SIGTERM (nothing trained).
trap 'requeue=1; echo "policy-lab: USR1 at $(date -u +%FT%TZ): time limit ahead, checkpointing trial $INDEX"; forward TERM' USR1
trap 'echo "policy-lab: SIGTERM at $(date -u +%FT%TZ): checkpointing trial $INDEX"; forward TERM' TERM
trap 'forward INT' INT

echo "policy-lab: trial $INDEX of $STUDY on $(hostname) as task $TASK, attempt $(( \${SLURM_RESTART_COUNT:-0} + 1 )), $(date -u +%FT%TZ)"
"$NODE" "$LAB/bin/policy-lab.mjs" study trial "$STUDY" "$INDEX" &
trial=$!
# A trapped signal ends \`wait\` early (status > 128): wait again until the trial itself exits.
while :; do
  interrupted=0
  wait "$trial"
  code=$?
  if [ "$interrupted" = 1 ] && [ "$code" -gt 128 ] && kill -0 "$trial" 2>/dev/null; then continue; fi
  if [ "$interrupted" = 1 ] && [ "$code" -gt 128 ]; then wait "$trial" 2>/dev/null; c2=$?; [ "$c2" != 127 ] && code=$c2; fi
  break
done
echo "policy-lab: trial $INDEX exited with $code at $(date -u +%FT%TZ)"
if [ "$requeue" = 1 ] && { [ "$code" = 75 ] || [ "$code" = 143 ]; }; then
  # Checkpointed (75), or stopped before it began (143), ahead of the time limit: run the rest as
  # a new start of this same array task.
  if scontrol requeue "$TASK"; then exit 0; fi
  echo "policy-lab: scontrol requeue $TASK failed; continue later with: policy-lab study run --resume $STUDY --executor slurm"
fi
exit "$code"
`;
}

interface Run {
  (cmd: string, args: readonly string[]): SpawnSyncReturns<string>;
}

function runner(env: NodeJS.ProcessEnv | undefined): Run {
  return (cmd, args) => spawnSync(cmd, args, { env: env ?? process.env, encoding: 'utf8', timeout: 60_000 });
}

/** A Slurm client command's failure in Slurm's own words. */
function slurmFailure(cmd: string, r: SpawnSyncReturns<string>): SlurmError {
  const err = r.error as NodeJS.ErrnoException | undefined;
  if (err?.code === 'ENOENT') return new SlurmError(`${cmd} not found: run this on a Slurm login node (or put Slurm's commands on PATH)`);
  if (err) return new SlurmError(`${cmd}: ${err.message}`);
  const msg = (r.stderr || r.stdout || '').trim();
  return new SlurmError(msg ? msg : `${cmd} exited with ${r.status ?? r.signal}`);
}

export function readSlurmRecord(dir: string): SlurmRecord | null {
  const p = slurmFiles.record(dir);
  if (!existsSync(p)) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(readRegularFileSync(p, 4 << 20).toString('utf8'));
  } catch (e) {
    throw new StudyError(e instanceof UnsafeFileError ? e.message : `${p} is not valid JSON (${(e as Error).message})`);
  }
  const r = raw as Partial<SlurmRecord>;
  if (!r || r.version !== 1 || !Array.isArray(r.submissions)) throw new StudyError(`${p}: expected {"version": 1, "submissions": [...]}`);
  for (const [k, s] of r.submissions.entries()) {
    if (!s || typeof s.jobId !== 'string' || !/^\d+$/.test(s.jobId) || !Array.isArray(s.trials) || !Array.isArray(s.arrayIndices)
      || s.trials.some((t: SlurmSubmission['trials'][number]) => !t || !Number.isInteger(t.index) || !Number.isInteger(t.arrayIndex) || typeof t.dir !== 'string'))
      throw new StudyError(`${p}: submission ${k} is malformed`);
  }
  return r as SlurmRecord;
}

/** Slurm's view of one array task. */
export interface SlurmTaskState {
  readonly jobId: string;
  readonly arrayIndex: number;
  /** Compact state code (PD, R, CG, CD, F, CA, TO, …) or sacct's state word. */
  readonly state: string;
  readonly reason: string;
  readonly restarts: number;
}

/** Parses `squeue -h -r -O ArrayJobID:|,ArrayTaskID:|,StateCompact:|,Reason:|,RestartCnt:|` lines. */
export function parseSqueue(text: string): SlurmTaskState[] {
  const out: SlurmTaskState[] = [];
  for (const line of text.split('\n')) {
    const f = line.split('|').map((x) => x.trim());
    if (f.length < 5 || !/^\d+$/.test(f[0]) || !/^\d+$/.test(f[1])) continue; // N/A task ids: not an array task
    out.push({ jobId: f[0], arrayIndex: Number(f[1]), state: f[2], reason: f[3], restarts: Number(f[4]) || 0 });
  }
  return out;
}

/** Parses `sacct -n -P -X -o JobID,State` lines ("123_4|COMPLETED", "123_5|CANCELLED by 0"). */
export function parseSacct(text: string): SlurmTaskState[] {
  const out: SlurmTaskState[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\d+)_(\d+)\|([A-Z_]+)/.exec(line.trim());
    if (m) out.push({ jobId: m[1], arrayIndex: Number(m[2]), state: m[3], reason: '', restarts: 0 });
  }
  return out;
}

const SQUEUE_FORMAT = 'ArrayJobID:|,ArrayTaskID:|,StateCompact:|,Reason:|,RestartCnt:|';
/** sacct's and squeue's words for a task that is queued or running. */
const QUEUED = new Set(['PD', 'PENDING', 'RQ', 'REQUEUED', 'RF', 'REQUEUE_FED', 'RH', 'REQUEUE_HOLD', 'RS', 'RESIZING', 'SE', 'SPECIAL_EXIT']);
const REQUEUED = new Set(['RQ', 'REQUEUED', 'RF', 'REQUEUE_FED', 'RH', 'REQUEUE_HOLD']);
const ACTIVE = new Set(['R', 'RUNNING', 'CG', 'COMPLETING', 'CF', 'CONFIGURING', 'S', 'SUSPENDED', 'ST', 'STOPPED', 'SO', 'STAGE_OUT', 'SI', 'SIGNALING']);
const FAILED_STATES = new Set(['F', 'FAILED', 'TO', 'TIMEOUT', 'NF', 'NODE_FAIL', 'OOM', 'OUT_OF_MEMORY', 'BF', 'BOOT_FAIL', 'DL', 'DEADLINE']);

/**
 * Slurm's current view of these array tasks ("JOB_INDEX"): squeue, then sacct (where accounting
 * is on) for the tasks squeue no longer lists (the controller forgets ended jobs after MinJobAge).
 */
export function querySlurm(taskKeys: readonly string[], env?: NodeJS.ProcessEnv): { tasks: Map<string, SlurmTaskState>; warning?: string } {
  const run = runner(env);
  const tasks = new Map<string, SlurmTaskState>();
  const jobIds = [...new Set(taskKeys.map((k) => k.split('_')[0]))];
  if (jobIds.length === 0) return { tasks };
  const key = (t: { jobId: string; arrayIndex: number }) => `${t.jobId}_${t.arrayIndex}`;
  let warning: string | undefined;
  const q = run('squeue', ['-h', '-r', '--states=all', '-j', jobIds.join(','), '-O', SQUEUE_FORMAT]);
  if (q.status === 0) for (const t of parseSqueue(q.stdout)) tasks.set(key(t), t);
  else if (!/Invalid job id/i.test(q.stderr ?? '')) warning = `squeue: ${slurmFailure('squeue', q).message}`;
  const missing = [...new Set(taskKeys.filter((k) => !tasks.has(k)).map((k) => k.split('_')[0]))];
  if (missing.length) {
    const a = run('sacct', ['-n', '-P', '-X', '-o', 'JobID,State', '-j', missing.join(',')]);
    if (a.status === 0) for (const t of parseSacct(a.stdout)) if (!tasks.has(key(t))) tasks.set(key(t), t);
  }
  return { tasks, warning };
}

export type SlurmTrialStateName = 'pending' | 'requeued' | 'running' | 'finished' | 'failed' | 'stopped' | 'not submitted';

export interface SlurmTrialState {
  readonly index: number;
  readonly state: SlurmTrialStateName;
  /** e.g. "job 123_4, R", "restarts 1", Slurm's reason or the trial's error. */
  readonly detail: string;
  readonly jobId?: string;
  readonly arrayIndex?: number;
  readonly restarts?: number;
}

/**
 * Each trial's state from Slurm's view of its latest submission and the trial's own files. The
 * trial's files decide finished (trained and scored); Slurm decides pending, requeued and running.
 */
export function slurmTrialStates(dir: string, env?: NodeJS.ProcessEnv): { trials: SlurmTrialState[]; warning?: string } | null {
  dir = resolve(dir);
  const record = readSlurmRecord(dir);
  if (!record) return null;
  const plan = readPlan(dir);
  const latest = new Map<number, { jobId: string; arrayIndex: number }>();
  for (const s of record.submissions) for (const t of s.trials) latest.set(t.index, { jobId: s.jobId, arrayIndex: t.arrayIndex });
  const { tasks, warning } = querySlurm([...latest.values()].map((l) => `${l.jobId}_${l.arrayIndex}`), env);
  const trials = plan.trials.map((t): SlurmTrialState => {
    const td = studyFiles.trialDir(dir, t);
    const sub = latest.get(t.index);
    const done = trialDone(td);
    const st = readStatus(td);
    if (!sub) return { index: t.index, state: done ? 'finished' : 'not submitted', detail: done ? '' : 'not in any Slurm submission' };
    const task = tasks.get(`${sub.jobId}_${sub.arrayIndex}`);
    const base = { index: t.index, jobId: sub.jobId, arrayIndex: sub.arrayIndex, restarts: task?.restarts ?? 0 };
    const where = `job ${sub.jobId}_${sub.arrayIndex}`;
    const restarts = task && task.restarts > 0 ? `, restarts ${task.restarts}` : '';
    if (done) return { ...base, state: 'finished', detail: `${where}${restarts}` };
    if (task && QUEUED.has(task.state)) {
      const requeued = task.restarts > 0 || REQUEUED.has(task.state);
      return { ...base, state: requeued ? 'requeued' : 'pending', detail: `${where} ${task.state}${task.reason && task.reason !== 'None' ? ` (${task.reason})` : ''}${restarts}` };
    }
    if (task && ACTIVE.has(task.state)) return { ...base, state: 'running', detail: `${where} ${task.state}${restarts}` };
    if (st.status === 'failed') return { ...base, state: 'failed', detail: `${where}: ${st.message ?? 'failed'}` };
    // Checkpointed and stopped (cancelled, preempted, a time limit): Slurm may call that FAILED
    // (exit 75) or TIMEOUT, but the trial continues from its checkpoint.
    if (st.status === 'stopped') return { ...base, state: 'stopped', detail: `${where}${task ? ` ${task.state}` : ''}${restarts}; resumable (study run --resume ${dir} --executor slurm)` };
    if (task && FAILED_STATES.has(task.state)) {
      return { ...base, state: 'failed', detail: `${where} ended ${task.state}${task.reason && task.reason !== 'None' ? ` (${task.reason})` : ''} without finishing; log: ${slurmFiles.taskLog(dir, sub.jobId, sub.arrayIndex)}` };
    }
    // Cancelled, completed without a score, or forgotten by Slurm: resumable from its checkpoint.
    return { ...base, state: 'stopped', detail: `${where}${task ? ` ${task.state}` : ''}${restarts}; resumable (study run --resume ${dir} --executor slurm)` };
  });
  return { trials, warning };
}

/** Trials whose latest Slurm task is still pending, requeued or running. */
export function activeTrials(states: readonly SlurmTrialState[]): SlurmTrialState[] {
  return states.filter((s) => s.state === 'pending' || s.state === 'requeued' || s.state === 'running');
}

/**
 * Writes study.sbatch and submits it with `sbatch --parsable`. Only after sbatch accepted it is
 * the submission recorded in slurm.json; a failure throws Slurm's own message and records nothing.
 */
export function submitStudy(dir: string, indices: readonly number[], opts: SlurmOptions): SlurmSubmission {
  dir = resolve(dir);
  const o = checkSlurmOptions(opts);
  const node = o.node ?? process.execPath;
  const lab = o.lab ?? LAB_ROOT;
  if (!o.node && !existsSync(node)) throw new SlurmError(`Node executable ${node} not found (use --node PATH)`);
  if (!o.lab && !existsSync(join(lab, 'bin', 'policy-lab.mjs'))) throw new SlurmError(`${lab} is not a Policy Lab install (no bin/policy-lab.mjs; use --lab PATH)`);
  const prev = readSlurmRecord(dir);
  if (prev) {
    const states = slurmTrialStates(dir, o.env);
    const busy = states ? activeTrials(states.trials).filter((s) => indices.includes(s.index)) : [];
    if (busy.length) throw new SlurmError(`trial${busy.length > 1 ? 's' : ''} ${busy.map((b) => b.index).join(', ')} ${busy.length > 1 ? 'are' : 'is'} still queued or running (${busy.map((b) => `${b.jobId}_${b.arrayIndex}`).join(', ')}): wait, or policy-lab study cancel ${dir}`);
  }
  const script = slurmScript(dir, indices, o);
  mkdirSync(slurmFiles.logs(dir), { recursive: true });
  writeFileAtomic(slurmFiles.script(dir), script);
  const r = runner(o.env)('sbatch', ['--parsable', slurmFiles.script(dir)]);
  if (r.error || r.status !== 0) throw slurmFailure('sbatch', r);
  const m = /^(\d+)(;\S+)?\s*$/m.exec(r.stdout.trim());
  if (!m) throw new SlurmError(`sbatch answered "${r.stdout.trim()}", not a job id`);
  const plan = readPlan(dir);
  const { env: _env, ...recorded } = opts;
  const sub: SlurmSubmission = {
    jobId: m[1],
    submittedAt: new Date().toISOString(),
    arrayIndices: [...indices].sort((a, b) => a - b),
    trials: [...indices].sort((a, b) => a - b).map((i) => ({ index: i, arrayIndex: i, dir: plan.trials[i].dir })),
    options: { ...recorded, node, lab, signalSeconds: o.signalSeconds },
  };
  const record: SlurmRecord = { version: 1, submissions: [...(prev?.submissions ?? []), sub] };
  try {
    writeFileAtomic(slurmFiles.record(dir), JSON.stringify(record, null, 2) + '\n');
  } catch (e) {
    // A job nobody can find again must not run: take it back.
    const c = runner(o.env)('scancel', [sub.jobId]);
    throw new SlurmError(`could not record job ${sub.jobId} in ${slurmFiles.record(dir)} (${(e as Error).message}); ${c.status === 0 ? 'the job was cancelled' : `cancel it yourself: scancel ${sub.jobId}`}`);
  }
  return sub;
}

/** Cancels the study's queued and running array tasks (scancel); each trial checkpoints and stays resumable. */
export function cancelStudy(dir: string, env?: NodeJS.ProcessEnv): { jobIds: string[]; trials: number[] } {
  dir = resolve(dir);
  const states = slurmTrialStates(dir, env);
  if (!states) throw new SlurmError(`${dir} was never submitted to Slurm (no slurm.json)`);
  const active = activeTrials(states.trials);
  if (active.length === 0) return { jobIds: [], trials: [] };
  const targets = active.map((s) => `${s.jobId}_${s.arrayIndex}`);
  const r = runner(env)('scancel', targets);
  if (r.error || r.status !== 0) throw slurmFailure('scancel', r);
  return { jobIds: [...new Set(active.map((s) => s.jobId!))], trials: active.map((s) => s.index) };
}

export interface SlurmExecutorOptions extends SlurmOptions {
  /** How often run() asks squeue whether tasks are still queued or running (ms, default 5000). */
  readonly pollMs?: number;
  /** Whether aborting run()'s signal cancels the tasks (default true, the StudyExecutor contract); false just stops waiting. */
  readonly cancelOnAbort?: boolean;
}

/** The StudyExecutor over Slurm: run() submits one job array and follows its trials until all ended. */
export class SlurmExecutor implements StudyExecutor {
  constructor(private readonly opts: SlurmExecutorOptions = {}) {}

  /** Submits and returns at once; the trials run on the cluster. */
  async submit(studyDir: string, trialIndices: readonly number[]): Promise<string> {
    const dir = resolve(studyDir);
    if (trialIndices.length === 0) return `${dir}: every trial is finished; nothing to submit`;
    let s: SlurmSubmission;
    try {
      s = submitStudy(dir, trialIndices, this.opts);
    } catch (e) {
      if (!(e instanceof SlurmError)) throw e;
      // Slurm's own words first; then where the (unsubmitted) study folder is.
      throw new SlurmError(`${e.message}\nnothing was submitted; the study folder is ${dir} (submit it with: policy-lab study run --resume ${dir} --executor slurm …)`);
    }
    return [
      `submitted job array ${s.jobId} (${s.trials.length} trial${s.trials.length > 1 ? 's' : ''}, array ${arraySpec(s.arrayIndices, this.opts.maxParallel)}) from ${slurmFiles.script(dir)}`,
      `follow it:  policy-lab study status ${dir}   (logs: ${slurmFiles.logs(dir)}/)`,
      `cancel it:  policy-lab study cancel ${dir}   (trials stay resumable: policy-lab study run --resume ${dir} --executor slurm)`,
    ].join('\n');
  }

  async run(studyDir: string, trialIndices: readonly number[], hooks: ExecutorHooks = {}): Promise<ExecutorResult> {
    const dir = resolve(studyDir);
    const plan = readPlan(dir);
    const todo = [...trialIndices];
    if (hooks.signal?.aborted) return { finished: [], stopped: [], failed: [], notStarted: todo };
    if (todo.length) submitStudy(dir, todo, this.opts);
    const started = new Set<number>();
    const follower = followStudy(dir, (e) => {
      if (!('index' in e) || e.index === undefined || !todo.includes(e.index)) return;
      const i = e.index;
      if (e.type === 'status' && e.status.status === 'running' && !started.has(i)) { started.add(i); hooks.onTrial?.({ index: i, kind: 'started' }); }
      if (e.type === 'metrics' && e.rows.length) {
        const last = e.rows[e.rows.length - 1];
        hooks.onProgress?.({ index: i, steps: last.steps, totalSteps: plan.trials[i].config.totalSteps, returnMean: last.returnMean });
      }
    });
    await follower.ready;
    const ended = new Set<number>();
    const result = { finished: [] as number[], stopped: [] as number[], failed: [] as number[], notStarted: [] as number[] };
    let cancelled = false;
    const onAbort = () => {
      if (cancelled || this.opts.cancelOnAbort === false) return;
      cancelled = true;
      try { cancelStudy(dir, this.opts.env); } catch { /* nothing active any more */ }
    };
    hooks.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      for (;;) {
        const view = slurmTrialStates(dir, this.opts.env);
        // When squeue did not answer, a queued task would look ended: ask again next round.
        const states = view && !view.warning ? view.trials : [];
        for (const s of states) {
          if (!todo.includes(s.index) || ended.has(s.index)) continue;
          const outcome: TrialOutcome | null = s.state === 'finished' ? 'finished' : s.state === 'failed' ? 'failed' : s.state === 'stopped' ? 'stopped' : null;
          if (!outcome) continue;
          ended.add(s.index);
          if (outcome === 'stopped' && !started.has(s.index)) result.notStarted.push(s.index);
          else result[outcome].push(s.index);
          hooks.onTrial?.({ index: s.index, kind: 'ended', outcome, message: outcome === 'failed' ? s.detail : undefined });
        }
        if (ended.size === todo.length) break;
        if (hooks.signal?.aborted && this.opts.cancelOnAbort === false) {
          for (const i of todo) if (!ended.has(i)) result.notStarted.push(i);
          break;
        }
        await new Promise((r) => setTimeout(r, this.opts.pollMs ?? 5000));
      }
    } finally {
      hooks.signal?.removeEventListener('abort', onAbort);
      await follower.close();
    }
    return result;
  }
}
