// The study folder:
//   DIR/study.json           the validated study file, verbatim
//   DIR/plan.json            {"version":1,"trials":[{index, variant, seed, dir, config}]}, written
//                            atomically once at creation; every executor and reader works from it
//   DIR/trials/<dir>/        an ordinary run directory per trial (config.json, metrics.jsonl,
//                            status.json, checkpoints/), plus final-eval.json (the trial's score)
//                            and variance.json (gradient-variance probes) when asked for
// So eval, export, resume and the runs list work on every trial.

import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError } from '../config/schema.js';
import type { RunConfig } from '../protocol.js';
import { writeFileAtomic } from '../runs/atomic.js';
import { resolveRunConfig } from '../runs/run-config.js';
import { readStatus, runFiles, writeStatus } from '../runs/store.js';
import { parseStudyText, type TrialDef, type ValidStudy } from './study-file.js';

export const PLAN_VERSION = 1;

export interface StudyPlan {
  readonly version: 1;
  readonly trials: readonly TrialDef[];
}

export const studyFiles = {
  study: (dir: string) => join(dir, 'study.json'),
  plan: (dir: string) => join(dir, 'plan.json'),
  trialDir: (dir: string, t: Pick<TrialDef, 'dir'>) => join(dir, t.dir),
  finalEval: (trialDir: string) => join(trialDir, 'final-eval.json'),
  variance: (trialDir: string) => join(trialDir, 'variance.json'),
};

export class StudyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StudyError';
  }
}

/** The trial's score: deterministic evaluation of its final policy. */
export interface FinalEval {
  readonly episodes: number;
  readonly deterministic: true;
  readonly returns: number[];
  readonly mean: number;
  readonly steps: number;
  /** Wall-clock seconds the evaluation took. */
  readonly seconds?: number;
}

/** Creates DIR (must not hold a study yet) with study.json, plan.json and every trial's run directory. */
export function createStudyFolder(dir: string, study: ValidStudy): StudyPlan {
  dir = resolve(dir);
  if (existsSync(studyFiles.plan(dir))) throw new StudyError(`${dir} already holds a study: continue it with study run --resume ${dir}`);
  mkdirSync(join(dir, 'trials'), { recursive: true });
  for (const t of study.trials) {
    const td = studyFiles.trialDir(dir, t);
    mkdirSync(join(td, 'checkpoints'), { recursive: true });
    writeFileAtomic(runFiles.config(td), JSON.stringify(t.config, null, 2) + '\n');
    writeStatus(td, { status: 'created' });
  }
  writeFileAtomic(studyFiles.study(dir), JSON.stringify(study.spec.raw, null, 2) + '\n');
  const plan: StudyPlan = { version: PLAN_VERSION, trials: study.trials };
  // plan.json last: its presence marks a complete study folder.
  writeFileAtomic(studyFiles.plan(dir), JSON.stringify(plan, null, 2) + '\n');
  return plan;
}

/** A new folder under `root` named <time>-<study-name-slug>. */
export function newStudyDir(root: string, name: string): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').replace('Z', '');
  const base = `${stamp}-${name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 40) || 'study'}`;
  let d = resolve(root, base);
  for (let i = 2; existsSync(d); i++) d = resolve(root, `${base}-${i}`);
  return d;
}

function readJson(path: string, what: string): unknown {
  if (!existsSync(path)) throw new StudyError(`${what}: ${path} does not exist`);
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new StudyError(`${what}: ${path} is not valid JSON (${(e as Error).message})`);
  }
}

/** Reads and checks plan.json (each trial's config re-validated; dirs confined to one folder level under trials/). */
export function readPlan(dir: string): StudyPlan {
  const raw = readJson(studyFiles.plan(dir), 'plan') as { version?: unknown; trials?: unknown };
  if (!raw || raw.version !== PLAN_VERSION || !Array.isArray(raw.trials)) throw new StudyError(`${studyFiles.plan(dir)}: expected {"version": 1, "trials": [...]}`);
  const trials = raw.trials.map((t: unknown, i: number): TrialDef => {
    const x = t as Partial<TrialDef>;
    if (!x || x.index !== i || typeof x.variant !== 'string' || typeof x.seed !== 'number' || typeof x.dir !== 'string' || !/^trials\/[A-Za-z0-9._-]+$/.test(x.dir) || /^trials\/\.{1,2}$/.test(x.dir) || !x.config)
      throw new StudyError(`${studyFiles.plan(dir)}: trial ${i} is malformed`);
    let config: RunConfig;
    try {
      const c = x.config;
      config = resolveRunConfig({ task: c.task, algo: c.algo, seed: c.seed, totalSteps: c.totalSteps, backend: c.backend, checkpointEvery: c.checkpointEvery, algoConfig: c.algoConfig, custom: c.custom });
    } catch (e) {
      throw new StudyError(`${studyFiles.plan(dir)}: trial ${i}: ${(e as Error).message}`);
    }
    return { index: i, variant: x.variant, seed: x.seed, dir: x.dir, config };
  });
  return { version: PLAN_VERSION, trials };
}

/** Reads study.json through the study validator. */
export function readStudy(dir: string): ValidStudy {
  const p = studyFiles.study(dir);
  if (!existsSync(p)) throw new StudyError(`${dir} is not a study folder (no study.json)`);
  try {
    return parseStudyText(readFileSync(p, 'utf8'), p);
  } catch (e) {
    if (e instanceof ConfigError) throw new StudyError(`${p}: ${e.message}`);
    throw e;
  }
}

export function isStudyDir(dir: string): boolean {
  return existsSync(studyFiles.plan(dir)) && existsSync(studyFiles.study(dir));
}

export function readFinalEval(trialDir: string): FinalEval | null {
  const p = studyFiles.finalEval(trialDir);
  if (!existsSync(p)) return null;
  try {
    const x = JSON.parse(readFileSync(p, 'utf8')) as FinalEval;
    if (!Array.isArray(x.returns) || typeof x.mean !== 'number') return null;
    return x;
  } catch {
    return null;
  }
}

/** finished = trained AND scored; a trained trial without its score is still to do. */
export function trialDone(trialDir: string): boolean {
  return readStatus(trialDir).status === 'finished' && readFinalEval(trialDir) !== null;
}

/** Every study folder directly under root, newest first. */
export function listStudyDirs(root: string): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory() && isStudyDir(join(root, e.name)))
    .map((e) => join(root, e.name))
    .sort((a, b) => b.localeCompare(a));
}

