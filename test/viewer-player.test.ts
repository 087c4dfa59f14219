// The real-time viewer's simulation (src/core/viewer) in-process, on a fake clock: it plays the
// trainer's policy exactly (same observation → same deterministic action within 1e-5, and the
// same episode as the lab's own evaluation of that policy), in real time at the chosen speed,
// interpolating poses between env steps; the mouse push moves the pushed body and no training env.
import { beforeAll, describe, expect, it } from 'vitest';
import { ALGOS } from '../src/core/algos/index.js';
import type { Algorithm } from '../src/core/algos/types.js';
import { makeEnv, makeEnvSync } from '../src/core/envs/registry.js';
import { POSE_STRIDE } from '../src/core/envs/types.js';
import { selectBackend } from '../src/core/rl/backend.js';
import { Rng } from '../src/core/rl/rng.js';
import { envMaker, envSourceOf } from '../src/core/trainer/env-factory.js';
import { EVAL_SEED_OFFSET, evaluateActor } from '../src/core/trainer/evaluate.js';
import { VIEWER_SEED_OFFSET, type ViewerPlayerMessage, type ViewerState } from '../src/core/viewer/messages.js';
import { interpolatePoses, ViewerPlayer } from '../src/core/viewer/player.js';
import { SnapshotPolicy } from '../src/core/viewer/snapshot-policy.js';
import { makeCtx } from './algos-toy-envs.js';

beforeAll(async () => {
  await selectBackend('cpu');
  (await makeEnv('HalfCheetah')).dispose();
});

type State = ViewerState;
type Episode = Extract<ViewerPlayerMessage, { type: 'viewer-episode' }>;

/** A player on a clock the test moves, collecting what it sends. */
function rig() {
  let t = 0;
  const states: State[] = [], episodes: Episode[] = [], models: ViewerPlayerMessage[] = [];
  const player = new ViewerPlayer((m) => {
    if (m.type === 'viewer-state') states.push({ ...m, poses: Float32Array.from(m.poses), push: Float32Array.from(m.push), mu: Float32Array.from(m.mu) });
    else if (m.type === 'viewer-episode') episodes.push(m);
    else models.push(m);
  }, () => t);
  /** Advances the clock by ms in 1000/60 ms ticks. */
  const run = (ms: number) => { for (let k = 0; k < Math.round(ms / (1000 / 60)); k++) { t += 1000 / 60; player.tick(); } };
  /** Moves the clock without ticking (a host that stopped its ticks). */
  const clock = (ms: number) => { t += ms; };
  return { player, states, episodes, models, run, clock };
}

async function trainedPpo(task: string, seed: number, extra: Record<string, unknown> = {}): Promise<Algorithm> {
  const algo = await ALGOS.ppo.create(makeCtx({ makeEnv: () => makeEnvSync(task), config: { numSteps: 256, numMinibatches: 4, updateEpochs: 2, ...extra }, seed }));
  await algo.update(); // moves the weights and the observation normalizer off their initial values
  return algo;
}

describe('viewer policy = trainer policy', () => {
  it.each([
    ['clip, state-independent σ', {}],
    ['tanh, state-dependent σ, shared trunk', { squash: 'tanh', sigma: 'state-dependent', shared: true }],
  ])('%s: same observation → same deterministic action (1e-5) and the same μ, σ as policyAt', async (_name, extra) => {
    const algo = await trainedPpo('HalfCheetah', 3, extra);
    try {
      const pol = new SnapshotPolicy(algo.snapshot());
      const env = makeEnvSync('HalfCheetah');
      const rng = new Rng(1);
      let obs = Float32Array.from(env.reset(11));
      let worst = 0;
      for (let i = 0; i < 300; i++) {
        const want = algo.act(obs, true);
        pol.view(obs);
        const got = pol.act(obs, true, rng);
        const { mu, std } = algo.policyAt(obs);
        for (let j = 0; j < want.length; j++) {
          worst = Math.max(worst, Math.abs(got[j] - want[j]), Math.abs(pol.mu[j] - mu[j]), Math.abs(pol.std[j] - std[j]));
        }
        const r = env.step(got);
        obs = Float32Array.from(r.obs);
        if (r.terminated || r.truncated) obs = Float32Array.from(env.reset(12 + i));
      }
      env.dispose();
      expect(worst).toBeLessThan(1e-5);
    } finally {
      await algo.dispose();
    }
  }, 60_000);

  it.each(['InvertedPendulum', 'InvertedPendulumDiscrete'])('%s: plays the same episode as the lab evaluates (same seed, same return and length)', async (task) => {
    const algo = await trainedPpo(task, 4);
    try {
      const seed = 7;
      const ev = await evaluateActor({ task, seed }, algo, 1, true, false);
      const r = rig();
      // Seeds chosen so the viewer's first reset is Evaluate's first reset.
      await r.player.load({ env: { kind: 'task', name: task }, seed: seed + EVAL_SEED_OFFSET - VIEWER_SEED_OFFSET, label: 't' }, { snapshot: algo.snapshot(), update: 1, steps: 256 });
      r.player.control({ speed: 4 });
      for (let k = 0; k < 200 && r.episodes.length === 0; k++) r.run(1000);
      expect(r.episodes.length).toBeGreaterThan(0);
      expect(r.episodes[0].length).toBe(ev.lengths[0]);
      expect(r.episodes[0].return).toBeCloseTo(ev.returns[0], 4);
      expect(r.episodes[0].update).toBe(1);
    } finally {
      await algo.dispose();
    }
  }, 120_000);
});

describe('custom robots', () => {
  it('a model folder with meshes (the quadruped, derived walk task): the same episode as Evaluate', async () => {
    const quad = { mjcfPath: new URL('./fixtures/robots/quadruped/scene.xml', import.meta.url).pathname, preset: 'walk' as const };
    const src = envSourceOf({ task: 'custom', custom: quad });
    const makeEnv = await envMaker(src);
    const algo = await ALGOS.ppo.create(makeCtx({ makeEnv, config: { numSteps: 128, numMinibatches: 4, updateEpochs: 1 }, seed: 9 }));
    try {
      await algo.update();
      const seed = 3;
      const ev = await evaluateActor({ task: 'custom', custom: quad, seed }, algo, 1, true, false);
      const r = rig();
      await r.player.load({ env: src, seed: seed + EVAL_SEED_OFFSET - VIEWER_SEED_OFFSET, label: 'quad' }, { snapshot: algo.snapshot(), update: 1, steps: 128 });
      expect(r.models[0]).toMatchObject({ type: 'viewer-model', pushable: true });
      r.player.control({ speed: 4 });
      for (let k = 0; k < 400 && r.episodes.length === 0; k++) r.run(1000);
      expect(r.episodes[0].length).toBe(ev.lengths[0]);
      expect(r.episodes[0].return).toBeCloseTo(ev.returns[0], 3);
    } finally {
      await algo.dispose();
    }
  }, 180_000);
});

describe('real time', () => {
  it('simulated time = wall time × speed; poses move smoothly between env steps', async () => {
    const algo = await trainedPpo('HalfCheetah', 5);
    const r = rig();
    await r.player.load({ env: { kind: 'task', name: 'HalfCheetah' }, seed: 1, label: 'hc' }, { snapshot: algo.snapshot(), update: 1, steps: 256 });
    await algo.dispose();
    r.run(1000);
    const t1 = r.states[r.states.length - 1].simTime;
    expect(t1).toBeGreaterThan(0.99);
    expect(t1).toBeLessThan(1.01);
    expect(r.states[r.states.length - 1].episodeStep).toBe(20); // dt = 0.05 s
    r.player.control({ speed: 0.25 });
    r.run(2000);
    expect(r.states[r.states.length - 1].simTime - t1).toBeCloseTo(0.5, 2);
    // ~60 states per second, each a different pose (interpolated), even at 0.25×.
    const last = r.states.slice(-60);
    let same = 0;
    for (let i = 1; i < last.length; i++) if (last[i].poses.every((v, k) => v === last[i - 1].poses[k])) same++;
    expect(same).toBe(0);
    // Paused: no states; a single step advances exactly one env step.
    r.player.control({ paused: true });
    const n = r.states.length, step0 = r.states[n - 1].episodeStep;
    r.run(500);
    expect(r.states.length).toBe(n);
    r.player.control({ step: true });
    expect(r.states[r.states.length - 1].episodeStep).toBe(step0 + 1);
    // Paused, the host stops ticking (running is false); resumed after 5 s without ticks, the
    // clock restarts from then instead of racing to catch up the 5 s.
    expect(r.player.running).toBe(false);
    const simPaused = r.states[r.states.length - 1].simTime;
    r.clock(5000);
    r.player.control({ paused: false });
    expect(r.player.running).toBe(true);
    r.player.restartClock();
    r.run(100);
    expect(r.states[r.states.length - 1].simTime - simPaused).toBeCloseTo(0.25 * 0.1, 2);
  }, 60_000);

  it('a new policy is swapped in at the next episode start, or at once when asked', async () => {
    const algo = await trainedPpo('InvertedPendulum', 6);
    const snap = algo.snapshot();
    await algo.dispose();
    const r = rig();
    await r.player.load({ env: { kind: 'task', name: 'InvertedPendulum' }, seed: 1, label: 'p' }, { snapshot: snap, update: 1, steps: 10 });
    r.run(200);
    r.player.setPolicy({ snapshot: snap, update: 2, steps: 20 });
    r.run(100);
    const ep = r.states[r.states.length - 1].episode;
    expect(r.states.filter((s) => s.episode === ep).every((s) => s.update === 1)).toBe(true);
    r.player.control({ reset: true });
    expect(r.states[r.states.length - 1].update).toBe(2);
    r.player.control({ swapAtOnce: true });
    r.player.setPolicy({ snapshot: snap, update: 3, steps: 30 });
    r.run(50);
    expect(r.states[r.states.length - 1].update).toBe(3);
  }, 60_000);

  it('interpolates positions linearly and rotations along the short arc, without allocating', () => {
    const a = new Float32Array(POSE_STRIDE), b = new Float32Array(POSE_STRIDE), out = new Float32Array(POSE_STRIDE);
    a.set([0, 0, 0, 1, 0, 0, 0]);
    // 90° about z, written with w < 0 (the same rotation as w > 0): the short way is still 45° at ½.
    const h = Math.SQRT1_2;
    b.set([2, 4, 6, -h, 0, 0, -h]);
    interpolatePoses(a, b, 0.5, out);
    expect(Array.from(out.subarray(0, 3))).toEqual([1, 2, 3]);
    const angle = 2 * Math.acos(Math.min(1, Math.abs(out[3])));
    expect(angle).toBeCloseTo(Math.PI / 4, 5);
    expect(Math.hypot(out[3], out[4], out[5], out[6])).toBeCloseTo(1, 6);
  });
});

describe('mouse push', () => {
  it('moves the pushed body toward the target, and no other env', async () => {
    const algo = await trainedPpo('HalfCheetah', 8);
    const snap = algo.snapshot();
    await algo.dispose();
    const source = { env: { kind: 'task' as const, name: 'HalfCheetah' }, seed: 2, label: 'hc' };
    const policy = { snapshot: snap, update: 1, steps: 1 };
    // A training env stepping beside the viewer, and its twin that never shares a process moment with a push.
    const trainEnv = makeEnvSync('HalfCheetah');
    const twin = makeEnvSync('HalfCheetah');
    trainEnv.reset(5);
    twin.reset(5);
    const act = new Float32Array(6).fill(0.3);

    const heights: number[][] = [];
    for (const pushed of [false, true]) {
      const r = rig();
      await r.player.load(source, policy);
      r.run(100);
      const s0 = r.states[r.states.length - 1];
      const torso = 1; // HalfCheetah's torso body
      // Geom 0 is the floor, geom 1 the torso: grab the torso where it is drawn.
      const g1 = [s0.poses[POSE_STRIDE], s0.poses[POSE_STRIDE + 1], s0.poses[POSE_STRIDE + 2]] as const;
      if (pushed) r.player.setPush({ body: torso, grab: [g1[0], g1[1], g1[2]], target: [g1[0], g1[1], g1[2] + 1.5] });
      expect(r.player.pushing).toBe(pushed); // its states then travel one by one (state-batch.ts)
      const zs: number[] = [];
      for (let k = 0; k < 30; k++) {
        r.run(1000 / 60 * 3);
        trainEnv.step(act);
        const last = r.states[r.states.length - 1];
        zs.push(last.poses[POSE_STRIDE + 2]);
        if (pushed) expect(last.push.length).toBe(6);
      }
      if (pushed) {
        r.player.setPush({});
        expect(r.player.pushing).toBe(false);
        r.run(50);
        expect(r.states[r.states.length - 1].push.length).toBe(0);
      }
      heights.push(zs);
      r.player.unload();
    }
    for (let k = 0; k < 60; k++) twin.step(act);
    // The pushed torso rose well above where the unpushed one was at the same time.
    const [free, pushed] = heights;
    expect(Math.max(...pushed) - Math.max(...free)).toBeGreaterThan(0.5);
    // The training env is bit-identical to its twin: the push never reached it.
    const a = (trainEnv as unknown as { inspect(): { qpos: Float64Array; qvel: Float64Array } }).inspect();
    const b = (twin as unknown as { inspect(): { qpos: Float64Array; qvel: Float64Array } }).inspect();
    expect(Array.from(a.qpos)).toEqual(Array.from(b.qpos));
    expect(Array.from(a.qvel)).toEqual(Array.from(b.qvel));
    trainEnv.dispose();
    twin.dispose();
  }, 60_000);
});
