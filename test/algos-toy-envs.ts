// Tiny pure-TS environments for the algorithm tests (no MuJoCo): a cart-pole shaped like
// InvertedPendulum-v5 (obs x, θ, ẋ, θ̇; action ∈ [−3, 3]; +1 per step while |θ| ≤ 0.2; 1000 steps)
// and a two-armed contextual bandit for categorical policies.
import type { AlgoContext } from '../src/core/algos/types.js';
import type { BoxSpace, Env, RenderDescription, Space, StepResult, TaskSpec } from '../src/core/envs/types.js';
import { EnvError } from '../src/core/envs/types.js';
import { Rng } from '../src/core/rl/rng.js';

const BOX = (n: number, lo: number, hi: number): BoxSpace => ({ kind: 'box', shape: [n], low: new Float32Array(n).fill(lo), high: new Float32Array(n).fill(hi) });

export class ToyCartPole implements Env {
  readonly spec: TaskSpec = { name: 'ToyCartPole', description: 'pure-TS cart-pole', obsDim: 4, actDim: 1, actionKind: 'box', frameSkip: 1, maxEpisodeSteps: 1000, rewardTerms: ['alive'] };
  readonly observationSpace = BOX(4, -Infinity, Infinity);
  readonly actionSpace: Space;
  private s = new Float64Array(4);
  private t = 0;
  private finished = true;
  private rng = new Rng(0);
  private readonly obs = new Float32Array(4);
  private readonly res: StepResult = { obs: this.obs, reward: 0, terminated: false, truncated: false, info: { rewardTerms: { alive: 0 }, elapsedSteps: 0 } };
  constructor(readonly maxSteps = 1000, readonly discrete = false) {
    this.actionSpace = discrete ? { kind: 'discrete', n: 2 } : BOX(1, -3, 3);
  }
  reset(seed?: number): Float32Array {
    if (seed !== undefined) this.rng.seed(seed);
    for (let i = 0; i < 4; i++) this.s[i] = (this.rng.uniform() * 2 - 1) * 0.01;
    this.t = 0;
    this.finished = false;
    this.writeObs();
    return this.obs;
  }
  private writeObs(): void {
    for (let i = 0; i < 4; i++) this.obs[i] = this.s[i];
  }
  step(action: ArrayLike<number>): StepResult {
    if (this.finished) throw new EnvError('episode-finished', 'step after the episode ended');
    let a = this.discrete ? (action[0] === 1 ? 1 : -1) : action[0];
    if (!Number.isFinite(a)) throw new EnvError('non-finite-action', 'non-finite action');
    a = Math.max(-3, Math.min(3, a));
    // Classic cart-pole dynamics (Barto et al.), force = 4·a, dt = 0.02 (semi-implicit Euler).
    const [x, th, xd, thd] = this.s;
    const g = 9.8, mc = 1, mp = 0.1, l = 0.5, F = 4 * a, dt = 0.02;
    const ct = Math.cos(th), st = Math.sin(th);
    const temp = (F + mp * l * thd * thd * st) / (mc + mp);
    const thacc = (g * st - ct * temp) / (l * (4 / 3 - (mp * ct * ct) / (mc + mp)));
    const xacc = temp - (mp * l * thacc * ct) / (mc + mp);
    this.s[2] = xd + dt * xacc;
    this.s[3] = thd + dt * thacc;
    this.s[0] = x + dt * this.s[2];
    this.s[1] = th + dt * this.s[3];
    this.t++;
    this.writeObs();
    const term = Math.abs(this.s[1]) > 0.2 || Math.abs(this.s[0]) > 10;
    this.res.reward = term ? 0 : 1;
    this.res.terminated = term;
    this.res.truncated = !term && this.t >= this.maxSteps;
    this.finished = this.res.terminated || this.res.truncated;
    (this.res.info as { elapsedSteps: number }).elapsedSteps = this.t;
    return this.res;
  }
  renderDescription(): RenderDescription {
    return { task: 'ToyCartPole', geoms: [], bodyNames: [], trackBody: 0 };
  }
  writePoses(_out: Float32Array): void {}
  getState(): Float64Array {
    return Float64Array.of(...this.s, this.t, this.finished ? 1 : 0, ...this.rng.getState());
  }
  setState(st: Float64Array): void {
    this.s.set(st.subarray(0, 4));
    this.t = st[4];
    this.finished = st[5] === 1;
    this.rng.setState(st.subarray(6));
    this.writeObs();
  }
  dispose(): void {}
}

export interface CtxOptions {
  makeEnv: () => Env;
  config?: Record<string, unknown>;
  seed?: number;
  totalSteps?: number;
  episodes?: { step: number; return: number; length: number }[];
}

export function makeCtx(o: CtxOptions): AlgoContext {
  const env0 = o.makeEnv();
  const spec = env0.spec;
  env0.dispose();
  return {
    spec, makeEnv: o.makeEnv, config: o.config ?? {}, seed: o.seed ?? 1, totalSteps: o.totalSteps ?? 100_000, backend: 'cpu',
    onEpisode: (ep) => o.episodes?.push(ep),
  };
}

/** Mean return of `episodes` deterministic episodes of act(obs, true) on fresh envs. */
export function evaluate(act: (obs: Float32Array) => Float32Array, makeEnv: () => Env, episodes: number, seed = 12345): number {
  let total = 0;
  for (let e = 0; e < episodes; e++) {
    const env = makeEnv();
    let obs = Float32Array.from(env.reset(seed + e));
    for (;;) {
      const r = env.step(act(obs));
      total += r.reward;
      obs = Float32Array.from(r.obs);
      if (r.terminated || r.truncated) break;
    }
    env.dispose();
  }
  return total / episodes;
}
