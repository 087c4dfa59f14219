// Every payload from the renderer passes through here before anything happens. A request that
// is malformed or out of range is rejected with a LabError('invalid') naming the field, and
// nothing is changed. Paths are confined to the runs root.
import path from 'node:path';
import { ConfigError } from '../core/config/schema.js';
import { parseCustomTaskOptions, type CustomTaskOptions } from '../core/envs/custom.js';
import { EnvError } from '../core/envs/types.js';
import { resolveRunSettings } from '../core/runs/run-config.js';
import {
  EXPORT_FORMATS, LabError, type Catalog, type CustomModel, type EvaluateRequest, type ExportFormat, type ExportRequest,
  type ImportRequest, type OpenRunRequest, type ResumeRequest, type StartRequest,
  type ViewerControlRequest, type ViewerPlayRequest, type ViewerPushRequest,
} from './api.js';
import { VIEWER_SPEED_MAX, VIEWER_SPEED_MIN } from '../core/viewer/messages.js';
import { MAX_EVAL_EPISODES, MAX_MJCF_BYTES, MAX_MODEL_ZIP_BYTES } from './run-schema.js';

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
  let s;
  try {
    // The one run validator (core/runs/run-config), against the catalog this lab serves.
    s = resolveRunSettings(o, catalog, 'start');
  } catch (e) {
    if (e instanceof ConfigError) throw invalid(e.message);
    throw e;
  }
  const custom = s.customPreset ? validateCustom(o.custom, s.customPreset) : undefined;
  return {
    task: s.task, algo: s.algo, seed: s.seed, totalSteps: s.totalSteps, checkpointEvery: s.checkpointEvery,
    backend: s.backend, algoConfig: s.algoConfig, ...(custom ? { custom } : {}),
  };
}

/** The model text itself (its preset was checked with the rest of the run). */
function validateCustom(v: unknown, preset: CustomModel['preset']): CustomModel {
  const o = object(v, 'start.custom', ['name', 'content', 'path', 'zip', 'preset', 'options']);
  const name = str(o.name, 'start.custom.name', 255);
  const opt = o.options === undefined ? {} : { options: customOptions(o.options) };
  // Model text and model path are two inputs: text is never read as a path (nor echoed as one).
  const given = (['content', 'path', 'zip'] as const).filter((k) => o[k] !== undefined);
  if (given.length !== 1) throw invalid(`start.custom: give exactly one of content (MJCF text), path (an XML file on this machine) or zip (a zipped model folder); got ${given.length === 0 ? 'none' : given.join(' and ')}`);
  if (o.path !== undefined) return { name, path: modelPath(o.path), preset, ...opt };
  if (o.zip !== undefined) {
    if (!(o.zip instanceof Uint8Array)) throw invalid(`start.custom.zip: expected the zip file's bytes, got ${describe(o.zip)}`);
    if (o.zip.byteLength > MAX_MODEL_ZIP_BYTES) throw invalid(`start.custom.zip: larger than ${MAX_MODEL_ZIP_BYTES} bytes`);
    return { name, zip: o.zip, preset, ...opt };
  }
  const content = str(o.content, 'start.custom.content', MAX_MJCF_BYTES);
  if (Buffer.byteLength(content, 'utf8') > MAX_MJCF_BYTES) throw invalid(`start.custom.content: larger than ${MAX_MJCF_BYTES} bytes as UTF-8`);
  if (!/<mujoco[\s>]/.test(content)) throw invalid('start.custom.content: not an MJCF model (no <mujoco> element)');
  // XML allows no other control characters; refusing them also bounds the JSON form of the text
  // to twice its bytes, which the WebSocket limit (serve/server.ts MAX_WS_MESSAGE) relies on.
  const ctl = /[\x00-\x08\x0B\x0C\x0E-\x1F]/.exec(content);
  if (ctl) throw invalid(`start.custom.content: control character U+${ctl[0].charCodeAt(0).toString(16).padStart(4, '0')} at offset ${ctl.index} (not allowed in XML)`);
  return { name, content, preset, ...opt };
}

/** The task's options, checked by core (only known keys, numbers where numbers belong). */
function customOptions(v: unknown): CustomTaskOptions {
  if (!isPlainObject(v)) throw invalid(`start.custom.options: expected an object, got ${describe(v)}`);
  try {
    return parseCustomTaskOptions(v);
  } catch (e) {
    if (e instanceof EnvError) throw invalid(`start.${e.message}`);
    throw e;
  }
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

export function validateViewerPlay(v: unknown, runsRoot: string): ViewerPlayRequest {
  const o = object(v, 'viewerPlay', ['runDir']);
  return { runDir: confinePath(o.runDir, runsRoot, 'viewerPlay.runDir') };
}

export function validateViewerControl(v: unknown): ViewerControlRequest {
  const o = object(v, 'viewerControl', ['paused', 'speed', 'deterministic', 'swapAtOnce', 'step', 'reset']);
  const out: { -readonly [K in keyof ViewerControlRequest]: ViewerControlRequest[K] } = {};
  for (const k of ['paused', 'deterministic', 'swapAtOnce', 'step', 'reset'] as const) if (o[k] !== undefined) out[k] = bool(o[k], `viewerControl.${k}`);
  if (o.speed !== undefined) out.speed = numIn(o.speed, 'viewerControl.speed', VIEWER_SPEED_MIN, VIEWER_SPEED_MAX);
  return out;
}

/** Coordinates are metres in MuJoCo's world; anything beyond this is a bug or an attack. */
const MAX_PUSH_COORD = 1e4;

export function validateViewerPush(v: unknown): ViewerPushRequest {
  const o = object(v, 'viewerPush', ['body', 'grab', 'target']);
  if (o.body === undefined) {
    if (o.grab !== undefined || o.target !== undefined) throw invalid('viewerPush: grab/target need a body');
    return {};
  }
  const body = intIn(o.body, 'viewerPush.body', 1, 100_000);
  const point = (p: unknown, where: string): [number, number, number] => {
    if (!Array.isArray(p) || p.length !== 3) throw invalid(`${where}: expected [x, y, z], got ${describe(p)}`);
    return [numIn(p[0], `${where}[0]`, -MAX_PUSH_COORD, MAX_PUSH_COORD), numIn(p[1], `${where}[1]`, -MAX_PUSH_COORD, MAX_PUSH_COORD), numIn(p[2], `${where}[2]`, -MAX_PUSH_COORD, MAX_PUSH_COORD)];
  };
  if (o.target === undefined) throw invalid('viewerPush.target: required with a body');
  return { body, target: point(o.target, 'viewerPush.target'), ...(o.grab !== undefined ? { grab: point(o.grab, 'viewerPush.grab') } : {}) };
}

function numIn(v: unknown, where: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw invalid(`${where}: expected a number, got ${describe(v)}`);
  if (v < min || v > max) throw invalid(`${where}: must be between ${min} and ${max}, got ${v}`);
  return v;
}
