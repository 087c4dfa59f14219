// N environments stepped together with auto-reset, episode bookkeeping, the live frame hook and
// exact save/restore. Observations, rewards and flags land in preallocated arrays.
import type { AlgoContext } from '../algos/types.js';
import type { Env } from '../envs/types.js';

export interface PoolState {
  readonly envStates: Float64Array;
  readonly envStateLengths: Int32Array;
  readonly obs: Float32Array;
  readonly epReturn: Float64Array;
  readonly epLength: Int32Array;
  readonly steps: number;
}

export class EnvPool {
  readonly envs: Env[];
  readonly obsDim: number;
  /** Floats per action: action dims, or 1 (the index) for discrete spaces. */
  readonly actWidth: number;
  readonly discrete: boolean;
  /** Current raw observations [N, obsDim]. */
  readonly obs: Float32Array;
  /** Results of the last step, per env. */
  readonly rewards: Float32Array;
  readonly terminated: Uint8Array;
  readonly truncated: Uint8Array;
  readonly done: Uint8Array;
  /** Raw observation that ended the episode (valid where done). */
  readonly finalObs: Float32Array;
  readonly epReturn: Float64Array;
  readonly epLength: Int32Array;
  /** Env steps so far, all envs. */
  steps = 0;
  private readonly actViews: Float32Array[];
  private readonly obsViews: Float32Array[];

  constructor(private readonly ctx: AlgoContext, readonly N: number) {
    if (!(N >= 1) || !Number.isInteger(N)) throw new RangeError(`EnvPool: numEnvs must be a positive integer, got ${N}`);
    this.envs = Array.from({ length: N }, () => ctx.makeEnv());
    const e0 = this.envs[0];
    this.obsDim = e0.observationSpace.shape[0];
    this.discrete = e0.actionSpace.kind === 'discrete';
    this.actWidth = e0.actionSpace.kind === 'discrete' ? 1 : e0.actionSpace.shape[0];
    this.obs = new Float32Array(N * this.obsDim);
    this.finalObs = new Float32Array(N * this.obsDim);
    this.rewards = new Float32Array(N);
    this.terminated = new Uint8Array(N);
    this.truncated = new Uint8Array(N);
    this.done = new Uint8Array(N);
    this.epReturn = new Float64Array(N);
    this.epLength = new Int32Array(N);
    this.actViews = [];
    this.obsViews = [];
    for (let n = 0; n < N; n++) this.obsViews.push(this.obs.subarray(n * this.obsDim, (n + 1) * this.obsDim));
  }

  /** Seeds and resets every env (env n gets seed + n). */
  resetAll(seed: number): void {
    for (let n = 0; n < this.N; n++) this.obsViews[n].set(this.envs[n].reset((seed + n) >>> 0));
    this.epReturn.fill(0);
    this.epLength.fill(0);
  }

  /** Resets env n with its own generator (no reseed). */
  resetEnv(n: number): void {
    this.obsViews[n].set(this.envs[n].reset());
    this.epReturn[n] = 0;
    this.epLength[n] = 0;
  }

  /**
   * Steps env n with `action` (actWidth floats). Fills rewards/terminated/truncated/done[n]; at
   * an episode's end copies the final obs, reports the episode and (autoReset) starts a new one.
   */
  stepEnv(n: number, action: Float32Array, autoReset = true): void {
    const r = this.envs[n].step(action);
    this.steps++;
    this.rewards[n] = r.reward;
    this.terminated[n] = r.terminated ? 1 : 0;
    this.truncated[n] = r.truncated && !r.terminated ? 1 : 0;
    const done = r.terminated || r.truncated;
    this.done[n] = done ? 1 : 0;
    this.epReturn[n] += r.reward;
    this.epLength[n]++;
    this.obsViews[n].set(r.obs);
    if (done) {
      this.finalObs.set(r.obs, n * this.obsDim);
      this.ctx.onEpisode({ step: this.steps, return: this.epReturn[n], length: this.epLength[n] });
      if (autoReset) this.resetEnv(n);
    }
  }

  /** Steps all envs with actions [N, actWidth]. */
  stepAll(actions: Float32Array): void {
    if (this.actViews.length === 0)
      for (let n = 0; n < this.N; n++) this.actViews.push(actions.subarray(n * this.actWidth, (n + 1) * this.actWidth));
    else if (this.actViews[0].buffer !== actions.buffer) throw new Error('EnvPool.stepAll: always pass the same preallocated action array');
    for (let n = 0; n < this.N; n++) this.stepEnv(n, this.actViews[n]);
    this.frame();
  }

  /** The live view: one boolean check when nobody watches. */
  frame(): void {
    if (this.ctx.wantFrame()) this.ctx.emitFrame(this.envs[0], this.obsViews[0]);
  }

  getState(): PoolState {
    const states = this.envs.map((e) => e.getState());
    const lengths = Int32Array.from(states.map((s) => s.length));
    const all = new Float64Array(lengths.reduce((a, b) => a + b, 0));
    let o = 0;
    for (const s of states) {
      all.set(s, o);
      o += s.length;
    }
    return { envStates: all, envStateLengths: lengths, obs: Float32Array.from(this.obs), epReturn: Float64Array.from(this.epReturn), epLength: Int32Array.from(this.epLength), steps: this.steps };
  }

  setState(s: PoolState): void {
    if (s.envStateLengths.length !== this.N) throw new RangeError(`EnvPool.setState: state holds ${s.envStateLengths.length} envs, this pool has ${this.N}`);
    let o = 0;
    for (let n = 0; n < this.N; n++) {
      const len = s.envStateLengths[n];
      this.envs[n].setState(s.envStates.subarray(o, o + len));
      o += len;
    }
    this.obs.set(s.obs);
    this.epReturn.set(s.epReturn);
    this.epLength.set(s.epLength);
    this.steps = s.steps;
  }

  dispose(): void {
    for (const e of this.envs) e.dispose();
  }
}
