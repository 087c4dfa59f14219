// The run directory: config.json, metrics.jsonl (one line per update), status.json and
// checkpoints/latest.ckpt. Shared by the trainer, the CLI and the app.

import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { MetricsRow, RunConfig } from '../protocol.js';
import { writeFileAtomic } from './atomic.js';

export type RunStatus = 'created' | 'running' | 'paused' | 'finished' | 'stopped' | 'failed' | 'crashed';

export interface RunSummary {
  readonly dir: string;
  readonly id: string;
  readonly config: RunConfig;
  readonly steps: number;
  readonly lastReturn: number;
  readonly status: RunStatus;
}

export interface StatusFile {
  status: RunStatus;
  backend?: string;
  /** What takes the gradient steps when not the TF.js backend (e.g. PPO's fused kernels). */
  gradientStep?: string;
  message?: string;
  steps?: number;
  updatedAt: string;
}

export const runFiles = {
  config: (dir: string) => join(dir, 'config.json'),
  metrics: (dir: string) => join(dir, 'metrics.jsonl'),
  status: (dir: string) => join(dir, 'status.json'),
  checkpoint: (dir: string) => join(dir, 'checkpoints', 'latest.ckpt'),
};

export class RunError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RunError';
  }
}

/** Creates root/<time>-<task>-<algo>-s<seed> (unique) with its config.json. */
export async function newRunDir(root: string, config: RunConfig): Promise<string> {
  mkdirSync(root, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').replace('Z', '');
  let dir = resolve(root, `${stamp}-${config.task}-${config.algo}-s${config.seed}`);
  for (let i = 2; existsSync(dir); i++) dir = resolve(root, `${stamp}-${config.task}-${config.algo}-s${config.seed}-${i}`);
  mkdirSync(join(dir, 'checkpoints'), { recursive: true });
  writeFileAtomic(runFiles.config(dir), JSON.stringify(config, null, 2) + '\n');
  writeStatus(dir, { status: 'created' });
  return dir;
}

export function readConfig(dir: string): RunConfig {
  const p = runFiles.config(dir);
  if (!existsSync(p)) throw new RunError(`${dir} is not a run directory (no config.json)`);
  try {
    return JSON.parse(readFileSync(p, 'utf8')) as RunConfig;
  } catch (e) {
    throw new RunError(`${p} is not valid JSON: ${(e as Error).message}`);
  }
}

export function appendMetrics(dir: string, row: MetricsRow): void {
  appendFileSync(runFiles.metrics(dir), JSON.stringify(row) + '\n');
}

/** All complete metrics lines; a torn last line (crash mid-append) is ignored. */
export function readMetrics(dir: string): MetricsRow[] {
  const p = runFiles.metrics(dir);
  if (!existsSync(p)) return [];
  const rows: MetricsRow[] = [];
  for (const line of readFileSync(p, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      // JSON has no NaN: "not applicable" is written as null and read back as NaN.
      rows.push(JSON.parse(line, (_k, v) => (v === null ? NaN : v)) as MetricsRow);
    } catch {
      break;
    }
  }
  return rows;
}

/** On resume: keep only the rows the checkpoint had seen, so the file continues exactly. */
export function truncateMetrics(dir: string, upToUpdate: number): void {
  const rows = readMetrics(dir).filter((r) => r.update <= upToUpdate);
  writeFileAtomic(runFiles.metrics(dir), rows.map((r) => JSON.stringify(r) + '\n').join(''));
}

export function writeStatus(dir: string, s: Omit<StatusFile, 'updatedAt'>): void {
  writeFileAtomic(runFiles.status(dir), JSON.stringify({ ...s, updatedAt: new Date().toISOString() }, null, 2) + '\n');
}

export function readStatus(dir: string): StatusFile {
  try {
    return JSON.parse(readFileSync(runFiles.status(dir), 'utf8')) as StatusFile;
  } catch {
    return { status: 'created', updatedAt: '' };
  }
}

export async function readRun(dir: string): Promise<{ config: RunConfig; metrics: MetricsRow[]; status: StatusFile }> {
  return { config: readConfig(dir), metrics: readMetrics(dir), status: readStatus(dir) };
}

/** Every run directory directly under root, newest first; unreadable ones are skipped. */
export async function listRuns(root: string): Promise<RunSummary[]> {
  if (!existsSync(root)) return [];
  const out: RunSummary[] = [];
  for (const e of readdirSync(root, { withFileTypes: true })) {
    if (!e.isDirectory()) continue;
    const dir = join(root, e.name);
    if (!existsSync(runFiles.config(dir))) continue;
    try {
      const config = readConfig(dir);
      const metrics = readMetrics(dir);
      const last = metrics[metrics.length - 1];
      out.push({ dir, id: e.name, config, steps: last?.steps ?? 0, lastReturn: last?.returnMean ?? NaN, status: readStatus(dir).status });
    } catch {
      /* a half-written or foreign folder: not a run */
    }
  }
  return out.sort((a, b) => b.id.localeCompare(a.id));
}
