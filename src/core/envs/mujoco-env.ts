// The shared machinery of every MuJoCo task: action checks, frame skip, time limit, seeded reset,
// state save/restore, poses and the render description. A task subclass only says how to reset,
// what the observation is, what the reward terms are and when the episode terminates.

import type { ModelFolder } from './model-folder.js';
import { compileModel, MjViews, type MjData, type MjModel, type Mujoco } from './mujoco.js';
import { EnvRng, ENV_RNG_STATE_SIZE } from './rng.js';
import {
  EnvError,
  POSE_STRIDE,
  type BoxSpace,
  type Env,
  type RenderDescription,
  type RenderGeom,
  type RenderTexture,
  type Space,
  type StepResult,
  type TaskSpec,
} from './types.js';

const GEOM_TYPES: readonly RenderGeom['type'][] = [
  'plane', 'hfield', 'sphere', 'capsule', 'ellipsoid', 'cylinder', 'box', 'mesh',
];
const TEXROLE_RGB = 1;
const TEX_2D = 0;
const OBJ_BODY = 1;
const OBJ_GEOM = 5;
const OBJ_SITE = 6;
/** First entry of getState(): lets setState reject arrays that are not env states at all. */
const STATE_TAG = 0x504c4531; // "PLE1"
const HEADER = 5; // tag, nq, nv, na, nu
/** Where qpos starts in getState() (after the header and time); qvel follows at +nq. */
export const STATE_QPOS_OFFSET = HEADER + 1;

/** Copies of the physics quantities tests and tools check rewards against. */
export interface PhysicsSnapshot {
  time: number;
  timestep: number;
  qpos: Float64Array;
  qvel: Float64Array;
  ctrl: Float64Array;
  xpos: Float64Array;
  xmat: Float64Array;
  siteXpos: Float64Array;
  geomXmat: Float64Array;
  cfrcExt: Float64Array;
  qfrcConstraint: Float64Array;
}

export interface MujocoEnvConfig {
  /** The spec, or a function of the compiled model (custom models learn their sizes late). */
  spec: TaskSpec | ((model: MjModel) => TaskSpec);
  /** Names the model in compile errors when spec is a function. */
  label?: string;
  /** MJCF text, or a model folder's files (custom robots: includes, meshes, textures). */
  xml: string | ModelFolder;
  /** Body the camera follows; defaults to body 1 (the first body after the world). */
  trackBody?: string;
  /** 'discrete' tasks map an integer action to controls in `applyAction`. */
  discreteActions?: number;
}

function box(n: number, low: number, high: number): BoxSpace {
  return { kind: 'box', shape: [n], low: new Float32Array(n).fill(low), high: new Float32Array(n).fill(high) };
}

export abstract class MujocoEnv implements Env {
  readonly spec: TaskSpec;
  readonly observationSpace: BoxSpace;
  readonly actionSpace: Space;

  protected readonly mj: Mujoco;
  protected readonly model: MjModel;
  protected readonly data: MjData;
  protected readonly v: MjViews;
  protected readonly nq: number;
  protected readonly nv: number;
  protected readonly nu: number;
  protected readonly na: number;
  /** Seconds per env step: timestep × frameSkip (Gymnasium's `dt`). */
  protected readonly dt: number;
  protected readonly initQpos: Float64Array;
  protected readonly initQvel: Float64Array;
  protected readonly rng = new EnvRng(0);
  /** Reward terms as they entered the reward; subclasses assign every key on every step. */
  protected readonly terms: Record<string, number> = {};
  /** Small task state that must survive getState/setState (e.g. the previous torso position). */
  protected readonly extraState: Float64Array;
  /** Ant needs cfrc_ext, which MuJoCo only fills after mj_rnePostConstraint (as Gymnasium does). */
  protected needsRnePost = false;

  private readonly obs: Float32Array;
  private readonly result: StepResult;
  private readonly ctrlLow: Float64Array;
  private readonly ctrlHigh: Float64Array;
  private readonly actDim: number;
  private readonly frameSkip: number;
  private readonly discreteN: number;
  private readonly trackBodyName: string | undefined;
  private elapsed = 0;
  private terminated = false;
  private truncated = false;
  private started = false;
  private disposed = false;
  private description: RenderDescription | undefined;

  /** extraStateSize may depend on the compiled model (custom robots: one entry per actuator). */
  constructor(mj: Mujoco, config: MujocoEnvConfig, extraStateSize: number | ((model: MjModel) => number) = 0) {
    this.mj = mj;
    const label = typeof config.spec === 'function' ? (config.label ?? 'model') : config.spec.name;
    const { model, data } = compileModel(mj, config.xml, label);
    this.model = model;
    this.data = data;
    try {
      this.spec = typeof config.spec === 'function' ? config.spec(model) : config.spec;
    } catch (e) {
      this.freeNative();
      throw e;
    }
    this.v = new MjViews(model, data);
    this.nq = model.nq;
    this.nv = model.nv;
    this.nu = model.nu;
    this.na = model.na;
    // model.opt hands out a fresh embind handle; free it rather than leave it to the GC.
    const opt = model.opt;
    this.dt = opt.timestep * this.spec.frameSkip;
    opt.delete();
    this.initQpos = Float64Array.from(this.v.qpos);
    this.initQvel = new Float64Array(this.nv);
    this.extraState = new Float64Array(typeof extraStateSize === 'function' ? extraStateSize(model) : extraStateSize);
    this.trackBodyName = config.trackBody;

    this.frameSkip = this.spec.frameSkip;
    this.discreteN = config.discreteActions ?? 0;
    this.actDim = this.discreteN > 0 ? 1 : this.nu;
    if (this.spec.actDim !== this.actDim) {
      this.freeNative();
      throw new Error(`${this.spec.name}: spec.actDim ${this.spec.actDim} but the model has ${this.actDim}`);
    }
    const range = model.actuator_ctrlrange as Float64Array;
    const limited = model.actuator_ctrllimited as Uint8Array;
    this.ctrlLow = new Float64Array(this.nu);
    this.ctrlHigh = new Float64Array(this.nu);
    for (let i = 0; i < this.nu; i++) {
      this.ctrlLow[i] = limited[i] ? range[2 * i] : -Infinity;
      this.ctrlHigh[i] = limited[i] ? range[2 * i + 1] : Infinity;
    }
    this.actionSpace =
      this.discreteN > 0
        ? { kind: 'discrete', n: this.discreteN }
        : { kind: 'box', shape: [this.nu], low: Float32Array.from(this.ctrlLow), high: Float32Array.from(this.ctrlHigh) };
    this.observationSpace = box(this.spec.obsDim, -Infinity, Infinity);
    this.obs = new Float32Array(this.spec.obsDim);
    this.result = {
      obs: this.obs,
      reward: 0,
      terminated: false,
      truncated: false,
      info: { rewardTerms: this.terms, elapsedSteps: 0 },
    };
  }

  // ---- task hooks --------------------------------------------------------------------------

  /** Writes qpos/qvel (views in this.v) for a new episode, drawing noise from this.rng. */
  protected abstract resetModel(): void;
  /** Fills obs from the current data. */
  protected abstract writeObs(obs: Float32Array): void;
  /** Called after the physics step: fills this.terms and returns their sum. */
  protected abstract computeReward(action: ArrayLike<number>): number;
  /** Whether the state after the step ends the episode. */
  protected abstract isTerminated(): boolean;
  /** Called before the physics step (e.g. to remember the torso position). */
  protected beforeStep(): void {}
  /** Called after reset's mj_forward (e.g. to initialise remembered positions). */
  protected afterReset(): void {}

  /** Box tasks clamp to ctrlrange (MuJoCo would clamp anyway); discrete tasks override this. */
  protected applyAction(action: ArrayLike<number>, ctrl: Float64Array): void {
    for (let i = 0; i < this.nu; i++) {
      const a = action[i];
      ctrl[i] = a < this.ctrlLow[i] ? this.ctrlLow[i] : a > this.ctrlHigh[i] ? this.ctrlHigh[i] : a;
    }
  }

  // ---- Env ---------------------------------------------------------------------------------

  reset(seed?: number): Float32Array {
    this.checkAlive();
    if (seed !== undefined) {
      if (!Number.isFinite(seed)) throw new EnvError('bad-state', `${this.spec.name}: reset seed must be a finite number, got ${seed}`);
      this.rng.seed(seed);
    }
    this.mj.mj_resetData(this.model, this.data);
    this.v.refresh();
    this.resetModel();
    this.mj.mj_forward(this.model, this.data);
    this.v.refresh();
    this.afterReset();
    this.elapsed = 0;
    this.terminated = false;
    this.truncated = false;
    this.started = true;
    this.writeObs(this.obs);
    return this.obs;
  }

  step(action: ArrayLike<number>): StepResult {
    this.checkAlive();
    if (!this.started) {
      throw new EnvError('episode-finished', `${this.spec.name}: call reset() before the first step()`);
    }
    if (this.terminated || this.truncated) {
      throw new EnvError(
        'episode-finished',
        `${this.spec.name}: the episode ended (${this.terminated ? 'terminated' : 'truncated'}); call reset() before step()`,
      );
    }
    this.checkAction(action);
    const v = this.v;
    v.refresh();
    this.beforeStep();
    this.applyAction(action, v.ctrl);
    const m = this.model;
    const d = this.data;
    const mj = this.mj;
    // mj_step works inside MjData's preallocated arena, so the heap (and our views) cannot move here.
    for (let k = this.frameSkip; k > 0; k--) mj.mj_step(m, d);
    if (this.needsRnePost) mj.mj_rnePostConstraint(m, d);

    const reward = this.computeReward(action);
    this.terminated = this.isTerminated();
    this.elapsed++;
    // As Gymnasium's TimeLimit: truncation depends only on the step count.
    this.truncated = this.elapsed >= this.spec.maxEpisodeSteps;
    this.writeObs(this.obs);
    const r = this.result;
    r.reward = reward;
    r.terminated = this.terminated;
    r.truncated = this.truncated;
    (r.info as { elapsedSteps: number }).elapsedSteps = this.elapsed;
    return r;
  }

  renderDescription(): RenderDescription {
    this.checkAlive();
    if (this.description) return this.description;
    const m = this.model;
    const types = m.geom_type as Int32Array;
    const sizes = m.geom_size as Float64Array;
    const rgbas = m.geom_rgba as Float32Array;
    const bodies = m.geom_bodyid as Int32Array;
    const matIds = m.geom_matid as Int32Array;
    const matRgba = m.mat_rgba as Float32Array;
    const dataIds = m.geom_dataid as Int32Array;
    const groups = m.geom_group as Int32Array;
    const textures: RenderTexture[] = [];
    const texIndex = new Map<number, number>();
    const geoms: RenderGeom[] = [];
    for (let g = 0; g < m.ngeom; g++) {
      let rgba: [number, number, number, number] = [rgbas[4 * g], rgbas[4 * g + 1], rgbas[4 * g + 2], rgbas[4 * g + 3]];
      // MuJoCo shows the material colour when the geom keeps the default grey.
      const mat = matIds[g];
      if (mat >= 0 && rgba[0] === 0.5 && rgba[1] === 0.5 && rgba[2] === 0.5 && rgba[3] === 1) {
        rgba = [matRgba[4 * mat], matRgba[4 * mat + 1], matRgba[4 * mat + 2], matRgba[4 * mat + 3]];
      }
      const type = GEOM_TYPES[types[g]] ?? 'box';
      // A 2D texture is drawn on meshes that carry texture coordinates, as MuJoCo's viewer does.
      const tex = type === 'mesh' && dataIds[g] >= 0 ? this.textureOf(mat, dataIds[g]) : -1;
      let texture: number | undefined;
      if (tex >= 0) {
        texture = texIndex.get(tex);
        if (texture === undefined) {
          texture = textures.length;
          texIndex.set(tex, texture);
          textures.push(this.textureData(tex));
        }
      }
      const geom: RenderGeom = {
        name: this.mj.mj_id2name(m, OBJ_GEOM, g) || `geom${g}`,
        type,
        size: [sizes[3 * g], sizes[3 * g + 1], sizes[3 * g + 2]],
        rgba,
        body: bodies[g],
        group: groups[g],
        ...(type === 'mesh' && dataIds[g] >= 0 ? { mesh: this.meshOf(dataIds[g], tex >= 0) } : {}),
        ...(texture !== undefined ? { texture } : {}),
        ...(type === 'hfield' && dataIds[g] >= 0 ? { hfield: this.hfieldOf(dataIds[g]) } : {}),
      };
      geoms.push(geom);
    }
    const bodyNames = bodyNamesOf(this.mj, m);
    let trackBody = m.nbody > 1 ? 1 : 0;
    if (this.trackBodyName) {
      const id = bodyNames.indexOf(this.trackBodyName);
      if (id >= 0) trackBody = id;
    }
    this.description = { task: this.spec.name, geoms, bodyNames, trackBody, ...(textures.length > 0 ? { textures } : {}) };
    return this.description;
  }

  writePoses(out: Float32Array): void {
    this.checkAlive();
    const n = this.model.ngeom;
    if (out.length < n * POSE_STRIDE) {
      throw new EnvError('bad-buffer', `${this.spec.name}: writePoses needs ${n * POSE_STRIDE} floats, got ${out.length}`);
    }
    const v = this.v;
    v.refresh();
    const pos = v.geomXpos;
    const mat = v.geomXmat;
    for (let g = 0; g < n; g++) {
      const o = g * POSE_STRIDE;
      out[o] = pos[3 * g];
      out[o + 1] = pos[3 * g + 1];
      out[o + 2] = pos[3 * g + 2];
      writeMatQuat(mat, 9 * g, out, o + 3);
    }
  }

  /** Length of the array getState() returns. */
  get stateSize(): number {
    return HEADER + 1 + 2 * this.nq + 2 * this.nv + this.na + this.nu + 4 + ENV_RNG_STATE_SIZE + this.extraState.length;
  }

  getState(): Float64Array {
    this.checkAlive();
    const v = this.v;
    v.refresh();
    const s = new Float64Array(this.stateSize);
    let o = 0;
    s[o++] = STATE_TAG;
    s[o++] = this.nq;
    s[o++] = this.nv;
    s[o++] = this.na;
    s[o++] = this.nu;
    s[o++] = this.data.time;
    s.set(v.qpos, o); o += this.nq;
    s.set(v.qvel, o); o += this.nv;
    // qacc_warmstart seeds the constraint solver: without it a resumed run drifts in the last bits.
    s.set(v.qaccWarmstart, o); o += this.nv;
    if (this.na > 0) s.set(v.act, o);
    o += this.na;
    s.set(v.ctrl, o); o += this.nu;
    s[o++] = this.elapsed;
    s[o++] = this.terminated ? 1 : 0;
    s[o++] = this.truncated ? 1 : 0;
    s[o++] = this.started ? 1 : 0;
    this.rng.writeState(s, o); o += ENV_RNG_STATE_SIZE;
    s.set(this.extraState, o);
    return s;
  }

  setState(state: Float64Array): void {
    this.checkAlive();
    if (!(state instanceof Float64Array) || state.length !== this.stateSize) {
      throw new EnvError('bad-state', `${this.spec.name}: expected a Float64Array of ${this.stateSize} values from getState()`);
    }
    if (state[0] !== STATE_TAG || state[1] !== this.nq || state[2] !== this.nv || state[3] !== this.na || state[4] !== this.nu) {
      throw new EnvError('bad-state', `${this.spec.name}: the state was saved from a different model (nq/nv/na/nu differ)`);
    }
    for (let i = 0; i < state.length; i++) {
      if (!Number.isFinite(state[i])) throw new EnvError('bad-state', `${this.spec.name}: state entry ${i} is not finite`);
    }
    const v = this.v;
    v.refresh();
    let o = HEADER;
    this.data.time = state[o++];
    v.qpos.set(state.subarray(o, o + this.nq)); o += this.nq;
    v.qvel.set(state.subarray(o, o + this.nv)); o += this.nv;
    const warm = state.subarray(o, o + this.nv); o += this.nv;
    if (this.na > 0) v.act.set(state.subarray(o, o + this.na));
    o += this.na;
    v.ctrl.set(state.subarray(o, o + this.nu)); o += this.nu;
    this.elapsed = state[o++];
    this.terminated = state[o++] === 1;
    this.truncated = state[o++] === 1;
    this.started = state[o++] === 1;
    this.rng.readState(state, o); o += ENV_RNG_STATE_SIZE;
    this.extraState.set(state.subarray(o, o + this.extraState.length));
    // Recompute positions for poses; then put the solver warm start back exactly.
    this.mj.mj_forward(this.model, this.data);
    v.refresh();
    v.qaccWarmstart.set(warm);
  }

  /** Copies of the current physics quantities (allocates; for tests and tools, not hot loops). */
  inspect(): PhysicsSnapshot {
    this.checkAlive();
    const v = this.v;
    v.refresh();
    return {
      time: this.data.time,
      timestep: this.dt / this.spec.frameSkip,
      qpos: Float64Array.from(v.qpos),
      qvel: Float64Array.from(v.qvel),
      ctrl: Float64Array.from(v.ctrl),
      xpos: Float64Array.from(v.xpos),
      xmat: Float64Array.from(v.xmat),
      siteXpos: Float64Array.from(v.siteXpos),
      geomXmat: Float64Array.from(v.geomXmat),
      cfrcExt: Float64Array.from(v.cfrcExt),
      qfrcConstraint: Float64Array.from(v.qfrcConstraint),
    };
  }

  /** The current observation (after reset/step/setState), written into the env-owned array. */
  observe(): Float32Array {
    this.checkAlive();
    this.v.refresh();
    this.writeObs(this.obs);
    return this.obs;
  }

  /**
   * Live views for the viewer's mouse push (src/core/viewer/push.ts): body centres of mass
   * (xipos), orientations (xmat), subtree masses, and xfrc_applied, which it writes before a
   * step. Training never calls this. Fetch again after any call that may grow WASM memory.
   */
  perturbViews(): { nbody: number; xipos: Float64Array; xmat: Float64Array; subtreeMass: Float64Array; xfrcApplied: Float64Array } {
    this.checkAlive();
    const m = this.model, d = this.data;
    return { nbody: m.nbody, xipos: d.xipos as Float64Array, xmat: d.xmat as Float64Array, subtreeMass: m.body_subtreemass as Float64Array, xfrcApplied: d.xfrc_applied as Float64Array };
  }

  dispose(): void {
    if (this.disposed) return;
    this.freeNative();
  }

  private freeNative(): void {
    this.disposed = true;
    this.data.delete();
    this.model.delete();
  }

  // ---- helpers -----------------------------------------------------------------------------

  private checkAlive(): void {
    if (this.disposed) throw new EnvError('disposed', `${this.spec.name}: the env was disposed`);
  }

  private checkAction(action: ArrayLike<number>): void {
    if (action == null || typeof action.length !== 'number' || action.length !== this.actDim) {
      const got = action == null || typeof action.length !== 'number' ? String(action) : `length ${action.length}`;
      throw new EnvError('bad-action-shape', `${this.spec.name}: action must have length ${this.actDim}, got ${got}`);
    }
    for (let i = 0; i < this.actDim; i++) {
      const a = action[i];
      if (typeof a !== 'number' || !Number.isFinite(a)) {
        throw new EnvError('non-finite-action', `${this.spec.name}: action[${i}] is ${a}, actions must be finite numbers`);
      }
    }
    if (this.discreteN > 0) {
      const a = action[0];
      if (!Number.isInteger(a) || a < 0 || a >= this.discreteN) {
        throw new EnvError('bad-action-shape', `${this.spec.name}: discrete action must be an integer in [0, ${this.discreteN - 1}], got ${a}`);
      }
    }
  }

  /**
   * A mesh's vertices and faces. Textured: one vertex per face corner, because MuJoCo indexes
   * positions and texture coordinates separately (mesh_face, mesh_facetexcoord).
   */
  private meshOf(meshId: number, textured = false): { vertices: Float32Array; faces: Uint32Array; uv?: Float32Array } {
    const m = this.model;
    const vadr = (m.mesh_vertadr as Int32Array)[meshId];
    const vnum = (m.mesh_vertnum as Int32Array)[meshId];
    const fadr = (m.mesh_faceadr as Int32Array)[meshId];
    const fnum = (m.mesh_facenum as Int32Array)[meshId];
    const vert = (m.mesh_vert as Float32Array).subarray(3 * vadr, 3 * (vadr + vnum));
    const face = (m.mesh_face as Int32Array).subarray(3 * fadr, 3 * (fadr + fnum));
    if (!textured) return { vertices: Float32Array.from(vert), faces: Uint32Array.from(face) };
    const tadr = (m.mesh_texcoordadr as Int32Array)[meshId];
    const tc = m.mesh_texcoord as Float32Array;
    const ftc = (m.mesh_facetexcoord as Int32Array).subarray(3 * fadr, 3 * (fadr + fnum));
    const n = 3 * fnum;
    const vertices = new Float32Array(3 * n);
    const uv = new Float32Array(2 * n);
    const faces = new Uint32Array(n);
    for (let k = 0; k < n; k++) {
      const v = face[k];
      vertices[3 * k] = vert[3 * v];
      vertices[3 * k + 1] = vert[3 * v + 1];
      vertices[3 * k + 2] = vert[3 * v + 2];
      const t = tadr + ftc[k];
      uv[2 * k] = tc[2 * t];
      uv[2 * k + 1] = tc[2 * t + 1];
      faces[k] = k;
    }
    return { vertices, faces, uv };
  }

  /** The 2D RGB texture of material `mat` when mesh `meshId` has texture coordinates, else -1. */
  private textureOf(mat: number, meshId: number): number {
    const m = this.model;
    if (mat < 0 || (m.mesh_texcoordnum as Int32Array)[meshId] <= 0) return -1;
    const roles = (m.mat_texid as Int32Array).length / Math.max(1, m.nmat);
    const ids = m.mat_texid as Int32Array;
    // MuJoCo 3: mat_texid is nmat × mjNTEXROLE; role 1 is RGB (role 0 'user' in older files).
    const tex = roles > 1 ? (ids[mat * roles + TEXROLE_RGB] >= 0 ? ids[mat * roles + TEXROLE_RGB] : ids[mat * roles]) : ids[mat];
    return tex >= 0 && (m.tex_type as Int32Array)[tex] === TEX_2D ? tex : -1;
  }

  private textureData(tex: number): RenderTexture {
    const m = this.model;
    const width = (m.tex_width as Int32Array)[tex];
    const height = (m.tex_height as Int32Array)[tex];
    const nchannel = (m.tex_nchannel as Int32Array)[tex];
    const adr = (m.tex_adr as Int32Array)[tex];
    return { width, height, nchannel, data: Uint8Array.from((m.tex_data as Uint8Array).subarray(adr, adr + width * height * nchannel)) };
  }

  private hfieldOf(h: number): NonNullable<RenderGeom['hfield']> {
    const m = this.model;
    const nrow = (m.hfield_nrow as Int32Array)[h];
    const ncol = (m.hfield_ncol as Int32Array)[h];
    const adr = (m.hfield_adr as Int32Array)[h];
    const sz = m.hfield_size as Float64Array;
    return {
      nrow, ncol, size: [sz[4 * h], sz[4 * h + 1], sz[4 * h + 2], sz[4 * h + 3]],
      data: Float32Array.from((m.hfield_data as Float32Array).subarray(adr, adr + nrow * ncol)),
    };
  }

  /** Id of a named body, or an Error naming what is missing (task models are ours: a bug). */
  protected bodyId(name: string): number {
    const id = this.mj.mj_name2id(this.model, OBJ_BODY, name);
    if (id < 0) throw new Error(`${this.spec.name}: model has no body '${name}'`);
    return id;
  }

  protected siteId(name: string): number {
    return this.mj.mj_name2id(this.model, OBJ_SITE, name);
  }

  /** Sum of squares of the action as given (Gymnasium's control cost ignores the clamp). */
  protected static sumSquares(action: ArrayLike<number>, n: number): number {
    let s = 0;
    for (let i = 0; i < n; i++) s += action[i] * action[i];
    return s;
  }
}

/** Every body's name ('world' for body 0, `body<i>` for unnamed ones). */
export function bodyNamesOf(mj: Mujoco, m: MjModel): string[] {
  const names: string[] = [];
  for (let b = 0; b < m.nbody; b++) names.push(mj.mj_id2name(m, OBJ_BODY, b) || (b === 0 ? 'world' : `body${b}`));
  return names;
}

/** Row-major 3×3 rotation (at src[o..o+9]) → unit quaternion w,x,y,z at out[q..q+4]. */
export function writeMatQuat(src: ArrayLike<number>, o: number, out: Float32Array | Float64Array, q: number): void {
  const r00 = src[o], r01 = src[o + 1], r02 = src[o + 2];
  const r10 = src[o + 3], r11 = src[o + 4], r12 = src[o + 5];
  const r20 = src[o + 6], r21 = src[o + 7], r22 = src[o + 8];
  const trace = r00 + r11 + r22;
  let w: number, x: number, y: number, z: number;
  if (trace > 0) {
    const s = 0.5 / Math.sqrt(trace + 1);
    w = 0.25 / s;
    x = (r21 - r12) * s;
    y = (r02 - r20) * s;
    z = (r10 - r01) * s;
  } else if (r00 > r11 && r00 > r22) {
    const s = 2 * Math.sqrt(1 + r00 - r11 - r22);
    w = (r21 - r12) / s;
    x = 0.25 * s;
    y = (r01 + r10) / s;
    z = (r02 + r20) / s;
  } else if (r11 > r22) {
    const s = 2 * Math.sqrt(1 + r11 - r00 - r22);
    w = (r02 - r20) / s;
    x = (r01 + r10) / s;
    y = 0.25 * s;
    z = (r12 + r21) / s;
  } else {
    const s = 2 * Math.sqrt(1 + r22 - r00 - r11);
    w = (r10 - r01) / s;
    x = (r02 + r20) / s;
    y = (r12 + r21) / s;
    z = 0.25 * s;
  }
  // One sign convention (w ≥ 0) so consecutive frames interpolate the short way.
  if (w < 0) {
    w = -w; x = -x; y = -y; z = -z;
  }
  out[q] = w;
  out[q + 1] = x;
  out[q + 2] = y;
  out[q + 3] = z;
}
