// Structural checks of a PolicySnapshot, run before any export: a bad snapshot should fail
// here with a message naming the field, not later as a shape error inside ONNX or TF.js.

import type { DenseLayer, PolicySnapshot } from '../policy/snapshot.js';
import { ExportError } from './errors.js';

const ACTIVATIONS = new Set(['tanh', 'relu', 'elu', 'linear']);
const validated = new WeakSet<PolicySnapshot>();

function fail(message: string): never {
  throw new ExportError('bad-snapshot', message);
}

function isPosInt(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n > 0;
}

function checkFinite(a: Float32Array, what: string): void {
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(a[i])) fail(`${what}[${i}] is not finite (${a[i]})`);
  }
}

function checkVector(a: unknown, n: number, what: string): asserts a is Float32Array {
  if (!(a instanceof Float32Array)) fail(`${what} must be a Float32Array`);
  if (a.length !== n) fail(`${what} has length ${a.length}, expected ${n}`);
}

/** Checks a chain of Dense layers starting at inDim; returns the chain's output width. */
function checkChain(layers: readonly DenseLayer[], inDim: number, what: string): number {
  if (!Array.isArray(layers)) fail(`${what} must be an array of Dense layers`);
  let d = inDim;
  layers.forEach((l, i) => {
    const name = `${what}[${i}]`;
    if (!isPosInt(l.inDim) || !isPosInt(l.outDim)) fail(`${name} has invalid inDim/outDim`);
    if (l.inDim !== d) fail(`${name}.inDim is ${l.inDim}, but its input has width ${d}`);
    if (!ACTIVATIONS.has(l.activation)) fail(`${name}.activation '${String(l.activation)}' is not one of tanh|relu|elu|linear`);
    checkVector(l.w, l.inDim * l.outDim, `${name}.w`);
    checkVector(l.b, l.outDim, `${name}.b`);
    checkFinite(l.w, `${name}.w`);
    checkFinite(l.b, `${name}.b`);
    d = l.outDim;
  });
  return d;
}

/** Throws ExportError('bad-snapshot') naming the first inconsistency. Cached per object. */
export function validateSnapshot(s: PolicySnapshot): void {
  if (validated.has(s)) return;
  if (s === null || typeof s !== 'object') fail('snapshot must be an object');
  if (s.kind !== 'gaussian' && s.kind !== 'categorical') fail(`kind '${String(s.kind)}' is not gaussian|categorical`);
  if (!isPosInt(s.obsDim)) fail(`obsDim ${s.obsDim} is not a positive integer`);
  if (!isPosInt(s.actDim)) fail(`actDim ${s.actDim} is not a positive integer`);
  if (s.squash !== 'clip' && s.squash !== 'tanh' && s.squash !== 'none') fail(`squash '${String(s.squash)}' is not clip|tanh|none`);

  if (s.obsNorm !== undefined) {
    const n = s.obsNorm;
    checkVector(n.mean, s.obsDim, 'obsNorm.mean');
    checkVector(n.var, s.obsDim, 'obsNorm.var');
    checkFinite(n.mean, 'obsNorm.mean');
    checkFinite(n.var, 'obsNorm.var');
    if (!Number.isFinite(n.eps) || n.eps < 0) fail(`obsNorm.eps ${n.eps} must be finite and >= 0`);
    if (!(n.clip > 0)) fail(`obsNorm.clip ${n.clip} must be > 0 (Infinity for no clip)`);
    for (let i = 0; i < s.obsDim; i++) {
      if (!(n.var[i] >= 0) || !(n.var[i] + n.eps > 0)) fail(`obsNorm.var[${i}] + eps must be > 0`);
    }
  }

  const trunkOut = checkChain(s.trunk, s.obsDim, 'trunk');
  if (s.meanHead.length === 0) fail('meanHead is empty');
  const headOut = checkChain(s.meanHead, trunkOut, 'meanHead');
  if (headOut !== s.actDim) fail(`meanHead outputs ${headOut} values, actDim is ${s.actDim}`);

  if (s.kind === 'gaussian') {
    const hasVec = s.logStd !== undefined;
    const hasHead = s.logStdHead !== undefined;
    if (hasVec === hasHead) fail('a gaussian snapshot needs exactly one of logStd or logStdHead');
    if (s.logStd !== undefined) {
      checkVector(s.logStd, s.actDim, 'logStd');
      checkFinite(s.logStd, 'logStd');
    }
    if (s.logStdHead !== undefined) {
      if (s.logStdHead.length === 0) fail('logStdHead is empty');
      const out = checkChain(s.logStdHead, trunkOut, 'logStdHead');
      if (out !== s.actDim) fail(`logStdHead outputs ${out} values, actDim is ${s.actDim}`);
    }
    if (s.squash !== 'none') {
      checkVector(s.actionLow, s.actDim, 'actionLow');
      checkVector(s.actionHigh, s.actDim, 'actionHigh');
      for (let i = 0; i < s.actDim; i++) {
        const lo = s.actionLow[i];
        const hi = s.actionHigh[i];
        if (Number.isNaN(lo) || Number.isNaN(hi) || !(lo <= hi)) fail(`action bounds [${lo}, ${hi}] at ${i} are not ordered`);
        if (s.squash === 'tanh' && !(Number.isFinite(lo) && Number.isFinite(hi) && lo < hi)) {
          fail(`tanh squash needs finite bounds with low < high; dimension ${i} has [${lo}, ${hi}]`);
        }
      }
    }
  } else if (s.logStd !== undefined || s.logStdHead !== undefined) {
    fail('a categorical snapshot has no logStd/logStdHead');
  }
  validated.add(s);
}

/** Width of the trunk's output (obsDim when the trunk is empty). */
export function trunkWidth(s: PolicySnapshot): number {
  return s.trunk.length > 0 ? s.trunk[s.trunk.length - 1].outDim : s.obsDim;
}
