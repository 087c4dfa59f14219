// A process that runs one trial (`policy-lab study trial DIR INDEX` and the local executor's
// pool both come here). SIGTERM, SIGINT and SIGUSR1 (Slurm's --signal) checkpoint and exit 75;
// a vanished parent (IPC disconnect) does the same. Exit 0 when finished, 1 when failed.
// Progress goes to the parent over IPC when there is one, else to stderr every 10 s.
// Forked without arguments it is a warm spare: it loads MuJoCo and TF.js, then waits for one
// {type: 'run-trial', studyDir, index} message (the local pool starts the next trial without the
// loading delay).

import { getMujoco } from '../envs/mujoco.js';
import { selectBackend } from '../rl/backend.js';
import { TRIAL_EXIT_FAILED, TRIAL_EXIT_FINISHED, TRIAL_EXIT_STOPPED, type TrialOutcome } from './executor.js';
import { runTrial, type TrialProgress } from './trial-runner.js';

/** Message a trial child sends its parent after every update. */
export interface TrialProgressMessage extends TrialProgress {
  readonly type: 'trial-progress';
}
/** A warm spare says it has loaded; the parent then sends RunTrialMessage. */
export interface TrialReadyMessage {
  readonly type: 'trial-ready';
}
export interface RunTrialMessage {
  readonly type: 'run-trial';
  readonly studyDir: string;
  readonly index: number;
}

export function exitCodeOf(outcome: TrialOutcome): number {
  return outcome === 'finished' ? TRIAL_EXIT_FINISHED : outcome === 'stopped' ? TRIAL_EXIT_STOPPED : TRIAL_EXIT_FAILED;
}

const stopper = new AbortController();
let wired = false;
function wireSignals(): void {
  if (wired) return;
  wired = true;
  const stop = () => stopper.abort();
  for (const s of ['SIGTERM', 'SIGINT', 'SIGUSR1'] as const) process.on(s, stop);
  if (process.connected) process.on('disconnect', stop);
}

/** Runs trial `index` of `studyDir` with the process's signals wired to a stop; returns the exit code. */
export async function runTrialProcess(studyDir: string, index: number): Promise<number> {
  wireSignals();
  let lastLog = 0;
  const outcome = await runTrial(studyDir, index, {
    signal: stopper.signal,
    log: (l) => process.stderr.write(l + '\n'),
    onProgress: (p) => {
      if (process.connected) process.send?.({ type: 'trial-progress', ...p } satisfies TrialProgressMessage, undefined, undefined, () => {});
      else if (Date.now() - lastLog > 10_000) {
        lastLog = Date.now();
        process.stderr.write(`trial ${index}: ${p.steps}/${p.totalSteps} steps, return ${Number.isFinite(p.returnMean) ? p.returnMean.toFixed(1) : '—'}\n`);
      }
    },
  });
  return exitCodeOf(outcome);
}

const fail = (idx: unknown) => (e: unknown) => {
  process.stderr.write(`trial ${String(idx)}: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(TRIAL_EXIT_FAILED);
};

/**
 * The process's main: argv = [studyDir, index] runs that trial and exits with its code; no
 * arguments makes a warm spare. Called below when this file is the script, and by Electron's
 * built entry (src/main/study-trial-entry.ts).
 */
export function trialChildMain(argv: readonly string[] = process.argv.slice(2)): void {
  const [dir, idx] = argv;
  if (dir !== undefined) {
    // Forked for one trial: argv = [studyDir, index].
    runTrialProcess(dir, Number(idx)).then((code) => process.exit(code), fail(idx));
    return;
  }
  // A warm spare.
  wireSignals();
  // Stopped while idle: nothing to checkpoint.
  const idleStop = () => process.exit(TRIAL_EXIT_STOPPED);
  stopper.signal.addEventListener('abort', idleStop, { once: true });
  const onRun = (m: RunTrialMessage) => {
    if (!m || m.type !== 'run-trial') return;
    process.off('message', onRun);
    stopper.signal.removeEventListener('abort', idleStop);
    runTrialProcess(m.studyDir, m.index).then((code) => process.exit(code), fail(m.index));
  };
  process.on('message', onRun);
  Promise.all([getMujoco(), selectBackend('auto')]).then(
    () => process.send?.({ type: 'trial-ready' } satisfies TrialReadyMessage, undefined, undefined, () => {}),
    () => process.send?.({ type: 'trial-ready' } satisfies TrialReadyMessage, undefined, undefined, () => {}),
  );
}

if (process.argv[1] && /trial-child\.[jt]s$/.test(process.argv[1])) trialChildMain();
