// The lab's engine room, shared by Electron main and serve mode (plain Node, no Electron):
// owns the runs folder and the trainer child processes, turns trainer messages into LabEvents,
// and reports crashed trainers so the run can be resumed from its last checkpoint.
import { existsSync } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { HostToTrainer, MetricsRow, RunConfig, TrainerToHost } from '../core/protocol.js';
import {
  LabError, type BundleSummary, type Catalog, type EvaluateRequest, type EvaluationResult, type ExportRequest, type ExportResult,
  type ImportRequest, type ImportResult, type LabEvent,
  type LabState, type OpenRunResult, type ResumeRequest, type RunInfo, type StartRequest, type StartResult,
  type Unsubscribe,
} from './api.js';
import { storeRequestedModel } from './model-store.js';
import { checkExportTarget, ExportTargetError } from '../core/runs/export-target.js';
import { JobSlots, SerialQueue } from './serial-queue.js';
import { ViewerService, type ViewerProcessLike } from './viewer-service.js';
import { StudyService, type StudyServiceOptions } from './study-backend.js';

/** What LabBackend needs of a trainer process (core/trainer/host's TrainerHost fits). */
export interface TrainerProcess {
  readonly pid: number;
  send(msg: HostToTrainer): void;
  onMessage(cb: (m: TrainerToHost) => void): void;
  onExit(cb: (code: number | null, signal: string | null) => void): void;
  kill(signal?: NodeJS.Signals): void;
}

/** The parts of core this backend uses; injected so tests can run without a real trainer. */
export interface BackendDeps {
  spawnTrainer(): TrainerProcess;
  listRuns(root: string): Promise<RunInfo[]>;
  readRun(dir: string): Promise<{ config: RunConfig; metrics: MetricsRow[] }>;
  newRunDir(root: string, config: RunConfig): Promise<string>;
  exportRun(runDir: string, format: ExportRequest['format'], outDir: string): Promise<ExportResult>;
  /**
   * Verifies the bundle folder's checksums and copies it under destRoot/imports; a refused
   * bundle throws (LabError 'invalid' naming the file) and copies nothing.
   */
  importBundle(bundlePath: string, destRoot: string): Promise<{ runDir: string; card: BundleSummary }>;
  catalog(): Catalog;
  /** The real-time viewer's process (absent: no viewer, e.g. in tests with a fake trainer). */
  spawnViewer?(): ViewerProcessLike;
  /** Frees what the deps hold themselves (a warm spare trainer). */
  dispose?(): void;
  /** How the studies' trial processes start (default: trial-child.ts through tsx). */
  studyOptions?: StudyServiceOptions;
}

interface ActiveRun {
  readonly host: TrainerProcess;
  readonly runDir: string;
  state: LabState;
  lastCheckpointStep: number | null;
  stopTimer?: NodeJS.Timeout;
  endTimer?: NodeJS.Timeout;
}

/**
 * Process bounds (docs/ARCHITECTURE.md): one warm spare (the deps), one trainer per active run,
 * and `jobSlots` trainers for evaluate/export together; up to `jobQueue` more such requests wait,
 * any beyond are refused as busy.
 */
export interface BackendLimits {
  readonly jobSlots: number;
  readonly jobQueue: number;
  /** After 'done' the trainer exits by itself; past this grace its owner ends it. */
  readonly doneGraceMs: number;
}
export const DEFAULT_LIMITS: BackendLimits = { jobSlots: 2, jobQueue: 16, doneGraceMs: 3000 };

/** How long a trainer may take to honour 'stop' before it is killed. */
const STOP_GRACE_MS = 10_000;
const EVAL_TIMEOUT_MS = 10 * 60_000;
/** core/export's card file name: its presence marks a bundle folder (kept literal: no core/export import here). */
const BUNDLE_CARD_FILE = 'policy-card.json';

export class LabBackend {
  private active: ActiveRun | null = null;
  private readonly listeners = new Set<(e: LabEvent) => void>();
  private readonly evaluators = new Set<TrainerProcess>();

  /** start, resume, pause and stop, one at a time (see serial-queue.ts). */
  private readonly serial = new SerialQueue();
  private readonly jobs: JobSlots;
  private readonly limits: BackendLimits;

  /** The real-time viewer (its own process): plays the active run's latest policy, or a chosen one. */
  readonly viewer: ViewerService;
  /** Studies: many trials in a local process pool (see study-backend.ts). */
  readonly studies: StudyService;

  constructor(readonly runsRoot: string, private readonly deps: BackendDeps, limits: Partial<BackendLimits> = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
    this.jobs = new JobSlots(this.limits.jobSlots, this.limits.jobQueue);
    this.viewer = new ViewerService(deps.spawnViewer?.bind(deps), (e) => this.emit(e));
    this.studies = new StudyService(runsRoot, (e) => this.emit(e), deps.studyOptions);
  }

  /** Trainer processes evaluating or exporting right now, and requests waiting for one. */
  get jobLoad(): { active: number; queued: number } {
    return { active: this.jobs.active, queued: this.jobs.queued };
  }

  onEvent(cb: (e: LabEvent) => void): Unsubscribe {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  getCatalog(): Catalog {
    return this.deps.catalog();
  }

  /** State of the active (or last) run, for status displays and tests. */
  get status(): { state: LabState; runDir: string | null } {
    return { state: this.active?.state ?? 'idle', runDir: this.active?.runDir ?? null };
  }

  startRun(req: StartRequest): Promise<StartResult> {
    return this.serial.run(() => this.startNow(req));
  }

  private async startNow(req: StartRequest): Promise<StartResult> {
    this.assertIdle();
    await mkdir(this.runsRoot, { recursive: true });
    const custom = req.custom ? { mjcfPath: await storeRequestedModel(this.runsRoot, req.custom), preset: req.custom.preset, ...(req.custom.options ? { options: req.custom.options } : {}) } : undefined;
    const config: RunConfig = {
      task: req.task, algo: req.algo, seed: req.seed, totalSteps: req.totalSteps, backend: req.backend,
      algoConfig: req.algoConfig, checkpointEvery: req.checkpointEvery, ...(custom ? { custom } : {}),
    };
    const runDir = await this.deps.newRunDir(this.runsRoot, config);
    this.launch(runDir, config, false);
    return { runDir, id: path.basename(runDir) };
  }

  pause(): Promise<void> {
    return this.serial.run(() => this.pauseNow());
  }

  private pauseNow(): void {
    const a = this.active;
    if (!a || a.state !== 'running') throw new LabError('invalid', 'nothing is training right now');
    a.host.send({ type: 'pause' });
  }

  /** Un-pauses the active run, or continues a stopped/crashed run from its last checkpoint. */
  resume(req: ResumeRequest = {}): Promise<void> {
    return this.serial.run(() => this.resumeNow(req));
  }

  private async resumeNow(req: ResumeRequest): Promise<void> {
    const a = this.active;
    if (a && a.state === 'paused' && (req.runDir === undefined || req.runDir === a.runDir)) {
      a.host.send({ type: 'resume' });
      return;
    }
    const runDir = req.runDir ?? (a && isOver(a.state) ? a.runDir : undefined);
    if (!runDir) throw new LabError('invalid', 'no paused or interrupted run to resume');
    this.assertIdle();
    const { config } = await this.readRunChecked(runDir);
    this.launch(runDir, config, true);
  }

  stop(): Promise<void> {
    return this.serial.run(() => this.stopNow());
  }

  private stopNow(): void {
    const a = this.active;
    if (!a || isOver(a.state)) throw new LabError('invalid', 'nothing is training right now');
    a.state = 'stopping';
    this.emit({ type: 'status', state: 'stopping', runDir: a.runDir });
    a.host.send({ type: 'stop' });
    a.stopTimer = setTimeout(() => a.host.kill('SIGKILL'), STOP_GRACE_MS);
  }

  listRuns(): Promise<RunInfo[]> {
    return this.deps.listRuns(this.runsRoot);
  }

  async openRun(runDir: string): Promise<OpenRunResult> {
    const r = await this.readRunChecked(runDir);
    return { runDir, config: r.config, metrics: r.metrics };
  }

  /** Replays the run's policy in a separate trainer process and records every step's poses. */
  async evaluate(req: EvaluateRequest): Promise<EvaluationResult> {
    // An imported bundle has no run files; the trainer verifies its checksums before replaying it.
    if (!existsSync(path.join(req.runDir, BUNDLE_CARD_FILE))) await this.readRunChecked(req.runDir);
    return this.inJobSlot('evaluation', () => this.evaluateNow(req));
  }

  /** Runs an evaluate/export job when one of the job trainer slots is free (queued until then). */
  private inJobSlot<T>(what: string, job: () => Promise<T>): Promise<T> {
    if (!this.jobs.canTake()) throw new LabError('busy', `too many evaluations and exports at once (${this.limits.jobSlots} running, ${this.limits.jobQueue} waiting); try again when one has finished`);
    return this.jobs.run(job);
  }

  private async evaluateNow(req: EvaluateRequest): Promise<EvaluationResult> {
    const host = this.deps.spawnTrainer();
    this.evaluators.add(host);
    try {
      return await new Promise<EvaluationResult>((resolve, reject) => {
        const timer = setTimeout(() => reject(new LabError('failed', 'evaluation took too long and was cancelled')), EVAL_TIMEOUT_MS);
        const settle = (f: () => void): void => { clearTimeout(timer); f(); };
        host.onMessage((m) => {
          if (m.type === 'evaluation') settle(() => resolve({ runDir: req.runDir, returns: m.returns, lengths: m.lengths, render: m.render, frames: m.frames, frameCount: m.frameCount }));
          else if (m.type === 'error') settle(() => reject(new LabError('failed', `evaluation failed: ${m.message}`)));
        });
        host.onExit((code, signal) => settle(() => reject(new LabError('failed', `evaluation process ended early (${exitWords(code, signal)})`))));
        host.send({ type: 'evaluate', runDir: req.runDir, episodes: req.episodes, deterministic: req.deterministic, record: true });
      });
    } finally {
      this.evaluators.delete(host);
      host.kill();
    }
  }

  async exportRun(req: ExportRequest): Promise<ExportResult> {
    await this.readRunChecked(req.runDir);
    const outDir = req.outDir ?? path.join(req.runDir, 'export');
    try {
      // Never into a run folder, another run's folder, or over a bundle (the default folder excepted).
      checkExportTarget(outDir, { runDir: req.runDir, runsRoot: this.runsRoot });
    } catch (e) {
      if (e instanceof ExportTargetError) throw new LabError('invalid', `exportRun.outDir: ${e.message}`);
      throw e;
    }
    return this.inJobSlot('export', async () => {
      await mkdir(outDir, { recursive: true });
      try {
        return await this.deps.exportRun(req.runDir, req.format, outDir);
      } catch (e) {
        throw new LabError('failed', `export failed: ${(e as Error).message}`);
      }
    });
  }

  /** Verifies a bundle and copies it under <runsRoot>/imports, where Evaluate can replay it. */
  async importBundle(req: ImportRequest): Promise<ImportResult> {
    await mkdir(this.runsRoot, { recursive: true });
    let r: { runDir: string; card: BundleSummary };
    try {
      r = await this.deps.importBundle(req.path, this.runsRoot);
    } catch (e) {
      if (e instanceof LabError) throw e;
      throw new LabError('failed', `import failed: ${(e as Error).message}`);
    }
    return { runDir: r.runDir, id: path.basename(r.runDir), card: r.card };
  }

  /** Kills every trainer process (app quit / server close). */
  dispose(): void {
    this.viewer.dispose();
    this.studies.dispose();
    if (this.active) {
      clearTimeout(this.active.endTimer);
      clearTimeout(this.active.stopTimer);
      if (!isOver(this.active.state) || this.active.endTimer) this.active.host.kill('SIGTERM');
    }
    for (const e of this.evaluators) e.kill('SIGTERM');
    this.deps.dispose?.();
    this.listeners.clear();
  }

  private assertIdle(): void {
    const a = this.active;
    if (a && !isOver(a.state)) throw new LabError('busy', `a run is already ${a.state} (${path.basename(a.runDir)}); stop it first`);
  }

  private async readRunChecked(runDir: string): Promise<{ config: RunConfig; metrics: MetricsRow[] }> {
    const s = await stat(runDir).catch(() => null);
    if (!s?.isDirectory()) throw new LabError('not-found', `no run at ${runDir}`);
    try {
      return await this.deps.readRun(runDir);
    } catch (e) {
      throw new LabError('failed', `cannot read run ${path.basename(runDir)}: ${(e as Error).message}`);
    }
  }

  /** Custom MJCF text is stored content-addressed under the runs root; the trainer reads it there. */
  private launch(runDir: string, config: RunConfig, resume: boolean): void {
    const host = this.deps.spawnTrainer();
    const run: ActiveRun = { host, runDir, state: 'starting', lastCheckpointStep: null };
    this.active = run;
    const setState = (state: LabState, message?: string): void => {
      run.state = state;
      this.emit({ type: 'status', state, runDir, ...(message ? { message } : {}) });
    };
    host.onMessage((m) => this.onTrainerMessage(run, m, setState));
    host.onExit((code, signal) => {
      clearTimeout(run.stopTimer);
      clearTimeout(run.endTimer);
      const clean = code === 0 && signal === null;
      const expected = run.state === 'finished' || run.state === 'stopped' || (run.state === 'stopping' && clean);
      if (expected) {
        if (run.state === 'stopping') setState('stopped');
        this.emit({ type: 'trainer-exit', runDir, code, signal, crashed: false, lastCheckpointStep: run.lastCheckpointStep, message: 'trainer finished' });
        return;
      }
      const ckpt = run.lastCheckpointStep;
      const message = `trainer process ${exitWords(code, signal)}; ` +
        (ckpt === null ? 'no checkpoint was written yet; press Resume to start it again' : `last checkpoint at step ${ckpt}; press Resume to continue`);
      setState(run.state === 'failed' ? 'failed' : 'crashed', message);
      this.emit({ type: 'trainer-exit', runDir, code, signal, crashed: true, lastCheckpointStep: ckpt, message });
    });
    // State first: a trainer may answer 'started' before send() returns.
    setState('starting');
    this.viewer.trainingStarted(runDir, config);
    host.send({ type: 'start', config, runDir, resume });
  }

  private onTrainerMessage(run: ActiveRun, m: TrainerToHost, setState: (s: LabState, msg?: string) => void): void {
    const runDir = run.runDir;
    switch (m.type) {
      case 'started':
        run.lastCheckpointStep = m.startStep > 0 ? m.startStep : run.lastCheckpointStep;
        this.emit({ type: 'started', runDir, backend: m.backend, gradientStep: m.gradientStep, spec: m.spec, render: m.render, startStep: m.startStep });
        setState('running');
        break;
      case 'metrics': this.emit({ type: 'metrics', runDir, row: m.row }); break;
      case 'policy': this.viewer.fromTrainer(runDir, m); break;
      case 'episode': this.emit({ type: 'episode', runDir, step: m.step, return: m.return, length: m.length }); break;
      case 'checkpoint':
        run.lastCheckpointStep = m.step;
        this.emit({ type: 'checkpoint', runDir, step: m.step });
        break;
      case 'paused': setState('paused'); break;
      case 'resumed': setState('running'); break;
      case 'error': this.emit({ type: 'error', runDir, message: m.message, fatal: m.fatal }); break;
      case 'done':
        setState(m.reason === 'finished' ? 'finished' : m.reason === 'stopped' ? 'stopped' : 'failed');
        // The trainer exits by itself after 'done'; if it does not, its owner ends it.
        clearTimeout(run.endTimer);
        run.endTimer = setTimeout(() => run.host.kill('SIGTERM'), this.limits.doneGraceMs);
        run.endTimer.unref?.();
        break;
      case 'evaluation': break;
    }
  }

  private emit(e: LabEvent): void {
    for (const cb of this.listeners) {
      try {
        cb(e);
      } catch {
        // A broken listener (closed window, dropped socket) must not stop the others.
      }
    }
  }
}

function isOver(s: LabState): boolean {
  return s === 'finished' || s === 'stopped' || s === 'crashed' || s === 'failed' || s === 'idle';
}

function exitWords(code: number | null, signal: string | null): string {
  return signal ? `was killed (${signal})` : `exited with code ${code}`;
}
