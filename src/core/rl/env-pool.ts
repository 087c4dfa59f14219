// The training side of a VecEnv: N environments stepped with auto-reset (VecEnv's), plus what
// training needs on top — per-env stepping without reset (REINFORCE's whole episodes), a `done`
// flag and truncation only where not terminated, episode reports with the global step, the live
// frame hook, and exact save/restore of envs, observations and episode accumulators.
import type { AlgoContext } from './context.js';
import type { Env } from '../envs/types.js';
import { VecEnv } from '../envs/vec-env.js';

export interface PoolState {
  readonly envStates: Float64Array;
  readonly envStateLengths: Int32Array;
  readonly obs: Float32Array;
  readonly epReturn: Float64Array;
  readonly epLength: Int32Array;
  readonly steps: number;
}

export class EnvPool {
  readonly vec: VecEnv;
  readonly envs: Env[];
  readonly obsDim: number;
  /** Floats per action: action dims, or 1 (the index) for discrete spaces. */
  readonly actWidth: number;
  readonly discrete: boolean;
  /** Current raw observations [N, obsDim] (VecEnv's). */
  readonly obs: Float32Array;
  /** Results of the last step, per env. */
  readonly rewards: Float32Array;
  readonly terminated: Uint8Array;
  /** Time-limit truncation where the episode did not also terminate (then V(s_T) bootstraps). */
  readonly truncated: Uint8Array;
  readonly done: Uint8Array;
  /** Raw observation that ended the episode (valid where done). */
  readonly finalObs: Float32Array;
  /** Return and length of each env's running episode. */
  readonly epReturn: Float64Array;
  readonly epLength: Int32Array;
  /** Env steps so far, all envs. */
  steps = 0;
  private readonly actViews: Float32Array[];
  /** Env 0's row of obs, for the live view (made once). */
  private readonly obs0: Float32Array;

  constructor(private readonly ctx: AlgoContext, readonly N: number) {
    if (!(N >= 1) || !Number.isInteger(N)) throw new RangeError(`EnvPool: numEnvs must be a positive integer, got ${N}`);
    this.envs = Array.from({ length: N }, () => ctx.makeEnv());
    this.vec = new VecEnv(this.envs);
    const e0 = this.envs[0];
    this.obsDim = this.vec.obsDim;
    if (e0.observationSpace.shape[0] !== this.obsDim)
      throw new RangeError(`EnvPool: ${e0.spec.name} observes ${e0.observationSpace.shape[0]} numbers but its spec says obsDim ${this.obsDim}`);
    this.discrete = e0.actionSpace.kind === 'discrete';
    this.actWidth = e0.actionSpace.kind === 'discrete' ? 1 : e0.actionSpace.shape[0];
    const v = this.vec;
    this.obs = v.obs;
    this.rewards = v.rewards;
    this.terminated = v.terminated;
    this.finalObs = v.finalObs;
    this.epReturn = v.runningReturns;
    this.epLength = v.runningLengths;
    this.truncated = new Uint8Array(N);
    this.done = new Uint8Array(N);
    this.actViews = [];
    this.obs0 = this.obs.subarray(0, this.obsDim);
  }

  /** Seeds and resets every env (env n gets seed + n). */
  resetAll(seed: number): void {
    this.vec.reset(seed);
  }

  /** Resets env n with its own generator (no reseed). */
  resetEnv(n: number): void {
    this.vec.resetOne(n);
  }

  /**
   * Steps env n with `action` (actWidth floats). Fills rewards/terminated/truncated/done[n]; at
   * an episode's end reports it and (autoReset) starts a new one — finalObs keeps the last obs.
   */
  stepEnv(n: number, action: Float32Array, autoReset = true): void {
    const v = this.vec;
    const done = v.stepOne(n, action, autoReset);
    this.steps++;
    this.truncated[n] = v.terminated[n] ? 0 : v.truncated[n];
    this.done[n] = done ? 1 : 0;
    if (done) this.ctx.onEpisode({ step: this.steps, return: v.episodeReturns[n], length: v.episodeLengths[n] });
  }

  /** Steps all envs with actions [N, actWidth]. */
  stepAll(actions: Float32Array): void {
    if (this.actViews.length === 0)
      for (let n = 0; n < this.N; n++) this.actViews.push(actions.subarray(n * this.actWidth, (n + 1) * this.actWidth));
    else if (this.actViews[0].buffer !== actions.buffer) throw new Error('EnvPool.stepAll: always pass the same preallocated action array');
    for (let n = 0; n < this.N; n++) this.stepEnv(n, this.actViews[n]);
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
    this.vec.dispose();
  }
}
