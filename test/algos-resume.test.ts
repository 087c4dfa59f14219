// Resume = uninterrupted: save after k updates, load into a fresh algorithm, continue, and the
// parameters, metrics and episode stream must match bit for bit (cpu backend).
import { beforeAll, describe, expect, it } from 'vitest';
import { ALGOS } from '../src/core/algos/index.js';
import type { AlgoName } from '../src/core/protocol.js';
import type { AlgoState, Algorithm, UpdateStats } from '../src/core/algos/types.js';
import { selectBackend } from '../src/core/rl/backend.js';
import { makeCtx, ToyCartPole } from './algos-toy-envs.js';

beforeAll(async () => { await selectBackend('cpu'); });

const SMALL: Record<string, Record<string, unknown>> = {
  ppo: { numSteps: 64, numEnvs: 2, numMinibatches: 4, updateEpochs: 2, hidden: [16] },
  a2c: { numSteps: 8, numEnvs: 3, hidden: [16] },
  reinforce: { batchSteps: 60, numEnvs: 2, hidden: [16], phi: 'gae', vfIters: 2 },
  qac: { numEnvs: 2, stepsPerUpdate: 10, hidden: [16], normReward: true },
};

type Ep = { step: number; return: number; length: number };

async function run(algo: AlgoName, config: Record<string, unknown>, episodes: Ep[]): Promise<Algorithm> {
  return ALGOS[algo].create(makeCtx({ makeEnv: () => new ToyCartPole(60), config, seed: 7, totalSteps: 5000, episodes }));
}

function flat(a: Algorithm): number[] {
  const s = a.snapshot();
  const out: number[] = [];
  for (const l of [...s.trunk, ...s.meanHead, ...(s.logStdHead ?? [])]) out.push(...l.w, ...l.b);
  if (s.logStd) out.push(...s.logStd);
  if (s.obsNorm) out.push(...s.obsNorm.mean, ...s.obsNorm.var);
  return out;
}

/** Deep copy, as a checkpoint file would give. */
function copyState(s: AlgoState): AlgoState {
  const tensors: AlgoState['tensors'] = {};
  for (const [k, v] of Object.entries(s.tensors)) tensors[k] = v.slice();
  return { tensors, json: JSON.parse(JSON.stringify(s.json)) };
}

describe.each(Object.keys(SMALL) as AlgoName[])('%s resume', (name) => {
  it('continues exactly like an uninterrupted run', async () => {
    const k = 3, m = 3;
    const epsA: Ep[] = [];
    const a = await run(name, SMALL[name], epsA);
    for (let i = 0; i < k; i++) await a.update();
    const saved = copyState(await a.saveState());
    const nA = epsA.length;
    const statsA: UpdateStats[] = [];
    for (let i = 0; i < m; i++) statsA.push(await a.update());

    const epsB: Ep[] = [];
    const b = await run(name, SMALL[name], epsB);
    await b.update(); // make b's state differ before loading
    epsB.length = 0;
    await b.loadState(saved);
    expect(b.steps).toBe(JSON.parse(JSON.stringify(saved.json)).steps);
    const statsB: UpdateStats[] = [];
    for (let i = 0; i < m; i++) statsB.push(await b.update());

    expect(b.steps).toBe(a.steps);
    expect(statsB).toEqual(statsA);
    expect(flat(b)).toEqual(flat(a));
    expect(epsB).toEqual(epsA.slice(nA));
    expect(epsA.length).toBeGreaterThan(nA); // the continuation really ran episodes
    const obs = Float32Array.of(0.01, -0.02, 0.03, 0.01);
    expect(Array.from(b.act(obs, true))).toEqual(Array.from(a.act(obs, true)));
    await a.dispose();
    await b.dispose();
  });
});
