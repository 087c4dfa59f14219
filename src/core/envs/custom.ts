// A user's own robot: any MJCF file with actuators, rewarded by one of three presets.
//   forward  root-body x velocity − 0.1‖a‖²; never terminates.
//   upright  +1 while the root body's z axis points up (z·ẑ ≥ 0.8) and its height stays within
//            [0.5·h0, 2·h0 + 0.5] of the initial height h0 (h0 > 0; otherwise h0 ± 1), − 1e-3‖a‖²;
//            terminates when not.
//   reach    −‖fingertip − target‖ − 0.1‖a‖² between sites named 'fingertip' and 'target'
//            (or the model's first two sites); never terminates.
// Observation: qpos without the root's world x,y (free joint, or slide joints along x/y on the
// root body), then qvel; 'reach' appends fingertip − target (3).

import { existsSync, readFileSync } from 'node:fs';
import { MujocoEnv } from './mujoco-env.js';
import { getMujoco, getMujocoSync, type MjModel, type Mujoco } from './mujoco.js';
import { EnvError, type Env, type TaskSpec } from './types.js';

export const CUSTOM_PRESETS = ['forward', 'upright', 'reach'] as const;
export type CustomPreset = (typeof CUSTOM_PRESETS)[number];

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
const OBJ_SITE = 6;
const UPRIGHT_MIN_COS = 0.8;

interface Layout {
  spec: TaskSpec;
  qposIdx: Int32Array;
  rootBody: number;
  tip: number;
  target: number;
}

function isPreset(p: unknown): p is CustomPreset {
  return typeof p === 'string' && (CUSTOM_PRESETS as readonly string[]).includes(p);
}

/** Reads the MJCF text: a string starting with '<' is the XML itself, anything else a path. */
function mjcfText(xmlOrPath: string): string {
  if (typeof xmlOrPath !== 'string' || xmlOrPath.trim() === '') {
    throw new EnvError('bad-mjcf', 'custom model: expected MJCF text or the path of an MJCF file, got an empty value');
  }
  if (xmlOrPath.trimStart().startsWith('<')) return xmlOrPath;
  if (!existsSync(xmlOrPath)) throw new EnvError('bad-mjcf', `custom model: file not found: ${xmlOrPath}`);
  try {
    return readFileSync(xmlOrPath, 'utf8');
  } catch (e) {
    throw new EnvError('bad-mjcf', `custom model: cannot read ${xmlOrPath}: ${(e as Error).message}`);
  }
}

function layoutOf(mj: Mujoco, model: MjModel, preset: CustomPreset, opts: CustomEnvOptions): Layout {
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

  let tip = -1;
  let target = -1;
  if (preset === 'reach') {
    tip = mj.mj_name2id(model, OBJ_SITE, 'fingertip');
    target = mj.mj_name2id(model, OBJ_SITE, 'target');
    if (tip < 0 || target < 0) {
      if (model.nsite >= 2) {
        tip = 0;
        target = 1;
      } else {
        throw new EnvError(
          'bad-mjcf',
          `custom model: preset 'reach' needs two sites, named 'fingertip' and 'target' (or the first two sites are used); the model has ${model.nsite} site(s)`,
        );
      }
    }
  }
  const frameSkip = opts.frameSkip ?? 5;
  const maxEpisodeSteps = opts.maxEpisodeSteps ?? 1000;
  if (!Number.isInteger(frameSkip) || frameSkip < 1) throw new EnvError('bad-preset', `custom model: frameSkip must be a positive integer, got ${frameSkip}`);
  if (!Number.isInteger(maxEpisodeSteps) || maxEpisodeSteps < 1) throw new EnvError('bad-preset', `custom model: maxEpisodeSteps must be a positive integer, got ${maxEpisodeSteps}`);
  const rewardTerms = preset === 'forward' ? ['forward', 'ctrl_cost'] : preset === 'upright' ? ['alive', 'ctrl_cost'] : ['distance', 'ctrl_cost'];
  const spec: TaskSpec = {
    name: 'custom',
    description: `Custom MJCF model with the '${preset}' reward preset.`,
    obsDim: idx.length + model.nv + (preset === 'reach' ? 3 : 0),
    actDim: model.nu,
    actionKind: 'box',
    frameSkip,
    maxEpisodeSteps,
    rewardTerms,
  };
  return { spec, qposIdx: Int32Array.from(idx), rootBody, tip, target };
}

export class CustomEnv extends MujocoEnv {
  private layout!: Layout;
  private readonly preset: CustomPreset;
  private readonly noise: number;
  private h0 = 0;

  constructor(mj: Mujoco, xml: string, preset: CustomPreset, opts: CustomEnvOptions = {}) {
    let layout: Layout | undefined;
    // extraState[0]: root x at the end of the previous step (see AntEnv for why it is state).
    super(mj, { spec: (model) => (layout = layoutOf(mj, model, preset, opts)).spec, xml, label: 'custom model' }, 1);
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
    const { qpos, qvel, siteXpos } = this.v;
    const idx = this.layout.qposIdx;
    let o = 0;
    for (let i = 0; i < idx.length; i++) obs[o++] = qpos[idx[i]];
    for (let i = 0; i < this.nv; i++) obs[o++] = qvel[i];
    if (this.preset === 'reach') {
      const f = 3 * this.layout.tip;
      const t = 3 * this.layout.target;
      for (let k = 0; k < 3; k++) obs[o++] = siteXpos[f + k] - siteXpos[t + k];
    }
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
    if (this.preset === 'upright') {
      const alive = this.healthy() ? 1 : 0;
      const ctrl = -1e-3 * sq;
      this.terms.alive = alive;
      this.terms.ctrl_cost = ctrl;
      return alive + ctrl;
    }
    const p = this.v.siteXpos;
    const f = 3 * this.layout.tip;
    const t = 3 * this.layout.target;
    // Not Math.hypot: V8's builtin allocates a scratch array per call.
    const dx = p[f] - p[t];
    const dy = p[f + 1] - p[t + 1];
    const dz = p[f + 2] - p[t + 2];
    const distance = -Math.sqrt(dx * dx + dy * dy + dz * dz);
    const ctrl = -0.1 * sq;
    this.terms.distance = distance;
    this.terms.ctrl_cost = ctrl;
    return distance + ctrl;
  }
}

/** Builds a custom env once MuJoCo is loaded. Throws EnvError 'bad-preset' / 'bad-mjcf'. */
export function makeCustomEnvSync(xmlOrPath: string, preset: string, opts: CustomEnvOptions = {}): Env {
  if (!isPreset(preset)) {
    throw new EnvError('bad-preset', `unknown reward preset '${String(preset)}'; expected one of ${CUSTOM_PRESETS.join(', ')}`);
  }
  const xml = mjcfText(xmlOrPath);
  const mj = getMujocoSync();
  if (!mj) throw new Error('makeCustomEnvSync: MuJoCo is not loaded yet; await getMujoco() or makeCustomEnv() first');
  return new CustomEnv(mj, xml, preset, opts);
}

export async function makeCustomEnv(xmlOrPath: string, preset: string, opts: CustomEnvOptions = {}): Promise<Env> {
  await getMujoco();
  return makeCustomEnvSync(xmlOrPath, preset, opts);
}
