// Learning tests on MuJoCo InvertedPendulum (fixed seeds and step budgets, wasm backend):
// PPO and A2C reach a deterministic evaluation return ≥ 950 within 150k steps, REINFORCE with
// reward-to-go ≥ 500 within 300k. Training stops early once the target is reached.
import { beforeAll, describe, expect, it } from 'vitest';
import { ALGOS } from '../src/core/algos/index.js';
import { presetFor } from '../src/core/algos/presets.js';
import type { AlgoName } from '../src/core/protocol.js';
import { makeEnv, makeEnvSync } from '../src/core/envs/registry.js';
import { selectBackend } from '../src/core/rl/backend.js';
import { evaluate, makeCtx } from './algos-toy-envs.js';

const TASK = 'InvertedPendulum';
beforeAll(async () => {
  await selectBackend('wasm');
  (await makeEnv(TASK)).dispose(); // loads MuJoCo so makeEnvSync works
});

async function learn(algo: AlgoName, budget: number, target: number, config: Record<string, unknown>, seed: number) {
  const mk = () => makeEnvSync(TASK);
  const eps: { step: number; return: number; length: number }[] = [];
  const a = await ALGOS[algo].create(makeCtx({ makeEnv: mk, config: { ...presetFor(algo, TASK), ...config }, seed, totalSteps: budget, episodes: eps }));
  const t0 = performance.now();
  let score = -Infinity;
  while (a.steps < budget) {
    await a.update();
    const recent = eps.slice(-5);
    if (recent.length === 5 && recent.every((e) => e.return >= target)) {
      score = evaluate((o) => a.act(o, true), mk, 5);
      if (score >= target) break;
    }
  }
  if (score < target) score = evaluate((o) => a.act(o, true), mk, 5);
  const out = { score, steps: a.steps, seconds: (performance.now() - t0) / 1000 };
  console.log(`${algo} on ${TASK}: eval ${score.toFixed(1)} after ${out.steps} steps, ${out.seconds.toFixed(1)} s`);
  await a.dispose();
  return out;
}

describe('learning on InvertedPendulum', () => {
  it('PPO reaches ≥ 950 within 150k steps', async () => {
    const r = await learn('ppo', 150_000, 950, {}, 1);
    expect(r.score).toBeGreaterThanOrEqual(950);
    expect(r.steps).toBeLessThanOrEqual(150_000 + 2048);
  }, 600_000);
  it('A2C reaches ≥ 950 within 150k steps', async () => {
    const r = await learn('a2c', 150_000, 950, {}, 1);
    expect(r.score).toBeGreaterThanOrEqual(950);
  }, 600_000);
  it('REINFORCE with reward-to-go reaches ≥ 500 within 300k steps', async () => {
    const r = await learn('reinforce', 300_000, 500, { phi: 'reward-to-go' }, 1);
    expect(r.score).toBeGreaterThanOrEqual(500);
  }, 600_000);
});
