// Cart-pole tasks after Gymnasium v5 InvertedPendulum and InvertedDoublePendulum, plus a
// two-action variant of InvertedPendulum for categorical policies.

import { readAsset } from './assets.js';
import { MujocoEnv } from './mujoco-env.js';
import type { Mujoco } from './mujoco.js';
import type { TaskSpec } from './types.js';

/** InvertedPendulum-v5: reward 1 while |pole angle| ≤ 0.2, which is also the termination rule. */
export class InvertedPendulumEnv extends MujocoEnv {
  static readonly RESET_NOISE = 0.01;
  static readonly MAX_ANGLE = 0.2;

  constructor(mj: Mujoco, spec: TaskSpec, discreteActions?: number) {
    super(mj, { spec, xml: readAsset('inverted_pendulum.xml'), trackBody: 'cart', discreteActions });
  }

  protected resetModel(): void {
    const { qpos, qvel } = this.v;
    const s = InvertedPendulumEnv.RESET_NOISE;
    for (let i = 0; i < this.nq; i++) qpos[i] = this.initQpos[i] + this.rng.uniform(-s, s);
    for (let i = 0; i < this.nv; i++) qvel[i] = this.initQvel[i] + this.rng.uniform(-s, s);
  }

  protected writeObs(obs: Float32Array): void {
    const { qpos, qvel } = this.v;
    obs[0] = qpos[0];
    obs[1] = qpos[1];
    obs[2] = qvel[0];
    obs[3] = qvel[1];
  }

  protected isTerminated(): boolean {
    const { qpos, qvel } = this.v;
    const finite = Number.isFinite(qpos[0] + qpos[1] + qvel[0] + qvel[1]);
    return !finite || Math.abs(qpos[1]) > InvertedPendulumEnv.MAX_ANGLE;
  }

  protected computeReward(): number {
    const alive = this.isTerminated() ? 0 : 1;
    this.terms.alive = alive;
    return alive;
  }
}

/**
 * InvertedPendulum with two actions, CartPole style: 0 pushes the cart left, 1 pushes it right,
 * each with ctrl ∓PUSH (gear 100 → ∓100 N). Everything else is InvertedPendulum-v5.
 */
export class InvertedPendulumDiscreteEnv extends InvertedPendulumEnv {
  static readonly PUSH = 1;

  constructor(mj: Mujoco, spec: TaskSpec) {
    super(mj, spec, 2);
  }

  protected override applyAction(action: ArrayLike<number>, ctrl: Float64Array): void {
    ctrl[0] = action[0] === 1 ? InvertedPendulumDiscreteEnv.PUSH : -InvertedPendulumDiscreteEnv.PUSH;
  }
}

/**
 * InvertedDoublePendulum-v5: obs [x, sin θ1, sin θ2, cos θ1, cos θ2, clip(qvel,±10), clip(qfrc_constraint[0],±10)];
 * reward 10·alive − (0.01 x_tip² + (y_tip − 2)²) − (1e-3 ω1² + 5e-3 ω2²); terminates when y_tip ≤ 1.
 */
export class InvertedDoublePendulumEnv extends MujocoEnv {
  static readonly RESET_NOISE = 0.1;
  static readonly HEALTHY_REWARD = 10;
  private readonly tip: number;

  constructor(mj: Mujoco, spec: TaskSpec) {
    super(mj, { spec, xml: readAsset('inverted_double_pendulum.xml'), trackBody: 'cart' });
    this.tip = this.siteId('tip');
  }

  protected resetModel(): void {
    const { qpos, qvel } = this.v;
    const s = InvertedDoublePendulumEnv.RESET_NOISE;
    for (let i = 0; i < this.nq; i++) qpos[i] = this.initQpos[i] + this.rng.uniform(-s, s);
    for (let i = 0; i < this.nv; i++) qvel[i] = this.initQvel[i] + s * this.rng.normal();
  }

  protected writeObs(obs: Float32Array): void {
    const { qpos, qvel, qfrcConstraint } = this.v;
    obs[0] = qpos[0];
    obs[1] = Math.sin(qpos[1]);
    obs[2] = Math.sin(qpos[2]);
    obs[3] = Math.cos(qpos[1]);
    obs[4] = Math.cos(qpos[2]);
    for (let i = 0; i < 3; i++) obs[5 + i] = clip(qvel[i], 10);
    obs[8] = clip(qfrcConstraint[0], 10);
  }

  private tipY(): number {
    return this.v.siteXpos[3 * this.tip + 2];
  }

  protected isTerminated(): boolean {
    return this.tipY() <= 1;
  }

  protected computeReward(): number {
    const x = this.v.siteXpos[3 * this.tip];
    const y = this.tipY();
    const w1 = this.v.qvel[1];
    const w2 = this.v.qvel[2];
    const alive = y <= 1 ? 0 : InvertedDoublePendulumEnv.HEALTHY_REWARD;
    const dist = 0.01 * x * x + (y - 2) * (y - 2);
    const vel = 1e-3 * w1 * w1 + 5e-3 * w2 * w2;
    this.terms.alive = alive;
    this.terms.distance_penalty = -dist;
    this.terms.velocity_penalty = -vel;
    return alive - dist - vel;
  }
}

export function clip(x: number, limit: number): number {
  return x < -limit ? -limit : x > limit ? limit : x;
}
