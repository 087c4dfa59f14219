// `policy-lab study … --executor slurm`: the Slurm executor's flags, `study status` with Slurm's
// view merged in, and `study cancel`. Registered into the study commands (src/cli/study.ts)
// through their executor seam; the Slurm work itself is src/core/studies/slurm-executor.ts.

import { resolve } from 'node:path';
import { readPlan } from '../core/studies/study-folder.js';
import { cancelStudy, SlurmExecutor, slurmTrialStates, type SlurmExecutorOptions, type SlurmTrialState } from '../core/studies/slurm-executor.js';
import { checkKnown, parseArgs, UsageError } from './args.js';
import { registerStudyExecutor, registerStudyStatusSource, registerStudySubcommand, type ExecutorFactory } from './study-registry.js';

const out = (s = '') => process.stdout.write(s + '\n');

export const SLURM_FLAGS = ['partition', 'time', 'cpus-per-task', 'mem', 'max-parallel', 'signal-seconds', 'node', 'lab', 'wait'] as const;

export const SLURM_HELP = `On a Slurm cluster (--executor slurm): one job array, one array task per trial.
  policy-lab study run STUDY.json --executor slurm [--partition P] [--time HH:MM:SS] [--cpus-per-task N]
        [--mem SIZE] [--max-parallel K] [--signal-seconds S] [--sbatch-arg ARG]… [--node PATH] [--lab PATH] [--wait]
  policy-lab study run --resume DIR --executor slurm …   resubmits only the unfinished trials
  policy-lab study status DIR                            Slurm's view (squeue, sacct) merged with the trials' files
  policy-lab study cancel DIR                            scancel the study's tasks; every trial stays resumable
  --partition <name>       partition (default: the cluster's default)
  --time <time>            time limit per task (Slurm's formats: minutes, HH:MM:SS, D-HH:MM:SS)
  --cpus-per-task <int>    cores per trial (default 1)
  --mem <size>             memory per trial, e.g. 4G
  --max-parallel <int>     at most K trials at once (--array=…%K)
  --signal-seconds <int>   USR1 this long before the time limit: checkpoint and requeue (default 300, or a quarter of --time)
  --sbatch-arg <option>    one more #SBATCH option, verbatim (repeatable), e.g. --sbatch-arg=--account=abc
  --node <path>            Node executable on the compute nodes (default: this one, ${process.execPath})
  --lab <path>             Policy Lab install on the compute nodes (default: this one)
  --wait                   stay and show progress until every trial ended (Ctrl-C cancels the tasks: they checkpoint)
The study folder must be on a filesystem the compute nodes share (it holds study.sbatch, slurm.json, slurm-logs/).`;

/** Pulls the repeatable `--sbatch-arg X` / `--sbatch-arg=X` out of argv (the shared parser refuses repeats). */
export function takeSbatchArgs(argv: readonly string[]): { argv: string[]; sbatchArgs: string[] } {
  const rest: string[] = [];
  const sbatchArgs: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') { rest.push(...argv.slice(i)); break; }
    if (a === '--sbatch-arg') {
      const v = argv[i + 1];
      if (v === undefined) throw new UsageError('--sbatch-arg needs a value, e.g. --sbatch-arg=--account=abc');
      sbatchArgs.push(v);
      i++;
    } else if (a.startsWith('--sbatch-arg=')) sbatchArgs.push(a.slice('--sbatch-arg='.length));
    else rest.push(a);
  }
  return { argv: rest, sbatchArgs };
}

function intFlag(flags: Map<string, string>, name: string): number | undefined {
  const v = flags.get(name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name}: expected an integer ≥ 1, got "${v}"`);
  return n;
}

export function slurmOptionsFrom(flags: Map<string, string>, sbatchArgs: readonly string[]): SlurmExecutorOptions {
  return {
    partition: flags.get('partition'),
    time: flags.get('time'),
    cpusPerTask: intFlag(flags, 'cpus-per-task'),
    mem: flags.get('mem'),
    maxParallel: intFlag(flags, 'max-parallel'),
    signalSeconds: intFlag(flags, 'signal-seconds'),
    sbatchArgs: sbatchArgs.length ? [...sbatchArgs] : undefined,
    node: flags.get('node') !== undefined ? resolve(flags.get('node')!) : undefined,
    lab: flags.get('lab') !== undefined ? resolve(flags.get('lab')!) : undefined,
  };
}

/** Slurm's per-trial view for `study status` (null when the study was never submitted to Slurm). */
export function slurmStatusSource(dir: string): Map<number, { state: string; detail?: string }> | null {
  const v = slurmTrialStates(resolve(dir));
  if (!v) return null;
  if (v.warning) process.stderr.write(`policy-lab: ${v.warning}\n`);
  return new Map(v.trials.map((t) => [t.index, { state: t.state, detail: t.detail }]));
}

export function formatSlurmStatus(dir: string, trials: readonly SlurmTrialState[]): string {
  const plan = readPlan(dir);
  const count = (s: string) => trials.filter((t) => t.state === s).length;
  const head = `study ${dir} on Slurm: ${count('finished')} finished, ${count('running')} running, ${count('pending')} pending, ${count('requeued')} requeued, ${count('stopped')} stopped, ${count('failed')} failed`
    + (count('not submitted') ? `, ${count('not submitted')} not submitted` : '');
  const rows = trials.map((t) => {
    const p = plan.trials[t.index];
    return `  ${String(t.index).padStart(3)}  ${p.variant.padEnd(24)} s${String(p.seed).padEnd(5)} ${t.state.padEnd(13)} ${t.detail}`;
  });
  return [head, ...rows].join('\n');
}

/** `policy-lab study cancel DIR` */
export async function slurmCancelCommand(argv: string[]): Promise<number> {
  const { positional, flags } = parseArgs(argv);
  if (flags.has('help')) { out('Usage: policy-lab study cancel DIR\n\nCancels the study\'s queued and running Slurm tasks (scancel). Running trials get SIGTERM, write a checkpoint\nand stop; continue with policy-lab study run --resume DIR --executor slurm.'); return 0; }
  checkKnown(flags, ['help'], 'study cancel');
  if (positional.length !== 1) throw new UsageError('policy-lab study cancel: give exactly one study DIR');
  const dir = resolve(positional[0]);
  const r = cancelStudy(dir);
  if (r.trials.length === 0) out(`${dir}: no queued or running Slurm tasks`);
  else out(`cancelled ${r.trials.length} task${r.trials.length > 1 ? 's' : ''} of job ${r.jobIds.join(', ')} (trials ${r.trials.join(', ')}); running trials checkpoint as they stop. Continue with: policy-lab study run --resume ${dir} --executor slurm`);
  return 0;
}

/** The --sbatch-arg values of the `study run` being parsed (takeArgs runs before create). */
let pendingSbatchArgs: string[] = [];

/** The executor factory `study run --executor slurm` uses. */
export const slurmExecutorFactory: ExecutorFactory = {
  flags: SLURM_FLAGS,
  booleans: ['wait'],
  help: SLURM_HELP,
  takeArgs(argv: string[]): string[] {
    const t = takeSbatchArgs(argv);
    pendingSbatchArgs = t.sbatchArgs;
    return t.argv;
  },
  create(flags: Map<string, string>): SlurmExecutor {
    return new SlurmExecutor(slurmOptionsFrom(flags, pendingSbatchArgs));
  },
};

registerStudyExecutor('slurm', slurmExecutorFactory);
registerStudyStatusSource(slurmStatusSource);
registerStudySubcommand('cancel', `  policy-lab study cancel DIR                                        cancel a study's Slurm tasks (trials stay resumable)`, slurmCancelCommand);
