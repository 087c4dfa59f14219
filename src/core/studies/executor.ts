// The seam between a study and what runs its trials. An executor runs trials of a study folder
// (see study-folder.ts), each through `policy-lab study trial DIR INDEX` semantics
// (trial-runner.ts): train or resume, checkpoint and exit 75 when signalled, exit 0 when finished
// and scored, non-zero with the error in status.json when failed. Executors: local-executor.ts
// (a pool of local processes) and slurm-executor.ts (Slurm jobs).

/** Exit code of a trial that was told to stop and checkpointed (EX_TEMPFAIL): resume it later. */
export const TRIAL_EXIT_STOPPED = 75;
/** Exit code of a finished (trained and scored) trial. */
export const TRIAL_EXIT_FINISHED = 0;
/** Exit code of a failed trial (its error is in status.json). */
export const TRIAL_EXIT_FAILED = 1;

export type TrialOutcome = 'finished' | 'stopped' | 'failed';

export interface TrialEvent {
  readonly index: number;
  /** started: a process began the trial; ended: it exited with this outcome. */
  readonly kind: 'started' | 'ended';
  readonly outcome?: TrialOutcome;
  /** For failed trials: the reason (from status.json or the process's exit). */
  readonly message?: string;
  /** The trial's local process id (started; local executor only). */
  readonly pid?: number;
  /** Wall-clock seconds of the trial's process (ended only). */
  readonly seconds?: number;
}

export interface ExecutorHooks {
  /** A trial started or ended. */
  onTrial?(e: TrialEvent): void;
  /** Training progress of a running trial, when the executor can see it (the local pool can; others may follow metrics.jsonl instead). */
  onProgress?(p: { readonly index: number; readonly steps: number; readonly totalSteps: number; readonly returnMean: number }): void;
  /** Aborting this signal asks every running trial to checkpoint and stop (exit 75); queued ones are not started. */
  readonly signal?: AbortSignal;
}

export interface ExecutorResult {
  readonly finished: number[];
  readonly stopped: number[];
  readonly failed: number[];
  /** Trials that were never started (the run was stopped first). */
  readonly notStarted: number[];
}

export interface StudyExecutor {
  /** Runs the given trials of the study in `studyDir`; resolves when all ended or the signal stopped them. */
  run(studyDir: string, trialIndices: readonly number[], hooks: ExecutorHooks): Promise<ExecutorResult>;
  /**
   * For executors whose trials outlive this process (a cluster's queue): hand the trials over and
   * return at once with a line to print. `study run` uses it unless told to wait.
   */
  submit?(studyDir: string, trialIndices: readonly number[]): Promise<string>;
}

/** Maps a trial process's exit to its outcome. */
export function outcomeOfExit(code: number | null, signal: string | null): TrialOutcome {
  if (code === TRIAL_EXIT_FINISHED) return 'finished';
  if (code === TRIAL_EXIT_STOPPED) return 'stopped';
  if (signal === 'SIGTERM' || signal === 'SIGINT') return 'stopped';
  return 'failed';
}
