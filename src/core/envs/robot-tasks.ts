// Tasks derived from a real robot's model: `walk` and `stand` for legged robots (a free-floating
// root), `reach` for arms (an end-effector site). What the lab derives from the model is
// `analyzeRobot` (printed by `policy-lab tasks --mjcf FILE`); RobotEnv is the task.
//
// Common to all three
//   Initial state: the keyframe named 'home' (else the first keyframe, else qpos0), plus uniform
//   reset noise U(±resetNoise) on hinge and slide positions (not the root's) and on every velocity.
//   Actions: one per actuator. A position actuator's action a ∈ [-1, 1] is an offset from the
//   keyframe's ctrl, scaled into its ctrlrange: ctrl = clip(home + actionScale·a·(hi−lo)/2, lo, hi)
//   (actionScale 0.5). Other actuators (motors) take the action as ctrl, clamped to ctrlrange.
//   Control rate: 50 Hz by default, frameSkip = round(0.02 s / timestep).
//   Penalties: action_rate −0.01‖a − a_prev‖², energy −w_e Σ|force_i · velocity_i| over actuators
//   (w_e = 1e-3 legged, 1e-4 arms). a is the action clipped to the action space.
//
// walk (legged; command c = 0.5 m/s, or U(commandRange) per episode, in the observation)
//   tracking  exp(−(v_x − c)² / 0.25), v_x the root's forward velocity in its own frame
//   upright   0.5 · up_z (up_z: z component of the root's z axis, 1 when level)
//   height    −10 · (z − z_home)²
//   + action_rate + energy. Terminates when z < 0.5·z_home or the tilt exceeds 60° (up_z < 0.5).
// stand (legged; a push every 1–2 s: the root's horizontal velocity jumps by U(±pushVelocity), 0.5 m/s)
//   pose      exp(−‖q − q_home‖²) over the joints (not the root)
//   upright, height, action_rate, energy as walk; same termination.
// reach (arms; target = the end-effector position at a uniformly random joint configuration)
//   distance  −‖p_ee − p_target‖
//   + action_rate + energy; never terminates; 200-step episodes (4 s).
//
// Observations
//   legged: root height z (1), gravity in the root frame (3), root linear velocity in the root frame
//           (3), root angular velocity in the root frame (3), joint positions − home, joint
//           velocities, previous action (nu), and for walk the command c (1).
//   arms:   joint positions − home, joint velocities, previous action (nu), target position (3),
//           end effector − target (3).

import { bodyNamesOf, MujocoEnv } from './mujoco-env.js';
import type { ModelFolder } from './model-folder.js';
import type { MjModel, Mujoco } from './mujoco.js';
import { EnvError, type BoxSpace, type TaskSpec } from './types.js';

export const ROBOT_TASKS = ['walk', 'stand', 'reach'] as const;
export type RobotTask = (typeof ROBOT_TASKS)[number];

export interface RobotTaskOptions {
  /** Physics steps per env step; default round(0.02 s / timestep), i.e. 50 Hz. */
  frameSkip?: number;
  /** Episode length limit: default 1000 (walk, stand) or 200 (reach). */
  maxEpisodeSteps?: number;
  /** Uniform reset noise on joint positions and velocities (default 0.02). */
  resetNoise?: number;
  /** Position actuators: fraction of the half ctrlrange an action of ±1 moves (default 0.5). */
  actionScale?: number;
  /** walk: commanded forward velocity in m/s (default 0.5). */
  command?: number;
  /** walk: draw the command uniformly from [lo, hi] per episode instead. */
  commandRange?: readonly [number, number];
  /** stand: largest horizontal velocity kick of a push, m/s (default 0.5; 0 = no pushes). */
  pushVelocity?: number;
  /** Keyframe to start from (default 'home', else the first keyframe). */
  keyframe?: string;
}

const JNT_FREE = 0;
const JNT_BALL = 1;
const JNT_SLIDE = 2;
const OBJ_BODY = 1;
const OBJ_JOINT = 3;
const OBJ_SITE = 6;
const OBJ_ACTUATOR = 19;
const OBJ_KEY = 24;
const GAIN_FIXED = 0;
const BIAS_AFFINE = 1;
const TRN_JOINT = 0;
const NBIAS = 10;
const CONTROL_DT = 0.02;
/** Site names taken for the end effector, in this order (else a fixed-base arm's last site). */
const EE_NAMES = ['end_effector', 'endeffector', 'ee', 'eef', 'fingertip', 'tip', 'gripper', 'attachment_site', 'grasp_site'];
const TILT_MIN_UP = 0.5; // cos 60°
const HEIGHT_FRACTION = 0.5;

export interface RobotActuator {
  readonly name: string;
  readonly kind: 'position' | 'motor';
  readonly joint: string | null;
  readonly ctrlrange: readonly [number, number] | null;
}

/** What the lab derives from a compiled model. */
export interface RobotInfo {
  readonly bodies: readonly string[];
  readonly actuators: readonly RobotActuator[];
  readonly keyframes: readonly string[];
  /** Index of the keyframe used as home, -1 = qpos0. */
  readonly homeKey: number;
  /** A free joint on a child of the world: walk/stand apply. */
  readonly legged: boolean;
  readonly rootBody: number;
  /** Site used as end effector by reach, -1 when the model has no site. */
  readonly eeSite: number;
  readonly eeSiteName: string | null;
  readonly timestep: number;
  readonly nq: number;
  readonly nv: number;
  readonly nu: number;
  /** Tasks that apply, the first being the one chosen by default. */
  readonly tasks: readonly RobotTask[];
}

function name(mj: Mujoco, model: MjModel, type: number, id: number, fallback: string): string {
  return mj.mj_id2name(model, type, id) || fallback;
}

export function analyzeRobot(mj: Mujoco, model: MjModel, keyframe?: string): RobotInfo {
  const bodies = bodyNamesOf(mj, model);
  const gaintype = model.actuator_gaintype as Int32Array;
  const biastype = model.actuator_biastype as Int32Array;
  const biasprm = model.actuator_biasprm as Float64Array;
  const trntype = model.actuator_trntype as Int32Array;
  const trnid = model.actuator_trnid as Int32Array;
  const limited = model.actuator_ctrllimited as Uint8Array;
  const range = model.actuator_ctrlrange as Float64Array;
  const actuators: RobotActuator[] = [];
  for (let i = 0; i < model.nu; i++) {
    const isPosition = gaintype[i] === GAIN_FIXED && biastype[i] === BIAS_AFFINE && biasprm[NBIAS * i + 1] < 0;
    actuators.push({
      name: name(mj, model, OBJ_ACTUATOR, i, `actuator${i}`),
      kind: isPosition ? 'position' : 'motor',
      joint: trntype[i] === TRN_JOINT ? name(mj, model, OBJ_JOINT, trnid[2 * i], `joint${trnid[2 * i]}`) : null,
      ctrlrange: limited[i] ? [range[2 * i], range[2 * i + 1]] : null,
    });
  }
  const keyframes: string[] = [];
  for (let k = 0; k < model.nkey; k++) keyframes.push(name(mj, model, OBJ_KEY, k, `key${k}`));
  const wanted = keyframe ?? 'home';
  let homeKey = keyframes.indexOf(wanted);
  if (homeKey < 0 && keyframe !== undefined) {
    throw new EnvError('bad-preset', `custom model: no keyframe named '${keyframe}' (keyframes: ${keyframes.join(', ') || 'none'})`);
  }
  if (homeKey < 0 && model.nkey > 0) homeKey = 0;
  const jntType = model.jnt_type as Int32Array;
  const jntBody = model.jnt_bodyid as Int32Array;
  const parent = model.body_parentid as Int32Array;
  const legged = model.njnt > 0 && jntType[0] === JNT_FREE && parent[jntBody[0]] === 0;
  const rootBody = model.njnt > 0 ? jntBody[0] : Math.min(1, model.nbody - 1);
  let eeSite = -1;
  for (const n of EE_NAMES) {
    eeSite = mj.mj_name2id(model, OBJ_SITE, n);
    if (eeSite >= 0) break;
  }
  const eeByName = eeSite >= 0;
  // A fixed-base arm's last site is its tip; a legged robot's sites are IMUs and feet.
  if (eeSite < 0 && model.nsite > 0 && !legged) eeSite = model.nsite - 1;
  const opt = model.opt;
  const timestep = opt.timestep;
  opt.delete();
  const tasks: RobotTask[] = legged ? ['walk', 'stand'] : eeSite >= 0 && model.nu > 0 ? ['reach'] : [];
  if (legged && eeByName) tasks.push('reach');
  return {
    bodies, actuators, keyframes, homeKey, legged, rootBody, eeSite,
    eeSiteName: eeSite >= 0 ? name(mj, model, OBJ_SITE, eeSite, `site${eeSite}`) : null,
    timestep, nq: model.nq, nv: model.nv, nu: model.nu, tasks,
  };
}

interface Layout {
  info: RobotInfo;
  spec: TaskSpec;
  /** qpos / dof indices of the joints (the root's free joint left out for legged robots). */
  jq: Int32Array;
  jv: Int32Array;
  /** Free root: qpos and dof addresses. */
  rootQ: number;
  rootV: number;
  homeQpos: Float64Array;
  homeCtrl: Float64Array;
  homeAct: Float64Array;
  /** Per actuator: 1 position (offset mapping), 0 motor; center, half-range, bounds. */
  isPos: Uint8Array;
  center: Float64Array;
  half: Float64Array;
  lo: Float64Array;
  hi: Float64Array;
  /** Joint ranges for reach's random configurations. */
  sampleLo: Float64Array;
  sampleHi: Float64Array;
  zHome: number;
  opts: Required<Omit<RobotTaskOptions, 'commandRange' | 'keyframe'>> & { commandRange: readonly [number, number] | null };
}

function posInt(v: number | undefined, what: string, dflt: number): number {
  if (v === undefined) return dflt;
  if (!Number.isInteger(v) || v < 1) throw new EnvError('bad-preset', `custom model: ${what} must be a positive integer, got ${v}`);
  return v;
}
function nonNeg(v: number | undefined, what: string, dflt: number): number {
  if (v === undefined) return dflt;
  if (!Number.isFinite(v) || v < 0) throw new EnvError('bad-preset', `custom model: ${what} must be a finite number ≥ 0, got ${v}`);
  return v;
}

function layoutOf(mj: Mujoco, model: MjModel, task: RobotTask, o: RobotTaskOptions): Layout {
  const info = analyzeRobot(mj, model, o.keyframe);
  if (model.nu === 0) throw new EnvError('bad-mjcf', 'custom model: the model has no actuators; add e.g. <actuator><position joint="..." kp="..."/></actuator>');
  if ((task === 'walk' || task === 'stand') && !info.legged) {
    throw new EnvError('bad-preset', `custom model: task '${task}' needs a legged robot (a <freejoint/> on a body of the world); this model has none — try 'reach'`);
  }
  if (task === 'reach' && info.eeSite < 0) {
    throw new EnvError('bad-preset', `custom model: task 'reach' needs an end-effector site: a site named ${EE_NAMES.slice(0, 5).join(', ')}, … (or, on a fixed-base arm, any site: the last one is used)`);
  }
  const frameSkip = posInt(o.frameSkip, 'frameSkip', Math.max(1, Math.round(CONTROL_DT / info.timestep)));
  const maxEpisodeSteps = posInt(o.maxEpisodeSteps, 'maxEpisodeSteps', task === 'reach' ? 200 : 1000);
  const command = o.command ?? 0.5;
  if (!Number.isFinite(command)) throw new EnvError('bad-preset', `custom model: command must be a finite number, got ${command}`);
  const cr = o.commandRange ?? null;
  if (cr && !(Number.isFinite(cr[0]) && Number.isFinite(cr[1]) && cr[0] <= cr[1])) throw new EnvError('bad-preset', `custom model: commandRange must be [lo, hi] with lo ≤ hi, got [${cr.join(', ')}]`);
  const opts = {
    frameSkip, maxEpisodeSteps,
    resetNoise: nonNeg(o.resetNoise, 'resetNoise', 0.02),
    actionScale: nonNeg(o.actionScale, 'actionScale', 0.5),
    command, commandRange: cr,
    pushVelocity: nonNeg(o.pushVelocity, 'pushVelocity', 0.5),
  };

  const jntType = model.jnt_type as Int32Array;
  const qadr = model.jnt_qposadr as Int32Array;
  const dadr = model.jnt_dofadr as Int32Array;
  const jq: number[] = [];
  const jv: number[] = [];
  const sampleLo: number[] = [];
  const sampleHi: number[] = [];
  const jLimited = model.jnt_limited as Uint8Array;
  const jRange = model.jnt_range as Float64Array;
  for (let j = 0; j < model.njnt; j++) {
    if (j === 0 && info.legged) continue;
    const t = jntType[j];
    const nq = t === JNT_FREE ? 7 : t === JNT_BALL ? 4 : 1;
    const nv = t === JNT_FREE ? 6 : t === JNT_BALL ? 3 : 1;
    for (let k = 0; k < nq; k++) jq.push(qadr[j] + k);
    for (let k = 0; k < nv; k++) jv.push(dadr[j] + k);
    if (nq === 1) {
      // Unlimited: a hinge turns all the way round; a slide gets half a metre each way.
      const free = t === JNT_SLIDE ? 0.5 : Math.PI;
      sampleLo.push(jLimited[j] ? jRange[2 * j] : -free);
      sampleHi.push(jLimited[j] ? jRange[2 * j + 1] : free);
    } else {
      for (let k = 0; k < nq; k++) { sampleLo.push(NaN); sampleHi.push(NaN); } // not sampled
    }
  }
  const nu = model.nu;
  const homeQpos = new Float64Array(model.nq);
  const homeCtrl = new Float64Array(nu);
  const homeAct = new Float64Array(model.na);
  if (info.homeKey >= 0) {
    homeQpos.set((model.key_qpos as Float64Array).subarray(info.homeKey * model.nq, (info.homeKey + 1) * model.nq));
    homeCtrl.set((model.key_ctrl as Float64Array).subarray(info.homeKey * nu, (info.homeKey + 1) * nu));
    if (model.na > 0) homeAct.set((model.key_act as Float64Array).subarray(info.homeKey * model.na, (info.homeKey + 1) * model.na));
  } else {
    homeQpos.set(model.qpos0 as Float64Array);
  }
  const isPos = new Uint8Array(nu);
  const center = new Float64Array(nu);
  const half = new Float64Array(nu);
  const lo = new Float64Array(nu);
  const hi = new Float64Array(nu);
  const trnid = model.actuator_trnid as Int32Array;
  const trntype = model.actuator_trntype as Int32Array;
  for (let i = 0; i < nu; i++) {
    const a = info.actuators[i];
    lo[i] = a.ctrlrange ? a.ctrlrange[0] : -Infinity;
    hi[i] = a.ctrlrange ? a.ctrlrange[1] : Infinity;
    if (a.kind !== 'position') continue;
    isPos[i] = 1;
    // Without a keyframe the joint's qpos0 is home, and the position that holds it there.
    center[i] = info.homeKey >= 0 ? homeCtrl[i] : trntype[i] === TRN_JOINT ? homeQpos[qadr[trnid[2 * i]]] : 0;
    half[i] = a.ctrlrange ? (a.ctrlrange[1] - a.ctrlrange[0]) / 2 : 1;
  }
  if (info.homeKey < 0) for (let i = 0; i < nu; i++) homeCtrl[i] = isPos[i] ? center[i] : 0;
  const rootQ = info.legged ? qadr[0] : 0;
  const rootV = info.legged ? dadr[0] : 0;
  const zHome = info.legged ? homeQpos[rootQ + 2] : 0;

  const legObs = 1 + 3 + 3 + 3 + jq.length + jv.length + nu + (task === 'walk' ? 1 : 0);
  const armObs = jq.length + jv.length + nu + 3 + 3;
  const rewardTerms = task === 'walk'
    ? ['tracking', 'upright', 'height', 'action_rate', 'energy']
    : task === 'stand' ? ['pose', 'upright', 'height', 'action_rate', 'energy'] : ['distance', 'action_rate', 'energy'];
  const spec: TaskSpec = {
    name: 'custom',
    description: `Your robot, task '${task}' (derived from the model: ${info.legged ? 'legged' : 'fixed base'}, ${nu} actuators, home = ${info.homeKey >= 0 ? `keyframe '${info.keyframes[info.homeKey]}'` : 'qpos0'}).`,
    obsDim: task === 'reach' ? armObs : legObs,
    actDim: nu,
    actionKind: 'box',
    frameSkip,
    maxEpisodeSteps,
    rewardTerms,
  };
  return {
    info, spec, jq: Int32Array.from(jq), jv: Int32Array.from(jv), rootQ, rootV, homeQpos, homeCtrl, homeAct,
    isPos, center, half, lo, hi, sampleLo: Float64Array.from(sampleLo), sampleHi: Float64Array.from(sampleHi), zHome, opts,
  };
}

// extraState layout (survives getState/setState): previous action (nu), target (3), command,
// steps in the episode, step of the next push.
const X_TARGET = 0;
const X_COMMAND = 3;
const X_STEPS = 4;
const X_NEXT_PUSH = 5;
const X_FIXED = 6;
const NO_PUSH = 2 ** 52;

export class RobotEnv extends MujocoEnv {
  readonly task: RobotTask;
  readonly info: RobotInfo;
  private readonly L: Layout;
  private readonly nuA: number;
  private readonly clipped: Float64Array;
  private forceView: Float64Array;
  private velView: Float64Array;
  private readonly mocapTarget: number;

  constructor(mj: Mujoco, folder: ModelFolder | string, task: RobotTask, opts: RobotTaskOptions = {}) {
    let layout: Layout | undefined;
    super(mj, { spec: (model) => (layout = layoutOf(mj, model, task, opts)).spec, xml: folder, label: 'custom model' }, (model) => model.nu + X_FIXED);
    this.L = layout as Layout;
    this.task = task;
    this.info = this.L.info;
    this.nuA = this.nu;
    this.clipped = new Float64Array(this.nu);
    const low = new Float32Array(this.nu);
    const high = new Float32Array(this.nu);
    for (let i = 0; i < this.nu; i++) {
      low[i] = this.L.isPos[i] ? -1 : this.L.lo[i];
      high[i] = this.L.isPos[i] ? 1 : this.L.hi[i];
    }
    (this as { actionSpace: BoxSpace }).actionSpace = { kind: 'box', shape: [this.nu], low, high };
    this.forceView = this.data.actuator_force as Float64Array;
    this.velView = this.data.actuator_velocity as Float64Array;
    const tb = this.mj.mj_name2id(this.model, OBJ_BODY, 'target');
    this.mocapTarget = tb >= 0 ? (this.model.body_mocapid as Int32Array)[tb] : -1;
  }

  /** The previous action, the reach target and the walk command, as the task sees them. */
  get target(): Float64Array {
    return this.extraState.subarray(this.nuA + X_TARGET, this.nuA + X_TARGET + 3);
  }
  get command(): number {
    return this.extraState[this.nuA + X_COMMAND];
  }

  private refreshViews(): void {
    if (this.forceView.length === 0 && this.nu > 0) {
      this.forceView = this.data.actuator_force as Float64Array;
      this.velView = this.data.actuator_velocity as Float64Array;
    }
  }

  protected resetModel(): void {
    const L = this.L;
    const { qpos, qvel, ctrl } = this.v;
    const s = L.opts.resetNoise;
    const x = this.extraState;
    const n = this.nuA;
    if (this.task === 'reach') {
      // A reachable target: the end effector at a random joint configuration.
      qpos.set(L.homeQpos);
      for (let k = 0; k < L.jq.length; k++) {
        const lo = L.sampleLo[k];
        if (Number.isFinite(lo)) qpos[L.jq[k]] = lo + (L.sampleHi[k] - lo) * this.rng.uniform(0, 1);
      }
      this.mj.mj_kinematics(this.model, this.data);
      this.v.refresh();
      const e = 3 * L.info.eeSite;
      for (let k = 0; k < 3; k++) x[n + X_TARGET + k] = this.v.siteXpos[e + k];
      if (this.mocapTarget >= 0) {
        const mp = this.data.mocap_pos as Float64Array;
        for (let k = 0; k < 3; k++) mp[3 * this.mocapTarget + k] = x[n + X_TARGET + k];
      }
    } else {
      x[n + X_TARGET] = x[n + X_TARGET + 1] = x[n + X_TARGET + 2] = 0;
    }
    qpos.set(L.homeQpos);
    // Noise on hinge and slide positions only (quaternions of ball or free joints stay unit).
    for (let k = 0; k < L.jq.length; k++) if (Number.isFinite(L.sampleLo[k])) qpos[L.jq[k]] += this.rng.uniform(-s, s);
    for (let i = 0; i < this.nv; i++) qvel[i] = this.rng.uniform(-s, s);
    ctrl.set(L.homeCtrl);
    if (this.na > 0) this.v.act.set(L.homeAct);
    for (let i = 0; i < n; i++) x[i] = 0;
    const cr = L.opts.commandRange;
    x[n + X_COMMAND] = this.task === 'walk' ? (cr ? cr[0] + (cr[1] - cr[0]) * this.rng.uniform(0, 1) : L.opts.command) : 0;
    x[n + X_STEPS] = 0;
    // No pushes: a step count never reached (states must stay finite to be restorable).
    x[n + X_NEXT_PUSH] = this.task === 'stand' && L.opts.pushVelocity > 0 ? this.pushGap() : NO_PUSH;
  }

  private pushGap(): number {
    return Math.max(1, Math.round(this.rng.uniform(1, 2) / this.dt));
  }

  protected override beforeStep(): void {
    const x = this.extraState;
    const n = this.nuA;
    x[n + X_STEPS] += 1;
    if (x[n + X_STEPS] >= x[n + X_NEXT_PUSH]) {
      const p = this.L.opts.pushVelocity;
      const qvel = this.v.qvel;
      qvel[this.L.rootV] += this.rng.uniform(-p, p);
      qvel[this.L.rootV + 1] += this.rng.uniform(-p, p);
      x[n + X_NEXT_PUSH] = x[n + X_STEPS] + this.pushGap();
    }
  }

  protected override applyAction(action: ArrayLike<number>, ctrl: Float64Array): void {
    const L = this.L;
    const sc = L.opts.actionScale;
    const c = this.clipped;
    for (let i = 0; i < this.nuA; i++) {
      const a = action[i];
      if (L.isPos[i]) {
        c[i] = a < -1 ? -1 : a > 1 ? 1 : a;
        const u = L.center[i] + sc * c[i] * L.half[i];
        ctrl[i] = u < L.lo[i] ? L.lo[i] : u > L.hi[i] ? L.hi[i] : u;
      } else {
        c[i] = a < L.lo[i] ? L.lo[i] : a > L.hi[i] ? L.hi[i] : a;
        ctrl[i] = c[i];
      }
    }
  }

  /** Root z axis' vertical component (1 = level). */
  private upZ(): number {
    return this.v.xmat[9 * this.L.info.rootBody + 8];
  }

  protected isTerminated(): boolean {
    if (this.task === 'reach') return false;
    const z = this.v.qpos[this.L.rootQ + 2];
    const up = this.upZ();
    return !(z >= HEIGHT_FRACTION * this.L.zHome) || !(up >= TILT_MIN_UP);
  }

  protected computeReward(): number {
    this.refreshViews();
    const L = this.L;
    const x = this.extraState;
    const n = this.nuA;
    const c = this.clipped;
    let rate = 0;
    for (let i = 0; i < n; i++) {
      const d = c[i] - x[i];
      rate += d * d;
    }
    let power = 0;
    const f = this.forceView;
    const vel = this.velView;
    for (let i = 0; i < n; i++) power += Math.abs(f[i] * vel[i]);
    const actionRate = -0.01 * rate;
    const energy = -(this.task === 'reach' ? 1e-4 : 1e-3) * power;
    for (let i = 0; i < n; i++) x[i] = c[i];
    const t = this.terms;
    t.action_rate = actionRate;
    t.energy = energy;
    if (this.task === 'reach') {
      const p = this.v.siteXpos;
      const e = 3 * L.info.eeSite;
      const dx = p[e] - x[n + X_TARGET];
      const dy = p[e + 1] - x[n + X_TARGET + 1];
      const dz = p[e + 2] - x[n + X_TARGET + 2];
      const distance = -Math.sqrt(dx * dx + dy * dy + dz * dz);
      t.distance = distance;
      return distance + actionRate + energy;
    }
    const qpos = this.v.qpos;
    const up = this.upZ();
    const upright = 0.5 * up;
    const dzh = qpos[L.rootQ + 2] - L.zHome;
    const height = -10 * dzh * dzh;
    t.upright = upright;
    t.height = height;
    if (this.task === 'walk') {
      const vx = this.bodyLinearVelocity(0);
      const err = vx - x[n + X_COMMAND];
      const tracking = Math.exp(-(err * err) / 0.25);
      t.tracking = tracking;
      return tracking + upright + height + actionRate + energy;
    }
    let sq = 0;
    for (let k = 0; k < L.jq.length; k++) {
      const d = qpos[L.jq[k]] - L.homeQpos[L.jq[k]];
      sq += d * d;
    }
    const pose = Math.exp(-sq);
    t.pose = pose;
    return pose + upright + height + actionRate + energy;
  }

  /** Component j of the root's linear velocity in its own frame: (Rᵀ v)_j, v world-frame (free joint). */
  private bodyLinearVelocity(j: number): number {
    const m = this.v.xmat;
    const b = 9 * this.L.info.rootBody;
    const q = this.v.qvel;
    const v0 = this.L.rootV;
    return m[b + j] * q[v0] + m[b + 3 + j] * q[v0 + 1] + m[b + 6 + j] * q[v0 + 2];
  }

  protected writeObs(obs: Float32Array): void {
    const L = this.L;
    const { qpos, qvel, xmat } = this.v;
    const x = this.extraState;
    const n = this.nuA;
    let o = 0;
    if (this.task !== 'reach') {
      const b = 9 * L.info.rootBody;
      obs[o++] = qpos[L.rootQ + 2];
      // Gravity direction (0,0,-1) in the root frame: −(row 2 of R).
      for (let j = 0; j < 3; j++) obs[o++] = -xmat[b + 6 + j];
      for (let j = 0; j < 3; j++) obs[o++] = this.bodyLinearVelocity(j);
      // A free joint's angular velocity is already in the body frame.
      for (let j = 0; j < 3; j++) obs[o++] = qvel[L.rootV + 3 + j];
    }
    for (let k = 0; k < L.jq.length; k++) obs[o++] = qpos[L.jq[k]] - L.homeQpos[L.jq[k]];
    for (let k = 0; k < L.jv.length; k++) obs[o++] = qvel[L.jv[k]];
    for (let i = 0; i < n; i++) obs[o++] = x[i];
    if (this.task === 'walk') obs[o++] = x[n + X_COMMAND];
    if (this.task === 'reach') {
      const p = this.v.siteXpos;
      const e = 3 * L.info.eeSite;
      for (let k = 0; k < 3; k++) obs[o++] = x[n + X_TARGET + k];
      for (let k = 0; k < 3; k++) obs[o++] = p[e + k] - x[n + X_TARGET + k];
    }
  }

  /** Root height of the home pose (legged), for tests and the summary. */
  get homeHeight(): number {
    return this.L.zHome;
  }
}
