// One training run inside a trainer process: builds the env factory and the algorithm, loops
// update → metrics → checkpoint, obeys pause/resume/stop and the live view, and reports
// everything through `send`. Used by the trainer child (child.ts) and, in-process, by tests.

import { existsSync } from 'node:fs';
import { ALGOS } from '../algos/index.js';
import type { AlgoContext, AlgoState, Algorithm } from '../algos/types.js';
import type { MetricsRow, RunConfig, TrainerToHost } from '../protocol.js';
import { selectBackend } from '../rl/backend.js';
import { NonFiniteError } from '../rl/errors.js';
import { readCheckpoint, writeCheckpoint, type Checkpoint } from '../runs/checkpoint.js';
import { appendMetrics, runFiles, truncateMetrics, writeStatus } from '../runs/store.js';
import { envFactory, envSourceOf } from './env-factory.js';

export { NonFiniteError };

/** Rejects a state containing NaN/Inf so a diverged model never overwrites a good checkpoint. */
export function assertFiniteState(state: AlgoState): void {
  for (const [name, arr] of Object.entries(state.tensors)) {
    if (arr instanceof Float32Array || arr instanceof Float64Array) {
      for (let i = 0; i < arr.length; i++) if (!Number.isFinite(arr[i])) throw new NonFiniteError(`parameter ${name}[${i}]`);
    }
  }
}

/** Longest a trainer waits for its published policy to leave (a slow host must not stall training). */
const PUBLISH_WAIT_MS = 50;

export class TrainingSession {
  private paused = false;
  private stopRequested = false;
  private wake: (() => void) | null = null;
  private algo: Algorithm | null = null;
  private episodeReturns: number[] = [];
  private episodeLengths: number[] = [];

  /** send may return when the message has left (a child's IPC write); publishing a policy waits for that. */
  constructor(private readonly send: (m: TrainerToHost) => void | Promise<void>) {}

  pause(): void {
    if (!this.paused) { this.paused = true; this.send({ type: 'paused' }); }
  }
  resume(): void {
    if (this.paused) { this.paused = false; this.send({ type: 'resumed' }); this.wake?.(); }
  }
  stop(): void {
    this.stopRequested = true;
    this.wake?.();
  }
  /** Runs to the end (or stop). Errors are reported, not thrown: the process stays alive. */
  async run(config: RunConfig, runDir: string, resume: boolean): Promise<'finished' | 'stopped' | 'failed'> {
    let counters: Checkpoint['trainer'] = { update: 0, steps: 0, episodes: 0, wallTime: 0 };
    const ckptPath = runFiles.checkpoint(runDir);
    try {
      const backend = await selectBackend(config.backend);
      const makeEnv = await envFactory(config);
      const probe = makeEnv();
      const spec = probe.spec;
      const render = probe.renderDescription();
      probe.dispose();
      const ctx: AlgoContext = {
        spec,
        makeEnv,
        envSource: envSourceOf(config),
        config: config.algoConfig,
        seed: config.seed,
        totalSteps: config.totalSteps,
        backend,
        onEpisode: (ep) => {
          this.episodeReturns.push(ep.return);
          this.episodeLengths.push(ep.length);
          this.send({ type: 'episode', step: ep.step, return: ep.return, length: ep.length });
        },
      };
      const algo = await ALGOS[config.algo].create(ctx);
      this.algo = algo;
      if (resume && existsSync(ckptPath)) {
        const ckpt = readCheckpoint(ckptPath);
        await algo.loadState(ckpt.state);
        counters = { ...ckpt.trainer };
        const bad = truncateMetrics(runDir, counters.update);
        if (bad) this.send({ type: 'error', message: bad, fatal: false });
      } else if (resume) {
        const bad = truncateMetrics(runDir, 0);
        if (bad) this.send({ type: 'error', message: bad, fatal: false });
      }
      const gradientStep = algo.gradientStep;
      writeStatus(runDir, { status: 'running', backend, gradientStep, steps: counters.steps });
      this.send({ type: 'started', runDir, backend, gradientStep, spec, render, startStep: counters.steps });
      // The viewer plays the policy as it is now: a few kB of weights per update, not frames.
      // A wide net's policy is hundreds of kB, which leave only as the host drains the pipe: the
      // next update, running without a break, would hold the rest back until it ends (the viewer
      // a whole update late). So wait until it is out, at most PUBLISH_WAIT_MS.
      const publish = async () => {
        const sent = this.send({ type: 'policy', update: counters.update, steps: counters.steps, snapshot: algo.snapshot() });
        if (sent) await Promise.race([sent, new Promise((r) => setTimeout(r, PUBLISH_WAIT_MS))]);
      };
      await publish();

      let savedAt = resume ? counters.update : -1;
      const save = async () => {
        const state = await algo.saveState();
        assertFiniteState(state);
        writeCheckpoint(ckptPath, { state, trainer: { ...counters } });
        savedAt = counters.update;
        this.send({ type: 'checkpoint', step: counters.steps, path: ckptPath });
      };

      while (algo.steps < config.totalSteps && !this.stopRequested) {
        if (this.paused) {
          writeStatus(runDir, { status: 'paused', backend, gradientStep, steps: counters.steps });
          await new Promise<void>((r) => (this.wake = r));
          this.wake = null;
          if (this.stopRequested) break;
          writeStatus(runDir, { status: 'running', backend, gradientStep, steps: counters.steps });
        }
        const t0 = performance.now();
        const before = algo.steps;
        const stats = await algo.update();
        const dt = (performance.now() - t0) / 1000;
        // NaN in stats means "not applicable"; the algorithms throw on NaN losses themselves.
        for (const [k, v] of Object.entries(stats)) if (v === Infinity || v === -Infinity) throw new NonFiniteError(k);
        counters.update++;
        counters.steps = algo.steps;
        counters.episodes += this.episodeReturns.length;
        counters.wallTime += dt;
        const rets = this.episodeReturns, lens = this.episodeLengths;
        const row: MetricsRow = {
          update: counters.update,
          steps: counters.steps,
          episodes: counters.episodes,
          returnMean: rets.length ? rets.reduce((a, b) => a + b, 0) / rets.length : NaN,
          returnMin: rets.length ? Math.min(...rets) : NaN,
          returnMax: rets.length ? Math.max(...rets) : NaN,
          lengthMean: lens.length ? lens.reduce((a, b) => a + b, 0) / lens.length : NaN,
          ...stats,
          stepsPerSecond: (algo.steps - before) / Math.max(dt, 1e-9),
          wallTime: counters.wallTime,
        };
        this.episodeReturns = [];
        this.episodeLengths = [];
        appendMetrics(runDir, row);
        this.send({ type: 'metrics', row });
        await publish();
        if (counters.update % config.checkpointEvery === 0) await save();
        // Let pause/stop/live-view messages in between updates.
        await new Promise((r) => setImmediate(r));
      }
      if (savedAt !== counters.update) await save();
      const reason = this.stopRequested ? 'stopped' : 'finished';
      writeStatus(runDir, { status: reason, backend, gradientStep, steps: counters.steps });
      this.send({ type: 'done', reason, steps: counters.steps });
      await algo.dispose();
      return reason;
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      try { writeStatus(runDir, { status: 'failed', message, steps: counters.steps }); } catch { /* run dir gone */ }
      this.send({ type: 'error', message, fatal: true });
      this.send({ type: 'done', reason: 'failed', steps: counters.steps });
      return 'failed';
    }
  }
}
