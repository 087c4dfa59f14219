// The run directory: config.json, metrics.jsonl (one line per update), status.json and
// checkpoints/latest.ckpt. Shared by the trainer, the CLI and the app.

import { appendFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError } from '../config/schema.js';
import type { MetricsRow, RunConfig } from '../protocol.js';
import { writeFileAtomic } from './atomic.js';
import { isAlive, selfStamp, type ProcessStamp } from './liveness.js';
import { resolveRunConfig } from './run-config.js';
import { readRegularFileSync, UnsafeFileError } from './safe-read.js';

/** Size limits of the run files a reader accepts (a run of 10^10 steps stays far below them). */
export const RUN_FILE_LIMITS = { config: 1 << 20, status: 64 << 10, metrics: 512 << 20 } as const;

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
  /** What takes the gradient steps when not the TF.js backend (e.g. the WASM-SIMD kernel engine). */
  gradientStep?: string;
  message?: string;
  steps?: number;
  /** The process training the run (while running or paused), so a reader can tell a dead one. */
  trainer?: ProcessStamp;
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

/** config.json, checked by the one run validator: a bad file is a RunError naming it and the field. */
export function readConfig(dir: string): RunConfig {
  const p = runFiles.config(dir);
  if (!existsSync(p)) throw new RunError(`${dir} is not a run directory (no config.json)`);
  let raw: unknown;
  try {
    raw = JSON.parse(readRunFile(p, RUN_FILE_LIMITS.config).toString('utf8'));
  } catch (e) {
    if (e instanceof RunError) throw e;
    throw new RunError(`${p} is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new RunError(`${p}: expected a JSON object`);
  try {
    return resolveRunConfig(raw);
  } catch (e) {
    if (e instanceof ConfigError) throw new RunError(`${p}: ${e.message}`);
    throw e;
  }
}

function readRunFile(p: string, max: number): Buffer {
  try {
    return readRegularFileSync(p, max);
  } catch (e) {
    if (e instanceof UnsafeFileError) throw new RunError(e.message);
    throw e;
  }
}

export function appendMetrics(dir: string, row: MetricsRow): void {
  appendFileSync(runFiles.metrics(dir), JSON.stringify(row) + '\n');
}

/** metrics.jsonl read line by line: the good rows, and the 1-based numbers of the lines that are not rows. */
export interface MetricsRead {
  readonly rows: MetricsRow[];
  readonly badLines: number[];
  /** A last line without its newline that does not parse: a crash mid-append, not corruption. */
  readonly tornTail: boolean;
}

/** One metrics.jsonl line as a row, or null when it is not one (the rule every reader of the file uses). */
export function parseMetricsLine(line: string): MetricsRow | null {
  try {
    // JSON has no NaN: "not applicable" is written as null and read back as NaN.
    const r = JSON.parse(line, (_k, v: unknown) => (v === null ? NaN : v)) as unknown;
    if (typeof r !== 'object' || r === null || Array.isArray(r)) return null;
    const row = r as Partial<MetricsRow>;
    if (!Number.isInteger(row.update) || (row.update as number) < 1 || typeof row.steps !== 'number' || !Number.isFinite(row.steps)) return null;
    return r as MetricsRow;
  } catch {
    return null;
  }
}

export function readMetricsChecked(dir: string): MetricsRead {
  const p = runFiles.metrics(dir);
  if (!existsSync(p)) return { rows: [], badLines: [], tornTail: false };
  const text = readRunFile(p, RUN_FILE_LIMITS.metrics).toString('utf8');
  const lines = text.split('\n');
  const rows: MetricsRow[] = [];
  const badLines: number[] = [];
  let tornTail = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (!line.trim()) continue;
    const row = parseMetricsLine(line);
    if (row) rows.push(row);
    else if (i === lines.length - 1) tornTail = true; // no newline after it: the append was cut short
    else badLines.push(i + 1);
  }
  return { rows, badLines, tornTail };
}

/** Every valid row; a corrupt line anywhere is skipped (never the rows after it), a torn last line ignored. */
export function readMetrics(dir: string): MetricsRow[] {
  return readMetricsChecked(dir).rows;
}

/**
 * On resume: keep every valid row the checkpoint had seen (update ≤ upToUpdate), so the file
 * continues exactly. Rows after the checkpoint are the ones the resumed run writes again. Lines
 * that are not rows are moved to metrics.jsonl.bad (nothing is thrown away unseen) and named in
 * the returned message; null when the file was clean.
 */
export function truncateMetrics(dir: string, upToUpdate: number): string | null {
  const { rows, badLines } = readMetricsChecked(dir);
  const p = runFiles.metrics(dir);
  if (badLines.length > 0) {
    const lines = readRunFile(p, RUN_FILE_LIMITS.metrics).toString('utf8').split('\n');
    appendFileSync(p + '.bad', badLines.map((n) => `${n}\t${lines[n - 1]}\n`).join(''));
  }
  const kept = rows.filter((r) => r.update <= upToUpdate);
  writeFileAtomic(p, kept.map((r) => JSON.stringify(r) + '\n').join(''));
  if (badLines.length === 0) return null;
  const shown = badLines.slice(0, 10).join(', ') + (badLines.length > 10 ? ` and ${badLines.length - 10} more` : '');
  return `${p}: line${badLines.length > 1 ? 's' : ''} ${shown} ${badLines.length > 1 ? 'were not metrics rows and were' : 'was not a metrics row and was'} skipped (copied to metrics.jsonl.bad); every valid row up to update ${upToUpdate} is kept`;
}

/** Writes status.json; a running or paused status records this process, so readers can tell when it died. */
export function writeStatus(dir: string, s: Omit<StatusFile, 'updatedAt'>): void {
  const { trainer: _old, ...rest } = s;
  const live = s.status === 'running' || s.status === 'paused';
  writeFileAtomic(runFiles.status(dir), JSON.stringify({ ...rest, ...(live ? { trainer: selfStamp() } : {}), updatedAt: new Date().toISOString() }, null, 2) + '\n');
}

const STATUSES: readonly RunStatus[] = ['created', 'running', 'paused', 'finished', 'stopped', 'failed', 'crashed'];

/**
 * status.json as the run's state now: "running" or "paused" whose trainer process is gone reads
 * as "crashed" (it was killed before it could say so). A missing or unreadable file is "created".
 */
export function readStatus(dir: string): StatusFile {
  let s: StatusFile;
  try {
    const raw = JSON.parse(readRegularFileSync(runFiles.status(dir), RUN_FILE_LIMITS.status).toString('utf8')) as unknown;
    if (typeof raw !== 'object' || raw === null || !STATUSES.includes((raw as StatusFile).status)) return { status: 'created', updatedAt: '' };
    s = raw as StatusFile;
  } catch {
    return { status: 'created', updatedAt: '' };
  }
  const t = s.trainer;
  if ((s.status === 'running' || s.status === 'paused') && t && Number.isInteger(t.pid) && t.pid > 0 && !isAlive({ pid: t.pid, startTicks: typeof t.startTicks === 'number' ? t.startTicks : null, ...(typeof t.host === 'string' ? { host: t.host } : {}) })) {
    return { ...s, status: 'crashed', message: `the trainer process (pid ${t.pid}) ended without finishing the run; resume it from its last checkpoint` };
  }
  return s;
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
