// Reacher-v5: a two-link arm reaches for a random target in the plane.

import { readAsset } from './assets.js';
import { MujocoEnv } from './mujoco-env.js';
import type { Mujoco } from './mujoco.js';
import type { TaskSpec } from './types.js';

/**
 * obs [cos q0, cos q1, sin q0, sin q1, target x, target y, q̇0, q̇1, (fingertip − target) x, y];
 * reward −‖fingertip − target‖ − ‖a‖² after the physics step (the v5 fix); never terminates.
 */
export class ReacherEnv extends MujocoEnv {
  static readonly DIST_WEIGHT = 1;
  static readonly CTRL_WEIGHT = 1;
  private readonly fingertip: number;
  private readonly target: number;

  constructor(mj: Mujoco, spec: TaskSpec) {
    super(mj, { spec, xml: readAsset('reacher.xml'), trackBody: 'body0' });
    this.fingertip = this.bodyId('fingertip');
    this.target = this.bodyId('target');
  }

  protected resetModel(): void {
    const { qpos, qvel } = this.v;
    const rng = this.rng;
    for (let i = 0; i < this.nq; i++) qpos[i] = this.initQpos[i] + rng.uniform(-0.1, 0.1);
    let gx: number;
    let gy: number;
    do {
      gx = rng.uniform(-0.2, 0.2);
      gy = rng.uniform(-0.2, 0.2);
    } while (gx * gx + gy * gy >= 0.04);
    qpos[this.nq - 2] = gx;
    qpos[this.nq - 1] = gy;
    for (let i = 0; i < this.nv; i++) qvel[i] = this.initQvel[i] + rng.uniform(-0.005, 0.005);
    qvel[this.nv - 2] = 0;
    qvel[this.nv - 1] = 0;
  }

  protected writeObs(obs: Float32Array): void {
    const { qpos, qvel, xpos } = this.v;
    obs[0] = Math.cos(qpos[0]);
    obs[1] = Math.cos(qpos[1]);
    obs[2] = Math.sin(qpos[0]);
    obs[3] = Math.sin(qpos[1]);
    obs[4] = qpos[2];
    obs[5] = qpos[3];
    obs[6] = qvel[0];
    obs[7] = qvel[1];
    obs[8] = xpos[3 * this.fingertip] - xpos[3 * this.target];
    obs[9] = xpos[3 * this.fingertip + 1] - xpos[3 * this.target + 1];
  }

  protected isTerminated(): boolean {
    return false;
  }

  protected computeReward(action: ArrayLike<number>): number {
    const xpos = this.v.xpos;
    const f = 3 * this.fingertip;
    const t = 3 * this.target;
    // Not Math.hypot: V8's builtin allocates a scratch array per call.
    const dx = xpos[f] - xpos[t];
    const dy = xpos[f + 1] - xpos[t + 1];
    const dz = xpos[f + 2] - xpos[t + 2];
    const dist = Math.sqrt(dx * dx + dy * dy + dz * dz);
    const rd = -dist * ReacherEnv.DIST_WEIGHT;
    const rc = -MujocoEnv.sumSquares(action, this.nu) * ReacherEnv.CTRL_WEIGHT;
    this.terms.distance = rd;
    this.terms.ctrl_cost = rc;
    return rd + rc;
  }
}
