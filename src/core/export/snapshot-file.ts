// policy-snapshot.json: a PolicySnapshot as portable JSON, every array as base64 of its float32
// little-endian bytes (exact, including ±Infinity bounds), so a bundle can be re-imported.

import type { Activation, DenseLayer, ObsNormSnapshot, PolicySnapshot } from '../policy/snapshot.js';
import { ExportError, parseJsonObject } from './errors.js';
import { validateSnapshot } from './validate.js';

export const SNAPSHOT_FORMAT = 'policy-lab-snapshot';
export const SNAPSHOT_FORMAT_VERSION = 1;

function b64(a: Float32Array): string {
  const bytes = new Uint8Array(a.length * 4);
  const v = new DataView(bytes.buffer);
  for (let i = 0; i < a.length; i++) v.setFloat32(i * 4, a[i], true);
  return Buffer.from(bytes).toString('base64');
}

function fail(message: string): never {
  throw new ExportError('bad-snapshot-file', `policy snapshot file: ${message}`);
}

function unb64(s: unknown, what: string): Float32Array {
  if (typeof s !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(s)) fail(`${what} is not a base64 string`);
  const bytes = Buffer.from(s, 'base64');
  if (bytes.length % 4 !== 0) fail(`${what} is ${bytes.length} bytes, not a whole number of float32`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(bytes.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = v.getFloat32(i * 4, true);
  return out;
}

/** JSON has no Infinity: a non-finite number is written as its string form. */
function num(x: number): number | string {
  return Number.isFinite(x) ? x : String(x);
}

function unnum(x: unknown, what: string): number {
  if (typeof x === 'number') return x;
  if (x === 'Infinity') return Infinity;
  if (x === '-Infinity') return -Infinity;
  fail(`${what} is not a number`);
}

const layersJson = (ls: readonly DenseLayer[]) =>
  ls.map((l) => ({ inDim: l.inDim, outDim: l.outDim, activation: l.activation, w: b64(l.w), b: b64(l.b) }));

function layersFrom(x: unknown, what: string): DenseLayer[] {
  if (!Array.isArray(x)) fail(`${what} is not an array`);
  return x.map((l: Record<string, unknown>, i) => {
    if (l === null || typeof l !== 'object') fail(`${what}[${i}] is not an object`);
    return {
      inDim: Number(l.inDim),
      outDim: Number(l.outDim),
      activation: l.activation as Activation,
      w: unb64(l.w, `${what}[${i}].w`),
      b: unb64(l.b, `${what}[${i}].b`),
    };
  });
}

function logStdRangeFrom(x: unknown): [number, number] {
  if (!Array.isArray(x) || x.length !== 2) fail('logStdRange is not a pair [min, max]');
  const lo = unnum(x[0], 'logStdRange[0]'), hi = unnum(x[1], 'logStdRange[1]');
  if (!(lo <= hi)) fail(`logStdRange [${lo}, ${hi}] is empty`);
  return [lo, hi];
}

/** The snapshot as UTF-8 JSON bytes. */
export function encodeSnapshot(s: PolicySnapshot): Uint8Array {
  validateSnapshot(s);
  const json = {
    format: SNAPSHOT_FORMAT,
    formatVersion: SNAPSHOT_FORMAT_VERSION,
    kind: s.kind,
    obsDim: s.obsDim,
    actDim: s.actDim,
    squash: s.squash,
    obsNorm: s.obsNorm && { mean: b64(s.obsNorm.mean), var: b64(s.obsNorm.var), eps: num(s.obsNorm.eps), clip: num(s.obsNorm.clip) },
    trunk: layersJson(s.trunk),
    meanHead: layersJson(s.meanHead),
    logStd: s.logStd && b64(s.logStd),
    logStdHead: s.logStdHead && layersJson(s.logStdHead),
    logStdRange: s.logStdRange && [num(s.logStdRange[0]), num(s.logStdRange[1])],
    actionLow: s.actionLow && b64(s.actionLow),
    actionHigh: s.actionHigh && b64(s.actionHigh),
  };
  return new TextEncoder().encode(JSON.stringify(json, null, 1));
}

/** Parses and validates snapshot bytes; throws ExportError('bad-snapshot-file') when malformed. */
export function decodeSnapshot(bytes: Uint8Array): PolicySnapshot {
  const j = parseJsonObject(bytes, fail);
  if (j.format !== SNAPSHOT_FORMAT) fail(`format is ${JSON.stringify(j.format)}, expected "${SNAPSHOT_FORMAT}"`);
  if (j.formatVersion !== SNAPSHOT_FORMAT_VERSION) fail(`unsupported formatVersion ${JSON.stringify(j.formatVersion)}`);
  let obsNorm: ObsNormSnapshot | undefined;
  if (j.obsNorm !== undefined) {
    const n = j.obsNorm as Record<string, unknown>;
    if (n === null || typeof n !== 'object') fail('obsNorm is not an object');
    obsNorm = { mean: unb64(n.mean, 'obsNorm.mean'), var: unb64(n.var, 'obsNorm.var'), eps: unnum(n.eps, 'obsNorm.eps'), clip: unnum(n.clip, 'obsNorm.clip') };
  }
  const s: PolicySnapshot = {
    kind: j.kind as PolicySnapshot['kind'],
    obsDim: j.obsDim as number,
    actDim: j.actDim as number,
    squash: j.squash as PolicySnapshot['squash'],
    ...(obsNorm ? { obsNorm } : {}),
    trunk: layersFrom(j.trunk, 'trunk'),
    meanHead: layersFrom(j.meanHead, 'meanHead'),
    ...(j.logStd !== undefined ? { logStd: unb64(j.logStd, 'logStd') } : {}),
    ...(j.logStdHead !== undefined ? { logStdHead: layersFrom(j.logStdHead, 'logStdHead') } : {}),
    ...(j.logStdRange !== undefined ? { logStdRange: logStdRangeFrom(j.logStdRange) } : {}),
    ...(j.actionLow !== undefined ? { actionLow: unb64(j.actionLow, 'actionLow') } : {}),
    ...(j.actionHigh !== undefined ? { actionHigh: unb64(j.actionHigh, 'actionHigh') } : {}),
  };
  try {
    validateSnapshot(s);
  } catch (e) {
    if (e instanceof ExportError) fail(e.message);
    throw e;
  }
  return s;
}
