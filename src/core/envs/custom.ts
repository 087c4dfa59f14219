// A user's own robot: an MJCF model (a file with its folder — includes, meshes, textures — or
// self-contained MJCF text) and a task. The tasks derived from the robot, `walk`, `stand` and
// `reach`, live in robot-tasks.ts (RobotEnv); the two older presets for simple motor-driven
// models live here:
//   forward  root-body x velocity − 0.1‖a‖²; never terminates.
//   upright  +1 while the root body's z axis points up (z·ẑ ≥ 0.8) and its height stays within
//            [0.5·h0, 2·h0 + 0.5] of the initial height h0 (h0 > 0; otherwise h0 ± 1), − 1e-3‖a‖²;
//            terminates when not.
// Observation (forward, upright): qpos without the root's world x,y (free joint, or slide joints
// along x/y on the root body), then qvel.
// Where the model comes from is explicit (ModelSource): { path } reads the file's folder, { xml }
// is text that may not reference files; text is never taken for a path or the other way round.

import { MujocoEnv } from './mujoco-env.js';
import { resolveModelSource, type ModelFolder, type ModelSource } from './model-folder.js';
import { compileModel, getMujoco, getMujocoSync, type MjModel, type Mujoco } from './mujoco.js';
import { analyzeRobot, RobotEnv, ROBOT_TASKS, type RobotInfo, type RobotTask, type RobotTaskOptions } from './robot-tasks.js';
import { EnvError, type Env, type TaskSpec } from './types.js';

export const CUSTOM_PRESETS = ['walk', 'stand', 'reach', 'forward', 'upright'] as const;
export type CustomPreset = (typeof CUSTOM_PRESETS)[number];
export type { ModelSource };

/** Options of the forward/upright presets (the robot tasks take RobotTaskOptions). */
export interface CustomEnvOptions {
  /** Physics steps per env step (default 5). */
  frameSkip?: number;
  /** Episode length limit (default 1000). */
  maxEpisodeSteps?: number;
  /** Uniform reset noise on qpos and qvel (default 0.01). */
  resetNoise?: number;
}

const JNT_FREE = 0;
const JNT_SLIDE = 2;
const UPRIGHT_MIN_COS = 0.8;
type LegacyPreset = 'forward' | 'upright';

interface Layout {
  spec: TaskSpec;
  qposIdx: Int32Array;
  rootBody: number;
}

function isPreset(p: unknown): p is CustomPreset {
  return typeof p === 'string' && (CUSTOM_PRESETS as readonly string[]).includes(p);
}

function layoutOf(model: MjModel, preset: LegacyPreset, opts: CustomEnvOptions): Layout {
  if (model.nu === 0) {
    throw new EnvError('bad-mjcf', 'custom model: the model has no actuators; add e.g. <actuator><motor joint="..." gear="..."/></actuator>');
  }
  const jntBody = model.jnt_bodyid as Int32Array;
  const jntType = model.jnt_type as Int32Array;
  const jntAdr = model.jnt_qposadr as Int32Array;
  const jntAxis = model.jnt_axis as Float64Array;
  const parent = model.body_parentid as Int32Array;
  const rootBody = model.njnt > 0 ? jntBody[0] : Math.min(1, model.nbody - 1);
  const skip = new Set<number>();
  // World x,y of a floating root says where the robot is, not how it moves: leave them out.
  if (model.njnt > 0 && parent[rootBody] === 0) {
    for (let j = 0; j < model.njnt && jntBody[j] === rootBody; j++) {
      if (jntType[j] === JNT_FREE) {
        skip.add(jntAdr[j]);
        skip.add(jntAdr[j] + 1);
      } else if (jntType[j] === JNT_SLIDE) {
        const ax = Math.abs(jntAxis[3 * j]);
        const ay = Math.abs(jntAxis[3 * j + 1]);
        if (ax > 0.99 || ay > 0.99) skip.add(jntAdr[j]);
      }
    }
  }
  const idx: number[] = [];
  for (let i = 0; i < model.nq; i++) if (!skip.has(i)) idx.push(i);

  const frameSkip = opts.frameSkip ?? 5;
  const maxEpisodeSteps = opts.maxEpisodeSteps ?? 1000;
  if (!Number.isInteger(frameSkip) || frameSkip < 1) throw new EnvError('bad-preset', `custom model: frameSkip must be a positive integer, got ${frameSkip}`);
  if (!Number.isInteger(maxEpisodeSteps) || maxEpisodeSteps < 1) throw new EnvError('bad-preset', `custom model: maxEpisodeSteps must be a positive integer, got ${maxEpisodeSteps}`);
  const rewardTerms = preset === 'forward' ? ['forward', 'ctrl_cost'] : ['alive', 'ctrl_cost'];
  const spec: TaskSpec = {
    name: 'custom',
    description: `Custom MJCF model with the '${preset}' reward preset.`,
    obsDim: idx.length + model.nv,
    actDim: model.nu,
    actionKind: 'box',
    frameSkip,
    maxEpisodeSteps,
    rewardTerms,
  };
  return { spec, qposIdx: Int32Array.from(idx), rootBody };
}

export class CustomEnv extends MujocoEnv {
  private layout!: Layout;
  private readonly preset: LegacyPreset;
  private readonly noise: number;
  private h0 = 0;

  constructor(mj: Mujoco, xml: string | ModelFolder, preset: LegacyPreset, opts: CustomEnvOptions = {}) {
    let layout: Layout | undefined;
    // extraState[0]: root x at the end of the previous step (see AntEnv for why it is state).
    super(mj, { spec: (model) => (layout = layoutOf(model, preset, opts)).spec, xml, label: 'custom model' }, 1);
    this.layout = layout as Layout;
    this.preset = preset;
    const noise = opts.resetNoise ?? 0.01;
    this.noise = Number.isFinite(noise) && noise >= 0 ? noise : 0.01;
    // Initial root height, for the 'upright' healthy range.
    this.mj.mj_forward(this.model, this.data);
    this.v.refresh();
    this.h0 = this.v.xpos[3 * this.layout.rootBody + 2];
  }

  protected resetModel(): void {
    const { qpos, qvel } = this.v;
    const s = this.noise;
    for (let i = 0; i < this.nq; i++) qpos[i] = this.initQpos[i] + this.rng.uniform(-s, s);
    for (let i = 0; i < this.nv; i++) qvel[i] = this.initQvel[i] + this.rng.uniform(-s, s);
  }

  protected override afterReset(): void {
    this.extraState[0] = this.v.xpos[3 * this.layout.rootBody];
  }

  protected writeObs(obs: Float32Array): void {
    const { qpos, qvel } = this.v;
    const idx = this.layout.qposIdx;
    let o = 0;
    for (let i = 0; i < idx.length; i++) obs[o++] = qpos[idx[i]];
    for (let i = 0; i < this.nv; i++) obs[o++] = qvel[i];
  }

  /** Root z axis up enough and root height inside the healthy band. */
  healthy(): boolean {
    const b = this.layout.rootBody;
    const zz = this.v.xmat[9 * b + 8];
    const z = this.v.xpos[3 * b + 2];
    const [lo, hi] = this.heightRange();
    return zz >= UPRIGHT_MIN_COS && z >= lo && z <= hi;
  }

  heightRange(): [number, number] {
    return this.h0 > 0 ? [0.5 * this.h0, 2 * this.h0 + 0.5] : [this.h0 - 1, this.h0 + 1];
  }

  protected isTerminated(): boolean {
    return this.preset === 'upright' && !this.healthy();
  }

  protected computeReward(action: ArrayLike<number>): number {
    const sq = MujocoEnv.sumSquares(action, this.nu);
    if (this.preset === 'forward') {
      const x = this.v.xpos[3 * this.layout.rootBody];
      const forward = (x - this.extraState[0]) / this.dt;
      this.extraState[0] = x;
      const ctrl = -0.1 * sq;
      this.terms.forward = forward;
      this.terms.ctrl_cost = ctrl;
      return forward + ctrl;
    }
    const alive = this.healthy() ? 1 : 0;
    const ctrl = -1e-3 * sq;
    this.terms.alive = alive;
    this.terms.ctrl_cost = ctrl;
    return alive + ctrl;
  }
}

function checkPreset(preset: unknown): CustomPreset {
  if (!isPreset(preset)) {
    throw new EnvError('bad-preset', `unknown task '${String(preset)}' for a custom model; expected one of ${CUSTOM_PRESETS.join(', ')}`);
  }
  return preset;
}

/** Options for any custom task (each task reads the ones it knows). */
export type CustomTaskOptions = CustomEnvOptions & RobotTaskOptions;

const NUMBER_OPTIONS = ['frameSkip', 'maxEpisodeSteps', 'resetNoise', 'actionScale', 'command', 'pushVelocity'] as const;

/**
 * A run's task options from loose input (config.json, CLI flags): only known keys, numbers where
 * numbers belong; the values' ranges are checked when the env is built. Throws EnvError('bad-preset').
 */
export function parseCustomTaskOptions(v: unknown): CustomTaskOptions {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new EnvError('bad-preset', 'custom.options: expected an object');
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    if ((NUMBER_OPTIONS as readonly string[]).includes(k)) {
      if (typeof x !== 'number' || !Number.isFinite(x)) throw new EnvError('bad-preset', `custom.options.${k}: expected a finite number, got ${JSON.stringify(x)}`);
      out[k] = x;
    } else if (k === 'commandRange') {
      if (!Array.isArray(x) || x.length !== 2 || !x.every((n) => typeof n === 'number' && Number.isFinite(n)) || x[0] > x[1]) {
        throw new EnvError('bad-preset', `custom.options.commandRange: expected [lo, hi] with lo ≤ hi, got ${JSON.stringify(x)}`);
      }
      out[k] = [x[0], x[1]];
    } else if (k === 'keyframe') {
      if (typeof x !== 'string' || x === '' || x.length > 128) throw new EnvError('bad-preset', `custom.options.keyframe: expected a keyframe name, got ${JSON.stringify(x)}`);
      out[k] = x;
    } else {
      throw new EnvError('bad-preset', `custom.options: unknown option "${k}" (known: ${[...NUMBER_OPTIONS, 'commandRange', 'keyframe'].join(', ')})`);
    }
  }
  return out as CustomTaskOptions;
}

function build(mj: Mujoco, folder: ModelFolder, preset: CustomPreset, opts: CustomTaskOptions): Env {
  if ((ROBOT_TASKS as readonly string[]).includes(preset)) return new RobotEnv(mj, folder, preset as RobotTask, opts);
  return new CustomEnv(mj, folder, preset as LegacyPreset, opts);
}

function loadedMujoco(): Mujoco {
  const mj = getMujocoSync();
  if (!mj) throw new Error('custom model: MuJoCo is not loaded yet; await getMujoco() or makeCustomEnv() first');
  return mj;
}

/** Builds a custom env once MuJoCo is loaded. Throws EnvError 'bad-preset' / 'bad-mjcf' naming the problem. */
export function makeCustomEnvSync(source: ModelSource, preset: string, opts: CustomTaskOptions = {}): Env {
  const p = checkPreset(preset);
  const folder = resolveModelSource(source);
  return build(loadedMujoco(), folder, p, opts);
}

export async function makeCustomEnv(source: ModelSource, preset: string, opts: CustomTaskOptions = {}): Promise<Env> {
  await getMujoco();
  return makeCustomEnvSync(source, preset, opts);
}

/**
 * The env maker of a run on a custom model (RunConfig.custom): the model's folder is read ONCE
 * here; every call compiles a fresh env from the files in memory. Call after `await getMujoco()`.
 */
export function customEnvMaker(custom: { readonly mjcfPath: string; readonly preset: string; readonly options?: CustomTaskOptions }, opts: CustomTaskOptions = custom.options ?? {}): () => Env {
  const p = checkPreset(custom.preset);
  const folder = resolveModelSource({ path: custom.mjcfPath });
  const mj = loadedMujoco();
  return () => build(mj, folder, p, opts);
}

/** What the lab derives from a model: bodies, actuators, keyframes, tasks, and each task's sizes. */
export interface CustomModelSummary {
  readonly origin: string;
  readonly files: readonly { readonly path: string; readonly bytes: number }[];
  readonly robot: RobotInfo;
  readonly chosen: CustomPreset;
  readonly specs: Readonly<Partial<Record<CustomPreset, TaskSpec>>>;
  /** Tasks the model does not support, and why. */
  readonly unavailable: Readonly<Partial<Record<CustomPreset, string>>>;
}

/** The task a model gets when none is named: walk for legged robots, reach for arms, else forward. */
export function defaultTaskOf(robot: RobotInfo): CustomPreset {
  return robot.tasks[0] ?? 'forward';
}


export async function describeCustomModel(source: ModelSource): Promise<CustomModelSummary> {
  const mj = await getMujoco();
  const folder = resolveModelSource(source);
  const { model, data } = compileModel(mj, folder, 'custom model');
  let robot: RobotInfo;
  try {
    robot = analyzeRobot(mj, model);
  } finally {
    data.delete();
    model.delete();
  }
  const specs: Partial<Record<CustomPreset, TaskSpec>> = {};
  const unavailable: Partial<Record<CustomPreset, string>> = {};
  for (const t of CUSTOM_PRESETS) {
    // Every task the model supports, with its sizes; the others with the reason they do not apply.
    try {
      const env = build(mj, folder, t, {});
      specs[t] = env.spec;
      env.dispose();
    } catch (e) {
      if (!(e instanceof EnvError)) throw e;
      unavailable[t] = e.message.replace(/^custom model: /, '');
    }
  }
  return {
    origin: folder.origin,
    files: [...folder.files].map(([path, b]) => ({ path, bytes: b.length })),
    robot, chosen: defaultTaskOf(robot), specs, unavailable,
  };
}
