// Exported models against the lab itself: for 1,000 observations, the ONNX model (onnxruntime-web)
// and the reloaded TF.js model give the trained Algorithm's own deterministic action (act(obs,
// true)) and σ (policyAt) within 1e-5 — normalization, squashing and the log-σ clamp included.
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-web';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ALGOS } from '../src/core/algos/index.js';
import { makeEnv, makeEnvSync } from '../src/core/envs/registry.js';
import { snapshotToOnnx } from '../src/core/export/onnx.js';
import { snapshotToTfjs, tfjsDirLoader } from '../src/core/export/tfjs.js';
import { selectBackend } from '../src/core/rl/backend.js';
import { Rng } from '../src/core/rl/rng.js';
import { makeCtx } from './algos-toy-envs.js';

const TASK = 'HalfCheetah';
const N = 1000;

beforeAll(async () => {
  ort.env.wasm.numThreads = 1;
  await selectBackend('cpu');
  (await makeEnv(TASK)).dispose();
});

/** Observations spread well beyond the normalizer's statistics (so its clip is exercised too). */
function observations(d: number): Float32Array {
  const rng = new Rng(99);
  const o = new Float32Array(N * d);
  for (let i = 0; i < o.length; i++) o[i] = 3 * rng.normal();
  return o;
}

describe.each([
  ['clip, state-independent σ', { squash: 'clip', sigma: 'state-independent' }],
  ['tanh, state-dependent σ, shared trunk', { squash: 'tanh', sigma: 'state-dependent', shared: true }],
])('exported %s policy acts as the lab does', (_name, opts) => {
  it('ONNX and TF.js match act(obs, true) and policyAt σ within 1e-5', async () => {
    const algo = await ALGOS.ppo.create(makeCtx({ makeEnv: () => makeEnvSync(TASK), config: { numSteps: 256, numMinibatches: 4, updateEpochs: 2, ...opts }, seed: 5 }));
    await algo.update(); // normalizer statistics and weights away from their initial values
    const s = algo.snapshot();
    const obs = observations(s.obsDim);
    const want = new Float32Array(N * s.actDim);
    const wantStd = new Float32Array(N * s.actDim);
    for (let i = 0; i < N; i++) {
      const o = obs.subarray(i * s.obsDim, (i + 1) * s.obsDim);
      want.set(algo.act(o, true), i * s.actDim);
      wantStd.set(algo.policyAt(o).std, i * s.actDim);
    }
    await algo.dispose();

    const session = await ort.InferenceSession.create(snapshotToOnnx(s));
    const res = await session.run({ obs: new ort.Tensor('float32', obs, [N, s.obsDim]) });
    const onnxAction = res.action.data as Float32Array;
    const onnxStd = (res.log_std.data as Float32Array).map(Math.exp);

    const dir = mkdtempSync(join(tmpdir(), 'pl-lab-tfjs-'));
    const files = await snapshotToTfjs(s);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'model.json'), files.modelJson);
    writeFileSync(join(dir, 'weights.bin'), files.weightsBin);
    const model = await tf.loadLayersModel(tfjsDirLoader(dir));
    const [ta, tl] = model.predict(tf.tensor2d(obs, [N, s.obsDim])) as tf.Tensor[];
    const tfAction = ta.dataSync() as Float32Array;
    const tfStd = (tl.dataSync() as Float32Array).map(Math.exp);

    let errA = 0, errS = 0;
    for (let i = 0; i < want.length; i++) {
      errA = Math.max(errA, Math.abs(onnxAction[i] - want[i]), Math.abs(tfAction[i] - want[i]));
      const scale = Math.max(1, wantStd[i]);
      errS = Math.max(errS, Math.abs(onnxStd[i] - wantStd[i]) / scale, Math.abs(tfStd[i] - wantStd[i]) / scale);
    }
    expect(errA).toBeLessThan(1e-5);
    expect(errS).toBeLessThan(1e-5);
    // Not vacuous: the actions vary across observations (the policy head starts small, gain 0.01).
    expect(Math.max(...want) - Math.min(...want)).toBeGreaterThan(0.02);
  });
});
