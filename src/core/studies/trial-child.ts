// A process that runs one trial (`policy-lab study trial DIR INDEX` and the local executor's
// pool both come here). SIGTERM, SIGINT and SIGUSR1 (Slurm's --signal) checkpoint and exit 75;
// a vanished parent (IPC disconnect) does the same. Exit 0 when finished, 1 when failed.
// Progress goes to the parent over IPC when there is one, else to stderr every 10 s.

import { TRIAL_EXIT_FAILED, TRIAL_EXIT_FINISHED, TRIAL_EXIT_STOPPED, type TrialOutcome } from './executor.js';
import { runTrial, type TrialProgress } from './trial-runner.js';

/** Message a trial child sends its parent after every update. */
export interface TrialProgressMessage extends TrialProgress {
  readonly type: 'trial-progress';
}

export function exitCodeOf(outcome: TrialOutcome): number {
  return outcome === 'finished' ? TRIAL_EXIT_FINISHED : outcome === 'stopped' ? TRIAL_EXIT_STOPPED : TRIAL_EXIT_FAILED;
}

/** Runs trial `index` of `studyDir` with the process's signals wired to a stop; returns the exit code. */
export async function runTrialProcess(studyDir: string, index: number): Promise<number> {
  const ac = new AbortController();
  const stop = () => ac.abort();
  for (const s of ['SIGTERM', 'SIGINT', 'SIGUSR1'] as const) process.on(s, stop);
  if (process.connected) process.on('disconnect', stop);
  let lastLog = 0;
  const outcome = await runTrial(studyDir, index, {
    signal: ac.signal,
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

// Forked directly (the local executor): argv = [studyDir, index].
if (process.argv[1] && /trial-child\.[jt]s$/.test(process.argv[1])) {
  const [dir, idx] = process.argv.slice(2);
  runTrialProcess(dir, Number(idx)).then(
    (code) => process.exit(code),
    (e: unknown) => { process.stderr.write(`trial ${idx}: ${e instanceof Error ? e.message : String(e)}\n`); process.exit(TRIAL_EXIT_FAILED); },
  );
}
