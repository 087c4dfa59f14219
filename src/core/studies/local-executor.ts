// Runs a study's trials on this machine: a pool of child processes, each running one trial
// (trial-child.ts: the same code as `policy-lab study trial DIR INDEX`). At most `workers` CPU
// cores train at once: a trial counts as one core, an A3C trial as its worker processes (the pool
// never oversubscribes; a trial wider than the pool runs alone). While trials are queued, one warm
// spare process loads MuJoCo and TF.js ahead of time (like the app's spare trainer), so the next
// trial starts without that delay; it idles once loaded and is ended when the queue is empty.
// A failed trial is marked failed (status.json keeps its error) and the others go on. Aborting the
// hooks' signal sends SIGTERM to every running trial (each checkpoints and exits 75) and starts no more.

import { fork, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { readStatus, writeStatus } from '../runs/store.js';
import { outcomeOfExit, type ExecutorHooks, type ExecutorResult, type StudyExecutor, type TrialOutcome } from './executor.js';
import { readPlan, studyFiles } from './study-folder.js';
import type { RunTrialMessage, TrialProgressMessage, TrialReadyMessage } from './trial-child.js';
import type { TrialDef } from './study-file.js';
import { execArgvFor } from '../child-exec.js';

export interface LocalExecutorOptions {
  /** Cores to use; default: all of this machine's. */
  readonly workers?: number;
  /** Keep a warm spare process while trials are queued (default true). */
  readonly spare?: boolean;
  /** The trial process's script (default trial-child.ts through tsx; Electron passes its built entry). */
  readonly entry?: string;
  readonly execArgv?: string[];
  readonly execPath?: string;
  readonly env?: NodeJS.ProcessEnv;
}

/** Cores a trial occupies: A3C forks its workers, everything else is one process. */
export function trialCores(t: TrialDef): number {
  if (t.config.algo !== 'a3c') return 1;
  const w = Number((t.config.algoConfig as { numWorkers?: unknown }).numWorkers ?? 2);
  return Number.isInteger(w) && w > 0 ? w : 1;
}

interface Spare {
  readonly proc: ChildProcess;
  ready: Promise<boolean>;
}

export class LocalExecutor implements StudyExecutor {
  readonly workers: number;
  constructor(private readonly opts: LocalExecutorOptions = {}) {
    this.workers = Math.max(1, Math.floor(opts.workers ?? availableParallelism()));
  }

  private forkChild(args: string[]): ChildProcess {
    const entry = this.opts.entry ?? fileURLToPath(new URL('./trial-child.ts', import.meta.url));
    // tsx resolved from here, not from the cwd (a study may be started from any folder).
    const execArgv = this.opts.execArgv ?? execArgvFor(entry);
    return fork(entry, args, {
      execArgv, execPath: this.opts.execPath, env: this.opts.env ?? process.env,
      serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
  }

  private forkSpare(): Spare {
    const proc = this.forkChild([]);
    const ready = new Promise<boolean>((res) => {
      proc.on('message', (m: TrialReadyMessage) => { if (m && m.type === 'trial-ready') res(true); });
      proc.once('exit', () => res(false));
      proc.once('error', () => res(false));
    });
    return { proc, ready };
  }

  run(studyDir: string, trialIndices: readonly number[], hooks: ExecutorHooks = {}): Promise<ExecutorResult> {
    const plan = readPlan(studyDir);
    const queue = [...trialIndices];
    for (const i of queue) if (!plan.trials[i]) throw new RangeError(`study ${studyDir}: no trial ${i}`);
    const running = new Map<number, { proc: ChildProcess; cores: number; t0: number }>();
    const result = { finished: [] as number[], stopped: [] as number[], failed: [] as number[], notStarted: [] as number[] };
    const useSpare = this.opts.spare !== false;
    let spare: Spare | null = null;
    let busy = 0;
    return new Promise((resolveAll) => {
      const stopping = () => hooks.signal?.aborted === true;
      const dropSpare = () => { if (spare) { spare.proc.kill('SIGTERM'); spare = null; } };
      const finishIfDone = () => {
        if (running.size > 0) return;
        if (stopping()) result.notStarted.push(...queue.splice(0));
        if (queue.length === 0) {
          dropSpare();
          hooks.signal?.removeEventListener('abort', onAbort);
          resolveAll(result);
        }
      };
      const launch = () => {
        while (!stopping() && queue.length > 0) {
          const next = plan.trials[queue[0]];
          const cores = Math.min(trialCores(next), this.workers);
          if (busy + cores > this.workers) break;
          queue.shift();
          busy += cores;
          start(next, cores);
        }
        if (useSpare && !stopping() && queue.length > 0 && !spare) spare = this.forkSpare();
        if (queue.length === 0 || stopping()) dropSpare();
        finishIfDone();
      };
      const start = (t: TrialDef, cores: number) => {
        let proc: ChildProcess;
        if (spare) {
          const s = spare;
          spare = null;
          proc = s.proc;
          void s.ready.then((ok) => {
            if (ok && proc.connected) proc.send({ type: 'run-trial', studyDir, index: t.index } satisfies RunTrialMessage);
            else proc.kill('SIGKILL'); // a spare that died or never loaded: its exit marks the trial failed
          });
        } else proc = this.forkChild([studyDir, String(t.index)]);
        running.set(t.index, { proc, cores, t0: performance.now() });
        hooks.onTrial?.({ index: t.index, kind: 'started', pid: proc.pid });
        proc.on('message', (m: TrialProgressMessage) => {
          if (m && m.type === 'trial-progress') hooks.onProgress?.(m);
        });
        // A process that cannot start at all (bad execPath) never exits: count it as failed.
        proc.once('error', (e) => { if (running.has(t.index)) proc.emit('exit', null, null, e); });
        proc.once('exit', (code, signal, spawnError?: Error) => {
          const r = running.get(t.index);
          if (!r) return;
          running.delete(t.index);
          busy -= r.cores;
          const td = studyFiles.trialDir(studyDir, t);
          const outcome: TrialOutcome = outcomeOfExit(code, signal);
          let message: string | undefined;
          if (outcome === 'failed') {
            const st = readStatus(td);
            message = st.status === 'failed' && st.message ? st.message : spawnError ? `trial process could not start: ${spawnError.message}` : `trial process exited with ${signal ? `signal ${signal}` : `code ${code}`}`;
            // A process that died without saying why (killed, crashed) leaves a status that lies;
            // a trial another live process trains (it refused to start) is left alone.
            if (st.status !== 'failed' && st.status !== 'running' && st.status !== 'paused') writeStatus(td, { ...st, status: 'failed', message });
          }
          result[outcome].push(t.index);
          hooks.onTrial?.({ index: t.index, kind: 'ended', outcome, message, seconds: (performance.now() - r.t0) / 1000 });
          launch();
        });
      };
      const onAbort = () => {
        dropSpare();
        for (const { proc } of running.values()) proc.kill('SIGTERM');
        finishIfDone();
      };
      hooks.signal?.addEventListener('abort', onAbort, { once: true });
      launch();
    });
  }
}
