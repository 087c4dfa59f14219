// The host side of the viewer process: forks child.ts (or a built entry) with typed arrays
// crossing as typed arrays. Its owner (LabBackend's ViewerService) kills it on dispose.

import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TrainerSpawnOptions } from '../trainer/host.js';
import type { HostToViewer, ViewerToHost } from './messages.js';

export class ViewerProcess {
  private constructor(private readonly proc: ChildProcess) {}

  /** opts.entry: the built viewer entry (Electron); default this folder's child.ts through tsx. */
  static spawn(opts: TrainerSpawnOptions = {}): ViewerProcess {
    const entry = opts.entry ?? fileURLToPath(new URL('./child.ts', import.meta.url));
    const proc = fork(entry, [], {
      execArgv: opts.execArgv ?? (entry.endsWith('.ts') ? ['--import', 'tsx'] : []),
      execPath: opts.execPath,
      env: opts.env ?? process.env,
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    return new ViewerProcess(proc);
  }

  get alive(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  send(msg: HostToViewer): void {
    if (this.proc.connected) this.proc.send(msg, undefined, undefined, () => {});
  }

  onMessage(cb: (m: ViewerToHost) => void): void {
    this.proc.on('message', (m) => cb(m as ViewerToHost));
  }

  onExit(cb: (code: number | null, signal: string | null) => void): void {
    this.proc.on('exit', cb);
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    this.proc.kill(signal);
  }
}
