// Studies in the app: the lab's study folders live under <runs root>/studies. Starts a study
// (a study file's object from the Study view's form, or a built-in) on the local executor, stops
// it (every running trial checkpoints), continues it, lists them, and follows the one the view
// shows with core/studies/follow.ts, sending a fresh report (statistics, IQM curves with CI
// bands, probabilities of improvement, gradient variance) at most once per `reportEveryMs`.
// A study the lab was running when it closed carries a marker file and is continued when the
// lab starts again.
import { existsSync, mkdirSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../core/config/schema.js';
import { BUILTIN_STUDIES } from '../core/studies/builtin.js';
import { followStudy, type StudyFollower } from '../core/studies/follow.js';
import { LocalExecutor, type LocalExecutorOptions } from '../core/studies/local-executor.js';
import { studyReport, type StudyReport } from '../core/studies/report.js';
import { createStudyFolder, listStudyDirs, newStudyDir, readPlan, studyFiles, trialDone } from '../core/studies/study-folder.js';
import { validateStudy } from '../core/studies/study-file.js';
import { LabError } from './api.js';
import type { BuiltinStudy, StartStudyRequest, StartStudyResult, StudyEvent, StudyInfo } from './study-api.js';

/** Present while the lab runs the study; left behind by a lab that closed mid-study. */
const MARKER = '.lab-running';

export interface StudyServiceOptions {
  /** How trial processes are started (Electron passes its built entry and node mode). */
  readonly executor?: LocalExecutorOptions;
  readonly reportEveryMs?: number;
  /** Continue the studies a previous lab left running (default true). */
  readonly continueInterrupted?: boolean;
}

export class StudyService {
  readonly root: string;
  private readonly running = new Map<string, AbortController>();
  /** Interrupted studies waiting for the running one to end. */
  private readonly waiting: string[] = [];
  private follower: { dir: string; f: StudyFollower; timer?: NodeJS.Timeout; dirty: boolean } | null = null;
  private disposed = false;

  constructor(runsRoot: string, private readonly emit: (e: StudyEvent) => void, private readonly opts: StudyServiceOptions = {}) {
    this.root = path.join(runsRoot, 'studies');
    // One study at a time uses the pool (two pools would oversubscribe the cores): interrupted
    // studies continue one after another.
    if (opts.continueInterrupted !== false) {
      for (const dir of listStudyDirs(this.root)) if (existsSync(path.join(dir, MARKER))) this.waiting.push(dir);
      const next = this.waiting.shift();
      if (next) this.launch(next);
    }
  }

  builtins(): BuiltinStudy[] {
    return Object.entries(BUILTIN_STUDIES).map(([name, study]) => ({ name, description: String(study.description ?? ''), study }));
  }

  list(): StudyInfo[] {
    return listStudyDirs(this.root).flatMap((dir) => {
      try {
        const r = studyReport(dir, { curves: false, reps: 50 });
        const plan = readPlan(dir);
        return [{ dir, id: path.basename(dir), name: r.name, counts: r.counts, trials: plan.trials.length, steps: r.steps, totalSteps: r.totalSteps, running: this.running.has(dir) }];
      } catch {
        return []; // a broken folder is not listed (the CLI's study status says why)
      }
    });
  }

  start(req: StartStudyRequest): StartStudyResult {
    let raw: unknown;
    if (req.builtin !== undefined) {
      raw = BUILTIN_STUDIES[req.builtin];
      if (!raw) throw new LabError('invalid', `builtin: unknown study "${req.builtin}" (known: ${Object.keys(BUILTIN_STUDIES).join(', ')})`);
    } else raw = req.study;
    let study;
    try {
      study = validateStudy(raw);
    } catch (e) {
      if (e instanceof ConfigError) throw new LabError('invalid', e.message);
      throw e;
    }
    this.assertPoolFree();
    mkdirSync(this.root, { recursive: true });
    const dir = newStudyDir(this.root, study.spec.name);
    createStudyFolder(dir, study);
    this.launch(dir, req.workers);
    return { studyDir: dir, id: path.basename(dir) };
  }

  resume(dir: string, workers?: number): void {
    if (this.running.has(dir)) throw new LabError('busy', 'this study is already running');
    this.assertPoolFree();
    this.launch(dir, workers);
  }

  private assertPoolFree(): void {
    const other = [...this.running.keys()][0];
    if (other) throw new LabError('busy', `study ${path.basename(other)} is running and uses the cores: stop it or wait for it to finish`);
  }

  stop(dir: string): void {
    const ac = this.running.get(dir);
    if (!ac) throw new LabError('invalid', 'this study is not running');
    this.clearMarker(dir);
    ac.abort();
  }

  /** The study's report now; the view follows it from here on (one followed study at a time). */
  async report(dir: string): Promise<StudyReport> {
    const r = studyReport(dir);
    await this.follow(dir);
    return r;
  }

  private async follow(dir: string): Promise<void> {
    if (this.follower?.dir === dir) return;
    await this.unfollow();
    const every = this.opts.reportEveryMs ?? 1000;
    const state: NonNullable<StudyService['follower']> = { dir, f: null as unknown as StudyFollower, dirty: false };
    const flush = () => {
      state.timer = undefined;
      if (!state.dirty || this.follower !== state) return;
      state.dirty = false;
      try { this.emit({ type: 'study-report', studyDir: dir, report: studyReport(dir) }); } catch { /* mid-write: the next change reports */ }
    };
    state.f = followStudy(dir, (e) => {
      if (e.type === 'error') return;
      state.dirty = true;
      state.timer ??= setTimeout(flush, every);
    });
    this.follower = state;
    await state.f.ready;
  }

  private async unfollow(): Promise<void> {
    const f = this.follower;
    this.follower = null;
    if (f) { clearTimeout(f.timer); await f.f.close(); }
  }

  private clearMarker(dir: string): void {
    try { unlinkSync(path.join(dir, MARKER)); } catch { /* already gone */ }
  }

  private launch(dir: string, workers?: number): void {
    const plan = readPlan(dir);
    const todo = plan.trials.filter((t) => !trialDone(studyFiles.trialDir(dir, t))).map((t) => t.index);
    const ac = new AbortController();
    this.running.set(dir, ac);
    writeFileSync(path.join(dir, MARKER), `${process.pid}\n`);
    this.emit({ type: 'study-state', studyDir: dir, running: true });
    const exec = new LocalExecutor({ ...this.opts.executor, workers });
    exec.run(dir, todo, { signal: ac.signal }).then(
      (res) => {
        this.running.delete(dir);
        // Finished (or stopped by the user): nothing to continue next time. Stopped because the
        // lab is closing: the marker stays, so the next lab continues it.
        if (!this.disposed) this.clearMarker(dir);
        const msg = `${res.finished.length} trials finished${res.failed.length ? `, ${res.failed.length} failed` : ''}${res.stopped.length ? `, ${res.stopped.length} stopped` : ''}`;
        this.emit({ type: 'study-state', studyDir: dir, running: false, message: msg });
        const next = this.disposed ? undefined : this.waiting.shift();
        if (next) this.launch(next);
        if (this.follower?.dir === dir && !this.disposed) {
          try { this.emit({ type: 'study-report', studyDir: dir, report: studyReport(dir) }); } catch { /* ignore */ }
        }
      },
      (e: unknown) => {
        this.running.delete(dir);
        this.emit({ type: 'study-state', studyDir: dir, running: false, message: e instanceof Error ? e.message : String(e) });
      },
    );
  }

  /** The lab is closing: every running trial checkpoints; the studies continue at the next start. */
  dispose(): void {
    this.disposed = true;
    for (const ac of this.running.values()) ac.abort();
    void this.unfollow();
  }
}
