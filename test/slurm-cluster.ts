// A real single-node Slurm cluster for tests: its own munge key and munged, its own slurm.conf,
// slurmctld and slurmd, all state in one temporary folder and on free ports, so it disturbs no
// other cluster on the machine and leaves nothing behind. Needs root (slurmd starts jobs as any
// user) and Debian's `slurm-wlm` and `munge` packages; `slurmSkipReason()` says why not otherwise.
import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, hostname, tmpdir, totalmem } from 'node:os';
import { delimiter, join } from 'node:path';
import { randomBytes } from 'node:crypto';

const BINARIES = ['munged', 'slurmctld', 'slurmd', 'sbatch', 'squeue', 'sinfo', 'scontrol', 'scancel'];
const SEARCH_PATH = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/bin', '/sbin'];

export function findBinary(name: string): string | undefined {
  for (const dir of SEARCH_PATH) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/** Why the real-Slurm tests cannot run here, or undefined when they can. */
export function slurmSkipReason(): string | undefined {
  if (process.platform !== 'linux') return `Slurm tests need Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'Slurm tests need root (slurmd runs jobs; munged and slurmctld run as SlurmUser=root)';
  const missing = BINARIES.filter((b) => !findBinary(b));
  if (missing.length) return `Slurm tests need the packages slurm-wlm and munge (missing: ${missing.join(', ')}; apt-get install slurm-wlm munge)`;
  return undefined;
}

export interface SlurmCluster {
  /** The temporary folder holding the config, state, spool and logs. */
  readonly dir: string;
  readonly conf: string;
  /** The one partition (the default), and the node's name. */
  readonly partition: string;
  readonly node: string;
  /** process.env with SLURM_CONF pointing at this cluster: give it to every Slurm client. */
  readonly env: NodeJS.ProcessEnv;
  /** Runs a Slurm client command against this cluster. */
  run(cmd: string, args: readonly string[]): SpawnSyncReturns<string>;
  /** The daemons' logs, for failure messages. */
  logs(): string;
  /** Cancels every job of this cluster, stops its daemons and removes its folder. */
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function exited(p: ChildProcess): boolean {
  return p.exitCode !== null || p.signalCode !== null;
}

async function stopProcess(p: ChildProcess, graceMs: number): Promise<void> {
  if (exited(p)) return;
  const gone = new Promise<void>((r) => p.once('exit', () => r()));
  p.kill('SIGTERM');
  const timer = setTimeout(() => { if (!exited(p)) p.kill('SIGKILL'); }, graceMs);
  await gone;
  clearTimeout(timer);
}

function tail(path: string, lines = 15): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

export interface SlurmClusterOptions {
  /** Seconds a requeued job waits before it may start again (Slurm's cred_expire; default 10). */
  requeueDelayS?: number;
}

/**
 * Starts munged, slurmctld and slurmd with a fresh configuration and waits until the node is
 * idle. Throws (after stopping whatever it started) with the daemons' logs when it does not get
 * there within 60 s.
 */
export async function startSlurmCluster(opts: SlurmClusterOptions = {}): Promise<SlurmCluster> {
  const reason = slurmSkipReason();
  if (reason) throw new Error(reason);
  const dir = mkdtempSync(join(tmpdir(), 'pl-slurm-'));
  // munged refuses sockets in directories others may not traverse, and keys others may read.
  chmodSync(dir, 0o755);
  for (const sub of ['munge', 'state', 'spool', 'log']) mkdirSync(join(dir, sub), { mode: 0o755 });
  const key = join(dir, 'munge', 'munge.key');
  writeFileSync(key, randomBytes(1024), { mode: 0o400 });
  const socket = join(dir, 'munge', 'munge.socket');
  const node = hostname().split('.')[0] || 'localhost';
  const partition = 'lab';
  const [ctldPort, slurmdPort] = [await freePort(), await freePort()];
  const memMb = Math.floor(totalmem() / 2 ** 20);
  const conf = join(dir, 'slurm.conf');
  const requeueDelay = opts.requeueDelayS ?? 10;
  writeFileSync(conf, [
    '# Written by test/slurm-cluster.ts: a throwaway single-node cluster.',
    `ClusterName=pltest${process.pid}`,
    `SlurmctldHost=${node}(127.0.0.1)`,
    `SlurmctldPort=${ctldPort}`,
    `SlurmdPort=${slurmdPort}`,
    'SlurmUser=root',
    'SlurmdUser=root',
    'AuthType=auth/munge',
    'CredType=cred/munge',
    // cred_expire also sets how long a requeued job waits before it may start again.
    `AuthInfo=socket=${socket},cred_expire=${requeueDelay}`,
    `StateSaveLocation=${join(dir, 'state')}`,
    `SlurmdSpoolDir=${join(dir, 'spool')}`,
    `SlurmctldPidFile=${join(dir, 'slurmctld.pid')}`,
    `SlurmdPidFile=${join(dir, 'slurmd.pid')}`,
    `SlurmctldLogFile=${join(dir, 'log', 'slurmctld.log')}`,
    `SlurmdLogFile=${join(dir, 'log', 'slurmd.log')}`,
    'ProctrackType=proctrack/linuxproc',
    'TaskPlugin=task/none',
    'SelectType=select/cons_tres',
    'SelectTypeParameters=CR_Core',
    'AccountingStorageType=accounting_storage/none',
    'JobAcctGatherType=jobacct_gather/none',
    'JobCompType=jobcomp/none',
    'MpiDefault=none',
    'ReturnToService=2',
    'SchedulerType=sched/backfill',
    // Test jobs are short: schedule pending (and requeued) jobs within seconds, not a minute.
    'SchedulerParameters=sched_interval=2,bf_interval=2',
    'KillWait=10',
    `NodeName=${node} NodeAddr=127.0.0.1 CPUs=${cpus().length} RealMemory=${memMb} State=UNKNOWN`,
    `PartitionName=${partition} Nodes=${node} Default=YES MaxTime=INFINITE State=UP`,
    '',
  ].join('\n'));

  const env: NodeJS.ProcessEnv = { ...process.env, SLURM_CONF: conf };
  delete env.SLURM_JOB_ID; // never mistake the test for a job of some outer cluster
  const procs: ChildProcess[] = [];
  const start = (bin: string, args: string[], log: string) => {
    const p = spawn(findBinary(bin)!, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    p.stdout?.on('data', (c: Buffer) => chunks.push(c));
    p.stderr?.on('data', (c: Buffer) => chunks.push(c));
    p.once('exit', () => { try { writeFileSync(join(dir, 'log', log), Buffer.concat(chunks)); } catch { /* folder gone */ } });
    procs.push(p);
    return p;
  };
  // Kill our daemons if the test process dies before stop().
  const onExit = () => { for (const p of procs) if (!exited(p)) p.kill('SIGKILL'); };
  process.once('exit', onExit);

  const run = (cmd: string, args: readonly string[]) => spawnSync(findBinary(cmd) ?? cmd, args, { env, encoding: 'utf8', timeout: 30_000 });
  const logs = () => ['munged.log', 'slurmctld.log', 'slurmd.log', 'slurmctld.out', 'slurmd.out']
    .map((f) => `--- ${f}\n${tail(join(dir, 'log', f))}`).join('\n');

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    // Jobs first: their slurmstepd processes outlive slurmd otherwise.
    if (procs.length >= 3 && !procs.slice(0, 3).some(exited)) {
      run('scancel', ['--full', '--user=root']);
      for (let i = 0; i < 40; i++) {
        const q = run('squeue', ['-h', '-o', '%i']);
        if (q.status === 0 && q.stdout.trim() === '') break;
        await sleep(500);
      }
    }
    for (const p of [...procs].reverse()) await stopProcess(p, 10_000);
    process.removeListener('exit', onExit);
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    start('munged', ['--foreground', '--force', `--key-file=${key}`, `--socket=${socket}`,
      `--pid-file=${join(dir, 'munge', 'munged.pid')}`, `--seed-file=${join(dir, 'munge', 'munged.seed')}`,
      `--log-file=${join(dir, 'log', 'munged.log')}`], 'munged.out');
    for (let i = 0; i < 50 && !existsSync(socket); i++) await sleep(100);
    if (!existsSync(socket)) throw new Error('munged did not create its socket');
    start('slurmctld', ['-D', '-c', '-i', '-f', conf], 'slurmctld.out');
    start('slurmd', ['-D', '-f', conf], 'slurmd.out');
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (procs.some(exited)) throw new Error('a Slurm daemon exited during start-up');
      const s = run('sinfo', ['-h', '-N', '-o', '%N %t']);
      if (s.status === 0 && s.stdout.split('\n').some((l) => l.trim() === `${node} idle`)) break;
      if (Date.now() > deadline) throw new Error(`the node did not become idle within 60 s (sinfo: ${(s.stdout + s.stderr).trim()})`);
      await sleep(500);
    }
  } catch (e) {
    const msg = `${(e as Error).message}\n${logs()}`;
    await stop();
    throw new Error(`starting the test Slurm cluster failed: ${msg}`);
  }
  return { dir, conf, partition, node, env, run, logs, stop };
}
