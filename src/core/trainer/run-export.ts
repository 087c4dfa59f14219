// Glue between runs and bundles: export a run's latest checkpoint, and replay an imported
// bundle on its task. The CLI's `export` and the app's Export both call exportRun.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { RunConfig } from '../protocol.js';
import { squashValue } from '../rl/distributions.js';
import { Rng } from '../rl/rng.js';
import { envFactory } from './env-factory.js';
import { evaluateActor, loadRunAlgorithm, type EvaluationResult } from './evaluate.js';
import { exportBundle, importBundle, parseExportFormat, type ExportResult } from '../export/bundle.js';
import { snapshotAction, snapshotLogStd, snapshotMean } from '../export/forward.js';
import { bundleTaskConfig, modelAttachments } from '../export/model-files.js';
import { loadModelFolder } from '../envs/model-folder.js';
import { readStatus } from '../runs/store.js';
import type { PolicySnapshot } from '../policy/snapshot.js';

/** Writes the run's policy in the chosen formats; the card records a fresh deterministic evaluation. */
export async function exportRun(runDir: string, format: 'onnx' | 'tfjs' | 'all', outDir: string, evalEpisodes = 10): Promise<ExportResult> {
  const formats = parseExportFormat(format);
  const { config, algo } = await loadRunAlgorithm(runDir);
  try {
    const snapshot = algo.snapshot();
    const evaluation = evalEpisodes > 0 ? await evaluateActor(config, algo, evalEpisodes, true, false) : null;
    const finalEvalReturn = evaluation ? Array.from(evaluation.returns).reduce((a, b) => a + b, 0) / evaluation.returns.length : null;
    const makeSpaces = await spacesOf(config);
    return await exportBundle(snapshot, {
      task: config.task,
      observationSpace: makeSpaces.observationSpace,
      actionSpace: makeSpaces.actionSpace,
      algo: config.algo,
      config: config as unknown as Record<string, unknown>,
      seed: config.seed,
      steps: algo.steps,
      finalEvalReturn,
      backend: (readStatus(runDir).backend as 'tensorflow' | 'wasm' | 'cpu' | undefined) ?? 'cpu',
    }, outDir, formats, config.custom ? modelAttachments(loadModelFolder(config.custom.mjcfPath)) : []);
  } finally {
    await algo.dispose();
  }
}

async function spacesOf(config: RunConfig) {
  const env = (await envFactory(config))();
  try {
    return { observationSpace: env.observationSpace, actionSpace: env.actionSpace };
  } finally {
    env.dispose();
  }
}

/** A snapshot as an Actor: mean action, or a seeded sample from N(μ, σ) (categorical: softmax). */
export function snapshotActor(s: PolicySnapshot, seed: number) {
  const rng = new Rng(seed);
  const act = new Float32Array(s.kind === 'categorical' ? 1 : s.actDim);
  const mean = new Float32Array(s.actDim);
  const logStd = new Float32Array(s.actDim);
  return {
    act(obs: Float32Array, deterministic: boolean): Float32Array {
      if (deterministic) return snapshotAction(s, obs, act);
      snapshotMean(s, obs, mean);
      if (s.kind === 'categorical') {
        let max = -Infinity; for (const l of mean) max = Math.max(max, l);
        let z = 0; for (const l of mean) z += Math.exp(l - max);
        let u = rng.uniform() * z, k = 0;
        for (; k < mean.length - 1; k++) { u -= Math.exp(mean[k] - max); if (u <= 0) break; }
        act[0] = k;
        return act;
      }
      snapshotLogStd(s, obs, logStd);
      for (let j = 0; j < s.actDim; j++) act[j] = squashValue(mean[j] + Math.exp(logStd[j]) * rng.normal(), s.squash, j, s.actionLow, s.actionHigh);
      return act;
    },
  };
}

export function isBundleDir(dir: string): boolean {
  return existsSync(join(dir, 'policy-card.json'));
}

/** Replays an imported bundle on its task (checksums verified first). */
export async function evaluateBundle(dir: string, episodes: number, deterministic: boolean, record = false): Promise<EvaluationResult> {
  const { card, snapshot } = await importBundle(dir);
  // A custom robot replays on the model folder the bundle carries (checksums verified above).
  return evaluateActor({ ...bundleTaskConfig(dir, card), seed: card.seed }, snapshotActor(snapshot, card.seed), episodes, deterministic, record);
}
