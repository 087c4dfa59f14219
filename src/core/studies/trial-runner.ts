// One trial of a study, in this process: the unit of work every executor runs
// (`policy-lab study trial DIR INDEX`, the local pool's processes, Slurm jobs).
// - finished and scored: nothing to do;
// - otherwise trains it, resuming from checkpoints/latest.ckpt when there is one;
// - a stop request (the AbortSignal: SIGTERM, SIGINT, SIGUSR1 in trial-child.ts) checkpoints after
//   the current update and returns 'stopped' (exit 75), status.json says "stopped";
// - a failure returns 'failed' with the error in status.json;
// - after training: the gradient-variance probes the study asks for, then the score: a
//   deterministic evaluation of the final policy, written to final-eval.json.

import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TrainerToHost } from '../protocol.js';
import { writeFileAtomic } from '../runs/atomic.js';
import { readMetrics, readStatus, runFiles, writeStatus } from '../runs/store.js';
import { evaluateRun } from '../trainer/evaluate.js';
import { TrainingSession } from '../trainer/session.js';
import type { TrialOutcome } from './executor.js';
import { readPlan, readStudy, studyFiles, StudyError, trialDone, type FinalEval } from './study-folder.js';
import type { VarianceSpec } from './study-file.js';

/** The trial is being trained by another live process. */
export class TrialBusyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TrialBusyError';
  }
}

export interface TrialProgress {
  readonly index: number;
  readonly steps: number;
  readonly totalSteps: number;
  readonly returnMean: number;
}

export interface TrialRunOptions {
  /** Aborting asks the trial to checkpoint and stop. */
  readonly signal?: AbortSignal;
  /** Called after every update. */
  readonly onProgress?: (p: TrialProgress) => void;
  /** Human-readable lines (errors, phases). */
  readonly log?: (line: string) => void;
}

/** The checkpoint kept for a variance probe at fraction `f` of the steps. */
export const probeCheckpoint = (trialDir: string, f: number) => join(trialDir, 'checkpoints', `probe-${Math.round(f * 1000).toString().padStart(4, '0')}.ckpt`);

/** One probe result as stored in variance.json. */
export interface VarianceRecord {
  readonly at: number;
  readonly steps: number;
  readonly estimators: { phi: string; meanGradNorm: number; totalVariance: number; snr: number }[];
}

export function readVarianceRecords(trialDir: string): VarianceRecord[] {
  const p = studyFiles.variance(trialDir);
  if (!existsSync(p)) return [];
  try {
    const x = JSON.parse(readFileSync(p, 'utf8')) as { probes?: VarianceRecord[] };
    return Array.isArray(x.probes) ? x.probes : [];
  } catch {
    return [];
  }
}

async function runProbes(trialDir: string, spec: VarianceSpec, signal: AbortSignal | undefined, log: (s: string) => void): Promise<boolean> {
  const done = readVarianceRecords(trialDir);
  const { probeCheckpointFile } = await import('../analysis/gradient-variance.js');
  for (const f of spec.at) {
    if (signal?.aborted) return false;
    if (done.some((r) => r.at === f)) continue;
    const ckpt = f === 1 ? runFiles.checkpoint(trialDir) : probeCheckpoint(trialDir, f);
    if (!existsSync(ckpt)) { log(`variance probe at ${f}: no checkpoint kept (skipped)`); continue; }
    const r = await probeCheckpointFile(trialDir, ckpt, { batches: spec.batches, episodesPerBatch: spec.episodesPerBatch });
    done.push({ at: f, steps: r.steps, estimators: r.estimators.filter((e) => e.available).map((e) => ({ phi: e.phi, meanGradNorm: e.meanGradNorm, totalVariance: e.totalVariance, snr: e.snr })) });
    writeFileAtomic(studyFiles.variance(trialDir), JSON.stringify({ probes: done }, null, 2) + '\n');
  }
  return true;
}

export async function runTrial(studyDir: string, index: number, opts: TrialRunOptions = {}): Promise<TrialOutcome> {
  const log = opts.log ?? (() => {});
  const plan = readPlan(studyDir);
  const trial = plan.trials[index];
  if (!trial) throw new StudyError(`${studyDir}: no trial ${index} (the study has ${plan.trials.length}, 0 … ${plan.trials.length - 1})`);
  const td = studyFiles.trialDir(studyDir, trial);
  if (trialDone(td)) return 'finished';
  // Another live process trains it (a second `study run --resume`, the app's Continue while a
  // cluster runs the study): refuse without touching its files. A dead trainer reads "crashed".
  const now = readStatus(td);
  if (now.status === 'running' || now.status === 'paused') {
    const who = now.trainer ? ` by pid ${now.trainer.pid}${now.trainer.host ? ` on ${now.trainer.host}` : ''}` : '';
    throw new TrialBusyError(`${studyDir}: trial ${index} is being trained${who} (status.json says ${now.status}); stop that first`);
  }
  const { spec } = readStudy(studyDir);
  const total = trial.config.totalSteps;

  if (readStatus(td).status !== 'finished') {
    // Probe checkpoints: the first checkpoint at or past each chosen fraction is kept.
    const keep = (spec.variance?.at ?? []).filter((f) => f < 1 && !existsSync(probeCheckpoint(td, f)));
    const session = new TrainingSession((m: TrainerToHost) => {
      if (m.type === 'metrics') opts.onProgress?.({ index, steps: m.row.steps, totalSteps: total, returnMean: m.row.returnMean });
      else if (m.type === 'checkpoint') {
        for (let i = keep.length - 1; i >= 0; i--) {
          if (m.step >= keep[i] * total) { copyFileSync(m.path, probeCheckpoint(td, keep[i])); keep.splice(i, 1); }
        }
      } else if (m.type === 'error') log(`trial ${index}: ${m.message}`);
    });
    const onAbort = () => session.stop();
    if (opts.signal?.aborted) return 'stopped';
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    let result: 'finished' | 'stopped' | 'failed';
    try {
      result = await session.run(trial.config, td, existsSync(runFiles.checkpoint(td)) || readMetrics(td).length > 0);
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
    }
    if (result !== 'finished') return result;
  }
  try {
    if (spec.variance && !(await runProbes(td, spec.variance, opts.signal, log))) return 'stopped';
    if (opts.signal?.aborted) return 'stopped';
    const t0 = performance.now();
    const ev = await evaluateRun(td, spec.evalEpisodes, true);
    const returns = Array.from(ev.returns);
    const score: FinalEval = { episodes: spec.evalEpisodes, deterministic: true, returns, mean: returns.reduce((a, b) => a + b, 0) / returns.length, steps: readMetrics(td).at(-1)?.steps ?? 0, seconds: (performance.now() - t0) / 1000 };
    writeFileAtomic(studyFiles.finalEval(td), JSON.stringify(score, null, 2) + '\n');
    return 'finished';
  } catch (e) {
    const message = `after training: ${e instanceof Error ? e.message : String(e)}`;
    log(`trial ${index}: ${message}`);
    writeStatus(td, { ...readStatus(td), status: 'failed', message });
    return 'failed';
  }
}
