// The MuJoCo WASM module, loaded once per process, plus the few helpers every env needs:
// compiling MJCF text with MuJoCo's own error text captured, and typed-array views into the
// WASM heap that are re-fetched only when the heap grows (growth detaches old views).

import loadMujoco, { type MainModule, type MjData, type MjModel } from 'mujoco-js';
import { EnvError } from './types.js';

export type Mujoco = MainModule;
export type { MjData, MjModel };

let modulePromise: Promise<Mujoco> | undefined;
let loaded: Mujoco | undefined;

/** While a model compiles, MuJoCo's printed messages are collected here for the error text. */
let capture: string[] | undefined;
let forwarded = 0;
const MAX_FORWARDED = 20;

function onPrint(text: string): void {
  if (capture) {
    capture.push(text);
    return;
  }
  // Runtime warnings (e.g. an unstable simulation) are worth seeing, but not thousands of them.
  if (forwarded < MAX_FORWARDED) {
    forwarded++;
    console.warn(`[mujoco] ${text}${forwarded === MAX_FORWARDED ? ' (further messages suppressed)' : ''}`);
  }
}

/** The process-wide MuJoCo module (first call loads and instantiates the WASM). */
export function getMujoco(): Promise<Mujoco> {
  if (!modulePromise) {
    modulePromise = loadMujoco({ print: onPrint, printErr: onPrint }).then((mj) => {
      mj.FS.mkdirTree('/policy-lab', 0o777);
      loaded = mj;
      return mj;
    });
    // A failed load must not poison later attempts.
    modulePromise.catch(() => {
      modulePromise = undefined;
    });
  }
  return modulePromise;
}

/** The module if getMujoco() has already resolved, for synchronous construction. */
export function getMujocoSync(): Mujoco | undefined {
  return loaded;
}

export function mujocoVersion(mj: Mujoco): string {
  return mj.mj_versionString();
}

let fileCounter = 0;

/**
 * Compiles MJCF text into a model and data. A parse or compile failure becomes
 * EnvError('bad-mjcf') carrying MuJoCo's own message; nothing is left in the virtual FS.
 */
export function compileModel(mj: Mujoco, xml: string, label: string): { model: MjModel; data: MjData } {
  if (typeof xml !== 'string' || xml.trim() === '') {
    throw new EnvError('bad-mjcf', `${label}: the MJCF text is empty`);
  }
  const path = `/policy-lab/model-${fileCounter++}.xml`;
  const messages: string[] = [];
  let model: MjModel | null = null;
  capture = messages;
  try {
    mj.FS.writeFile(path, xml);
    try {
      model = mj.MjModel.loadFromXML(path);
    } catch (e) {
      messages.push(e instanceof Error ? e.message : String(e));
      model = null;
    }
  } finally {
    capture = undefined;
    try {
      mj.FS.unlink(path);
    } catch {
      // Nothing to clean up if the write itself failed.
    }
  }
  if (!model) {
    const detail = messages.join('\n').replace(/^Loading error:\s*/m, '').trim();
    throw new EnvError('bad-mjcf', `${label}: MuJoCo could not load the model: ${detail || 'unknown error'}`);
  }
  const data = new mj.MjData(model);
  return { model, data };
}

/** Bytes of the WASM heap right now (grows, never shrinks), read through any live view. */
export function wasmHeapBytes(data: MjData): number {
  return (data.qpos as Float64Array).buffer.byteLength;
}

/**
 * Cached views into one MjData/MjModel. Embind getters allocate a fresh typed array each call,
 * so the hot path reads these fields; `refresh()` is a length check unless the heap has grown.
 */
export class MjViews {
  qpos!: Float64Array;
  qvel!: Float64Array;
  act!: Float64Array;
  ctrl!: Float64Array;
  qaccWarmstart!: Float64Array;
  xpos!: Float64Array;
  xquat!: Float64Array;
  xmat!: Float64Array;
  geomXpos!: Float64Array;
  geomXmat!: Float64Array;
  siteXpos!: Float64Array;
  cfrcExt!: Float64Array;
  qfrcConstraint!: Float64Array;

  constructor(
    private readonly model: MjModel,
    private readonly data: MjData,
  ) {
    this.fetch();
  }

  private fetch(): void {
    const d = this.data;
    this.qpos = d.qpos;
    this.qvel = d.qvel;
    this.act = d.act;
    this.ctrl = d.ctrl;
    this.qaccWarmstart = d.qacc_warmstart;
    this.xpos = d.xpos;
    this.xquat = d.xquat;
    this.xmat = d.xmat;
    this.geomXpos = d.geom_xpos;
    this.geomXmat = d.geom_xmat;
    this.siteXpos = d.site_xpos;
    this.cfrcExt = d.cfrc_ext;
    this.qfrcConstraint = d.qfrc_constraint;
  }

  /** Re-fetches the views if WASM memory growth detached them (their length drops to 0). */
  refresh(): void {
    if (this.xpos.length === 0 && this.model.nbody > 0) this.fetch();
  }
}
