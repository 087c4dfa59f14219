// The backend's side of the real-time viewer (src/core/viewer): owns the viewer process (spawned
// on first use, respawned if it dies, killed on dispose), feeds it the active run's task and
// every policy the trainer publishes, passes the user's controls and mouse push through, and
// turns its messages into LabEvents. The viewer is separate from every trainer: nothing here
// reaches a training env.

import type { RunConfig, TrainerToHost } from '../core/protocol.js';
import { envSourceOf } from '../core/trainer/env-factory.js';
import type { HostToViewer, ViewerPolicy, ViewerSource, ViewerToHost } from '../core/viewer/messages.js';
import { LabError, type LabEvent, type ViewerControlRequest, type ViewerPushRequest } from './api.js';

/** What the service needs of a viewer process (core/viewer/host's ViewerProcess fits). */
export interface ViewerProcessLike {
  send(msg: HostToViewer): void;
  onMessage(cb: (m: ViewerToHost) => void): void;
  onExit(cb: (code: number | null, signal: string | null) => void): void;
  kill(signal?: NodeJS.Signals): void;
}

type Followed = { readonly runDir: string; readonly source: ViewerSource; latest: ViewerPolicy | null };

export class ViewerService {
  private proc: ViewerProcessLike | null = null;
  /** The live run the viewer follows (its policies are forwarded), if any. */
  private followed: Followed | null = null;
  /** What to replay into a respawned viewer. */
  private lastLoad: HostToViewer | null = null;
  private settings: ViewerControlRequest = {};
  private disposed = false;

  constructor(private readonly spawn: (() => ViewerProcessLike) | undefined, private readonly emit: (e: LabEvent) => void) {
    // Started at once (MuJoCo loaded) so the first run's robot shows without the process's start-up.
    this.ensure();
  }

  /** A run (re)started training: the viewer follows it from its first published policy. */
  trainingStarted(runDir: string, config: RunConfig): void {
    const source: ViewerSource = { env: envSourceOf(config), seed: config.seed, label: runDir.split(/[\\/]/).pop() ?? runDir };
    this.followed = { runDir, source, latest: null };
    if (this.spawn) this.load({ type: 'load', source, policy: null });
  }

  /** A trainer message: policies of the followed run go to the viewer. */
  fromTrainer(runDir: string, m: TrainerToHost): void {
    if (m.type !== 'policy' || this.followed?.runDir !== runDir) return;
    const policy: ViewerPolicy = { snapshot: m.snapshot, update: m.update, steps: m.steps };
    this.followed.latest = policy;
    if (this.lastLoad?.type !== 'load' || this.lastLoad.source !== this.followed.source) return;
    const running = this.proc;
    this.ensure();
    running?.send({ type: 'policy', policy });
  }

  /** Plays a run (training: its current policy; otherwise its latest checkpoint) or an imported bundle. */
  play(runDir: string, training: boolean): void {
    this.require();
    const f = this.followed;
    if (training && f && f.runDir === runDir && f.latest) this.load({ type: 'load', source: f.source, policy: f.latest });
    else this.load({ type: 'play', dir: runDir });
  }

  control(c: ViewerControlRequest): void {
    const p = this.require();
    const { step: _s, reset: _r, ...persistent } = c;
    this.settings = { ...this.settings, ...persistent };
    p.send({ type: 'control', control: c });
  }

  push(p: ViewerPushRequest): void {
    this.require().send({ type: 'push', push: p });
  }

  dispose(): void {
    this.disposed = true;
    this.proc?.kill('SIGTERM');
    this.proc = null;
  }

  private load(msg: HostToViewer): void {
    this.lastLoad = msg;
    // A freshly spawned viewer is sent lastLoad by ensure() itself.
    const running = this.proc;
    this.ensure();
    running?.send(msg);
  }

  private require(): ViewerProcessLike {
    const p = this.ensure();
    if (!p) throw new LabError('failed', 'the viewer is not available in this lab');
    return p;
  }

  private ensure(): ViewerProcessLike | null {
    if (this.proc || this.disposed || !this.spawn) return this.proc;
    const p = this.spawn();
    this.proc = p;
    p.onMessage((m) => {
      if (m.type === 'viewer-error') this.emit({ type: 'error', runDir: null, message: `viewer: ${m.message}`, fatal: false });
      else this.emit(m);
    });
    p.onExit((code, signal) => {
      if (this.proc !== p) return;
      this.proc = null;
      if (!this.disposed) this.emit({ type: 'error', runDir: null, message: `the viewer process ${signal ? `was killed (${signal})` : `exited with code ${code}`}; it restarts with the next policy or Play`, fatal: false });
    });
    // A respawned viewer gets back its settings, what it was playing and the latest policy.
    if (Object.keys(this.settings).length > 0) p.send({ type: 'control', control: this.settings });
    if (this.lastLoad) {
      const f = this.followed;
      const live = this.lastLoad.type === 'load' && f && this.lastLoad.source === f.source;
      p.send(live && f.latest ? { type: 'load', source: f.source, policy: f.latest } : this.lastLoad);
    }
    return p;
  }
}
