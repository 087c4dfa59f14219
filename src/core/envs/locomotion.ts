// Locomotion tasks after Gymnasium v5: Swimmer, HalfCheetah, Hopper, Walker2d, Ant. All reward
// forward velocity (position difference over dt) minus a control cost; the legged ones add a
// healthy bonus and terminate when unhealthy.

import { readAsset, type AssetName } from './assets.js';
import { MujocoEnv } from './mujoco-env.js';
import type { Mujoco } from './mujoco.js';
import { clip } from './pendulums.js';
import type { TaskSpec } from './types.js';

interface PlanarParams {
  asset: AssetName;
  forwardWeight: number;
  ctrlWeight: number;
  resetNoise: number;
  /** 'uniform' qvel noise in ±resetNoise, or 'normal' with std resetNoise. */
  qvelNoise: 'uniform' | 'normal';
  /** How many leading qpos entries the observation skips (x, or x and y). */
  skipQpos: number;
  /** Clip qvel in the observation to ±this (Hopper/Walker2d: 10). */
  qvelClip: number;
  /** Healthy bonus, or 0 for tasks that never terminate. */
  healthyReward: number;
}

/** Tasks whose forward progress is qpos[0] (slide joint rootx / slider1). */
abstract class PlanarRunnerEnv extends MujocoEnv {
  private xBefore = 0;

  constructor(
    mj: Mujoco,
    spec: TaskSpec,
    protected readonly p: PlanarParams,
  ) {
    super(mj, { spec, xml: readAsset(p.asset), trackBody: 'torso' });
  }

  protected resetModel(): void {
    const { qpos, qvel } = this.v;
    const s = this.p.resetNoise;
    for (let i = 0; i < this.nq; i++) qpos[i] = this.initQpos[i] + this.rng.uniform(-s, s);
    if (this.p.qvelNoise === 'uniform') {
      for (let i = 0; i < this.nv; i++) qvel[i] = this.initQvel[i] + this.rng.uniform(-s, s);
    } else {
      for (let i = 0; i < this.nv; i++) qvel[i] = this.initQvel[i] + s * this.rng.normal();
    }
  }

  protected writeObs(obs: Float32Array): void {
    const { qpos, qvel } = this.v;
    let o = 0;
    for (let i = this.p.skipQpos; i < this.nq; i++) obs[o++] = qpos[i];
    const c = this.p.qvelClip;
    for (let i = 0; i < this.nv; i++) obs[o++] = c > 0 ? clip(qvel[i], c) : qvel[i];
  }

  protected override beforeStep(): void {
    this.xBefore = this.v.qpos[0];
  }

  protected isHealthy(): boolean {
    return true;
  }

  protected isTerminated(): boolean {
    return this.p.healthyReward > 0 && !this.isHealthy();
  }

  protected computeReward(action: ArrayLike<number>): number {
    const xVel = (this.v.qpos[0] - this.xBefore) / this.dt;
    const forward = this.p.forwardWeight * xVel;
    const ctrl = -this.p.ctrlWeight * MujocoEnv.sumSquares(action, this.nu);
    this.terms.forward = forward;
    this.terms.ctrl_cost = ctrl;
    if (this.p.healthyReward > 0) {
      const healthy = this.isHealthy() ? this.p.healthyReward : 0;
      this.terms.healthy = healthy;
      return forward + healthy + ctrl;
    }
    return forward + ctrl;
  }
}

/** Swimmer-v5: obs qpos[2:] + qvel (8); reward v_x − 1e-4‖a‖²; never terminates. */
export class SwimmerEnv extends PlanarRunnerEnv {
  constructor(mj: Mujoco, spec: TaskSpec) {
    super(mj, spec, {
      asset: 'swimmer.xml', forwardWeight: 1, ctrlWeight: 1e-4, resetNoise: 0.1,
      qvelNoise: 'uniform', skipQpos: 2, qvelClip: 0, healthyReward: 0,
    });
  }
}

/** HalfCheetah-v5: obs qpos[1:] + qvel (17); reward v_x − 0.1‖a‖²; never terminates. */
export class HalfCheetahEnv extends PlanarRunnerEnv {
  constructor(mj: Mujoco, spec: TaskSpec) {
    super(mj, spec, {
      asset: 'half_cheetah.xml', forwardWeight: 1, ctrlWeight: 0.1, resetNoise: 0.1,
      qvelNoise: 'normal', skipQpos: 1, qvelClip: 0, healthyReward: 0,
    });
  }
}

/**
 * Hopper-v5: obs qpos[1:] + clip(qvel, ±10) (11); reward v_x + 1·healthy − 1e-3‖a‖². Healthy:
 * every entry of [qpos[2:], qvel] in (−100, 100), z = qpos[1] > 0.7, |angle = qpos[2]| < 0.2.
 */
export class HopperEnv extends PlanarRunnerEnv {
  static readonly STATE_RANGE = 100;
  static readonly MIN_Z = 0.7;
  static readonly MAX_ANGLE = 0.2;

  constructor(mj: Mujoco, spec: TaskSpec) {
    super(mj, spec, {
      asset: 'hopper.xml', forwardWeight: 1, ctrlWeight: 1e-3, resetNoise: 5e-3,
      qvelNoise: 'uniform', skipQpos: 1, qvelClip: 10, healthyReward: 1,
    });
  }

  protected override isHealthy(): boolean {
    const { qpos, qvel } = this.v;
    const r = HopperEnv.STATE_RANGE;
    for (let i = 2; i < this.nq; i++) if (!(qpos[i] > -r && qpos[i] < r)) return false;
    for (let i = 0; i < this.nv; i++) if (!(qvel[i] > -r && qvel[i] < r)) return false;
    const z = qpos[1];
    const angle = qpos[2];
    return z > HopperEnv.MIN_Z && z < Infinity && angle > -HopperEnv.MAX_ANGLE && angle < HopperEnv.MAX_ANGLE;
  }
}

/**
 * Walker2d-v5: obs qpos[1:] + clip(qvel, ±10) (17); reward v_x + 1·healthy − 1e-3‖a‖².
 * Healthy: 0.8 < z = qpos[1] < 2 and −1 < angle = qpos[2] < 1.
 */
export class Walker2dEnv extends PlanarRunnerEnv {
  static readonly Z_RANGE: readonly [number, number] = [0.8, 2.0];
  static readonly ANGLE_RANGE: readonly [number, number] = [-1, 1];

  constructor(mj: Mujoco, spec: TaskSpec) {
    super(mj, spec, {
      asset: 'walker2d.xml', forwardWeight: 1, ctrlWeight: 1e-3, resetNoise: 5e-3,
      qvelNoise: 'uniform', skipQpos: 1, qvelClip: 10, healthyReward: 1,
    });
  }

  protected override isHealthy(): boolean {
    const z = this.v.qpos[1];
    const angle = this.v.qpos[2];
    const [zLo, zHi] = Walker2dEnv.Z_RANGE;
    const [aLo, aHi] = Walker2dEnv.ANGLE_RANGE;
    return z > zLo && z < zHi && angle > aLo && angle < aHi;
  }
}

/**
 * Ant-v5 (defaults, include_cfrc_ext_in_observation=True): obs qpos[2:] (13) + qvel (14) +
 * clip(cfrc_ext[1:], ±1) (78) = 105. Reward v_x(torso xpos) + 1·healthy − 0.5‖a‖²
 * − 5e-4·Σ clip(cfrc_ext, ±1)². Healthy: state finite and 0.2 ≤ z ≤ 1.
 */
export class AntEnv extends MujocoEnv {
  static readonly RESET_NOISE = 0.1;
  static readonly CTRL_WEIGHT = 0.5;
  static readonly CONTACT_WEIGHT = 5e-4;
  static readonly HEALTHY_REWARD = 1;
  static readonly Z_RANGE: readonly [number, number] = [0.2, 1.0];
  private readonly torso: number;

  constructor(mj: Mujoco, spec: TaskSpec) {
    // extraState holds the torso x,y at the end of the previous step: Gymnasium measures
    // progress on data.xpos, which lags qpos by one substep, and a restored state must keep it.
    super(mj, { spec, xml: readAsset('ant.xml'), trackBody: 'torso' }, 2);
    this.torso = this.bodyId('torso');
    this.needsRnePost = true;
  }

  protected resetModel(): void {
    const { qpos, qvel } = this.v;
    const s = AntEnv.RESET_NOISE;
    for (let i = 0; i < this.nq; i++) qpos[i] = this.initQpos[i] + this.rng.uniform(-s, s);
    for (let i = 0; i < this.nv; i++) qvel[i] = this.initQvel[i] + s * this.rng.normal();
  }

  protected override afterReset(): void {
    this.rememberTorso();
  }

  private rememberTorso(): void {
    this.extraState[0] = this.v.xpos[3 * this.torso];
    this.extraState[1] = this.v.xpos[3 * this.torso + 1];
  }

  protected writeObs(obs: Float32Array): void {
    const { qpos, qvel, cfrcExt } = this.v;
    let o = 0;
    for (let i = 2; i < this.nq; i++) obs[o++] = qpos[i];
    for (let i = 0; i < this.nv; i++) obs[o++] = qvel[i];
    const n = this.model.nbody * 6;
    for (let i = 6; i < n; i++) obs[o++] = clip(cfrcExt[i], 1);
  }

  private isHealthy(): boolean {
    const { qpos, qvel } = this.v;
    let sum = 0;
    for (let i = 0; i < this.nq; i++) sum += qpos[i];
    for (let i = 0; i < this.nv; i++) sum += qvel[i];
    const z = qpos[2];
    return Number.isFinite(sum) && z >= AntEnv.Z_RANGE[0] && z <= AntEnv.Z_RANGE[1];
  }

  protected isTerminated(): boolean {
    return !this.isHealthy();
  }

  protected computeReward(action: ArrayLike<number>): number {
    const xVel = (this.v.xpos[3 * this.torso] - this.extraState[0]) / this.dt;
    this.rememberTorso();
    const forward = xVel;
    const healthy = this.isHealthy() ? AntEnv.HEALTHY_REWARD : 0;
    const ctrl = -AntEnv.CTRL_WEIGHT * MujocoEnv.sumSquares(action, this.nu);
    const cf = this.v.cfrcExt;
    const n = this.model.nbody * 6;
    let contact = 0;
    for (let i = 0; i < n; i++) {
      const c = clip(cf[i], 1);
      contact += c * c;
    }
    const contactCost = -AntEnv.CONTACT_WEIGHT * contact;
    this.terms.forward = forward;
    this.terms.healthy = healthy;
    this.terms.ctrl_cost = ctrl;
    this.terms.contact_cost = contactCost;
    return forward + healthy + ctrl + contactCost;
  }
}
