// The MuJoCo WASM module, loaded once per process, plus the few helpers every env needs:
// compiling MJCF text with MuJoCo's own error text captured, and typed-array views into the
// WASM heap that are re-fetched only when the heap grows (growth detaches old views).

import loadMujoco, { type MainModule, type MjData, type MjModel } from 'mujoco-js';
import type { ModelFolder } from './model-folder.js';
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
 * MuJoCo's compiler throws C++ exceptions (mjCError / mjXError) whose text is not a
 * std::exception message, so emscripten reports them without one ("unknown error"). Both structs
 * start with their char message[] buffer: read it from the WASM heap at the exception pointer.
 * Any heap view serves; a tiny model compiled once provides it.
 */
let probe: MjModel | undefined;
function cppExceptionText(mj: Mujoco, e: unknown): string {
  const ptr = (e as { excPtr?: unknown } | null)?.excPtr;
  if (typeof ptr !== 'number' || ptr <= 0) return e instanceof Error ? e.message ?? '' : String(e);
  try {
    if (!probe) {
      mj.FS.writeFile('/policy-lab/probe.xml', '<mujoco/>');
      probe = mj.MjModel.loadFromXML('/policy-lab/probe.xml');
      mj.FS.unlink('/policy-lab/probe.xml');
    }
    const heap = new Uint8Array((probe.body_pos as Float64Array).buffer);
    let end = ptr;
    while (end < heap.length && end < ptr + 1000 && heap[end] !== 0) end++;
    return new TextDecoder().decode(heap.subarray(ptr, end));
  } catch {
    return '';
  }
}

/** Removes a folder tree from MuJoCo's in-memory file system (best effort). */
function removeTree(mj: Mujoco, dir: string): void {
  let names: string[];
  try {
    names = mj.FS.readdir(dir) as string[];
  } catch {
    return;
  }
  for (const n of names) {
    if (n === '.' || n === '..') continue;
    const p = `${dir}/${n}`;
    try {
      if (mj.FS.isDir(mj.FS.stat(p, false).mode)) removeTree(mj, p);
      else mj.FS.unlink(p);
    } catch {
      // already gone
    }
  }
  try {
    mj.FS.rmdir(dir);
  } catch {
    // not empty or gone: harmless, the folder name is never reused
  }
}

/**
 * Compiles a model into a model and data: MJCF text (self-contained), or a model folder whose
 * files (includes, meshes, textures, height fields) are written into MuJoCo's in-memory file
 * system for the compile and removed afterwards. A parse or compile failure becomes
 * EnvError('bad-mjcf') carrying MuJoCo's own message, with paths relative to the model folder.
 */
export function compileModel(mj: Mujoco, xml: string | ModelFolder, label: string): { model: MjModel; data: MjData } {
  if (typeof xml === 'string' && xml.trim() === '') {
    throw new EnvError('bad-mjcf', `${label}: the MJCF text is empty`);
  }
  // A model folder compiles once per process; every further env gets a copy (mj_copyModel, well
  // under a millisecond, where compiling large meshes takes seconds).
  if (typeof xml !== 'string') {
    const template = compiledFolders.get(xml);
    if (template) {
      const model = new mj.MjModel(template);
      return { model, data: new mj.MjData(model) };
    }
  }
  const dir = `/policy-lab/m${fileCounter++}`;
  const files: ReadonlyMap<string, Uint8Array | string> = typeof xml === 'string' ? new Map([['model.xml', xml]]) : xml.files;
  const main = typeof xml === 'string' ? 'model.xml' : xml.main;
  const messages: string[] = [];
  let model: MjModel | null = null;
  capture = messages;
  try {
    mj.FS.mkdirTree(dir, 0o777);
    for (const [rel, bytes] of files) {
      const full = `${dir}/${rel}`;
      const parent = full.slice(0, full.lastIndexOf('/'));
      if (parent !== dir) mj.FS.mkdirTree(parent, 0o777);
      mj.FS.writeFile(full, bytes);
    }
    try {
      model = mj.MjModel.loadFromXML(`${dir}/${main}`);
    } catch (e) {
      messages.push(cppExceptionText(mj, e));
      model = null;
    }
  } finally {
    capture = undefined;
    removeTree(mj, dir);
  }
  if (!model) {
    const detail = messages.join('\n').split(`${dir}/`).join('').replace(/^Loading error:\s*/m, '').trim();
    const where = typeof xml === 'string' ? '' : locateXmlError(detail, xml);
    throw new EnvError('bad-mjcf', `${label}: MuJoCo could not load the model: ${detail || 'no message from MuJoCo'}${where}`);
  }
  if (typeof xml !== 'string') {
    const template = new mj.MjModel(model);
    compiledFolders.set(xml, template);
    folderTemplates.register(xml, template);
  }
  const data = new mj.MjData(model);
  return { model, data };
}

/** Compiled models of the model folders in use, freed when their folder object is collected. */
const compiledFolders = new WeakMap<ModelFolder, MjModel>();
const folderTemplates = new FinalizationRegistry<MjModel>((m) => m.delete());

/**
 * MuJoCo names the element of an XML error but not the included file it sits in ("line 0" after
 * includes are spliced in). Find the quoted value it complains about in the model's XML files.
 */
function locateXmlError(detail: string, folder: ModelFolder): string {
  if (!/^XML Error/m.test(detail)) return '';
  const quoted = /'([^'\n]{1,200})'/.exec(detail)?.[1];
  if (!quoted) return '';
  const hits: string[] = [];
  const dec = new TextDecoder();
  for (const [rel, bytes] of folder.files) {
    if (!/\.xml$/i.test(rel)) continue;
    const lines = dec.decode(bytes).split('\n');
    lines.forEach((l, i) => {
      if (l.includes(`"${quoted}"`) || l.includes(`'${quoted}'`) || l.includes(`<${quoted}`) || new RegExp(`\\s${quoted.replace(/[^\w-]/g, '')}\\s*=`).test(l)) hits.push(`${rel} line ${i + 1}`);
    });
  }
  return hits.length > 0 ? ` (at ${hits.slice(0, 3).join(', ')})` : '';
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
