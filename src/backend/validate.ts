// Every payload from the renderer passes through here before anything happens. A request that
// is malformed or out of range is rejected with a LabError('invalid') naming the field, and
// nothing is changed. Paths are confined to the runs root.
import path from 'node:path';
import { ConfigError, resolveConfig } from '../core/config/schema.js';
import type { AlgoName, BackendChoice } from '../core/protocol.js';
import {
  EXPORT_FORMATS, LabError, type Catalog, type CustomModel, type EvaluateRequest, type ExportFormat, type ExportRequest,
  type ImportRequest, type LiveViewRequest, type OpenRunRequest, type ResumeRequest, type StartRequest,
} from './api.js';
import { MAX_EVAL_EPISODES, MAX_LIVE_FPS, MAX_MJCF_BYTES, MAX_MODEL_ZIP_BYTES } from './run-schema.js';

const invalid = (msg: string): LabError => new LabError('invalid', msg);

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** The payload as an object with only the allowed keys. */
function object(v: unknown, where: string, allowed: readonly string[]): Record<string, unknown> {
  if (!isPlainObject(v)) throw invalid(`${where}: expected an object, got ${describe(v)}`);
  for (const k of Object.keys(v)) if (!allowed.includes(k)) throw invalid(`${where}: unknown field "${k}" (allowed: ${allowed.join(', ')})`);
  return v;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `"${v.length > 40 ? v.slice(0, 40) + '…' : v}"`;
  return typeof v === 'object' ? 'an object' : `${typeof v} ${String(v)}`;
}

function str(v: unknown, where: string, maxLen: number): string {
  if (typeof v !== 'string') throw invalid(`${where}: expected text, got ${describe(v)}`);
  if (v.length === 0) throw invalid(`${where}: must not be empty`);
  if (v.length > maxLen) throw invalid(`${where}: longer than ${maxLen} characters`);
  return v;
}

function bool(v: unknown, where: string): boolean {
  if (typeof v !== 'boolean') throw invalid(`${where}: expected true or false, got ${describe(v)}`);
  return v;
}

function intIn(v: unknown, where: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw invalid(`${where}: expected an integer, got ${describe(v)}`);
  if (v < min || v > max) throw invalid(`${where}: must be between ${min} and ${max}, got ${v}`);
  return v;
}

/** Methods without arguments accept nothing (undefined/null) or an empty object. */
export function validateEmpty(v: unknown, where: string): void {
  if (v === undefined || v === null) return;
  object(v, where, []);
}

/**
 * An absolute run directory strictly inside runsRoot. Rejects '..' escapes, other roots and
 * the root itself; symlinks are the store's business (runs are created by us).
 */
export function confinePath(v: unknown, runsRoot: string, where: string): string {
  const raw = str(v, where, 4096);
  if (raw.includes('\0')) throw invalid(`${where}: contains a NUL character`);
  const root = path.resolve(runsRoot);
  const abs = path.resolve(root, raw);
  const rel = path.relative(root, abs);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) throw invalid(`${where}: "${raw}" is outside the runs folder ${root}`);
  return abs;
}

export function validateStart(v: unknown, catalog: Catalog): StartRequest {
  const o = object(v, 'start', ['task', 'algo', 'seed', 'totalSteps', 'backend', 'checkpointEvery', 'algoConfig', 'custom']);
  const algoName = str(o.algo, 'start.algo', 32);
  const algo = catalog.algos.find((a) => a.name === algoName);
  if (!algo) throw invalid(`start.algo: unknown algorithm "${algoName}" (known: ${catalog.algos.map((a) => a.name).join(', ')})`);
  const task = str(o.task, 'start.task', 128);
  let custom: CustomModel | undefined;
  if (task === 'custom') {
    if (o.custom === undefined) throw invalid('start.custom: task "custom" needs an MJCF model');
    custom = validateCustom(o.custom, catalog);
  } else {
    if (!catalog.tasks.some((t) => t.name === task)) throw invalid(`start.task: unknown task "${task}" (known: ${catalog.tasks.map((t) => t.name).join(', ')}, custom)`);
    if (o.custom !== undefined) throw invalid('start.custom: only allowed with task "custom"');
  }
  let run;
  let algoConfig;
  try {
    run = resolveConfig(catalog.run, pick(o, ['seed', 'totalSteps', 'checkpointEvery', 'backend']), 'start') as unknown as {
      seed: number; totalSteps: number; checkpointEvery: number; backend: BackendChoice;
    };
    const ac = o.algoConfig === undefined ? {} : o.algoConfig;
    if (!isPlainObject(ac)) throw invalid(`start.algoConfig: expected an object, got ${describe(ac)}`);
    // The task's tuned preset sits between the schema defaults and the user's values.
    const preset = catalog.presets[algoName]?.[task] ?? {};
    algoConfig = resolveConfig(algo.schema, { ...preset, ...ac }, `start.algoConfig(${algoName})`);
  } catch (e) {
    if (e instanceof ConfigError) throw invalid(e.message);
    throw e;
  }
  return {
    task, algo: algoName as AlgoName, seed: run.seed, totalSteps: run.totalSteps, checkpointEvery: run.checkpointEvery,
    backend: run.backend, algoConfig, ...(custom ? { custom } : {}),
  };
}

function pick(o: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}

function validateCustom(v: unknown, catalog: Catalog): CustomModel {
  const o = object(v, 'start.custom', ['name', 'content', 'path', 'zip', 'preset']);
  const name = str(o.name, 'start.custom.name', 255);
  const presetName = str(o.preset, 'start.custom.preset', 16);
  if (!(catalog.customPresets as readonly string[]).includes(presetName)) throw invalid(`start.custom.preset: expected one of ${catalog.customPresets.join(' | ')}, got "${presetName}"`);
  const preset = presetName as CustomModel['preset'];
  // Model text and model path are two inputs: text is never read as a path (nor echoed as one).
  const given = (['content', 'path', 'zip'] as const).filter((k) => o[k] !== undefined);
  if (given.length !== 1) throw invalid(`start.custom: give exactly one of content (MJCF text), path (an XML file on this machine) or zip (a zipped model folder); got ${given.length === 0 ? 'none' : given.join(' and ')}`);
  if (o.path !== undefined) return { name, path: modelPath(o.path), preset };
  if (o.zip !== undefined) {
    if (!(o.zip instanceof Uint8Array)) throw invalid(`start.custom.zip: expected the zip file's bytes, got ${describe(o.zip)}`);
    if (o.zip.byteLength > MAX_MODEL_ZIP_BYTES) throw invalid(`start.custom.zip: larger than ${MAX_MODEL_ZIP_BYTES} bytes`);
    return { name, zip: o.zip, preset };
  }
  const content = str(o.content, 'start.custom.content', MAX_MJCF_BYTES);
  if (!/<mujoco[\s>]/.test(content)) throw invalid('start.custom.content: not an MJCF model (no <mujoco> element)');
  return { name, content, preset };
}

/** The model's XML on this machine: absolute, no NUL; its folder is read (and confined) by core/envs/model-folder. */
function modelPath(v: unknown): string {
  const raw = str(v, 'start.custom.path', 4096);
  if (raw.includes('\0')) throw invalid('start.custom.path: contains a NUL character');
  if (!path.isAbsolute(raw)) throw invalid('start.custom.path: not an absolute path (give the full path of the model\'s XML file)');
  return path.resolve(raw);
}

export function validateResume(v: unknown, runsRoot: string): ResumeRequest {
  if (v === undefined || v === null) return {};
  const o = object(v, 'resume', ['runDir']);
  return o.runDir === undefined ? {} : { runDir: confinePath(o.runDir, runsRoot, 'resume.runDir') };
}

export function validateOpenRun(v: unknown, runsRoot: string): OpenRunRequest {
  const o = object(v, 'openRun', ['runDir']);
  return { runDir: confinePath(o.runDir, runsRoot, 'openRun.runDir') };
}

export function validateEvaluate(v: unknown, runsRoot: string): EvaluateRequest {
  const o = object(v, 'evaluate', ['runDir', 'episodes', 'deterministic']);
  return {
    runDir: confinePath(o.runDir, runsRoot, 'evaluate.runDir'),
    episodes: intIn(o.episodes, 'evaluate.episodes', 1, MAX_EVAL_EPISODES),
    deterministic: bool(o.deterministic, 'evaluate.deterministic'),
  };
}

export function validateExport(v: unknown, runsRoot: string): ExportRequest {
  const o = object(v, 'exportRun', ['runDir', 'format', 'outDir']);
  const format = str(o.format, 'exportRun.format', 16);
  if (!(EXPORT_FORMATS as readonly string[]).includes(format)) throw invalid(`exportRun.format: expected one of ${EXPORT_FORMATS.join(' | ')}, got "${format}"`);
  const runDir = confinePath(o.runDir, runsRoot, 'exportRun.runDir');
  return {
    runDir, format: format as ExportFormat,
    ...(o.outDir === undefined ? {} : { outDir: confinePath(o.outDir, runsRoot, 'exportRun.outDir') }),
  };
}

/** The bundle folder to import: any absolute path (it is only read, and verified before copying). */
export function validateImport(v: unknown): ImportRequest {
  const o = object(v, 'importBundle', ['path']);
  const raw = str(o.path, 'importBundle.path', 4096);
  if (raw.includes('\0')) throw invalid('importBundle.path: contains a NUL character');
  if (!path.isAbsolute(raw)) throw invalid(`importBundle.path: "${raw.length > 80 ? raw.slice(0, 80) + '…' : raw}" is not an absolute path (give the bundle folder's full path)`);
  return { path: path.resolve(raw) };
}

export function validateLiveView(v: unknown): LiveViewRequest {
  const o = object(v, 'setLiveView', ['enabled', 'fps']);
  const enabled = bool(o.enabled, 'setLiveView.enabled');
  if (typeof o.fps !== 'number' || !Number.isFinite(o.fps)) throw invalid(`setLiveView.fps: expected a number, got ${describe(o.fps)}`);
  if (o.fps < 1 || o.fps > MAX_LIVE_FPS) throw invalid(`setLiveView.fps: must be between 1 and ${MAX_LIVE_FPS}, got ${o.fps}`);
  return { enabled, fps: o.fps };
}
