// Evaluates a run's latest checkpoint with the same Algorithm code that trained it, so the
// evaluated policy is exactly the trained one. Optionally records every step's poses for replay.

import { ALGOS } from '../algos/index.js';
import type { Algorithm } from '../algos/types.js';
import { POSE_STRIDE, type RenderDescription } from '../envs/types.js';
import type { RunConfig } from '../protocol.js';
import { selectBackend } from '../rl/backend.js';
import { readCheckpoint } from '../runs/checkpoint.js';
import { readConfig, runFiles, RunError } from '../runs/store.js';
import { envFactory, envSourceOf } from './env-factory.js';
import { existsSync } from 'node:fs';

export interface EvaluationResult {
  readonly returns: Float64Array;
  readonly lengths: Int32Array;
  readonly render: RenderDescription;
  /** frameCount × ngeom × POSE_STRIDE poses when recorded, else empty. */
  readonly frames: Float32Array;
  readonly frameCount: number;
}

/** Evaluation episodes use their own seeds, disjoint from training's. */
export const EVAL_SEED_OFFSET = 1_000_003;

export interface Actor {
  act(obs: Float32Array, deterministic: boolean): Float32Array;
}

/** Rolls out `episodes` episodes of `actor` on fresh envs from `config`'s task. */
export async function evaluateActor(config: Pick<RunConfig, 'task' | 'custom' | 'seed'>, actor: Actor, episodes: number, deterministic: boolean, record: boolean): Promise<EvaluationResult> {
  const makeEnv = await envFactory(config);
  const env = makeEnv();
  const render = env.renderDescription();
  const stride = render.geoms.length * POSE_STRIDE;
  const returns = new Float64Array(episodes);
  const lengths = new Int32Array(episodes);
  const chunks: Float32Array[] = [];
  try {
    for (let e = 0; e < episodes; e++) {
      let obs = env.reset(config.seed + EVAL_SEED_OFFSET + e);
      for (;;) {
        if (record) { const p = new Float32Array(stride); env.writePoses(p); chunks.push(p); }
        const r = env.step(actor.act(obs, deterministic));
        returns[e] += r.reward;
        lengths[e]++;
        obs = r.obs;
        if (r.terminated || r.truncated) break;
      }
    }
  } finally {
    env.dispose();
  }
  const frames = new Float32Array(chunks.length * stride);
  chunks.forEach((c, i) => frames.set(c, i * stride));
  return { returns, lengths, render, frames, frameCount: chunks.length };
}

/** Rebuilds a run's algorithm from its config and latest checkpoint. */
export async function loadRunAlgorithm(runDir: string): Promise<{ config: RunConfig; algo: Algorithm }> {
  const config = readConfig(runDir);
  const ckptPath = runFiles.checkpoint(runDir);
  if (!existsSync(ckptPath)) throw new RunError(`${runDir} has no checkpoint yet: train it first`);
  const backend = await selectBackend(config.backend);
  const makeEnv = await envFactory(config);
  const probe = makeEnv();
  const spec = probe.spec;
  probe.dispose();
  const algo = await ALGOS[config.algo].create({
    spec, makeEnv, envSource: envSourceOf(config),
    config: config.algoConfig, seed: config.seed, totalSteps: config.totalSteps, backend,
    onEpisode: () => {},
  });
  await algo.loadState(readCheckpoint(ckptPath).state);
  return { config, algo };
}

export async function evaluateRun(runDir: string, episodes: number, deterministic: boolean, record = false): Promise<EvaluationResult> {
  const { config, algo } = await loadRunAlgorithm(runDir);
  try {
    return await evaluateActor(config, algo, episodes, deterministic, record);
  } finally {
    await algo.dispose();
  }
}
