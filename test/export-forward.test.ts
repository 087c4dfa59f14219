import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { snapshotAction, snapshotLogStd, snapshotMean } from '../src/core/export/forward.js';
import { ExportError } from '../src/core/export/errors.js';
import { validateSnapshot } from '../src/core/export/validate.js';
import type { DenseLayer, PolicySnapshot } from '../src/core/policy/snapshot.js';
import { maxRelErr, randomObservations, randomSnapshot } from './export-fixtures.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** The same policy through TF.js ops (an independent implementation of the maths). */
function tfChain(x: tf.Tensor2D, layers: readonly DenseLayer[]): tf.Tensor2D {
  let h = x;
  for (const l of layers) {
    const z = tf.add(tf.matMul(h, tf.tensor2d(l.w, [l.inDim, l.outDim])), tf.tensor1d(l.b)) as tf.Tensor2D;
    h = l.activation === 'tanh' ? tf.tanh(z) : l.activation === 'relu' ? tf.relu(z) : l.activation === 'elu' ? tf.elu(z) : z;
  }
  return h;
}

function tfPolicy(s: PolicySnapshot, obs: Float32Array, n: number): { action: Float32Array; logStd: Float32Array } {
  return tf.tidy(() => {
    let x = tf.tensor2d(obs, [n, s.obsDim]);
    if (s.obsNorm) {
      const { mean, var: v, eps, clip } = s.obsNorm;
      x = tf.clipByValue(tf.div(tf.sub(x, tf.tensor1d(mean)), tf.sqrt(tf.add(tf.tensor1d(v), eps))), -clip, clip) as tf.Tensor2D;
    }
    const t = tfChain(x, s.trunk);
    const mu = tfChain(t, s.meanHead);
    let action: tf.Tensor;
    if (s.kind === 'categorical') action = tf.argMax(mu, 1).toFloat();
    else if (s.squash === 'tanh') {
      const lo = tf.tensor1d(s.actionLow!);
      const hi = tf.tensor1d(s.actionHigh!);
      action = tf.add(lo, tf.mul(tf.add(tf.tanh(mu), 1), tf.div(tf.sub(hi, lo), 2)));
    } else if (s.squash === 'clip') action = tf.minimum(tf.maximum(mu, tf.tensor1d(s.actionLow!)), tf.tensor1d(s.actionHigh!));
    else action = mu;
    const logStd = s.kind === 'categorical' ? tf.zeros([0])
      : s.logStd ? tf.tile(tf.tensor2d(s.logStd, [1, s.actDim]), [n, 1])
        : tf.clipByValue(tfChain(t, s.logStdHead!), s.logStdRange?.[0] ?? -Infinity, s.logStdRange?.[1] ?? Infinity);
    return { action: action.dataSync() as Float32Array, logStd: logStd.dataSync() as Float32Array };
  });
}

function ours(s: PolicySnapshot, obs: Float32Array, n: number): { action: Float32Array; logStd: Float32Array } {
  const aDim = s.kind === 'categorical' ? 1 : s.actDim;
  const action = new Float32Array(n * aDim);
  const logStd = new Float32Array(s.kind === 'categorical' ? 0 : n * s.actDim);
  for (let i = 0; i < n; i++) {
    const o = obs.subarray(i * s.obsDim, (i + 1) * s.obsDim);
    action.set(snapshotAction(s, o), i * aDim);
    if (s.kind === 'gaussian') logStd.set(snapshotLogStd(s, o), i * s.actDim);
  }
  return { action, logStd };
}

describe('snapshotAction against an independent TF.js computation', () => {
  const cases: Array<[string, Parameters<typeof randomSnapshot>[1]]> = [
    ['gaussian clip, tanh trunk, norm', { squash: 'clip', activation: 'tanh', trunk: [32, 16], scale: 3 }],
    ['gaussian tanh squash, relu', { squash: 'tanh', activation: 'relu' }],
    ['state-dependent log-std head, shared trunk, elu', { logStd: 'head', activation: 'elu', head: [8] }],
    ['no trunk, no norm, squash none', { trunk: [], head: [12], norm: false, squash: 'none' }],
    ['categorical', { kind: 'categorical', actDim: 5, activation: 'relu' }],
  ];
  for (const [name, opts] of cases) {
    it(name, () => {
      const s = randomSnapshot(11, opts);
      const n = 200;
      const obs = randomObservations(12, n, s.obsDim);
      const a = ours(s, obs, n);
      const b = tfPolicy(s, obs, n);
      expect(maxRelErr(a.action, b.action)).toBeLessThan(1e-5);
      expect(maxRelErr(a.logStd, b.logStd)).toBeLessThan(1e-5);
      if (s.kind === 'gaussian' && s.squash !== 'none') {
        // Bounds hold, and the clip case really clips some values.
        let clipped = 0;
        for (let i = 0; i < a.action.length; i++) {
          const j = i % s.actDim;
          expect(a.action[i]).toBeGreaterThanOrEqual(s.actionLow![j]);
          expect(a.action[i]).toBeLessThanOrEqual(s.actionHigh![j]);
          if (a.action[i] === s.actionLow![j] || a.action[i] === s.actionHigh![j]) clipped++;
        }
        if (name.startsWith('gaussian clip')) expect(clipped).toBeGreaterThan(0);
      }
    });
  }
});

describe('snapshotAction closed forms', () => {
  // One input, identity-like layers so every value can be computed by hand.
  const base = (activation: DenseLayer['activation']): PolicySnapshot => ({
    kind: 'gaussian', obsDim: 2, actDim: 2,
    obsNorm: { mean: Float32Array.of(1, -1), var: Float32Array.of(4, 0.25), eps: 0, clip: 3 },
    trunk: [{ inDim: 2, outDim: 2, w: Float32Array.of(1, 0, 0, 1), b: Float32Array.of(0, 0), activation }],
    meanHead: [{ inDim: 2, outDim: 2, w: Float32Array.of(2, 0, 0, 1), b: Float32Array.of(0.5, 0), activation: 'linear' }],
    logStd: Float32Array.of(-1, 0.5),
    squash: 'none',
    actionLow: Float32Array.of(-1, -2), actionHigh: Float32Array.of(1, 2),
  });

  it('normalizes, clips, and applies each activation', () => {
    // obs (3, 0): normalized ((3-1)/2, (0+1)/0.5) = (1, 2); obs (−9, 10): (−5, 22) → clipped (−3, 3).
    const lin = base('linear');
    expect(Array.from(snapshotMean(lin, [3, 0]))).toEqual([2 * 1 + 0.5, 2]);
    expect(Array.from(snapshotMean(lin, [-9, 10]))).toEqual([2 * -3 + 0.5, 3]);
    const relu = base('relu');
    expect(Array.from(snapshotMean(relu, [-9, 10]))).toEqual([0.5, 3]);
    const elu = base('elu');
    const m = snapshotMean(elu, [-9, 10]);
    expect(m[0]).toBeCloseTo(2 * Math.expm1(-3) + 0.5, 6);
    const th = base('tanh');
    expect(snapshotMean(th, [3, 0])[1]).toBeCloseTo(Math.tanh(2), 6);
  });

  it('squashes with tanh into the bounds and clips with clip', () => {
    const s = { ...base('linear'), squash: 'tanh' as const };
    const a = snapshotAction(s, [3, 0]); // μ = (2.5, 2)
    expect(a[0]).toBeCloseTo(-1 + (Math.tanh(2.5) + 1) * 1, 6);
    expect(a[1]).toBeCloseTo(-2 + (Math.tanh(2) + 1) * 2, 6);
    const c = snapshotAction({ ...base('linear'), squash: 'clip' }, [3, 0]);
    expect(Array.from(c)).toEqual([1, 2]);
    const c2 = snapshotAction({ ...base('linear'), squash: 'clip' }, [-9, -10]); // μ = (−5.5, −3)
    expect(Array.from(c2)).toEqual([-1, -2]);
    expect(Array.from(snapshotLogStd(s, [0, 0]))).toEqual([-1, 0.5]);
  });

  it('categorical action is the first argmax', () => {
    const s: PolicySnapshot = {
      kind: 'categorical', obsDim: 3, actDim: 3, trunk: [], squash: 'none',
      meanHead: [{ inDim: 3, outDim: 3, w: Float32Array.of(1, 0, 0, 0, 1, 0, 0, 0, 1), b: new Float32Array(3), activation: 'linear' }],
    };
    expect(snapshotAction(s, [0.1, 0.7, 0.2])[0]).toBe(1);
    expect(snapshotAction(s, [0.9, 0.9, 0.2])[0]).toBe(0);
    expect(snapshotAction(s, [-1, -2, 5])[0]).toBe(2);
    expect(snapshotLogStd(s, [0, 0, 0]).length).toBe(0);
  });

  it('writes into out without allocating a new array', () => {
    const s = base('tanh');
    const out = new Float32Array(2);
    expect(snapshotAction(s, [1, 1], out)).toBe(out);
  });
});

describe('bad input', () => {
  it('rejects a wrong observation length', () => {
    const s = randomSnapshot(1);
    expect(() => snapshotAction(s, new Float32Array(s.obsDim + 1))).toThrow(ExportError);
    try { snapshotAction(s, [1]); } catch (e) { expect((e as ExportError).code).toBe('bad-observation'); }
  });
  it('rejects inconsistent snapshots with a named field', () => {
    const s = randomSnapshot(2);
    const bad = (patch: Partial<PolicySnapshot>, field: RegExp): void => {
      const t = { ...s, ...patch } as PolicySnapshot;
      expect(() => validateSnapshot(t)).toThrow(field);
      try { validateSnapshot(t); } catch (e) { expect((e as ExportError).code).toBe('bad-snapshot'); }
    };
    bad({ actDim: 4 }, /meanHead outputs/);
    bad({ logStd: undefined }, /exactly one of logStd/);
    bad({ squash: 'tanh', actionHigh: Float32Array.of(1, Infinity, 1) }, /finite bounds/);
    bad({ actionLow: undefined }, /actionLow/);
    bad({ trunk: [{ ...s.trunk[0], w: new Float32Array(3) }] }, /trunk\[0\]\.w has length/);
    bad({ obsNorm: { ...s.obsNorm!, var: new Float32Array(s.obsDim).fill(-1) } }, /obsNorm\.var/);
    const nanW = Float32Array.from(s.meanHead[0].w);
    nanW[3] = NaN;
    bad({ meanHead: [{ ...s.meanHead[0], w: nanW }] }, /meanHead\[0\]\.w\[3\] is not finite/);
  });
});
