import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { snapshotAction, snapshotLogStd, snapshotMean } from '../src/core/export/forward.js';
import { snapshotToTfjs, TFJS_MODEL_FILE, TFJS_WEIGHTS_FILE, tfjsDirLoader } from '../src/core/export/tfjs.js';
import { argmaxDisagreements, exportCases, maxRelErr, randomObservations, reference } from './export-fixtures.js';

const N = 1000;
const TOL = 1e-5;
let root: string;

beforeAll(async () => {
  await tf.setBackend('cpu');
  root = mkdtempSync(join(tmpdir(), 'pl-tfjs-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('TF.js export reloaded from files matches the reference forward', () => {
  exportCases().forEach(([name, s], idx) => {
    it(name, async () => {
      const files = await snapshotToTfjs(s);
      const d = mkdtempSync(join(root, `c${idx}-`));
      writeFileSync(join(d, TFJS_MODEL_FILE), files.modelJson);
      writeFileSync(join(d, TFJS_WEIGHTS_FILE), files.weightsBin);
      const before = tf.memory().numTensors;
      const model = await tf.loadLayersModel(tfjsDirLoader(d));
      // Only standard Keras layer classes: no custom class needs registering to load it.
      const classes = new Set(model.layers.map((l) => l.getClassName()));
      for (const c of classes) expect(['InputLayer', 'Dense', 'Activation', 'Maximum', 'Minimum']).toContain(c);

      const obs = randomObservations(200, N, s.obsDim);
      const ref = reference(s, obs, N, { action: snapshotAction, mean: snapshotMean, logStd: snapshotLogStd });
      const outs = tf.tidy(() => {
        const y = model.predict(tf.tensor2d(obs, [N, s.obsDim]));
        return (Array.isArray(y) ? y : [y]).map((t) => t.dataSync() as Float32Array);
      });
      expect(model.outputNames).toEqual(s.kind === 'categorical' ? ['logits'] : ['action', 'log_std']);
      if (s.kind === 'categorical') {
        expect(maxRelErr(outs[0], ref.mean)).toBeLessThan(TOL);
        const got = tf.tidy(() => tf.argMax(tf.tensor2d(outs[0], [N, s.actDim]), 1).dataSync());
        expect(argmaxDisagreements(got, ref.mean, ref.action, s.actDim, TOL)).toBe(0);
      } else {
        expect(maxRelErr(outs[0], ref.action)).toBeLessThan(TOL);
        expect(maxRelErr(outs[1], ref.logStd)).toBeLessThan(TOL);
      }
      model.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  });
});

describe('TF.js export files', () => {
  it('are byte-identical across exports and name the weights file', async () => {
    const s = exportCases()[0][1];
    const a = await snapshotToTfjs(s);
    const b = await snapshotToTfjs(s);
    expect(Buffer.from(a.modelJson).equals(Buffer.from(b.modelJson))).toBe(true);
    expect(Buffer.from(a.weightsBin).equals(Buffer.from(b.weightsBin))).toBe(true);
    const json = JSON.parse(new TextDecoder().decode(a.modelJson)) as { format: string; weightsManifest: Array<{ paths: string[] }> };
    expect(json.format).toBe('layers-model');
    expect(json.weightsManifest[0].paths).toEqual([TFJS_WEIGHTS_FILE]);
  });
});
