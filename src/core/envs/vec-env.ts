// N envs stepped together with automatic reset, writing into preallocated flat arrays so a
// rollout loop allocates nothing per step.

import { makeEnv, makeEnvSync } from './registry.js';
import { EnvError, type Env, type TaskSpec } from './types.js';

export class VecEnv {
  readonly spec: TaskSpec;
  readonly numEnvs: number;
  readonly obsDim: number;
  readonly actDim: number;
  /** Current observations [numEnvs × obsDim]; after an auto-reset, the new episode's first obs. */
  readonly obs: Float32Array;
  readonly rewards: Float32Array;
  readonly terminated: Uint8Array;
  readonly truncated: Uint8Array;
  /** The last observation of the episode that ended this step (valid where terminated or truncated),
   *  e.g. to bootstrap V(s_T) on truncation. */
  readonly finalObs: Float32Array;
  /** Return and length of the episode that ended this step (valid where terminated or truncated). */
  readonly episodeReturns: Float64Array;
  readonly episodeLengths: Int32Array;
  /** Return and length of each env's current episode so far (checkpointed by getState). */
  readonly runningReturns: Float64Array;
  readonly runningLengths: Int32Array;

  private readonly envs: Env[];
  private readonly actBufs: Float32Array[];
  private disposed = false;

  /** Takes ownership of the envs (all of one task); dispose() disposes them. */
  constructor(envs: Env[]) {
    if (envs.length === 0) throw new Error('VecEnv needs at least one env');
    this.envs = envs;
    this.spec = envs[0].spec;
    for (const e of envs) {
      if (e.spec.name !== this.spec.name) throw new Error(`VecEnv: mixed tasks ${this.spec.name} and ${e.spec.name}`);
    }
    const n = envs.length;
    this.numEnvs = n;
    this.obsDim = this.spec.obsDim;
    this.actDim = this.spec.actDim;
    this.obs = new Float32Array(n * this.obsDim);
    this.finalObs = new Float32Array(n * this.obsDim);
    this.rewards = new Float32Array(n);
    this.terminated = new Uint8Array(n);
    this.truncated = new Uint8Array(n);
    this.episodeReturns = new Float64Array(n);
    this.episodeLengths = new Int32Array(n);
    this.runningReturns = new Float64Array(n);
    this.runningLengths = new Int32Array(n);
    this.actBufs = envs.map(() => new Float32Array(this.actDim));
  }

  /** Creates n envs of a built-in task (loads MuJoCo if needed). */
  static async create(task: string, n: number): Promise<VecEnv> {
    const first = await makeEnv(task);
    const envs = [first];
    try {
      for (let i = 1; i < n; i++) envs.push(makeEnvSync(task));
    } catch (e) {
      for (const env of envs) env.dispose();
      throw e;
    }
    return new VecEnv(envs);
  }

  /** Resets every env; env i gets seed + i, so one seed fixes all N streams. */
  reset(seed?: number): Float32Array {
    this.checkAlive();
    for (let i = 0; i < this.numEnvs; i++) {
      const o = this.envs[i].reset(seed === undefined ? undefined : seed + i);
      this.obs.set(o, i * this.obsDim);
      this.runningReturns[i] = 0;
      this.runningLengths[i] = 0;
    }
    this.rewards.fill(0);
    this.terminated.fill(0);
    this.truncated.fill(0);
    return this.obs;
  }

  /** Steps env i with actions[i·actDim … (i+1)·actDim); finished episodes reset automatically. */
  step(actions: ArrayLike<number>): void {
    this.checkAlive();
    const { numEnvs, actDim } = this;
    if (actions == null || actions.length !== numEnvs * actDim) {
      throw new EnvError(
        'bad-action-shape',
        `${this.spec.name} ×${numEnvs}: actions must have length ${numEnvs * actDim} (numEnvs × actDim), got ${actions == null ? String(actions) : actions.length}`,
      );
    }
    for (let i = 0; i < numEnvs; i++) {
      const buf = this.actBufs[i];
      for (let k = 0; k < actDim; k++) buf[k] = actions[i * actDim + k];
      this.stepOne(i, buf);
    }
  }

  /**
   * Steps env i alone with `action` (as Env.step takes it) and returns whether its episode ended.
   * At an end the final obs, return and length are kept; with autoReset (the default) the env
   * starts a new episode, otherwise obs holds the final obs until resetOne(i).
   */
  stepOne(i: number, action: ArrayLike<number>, autoReset = true): boolean {
    this.checkAlive();
    const r = this.envs[i].step(action);
    this.rewards[i] = r.reward;
    this.runningReturns[i] += r.reward;
    this.runningLengths[i]++;
    this.terminated[i] = r.terminated ? 1 : 0;
    this.truncated[i] = r.truncated ? 1 : 0;
    const o = i * this.obsDim;
    if (!(r.terminated || r.truncated)) {
      this.obs.set(r.obs, o);
      return false;
    }
    this.finalObs.set(r.obs, o);
    this.episodeReturns[i] = this.runningReturns[i];
    this.episodeLengths[i] = this.runningLengths[i];
    if (autoReset) this.resetOne(i);
    else this.obs.set(r.obs, o);
    return true;
  }

  /** Starts a new episode in env i with its own generator (no reseed). */
  resetOne(i: number): void {
    this.checkAlive();
    this.obs.set(this.envs[i].reset(), i * this.obsDim);
    this.runningReturns[i] = 0;
    this.runningLengths[i] = 0;
  }

  /** The envs themselves (e.g. env 0 for rendering poses). Do not dispose them separately. */
  env(i: number): Env {
    return this.envs[i];
  }

  /** Per-env state for checkpoints: the env's own state, then running return, length and obs. */
  getState(): Float64Array[] {
    this.checkAlive();
    return this.envs.map((env, i) => {
      const s = env.getState();
      const out = new Float64Array(s.length + 2 + this.obsDim);
      out.set(s);
      out[s.length] = this.runningReturns[i];
      out[s.length + 1] = this.runningLengths[i];
      out.set(this.obs.subarray(i * this.obsDim, (i + 1) * this.obsDim), s.length + 2);
      return out;
    });
  }

  setState(states: readonly Float64Array[]): void {
    this.checkAlive();
    if (!Array.isArray(states) || states.length !== this.numEnvs) {
      throw new EnvError('bad-state', `${this.spec.name} ×${this.numEnvs}: expected ${this.numEnvs} env states`);
    }
    for (let i = 0; i < this.numEnvs; i++) {
      const st = states[i];
      const n = st.length - 2 - this.obsDim;
      if (n <= 0) throw new EnvError('bad-state', `${this.spec.name}: env state ${i} is too short`);
      this.envs[i].setState(st.slice(0, n));
      this.runningReturns[i] = st[n];
      this.runningLengths[i] = st[n + 1];
      for (let k = 0; k < this.obsDim; k++) this.obs[i * this.obsDim + k] = st[n + 2 + k];
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const env of this.envs) env.dispose();
  }

  private checkAlive(): void {
    if (this.disposed) throw new EnvError('disposed', `${this.spec.name} VecEnv was disposed`);
  }
}
