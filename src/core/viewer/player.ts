// The viewer's simulation: one env of its own (built with the trainer's envMaker, so it computes
// exactly the trainer's observations) plays a policy snapshot in real time — simulated time =
// wall time × speed — from seeded fresh resets, episode after episode. Each tick steps the env
// up to the target time and sends the poses interpolated at that time between the two env
// steps around it, so the view moves smoothly even though the policy acts every frameSkip
// physics steps. Used by the viewer process (child.ts) and, in-process, by tests.

import type { Env } from '../envs/types.js';
import { POSE_STRIDE } from '../envs/types.js';
import { Rng } from '../rl/rng.js';
import { envMaker } from '../trainer/env-factory.js';
import {
  VIEWER_SEED_OFFSET, VIEWER_SPEED_MAX, VIEWER_SPEED_MIN,
  type ViewerControl, type ViewerPolicy, type ViewerPush, type ViewerSettings, type ViewerPlayerMessage, type ViewerSource,
} from './messages.js';
import { isPushable, MousePush, type Pushable } from './push.js';
import { SnapshotPolicy } from './snapshot-policy.js';

/** At most this many env steps per tick; a viewer further behind drops the time instead of racing. */
const MAX_STEPS_PER_TICK = 40;

export class ViewerPlayer {
  private env: Env | null = null;
  private source: ViewerSource | null = null;
  private dt = 0.05;
  private policy: SnapshotPolicy | null = null;
  private playing: ViewerPolicy | null = null;
  private pending: ViewerPolicy | null = null;
  private settings: { -readonly [K in keyof ViewerSettings]: ViewerSettings[K] } = { paused: false, speed: 1, deterministic: true, swapAtOnce: false };
  /** A frozen copy sent with every state; replaced only when a control changes it. */
  private shownSettings: ViewerSettings = { ...this.settings };
  private rng = new Rng(0);
  private obs = new Float32Array(0);
  private prev = new Float32Array(0);
  private cur = new Float32Array(0);
  private out = new Float32Array(0);
  private readonly pushState = new Float32Array(6);
  private readonly noPush = new Float32Array(0);
  private readonly push = new MousePush();
  /** Simulated time shown (continuous over episodes), and the time of the `cur` env state. */
  private simTime = 0;
  private tCur = 0;
  private lastWall = 0;
  private seq = 0;
  private episode = 0;
  private episodeStep = 0;
  private episodeReturn = 0;
  /** Number of the load: a load that finishes after a newer one started is dropped. */
  private loads = 0;

  constructor(private readonly send: (m: ViewerPlayerMessage) => void, private readonly now: () => number = () => performance.now()) {}

  get loaded(): boolean {
    return this.env !== null;
  }

  /** Whether ticks would advance anything (loaded, a policy, not paused): else its host need not tick. */
  get running(): boolean {
    return this.env !== null && this.policy !== null && !this.settings.paused;
  }

  /** Whether the user holds a push (its states are then sent one by one: state-batch.ts). */
  get pushing(): boolean {
    return this.push.body > 0;
  }

  /** Ticks resume after a stop: simulated time runs on from now, without catching up the stop. */
  restartClock(): void {
    this.lastWall = this.now();
  }

  /** Builds the env for `source` (reusing it when the task is unchanged) and starts episode 0. */
  async load(source: ViewerSource, policy: ViewerPolicy | null): Promise<void> {
    const n = ++this.loads;
    const same = this.env && this.source && JSON.stringify(this.source.env) === JSON.stringify(source.env);
    let env = this.env;
    if (!same) {
      const make = await envMaker(source.env);
      if (n !== this.loads) return;
      this.unload();
      env = make();
    }
    if (!env) return;
    this.env = env;
    this.source = source;
    this.dt = envDt(env);
    const ng = env.renderDescription().geoms.length * POSE_STRIDE;
    if (this.cur.length !== ng) { this.prev = new Float32Array(ng); this.cur = new Float32Array(ng); this.out = new Float32Array(ng); }
    this.policy = null;
    this.playing = null;
    this.pending = policy;
    this.episode = 0;
    this.rng = new Rng(source.seed + VIEWER_SEED_OFFSET);
    this.lastWall = this.now();
    this.send({ type: 'viewer-model', label: source.label, spec: env.spec, render: env.renderDescription(), pushable: isPushable(env) });
    this.startEpisode();
    this.emit();
  }

  unload(): void {
    this.push.release(null);
    this.env?.dispose();
    this.env = null;
    this.source = null;
    this.policy = null;
    this.playing = this.pending = null;
  }

  /** A new policy version: played from the next episode start, or at once with swapAtOnce. */
  setPolicy(p: ViewerPolicy): void {
    this.pending = p;
    if (this.settings.swapAtOnce || this.policy === null) this.swapIn();
  }

  control(c: ViewerControl): void {
    const s = this.settings;
    if (c.speed !== undefined) s.speed = Math.min(VIEWER_SPEED_MAX, Math.max(VIEWER_SPEED_MIN, c.speed));
    if (c.deterministic !== undefined) s.deterministic = c.deterministic;
    if (c.swapAtOnce !== undefined) { s.swapAtOnce = c.swapAtOnce; if (s.swapAtOnce && this.pending) this.swapIn(); }
    if (c.paused !== undefined) s.paused = c.paused;
    this.shownSettings = { ...s };
    if (c.reset && this.env) { this.startEpisode(); this.emit(); }
    if (c.step && s.paused && this.env) {
      this.stepEnv();
      this.simTime = this.tCur;
      this.emit();
    }
    if (!c.step && !c.reset && this.env) this.emit();
  }

  setPush(p: ViewerPush): void {
    const env = this.env;
    if (!env || !isPushable(env)) return;
    const v = env.perturbViews();
    if (p.body === undefined) { this.push.release(v); return; }
    if (p.grab) this.push.grab(v, p.body, p.grab, p.target ?? p.grab);
    else if (p.target && this.push.body === p.body) this.push.setTarget(p.target);
  }

  /** Advances the simulation to wall time × speed and sends one state. */
  tick(): void {
    const now = this.now();
    const wall = (now - this.lastWall) / 1000;
    this.lastWall = now;
    if (!this.running) return;
    this.simTime += wall * this.settings.speed;
    let n = 0;
    while (this.tCur < this.simTime && n++ < MAX_STEPS_PER_TICK) this.stepEnv();
    if (this.tCur < this.simTime) this.simTime = this.tCur;
    this.emit();
  }

  // ---------------------------------------------------------------------------------------

  private swapIn(): void {
    if (!this.pending) return;
    const spec = this.env?.spec;
    const snap = this.pending.snapshot;
    if (spec && (snap.obsDim !== spec.obsDim || snap.actDim !== (spec.actionKind === 'discrete' ? snap.actDim : spec.actDim))) {
      this.pending = null;
      throw new Error(`the policy (obs ${snap.obsDim}, act ${snap.actDim}) does not fit ${spec.name} (obs ${spec.obsDim}, act ${spec.actDim})`);
    }
    this.playing = this.pending;
    this.policy = new SnapshotPolicy(this.pending.snapshot);
    this.pending = null;
    if (this.obs.length === snap.obsDim) this.policy.view(this.obs);
  }

  private startEpisode(): void {
    const env = this.env as Env;
    if (this.pending) this.swapIn();
    const o = env.reset((this.source as ViewerSource).seed + VIEWER_SEED_OFFSET + this.episode);
    if (this.obs.length !== o.length) this.obs = new Float32Array(o.length);
    this.obs.set(o);
    this.episodeStep = 0;
    this.episodeReturn = 0;
    env.writePoses(this.cur);
    this.prev.set(this.cur);
    // The new episode starts at the time shown: no interpolation across the reset.
    this.tCur = this.simTime;
    this.policy?.view(this.obs);
  }

  private stepEnv(): void {
    const env = this.env as Env;
    const pol = this.policy;
    if (!pol) return;
    if (this.push.body > 0 && isPushable(env)) this.push.apply((env as Env & Pushable).perturbViews(), this.dt);
    const a = pol.act(this.obs, this.settings.deterministic, this.rng);
    const r = env.step(a);
    this.obs.set(r.obs);
    this.episodeReturn += r.reward;
    this.episodeStep++;
    this.prev.set(this.cur);
    env.writePoses(this.cur);
    this.tCur += this.dt;
    pol.view(this.obs);
    if (r.terminated || r.truncated) {
      const p = this.playing as ViewerPolicy;
      this.send({ type: 'viewer-episode', episode: this.episode, return: this.episodeReturn, length: this.episodeStep, update: p.update, steps: p.steps, deterministic: this.settings.deterministic });
      this.episode++;
      this.startEpisode();
    }
  }

  private emit(): void {
    const env = this.env;
    if (!env) return;
    // Poses at simTime, between the env states at tCur − dt and tCur.
    const alpha = this.tCur <= this.simTime ? 1 : Math.max(0, 1 - (this.tCur - this.simTime) / this.dt);
    interpolatePoses(this.prev, this.cur, alpha, this.out);
    let push = this.noPush;
    if (this.push.body > 0 && isPushable(env)) {
      this.push.updateAnchor(env.perturbViews());
      for (let i = 0; i < 3; i++) { this.pushState[i] = this.push.anchor[i]; this.pushState[3 + i] = this.push.target[i]; }
      push = this.pushState;
    }
    const pol = this.policy, p = this.playing;
    this.send({
      type: 'viewer-state', seq: this.seq++, simTime: this.simTime, poses: this.out,
      mu: pol ? pol.mu : this.noPush, std: pol ? pol.std : this.noPush,
      episode: this.episode, episodeStep: this.episodeStep, episodeReturn: this.episodeReturn,
      update: p ? p.update : -1, steps: p ? p.steps : 0, push, settings: this.shownSettings,
    });
  }
}

/** Seconds per env step (MuJoCo timestep × frame skip; MujocoEnv.inspect reports the timestep). */
function envDt(env: Env): number {
  const inspect = (env as { inspect?: () => { timestep: number } }).inspect;
  const ts = typeof inspect === 'function' ? inspect.call(env).timestep : NaN;
  // An env without inspect (an env module) is assumed to step 0.01 s per physics step.
  return (ts > 0 ? ts : 0.01) * env.spec.frameSkip;
}

/**
 * out = poses at fraction alpha from a to b: positions linearly, quaternions normalized-linearly
 * along the short arc. No allocation (runs for every state).
 */
export function interpolatePoses(a: Float32Array, b: Float32Array, alpha: number, out: Float32Array): void {
  if (alpha >= 1) { out.set(b); return; }
  const u = 1 - alpha;
  for (let o = 0; o + POSE_STRIDE <= out.length; o += POSE_STRIDE) {
    out[o] = u * a[o] + alpha * b[o];
    out[o + 1] = u * a[o + 1] + alpha * b[o + 1];
    out[o + 2] = u * a[o + 2] + alpha * b[o + 2];
    const dot = a[o + 3] * b[o + 3] + a[o + 4] * b[o + 4] + a[o + 5] * b[o + 5] + a[o + 6] * b[o + 6];
    const s = dot < 0 ? -alpha : alpha;
    let w = u * a[o + 3] + s * b[o + 3], x = u * a[o + 4] + s * b[o + 4], y = u * a[o + 5] + s * b[o + 5], z = u * a[o + 6] + s * b[o + 6];
    const n = Math.sqrt(w * w + x * x + y * y + z * z) || 1;
    w /= n; x /= n; y /= n; z /= n;
    out[o + 3] = w; out[o + 4] = x; out[o + 5] = y; out[o + 6] = z;
  }
}
