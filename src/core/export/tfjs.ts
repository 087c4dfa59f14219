// Writes a PolicySnapshot as a TensorFlow.js LayersModel (model.json in Keras topology format +
// weights.bin) built from standard layers only, so any TF.js loader can read it unmodified:
//   input  "obs" [batch, obsDim] raw observation
//   normalization   Dense(identity, bias −mean) → Dense(diag 1/√(var+eps), no bias)
//                   → Maximum/Minimum with constant layers (±clip), exact clamping
//   trunk / heads   Dense layers with their activations
//   gaussian outputs  [action, log_std]:
//     'tanh'  Activation(tanh) → Dense(diag (high−low)/2, bias (high+low)/2)
//     'clip'  Maximum(μ, low) → Minimum(·, high)   ('none': μ itself)
//     log_std: a constant layer (zero kernel, bias log σ), or the log-std head
//   categorical output  [logits]  (a LayersModel cannot emit an argmax with standard layers:
//                       the action is argmax(logits), first index on ties)
// "Constant layers" are Dense layers with a zero kernel and the constant as bias: 0·x + c = c
// exactly for any finite x.

import * as tf from '@tensorflow/tfjs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Activation, DenseLayer, PolicySnapshot } from '../policy/snapshot.js';
import { ExportError } from './errors.js';
import { validateSnapshot } from './validate.js';
import { POLICY_LAB_VERSION } from './version.js';

export const TFJS_MODEL_FILE = 'model.json';
export const TFJS_WEIGHTS_FILE = 'weights.bin';

export interface TfjsFiles {
  /** model.json (UTF-8 JSON): topology plus a weights manifest pointing at weights.bin. */
  readonly modelJson: Uint8Array;
  readonly weightsBin: Uint8Array;
}

/** Builds the graph layer by layer, remembering each Dense layer's weights to set after build. */
class ModelBuilder {
  readonly weights: Array<[tf.layers.Layer, Float32Array, Float32Array | null]> = [];

  /** `trainable` false marks the fixed plumbing (normalization, bounds) for anyone fine-tuning. */
  dense(x: tf.SymbolicTensor, name: string, inDim: number, outDim: number, kernel: Float32Array, bias: Float32Array | null, activation: Activation = 'linear', trainable = true): tf.SymbolicTensor {
    if (kernel.length !== inDim * outDim) throw new Error(`internal: ${name} kernel size`);
    const layer = tf.layers.dense({ units: outDim, activation, useBias: bias !== null, name, trainable });
    this.weights.push([layer, kernel, bias]);
    return layer.apply(x) as tf.SymbolicTensor;
  }

  /** Diagonal Dense: y_j = x_j·d_j (+ b_j). */
  diag(x: tf.SymbolicTensor, name: string, d: ArrayLike<number>, bias: Float32Array | null): tf.SymbolicTensor {
    const n = d.length;
    const k = new Float32Array(n * n);
    for (let i = 0; i < n; i++) k[i * n + i] = d[i];
    return this.dense(x, name, n, n, k, bias, 'linear', false);
  }

  /** [batch, n] filled with c, from any finite [batch, inDim] tensor. */
  constant(x: tf.SymbolicTensor, name: string, inDim: number, c: Float32Array): tf.SymbolicTensor {
    return this.dense(x, name, inDim, c.length, new Float32Array(inDim * c.length), c, 'linear', false);
  }

  /** Element-wise clamp to [lo, hi] with standard merge layers (±Infinity pass through). */
  clamp(x: tf.SymbolicTensor, name: string, lo: Float32Array, hi: Float32Array, finalName?: string): tf.SymbolicTensor {
    const n = lo.length;
    const low = this.constant(x, `${name}_low`, n, lo);
    const high = this.constant(x, `${name}_high`, n, hi);
    const m = tf.layers.maximum({ name: `${name}_max` }).apply([x, low]) as tf.SymbolicTensor;
    return tf.layers.minimum({ name: finalName ?? `${name}_min` }).apply([m, high]) as tf.SymbolicTensor;
  }

  chain(x: tf.SymbolicTensor, layers: readonly DenseLayer[], prefix: string, lastName?: string): tf.SymbolicTensor {
    layers.forEach((l, i) => {
      const name = lastName !== undefined && i === layers.length - 1 ? lastName : `${prefix}_${i}`;
      x = this.dense(x, name, l.inDim, l.outDim, l.w, l.b, l.activation);
    });
    return x;
  }

  setAll(): void {
    tf.tidy(() => {
      for (const [layer, k, b] of this.weights) {
        const [inDim, outDim] = (layer.getWeights()[0].shape as [number, number]);
        const ws: tf.Tensor[] = [tf.tensor2d(k, [inDim, outDim])];
        if (b) ws.push(tf.tensor1d(b));
        layer.setWeights(ws);
      }
    });
  }
}

function buildModel(s: PolicySnapshot): tf.LayersModel {
  const b = new ModelBuilder();
  const obs = tf.input({ shape: [s.obsDim], name: 'obs', dtype: 'float32' });
  let x = obs;
  if (s.obsNorm) {
    const n = s.obsNorm;
    const ones = new Float32Array(s.obsDim).fill(1);
    x = b.diag(x, 'obs_center', ones, Float32Array.from(n.mean, (m) => -m));
    x = b.diag(x, 'obs_scale', Float32Array.from(n.var, (v) => 1 / Math.sqrt(v + n.eps)), null);
    if (Number.isFinite(n.clip)) {
      x = b.clamp(x, 'obs_clip', new Float32Array(s.obsDim).fill(-n.clip), new Float32Array(s.obsDim).fill(n.clip));
    }
  }
  const trunk = b.chain(x, s.trunk, 'trunk');
  const outputs: tf.SymbolicTensor[] = [];
  if (s.kind === 'categorical') {
    outputs.push(b.chain(trunk, s.meanHead, 'mean_head', 'logits'));
  } else {
    const lo = s.actionLow;
    const hi = s.actionHigh;
    const squash = s.squash !== 'none' && lo && hi ? s.squash : 'none';
    const mu = b.chain(trunk, s.meanHead, 'mean_head', squash === 'none' ? 'action' : undefined);
    if (squash === 'tanh' && lo && hi) {
      const t = tf.layers.activation({ activation: 'tanh', name: 'squash_tanh' }).apply(mu) as tf.SymbolicTensor;
      outputs.push(b.diag(t, 'action', Float32Array.from(lo, (l, j) => (hi[j] - l) / 2), Float32Array.from(lo, (l, j) => (hi[j] + l) / 2)));
    } else if (squash === 'clip' && lo && hi) {
      outputs.push(b.clamp(mu, 'action_clip', lo, hi, 'action'));
    } else {
      outputs.push(mu);
    }
    outputs.push(s.logStd
      ? b.constant(obs, 'log_std', s.obsDim, s.logStd)
      : s.logStdRange
        ? b.clamp(b.chain(trunk, s.logStdHead ?? [], 'log_std_head'), 'log_std_clip', new Float32Array(s.actDim).fill(s.logStdRange[0]), new Float32Array(s.actDim).fill(s.logStdRange[1]), 'log_std')
        : b.chain(trunk, s.logStdHead ?? [], 'log_std_head', 'log_std'));
  }
  const model = tf.model({ inputs: obs, outputs, name: 'policy_lab_policy' });
  b.setAll();
  return model;
}

function joinWeightData(d: tf.io.WeightData | undefined): Uint8Array {
  if (d === undefined) return new Uint8Array(0);
  const buf = Array.isArray(d) ? tf.io.CompositeArrayBuffer.join(d) : d;
  return new Uint8Array(buf);
}

/** Builds the LayersModel and serializes it through an in-memory IOHandler (no tfjs-node). */
export async function snapshotToTfjs(s: PolicySnapshot): Promise<TfjsFiles> {
  validateSnapshot(s);
  await tf.ready();
  const model = buildModel(s);
  let files: TfjsFiles | undefined;
  try {
    await model.save({
      save: async (artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> => {
        const json: tf.io.ModelJSON = {
          modelTopology: artifacts.modelTopology as object,
          format: 'layers-model',
          generatedBy: artifacts.generatedBy,
          convertedBy: `policy-lab ${POLICY_LAB_VERSION}`,
          weightsManifest: [{ paths: [TFJS_WEIGHTS_FILE], weights: artifacts.weightSpecs ?? [] }],
        };
        files = {
          modelJson: new TextEncoder().encode(JSON.stringify(json)),
          weightsBin: joinWeightData(artifacts.weightData),
        };
        return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
      },
    });
  } finally {
    model.dispose();
  }
  if (!files) throw new Error('internal: TF.js save handler was not called');
  return files;
}

/**
 * A load handler reading model.json and its weight files from a directory with node:fs, for
 * `tf.loadLayersModel(tfjsDirLoader(dir))` in Node (browsers use tf.loadLayersModel(url)).
 */
export function tfjsDirLoader(dir: string): tf.io.IOHandler {
  return {
    load: async (): Promise<tf.io.ModelArtifacts> => {
      const path = join(dir, TFJS_MODEL_FILE);
      let json: tf.io.ModelJSON;
      try {
        json = JSON.parse(await readFile(path, 'utf8')) as tf.io.ModelJSON;
      } catch (e) {
        throw new ExportError('bad-format', `cannot read TF.js model ${path}: ${(e as Error).message}`, TFJS_MODEL_FILE);
      }
      return tf.io.getModelArtifactsForJSON(json, async (manifest) => {
        const specs: tf.io.WeightsManifestEntry[] = [];
        const parts: ArrayBuffer[] = [];
        for (const group of manifest) {
          specs.push(...group.weights);
          for (const p of group.paths) {
            const bytes = await readFile(join(dir, p));
            parts.push(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
          }
        }
        return [specs, tf.io.CompositeArrayBuffer.join(parts)];
      });
    },
  };
}
