// The host side of a trainer process: forks it, sends HostToTrainer, receives TrainerToHost
// (and ChildHost, the typed child process it is one of).
// Used by the CLI, serve mode and Electron main (which passes its built entry and Electron's
// node mode). Training never runs on the host's event loop.

import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { HostToTrainer, TrainerToHost } from '../protocol.js';
import { execArgvFor } from '../child-exec.js';

export interface TrainerSpawnOptions {
  /** Script to run; default: this folder's child.ts run through tsx. */
  entry?: string;
  execArgv?: string[];
  execPath?: string;
  env?: NodeJS.ProcessEnv;
}

/** Forks `defaultEntry` (a .ts file runs through tsx) or opts.entry, typed arrays crossing as typed arrays. */
export function forkChild(defaultEntry: string, opts: TrainerSpawnOptions = {}): ChildProcess {
  const entry = opts.entry ?? defaultEntry;
  const execArgv = opts.execArgv ?? execArgvFor(entry);
  return fork(entry, [], {
    execArgv,
    execPath: opts.execPath,
    env: opts.env ?? process.env,
    serialization: 'advanced', // typed arrays cross as typed arrays
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

/**
 * A child process speaking a typed protocol: In from this host, Out from the child. The trainer
 * (TrainerHost) and the real-time viewer (core/viewer/host.ts) are both this.
 */
export class ChildHost<In, Out> {
  constructor(protected readonly proc: ChildProcess) {}

  get pid(): number {
    return this.proc.pid ?? -1;
  }

  get alive(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  send(msg: In): void {
    // The callback swallows a write racing the child's exit (reported through onExit instead).
    if (this.proc.connected) this.proc.send(msg as object, undefined, undefined, () => {});
  }

  onMessage(cb: (m: Out) => void): void {
    this.proc.on('message', (m) => cb(m as Out));
  }

  onExit(cb: (code: number | null, signal: string | null) => void): void {
    this.proc.on('exit', cb);
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    this.proc.kill(signal);
  }
}

export class TrainerHost extends ChildHost<HostToTrainer, TrainerToHost> {
  static spawn(opts: TrainerSpawnOptions = {}): TrainerHost {
    return new TrainerHost(forkChild(fileURLToPath(new URL('./child.ts', import.meta.url)), opts));
  }

  /** Resolves with the first message that satisfies `pred` (rejects if the process exits first). */
  waitFor<T extends TrainerToHost>(pred: (m: TrainerToHost) => m is T, timeoutMs = 600_000): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`trainer: timed out after ${timeoutMs} ms`)), timeoutMs);
      const onMsg = (m: unknown) => {
        if (pred(m as TrainerToHost)) { cleanup(); resolve(m as T); }
      };
      const onExit = (code: number | null, signal: string | null) => { cleanup(); reject(new Error(`trainer process exited (code ${code}, signal ${signal})`)); };
      const cleanup = () => { clearTimeout(timer); this.proc.off('message', onMsg); this.proc.off('exit', onExit); };
      this.proc.on('message', onMsg);
      this.proc.on('exit', onExit);
    });
  }
}
