// The mouse push of MuJoCo's simulate (mjv_applyPerturbForce), for the viewer only: a critically
// damped spring of stiffness k per unit subtree mass pulls a point fixed in the selected body
// toward the cursor target; the force acts at the body's centre of mass through xfrc_applied,
// with the torque of its lever arm. Written before every env step while the push is held.

/** MuJoCo's default vis.map.stiffness. */
export const PUSH_STIFFNESS = 100;

export interface PerturbViews {
  nbody: number;
  xipos: Float64Array;
  xmat: Float64Array;
  subtreeMass: Float64Array;
  xfrcApplied: Float64Array;
}

/** What an env must offer to be pushed (MujocoEnv does). */
export interface Pushable {
  perturbViews(): PerturbViews;
}

export function isPushable(env: object): env is Pushable {
  return typeof (env as Partial<Pushable>).perturbViews === 'function';
}

export class MousePush {
  /** Selected body, or -1 when no push is held. */
  body = -1;
  /** The grabbed point in the body's frame (relative to its centre of mass). */
  private readonly local = new Float64Array(3);
  readonly target = new Float64Array(3);
  /** The grabbed point in world coordinates after the last apply (drawn as the line's start). */
  readonly anchor = new Float64Array(3);
  private readonly lastAnchor = new Float64Array(3);
  private hasLast = false;

  /** Starts a push on `body` at world point `grab` (fixed in the body from now on). */
  grab(v: PerturbViews, body: number, grab: ArrayLike<number>, target: ArrayLike<number>): void {
    if (!Number.isInteger(body) || body <= 0 || body >= v.nbody) throw new RangeError(`push: body ${body} is not a movable body (1…${v.nbody - 1})`);
    this.body = body;
    const c = 3 * body, r = 9 * body;
    const dx = grab[0] - v.xipos[c], dy = grab[1] - v.xipos[c + 1], dz = grab[2] - v.xipos[c + 2];
    // local = Rᵀ (grab − com); xmat is row-major.
    for (let i = 0; i < 3; i++) this.local[i] = v.xmat[r + i] * dx + v.xmat[r + 3 + i] * dy + v.xmat[r + 6 + i] * dz;
    this.setTarget(target);
    this.hasLast = false;
    this.updateAnchor(v);
  }

  setTarget(t: ArrayLike<number>): void {
    this.target[0] = t[0]; this.target[1] = t[1]; this.target[2] = t[2];
  }

  release(v: PerturbViews | null): void {
    if (this.body > 0 && v) v.xfrcApplied.fill(0, 6 * this.body, 6 * this.body + 6);
    this.body = -1;
    this.hasLast = false;
  }

  /** Recomputes the anchor from the body's current pose. */
  updateAnchor(v: PerturbViews): void {
    if (this.body <= 0) return;
    const c = 3 * this.body, r = 9 * this.body, l = this.local, m = v.xmat;
    for (let i = 0; i < 3; i++) this.anchor[i] = v.xipos[c + i] + m[r + 3 * i] * l[0] + m[r + 3 * i + 1] * l[1] + m[r + 3 * i + 2] * l[2];
  }

  /**
   * Writes the spring force for the next step of length dt into xfrc_applied:
   * F = M (k (target − anchor) − √k · anchor velocity), τ = (anchor − com) × F.
   */
  apply(v: PerturbViews, dt: number): void {
    if (this.body <= 0) return;
    this.updateAnchor(v);
    const b = this.body, c = 3 * b, a = this.anchor, t = this.target;
    const mass = v.subtreeMass[b];
    const sk = Math.sqrt(PUSH_STIFFNESS);
    const f = v.xfrcApplied, o = 6 * b;
    for (let i = 0; i < 3; i++) {
      const vel = this.hasLast && dt > 0 ? (a[i] - this.lastAnchor[i]) / dt : 0;
      f[o + i] = mass * (PUSH_STIFFNESS * (t[i] - a[i]) - sk * vel);
      this.lastAnchor[i] = a[i];
    }
    this.hasLast = true;
    const rx = a[0] - v.xipos[c], ry = a[1] - v.xipos[c + 1], rz = a[2] - v.xipos[c + 2];
    f[o + 3] = ry * f[o + 2] - rz * f[o + 1];
    f[o + 4] = rz * f[o] - rx * f[o + 2];
    f[o + 5] = rx * f[o + 1] - ry * f[o];
  }
}
