// A3C's worker processes: forks them (child processes, never threads), queues what they say,
// restarts a crashed one with a fresh seed (up to a limit) or fails, times out on silence, and
// ends every one of them on dispose. The algorithm (a3c.ts) only sees gradient messages.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { A3cWorkerCrashError, WORKER_FLAG, workerError, type A3cGradMsg, type A3cInitMsg, type ParentToWorker, type WorkerToParent } from './a3c-messages.js';
import { execArgvFor } from '../child-exec.js';

let workerEntryOverride: string | undefined;

/** For packaged apps: where the built worker script is (default: a3c-worker.{ts,js} beside this module). */
export function setA3cWorkerEntry(path: string | undefined): void {
  workerEntryOverride = path;
}

export function a3cWorkerEntry(): string {
  if (workerEntryOverride) return workerEntryOverride;
  if (process.env.POLICY_LAB_A3C_WORKER) return process.env.POLICY_LAB_A3C_WORKER;
  const ext = import.meta.url.endsWith('.js') ? '.js' : '.ts';
  return fileURLToPath(new URL(`./a3c-worker${ext}`, import.meta.url));
}

type QueueItem =
  | { readonly k: number; readonly gen: number; readonly kind: 'msg'; readonly msg: WorkerToParent }
  | { readonly k: number; readonly gen: number; readonly kind: 'exit'; readonly code: number | null; readonly signal: string | null };

interface Slot {
  proc: ChildProcess;
  gen: number;
}

export interface SupervisorOptions {
  readonly count: number;
  /** The init message of worker k in its generation-th incarnation. */
  readonly init: (k: number, generation: number) => A3cInitMsg;
  /** Parameters every worker must build. */
  readonly numParams: number;
  readonly restart: boolean;
  readonly maxRestarts: number;
  /** Seconds of silence from all workers before failing (0: wait forever); read at every wait. */
  readonly timeoutSec: () => number;
  /** A restarted worker is ready: send it θ. */
  readonly onReady: (k: number) => void;
}

export class A3cSupervisor {
  private readonly slots: Slot[] = [];
  private readonly queue: QueueItem[] = [];
  private wake: (() => void) | null = null;
  private disposing = false;
  /** Workers respawned after a crash (checkpointed by the algorithm). */
  restarts = 0;
  /** One line per crash, for the log. */
  readonly crashLog: string[] = [];

  constructor(private readonly o: SupervisorOptions) {}

  get pids(): number[] {
    return this.slots.map((s) => s.proc.pid ?? -1);
  }

  /** Forks every worker and waits until all are ready. */
  async start(): Promise<void> {
    for (let k = 0; k < this.o.count; k++) this.spawn(k, 0);
    let ready = 0;
    while (ready < this.o.count) {
      const item = await this.next();
      if (item.kind === 'exit') throw crashError(item.k, item.code, item.signal, 'while starting');
      if (item.msg.type === 'ready') {
        this.checkReady(item.k, item.msg.numParams);
        ready++;
      } else if (item.msg.type === 'error') throw workerError(item.k, item.msg);
    }
  }

  send(k: number, msg: ParentToWorker): void {
    const s = this.slots[k];
    if (s.proc.connected) s.proc.send(msg);
  }

  /**
   * The next gradient from any worker; `current`: its sender is still alive and wants θ back.
   * Crashes are restarted (or thrown), restarted workers' ready messages answered with onReady.
   */
  async nextGradient(): Promise<{ k: number; msg: A3cGradMsg; current: boolean }> {
    for (;;) {
      const item = await this.next();
      const slot = this.slots[item.k];
      const current = item.gen === slot.gen;
      if (item.kind === 'exit') {
        if (!current) continue;
        const err = crashError(item.k, item.code, item.signal);
        if (!this.o.restart || this.restarts >= this.o.maxRestarts) throw err;
        this.restarts++;
        this.crashLog.push(`${err.message}; restarted (${this.restarts}/${this.o.maxRestarts})`);
        console.warn(`[a3c] ${this.crashLog[this.crashLog.length - 1]}`);
        this.spawn(item.k, slot.gen + 1);
        continue;
      }
      const msg = item.msg;
      if (msg.type === 'error') throw workerError(item.k, msg);
      if (msg.type === 'ready') {
        if (current) {
          this.checkReady(item.k, msg.numParams);
          this.o.onReady(item.k);
        }
        continue;
      }
      return { k: item.k, msg, current };
    }
  }

  private spawn(k: number, gen: number): void {
    const entry = a3cWorkerEntry();
    const proc = fork(entry, [WORKER_FLAG], {
      execArgv: execArgvFor(entry),
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.slots[k] = { proc, gen };
    proc.on('message', (msg) => this.push({ k, gen, kind: 'msg', msg: msg as WorkerToParent }));
    proc.on('exit', (code, signal) => {
      if (!this.disposing) this.push({ k, gen, kind: 'exit', code, signal });
    });
    // A failed send to a dying worker surfaces as its exit; nothing to do here.
    proc.on('error', () => {});
    proc.send(this.o.init(k, gen));
  }

  private push(item: QueueItem): void {
    this.queue.push(item);
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  private async next(): Promise<QueueItem> {
    const sec = this.o.timeoutSec(), ms = sec * 1000;
    while (this.queue.length === 0) {
      let timer: NodeJS.Timeout | undefined;
      let timedOut = false;
      await new Promise<void>((r) => {
        this.wake = r;
        if (ms > 0) timer = setTimeout(() => { timedOut = true; r(); }, ms);
      });
      clearTimeout(timer);
      if (timedOut && this.queue.length === 0) throw new A3cWorkerCrashError(`A3C workers sent nothing for ${sec} s (hung?)`);
    }
    return this.queue.shift() as QueueItem;
  }

  private checkReady(k: number, numParams: number): void {
    if (numParams !== this.o.numParams) throw new A3cWorkerCrashError(`A3C worker ${k} built ${numParams} parameters, the global net has ${this.o.numParams}`);
  }

  /** Asks every worker to stop, SIGKILLs any still alive after a second, and waits for all exits. */
  async dispose(): Promise<void> {
    this.disposing = true;
    const exits = this.slots.map((s) => new Promise<void>((resolve) => {
      if (s.proc.exitCode !== null || s.proc.signalCode !== null) return resolve();
      s.proc.once('exit', () => resolve());
      if (s.proc.connected) s.proc.send({ type: 'stop' } satisfies ParentToWorker);
      // A worker busy in a long rollout, or stuck: no more than a second's grace.
      setTimeout(() => s.proc.kill('SIGKILL'), 1000).unref();
    }));
    await Promise.all(exits);
  }
}

function crashError(k: number, code: number | null, signal: string | null, when = ''): A3cWorkerCrashError {
  const how = signal ? `signal ${signal}` : `exit code ${code}`;
  return new A3cWorkerCrashError(`A3C worker ${k} crashed (${how})${when ? ' ' + when : ''}`);
}
