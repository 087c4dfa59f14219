// The task suite against the Gymnasium v5 specification: spaces, determinism, reward terms
// recomputed from the physics state, termination rules, time limits, state save/restore, poses.
import { describe, expect, it } from 'vitest';
import { MujocoEnv, STATE_QPOS_OFFSET, type PhysicsSnapshot } from '../src/core/envs/mujoco-env.js';
import { makeEnv, TASKS } from '../src/core/envs/registry.js';
import { EnvRng } from '../src/core/envs/rng.js';
import { POSE_STRIDE, type Env } from '../src/core/envs/types.js';

// Gymnasium v5 defaults, written out here as the specification the envs must meet.
const GYM: Record<string, { obs: number; act: number | 'discrete2'; frameSkip: number; timestep: number; maxSteps: number }> = {
  InvertedPendulum: { obs: 4, act: 1, frameSkip: 2, timestep: 0.02, maxSteps: 1000 },
  InvertedPendulumDiscrete: { obs: 4, act: 'discrete2', frameSkip: 2, timestep: 0.02, maxSteps: 1000 },
  InvertedDoublePendulum: { obs: 9, act: 1, frameSkip: 5, timestep: 0.01, maxSteps: 1000 },
  Reacher: { obs: 10, act: 2, frameSkip: 2, timestep: 0.01, maxSteps: 50 },
  Swimmer: { obs: 8, act: 2, frameSkip: 4, timestep: 0.01, maxSteps: 1000 },
  HalfCheetah: { obs: 17, act: 6, frameSkip: 5, timestep: 0.01, maxSteps: 1000 },
  Hopper: { obs: 11, act: 3, frameSkip: 4, timestep: 0.002, maxSteps: 1000 },
  Walker2d: { obs: 17, act: 6, frameSkip: 4, timestep: 0.002, maxSteps: 1000 },
  Ant: { obs: 105, act: 8, frameSkip: 5, timestep: 0.01, maxSteps: 1000 },
};

function randomAction(env: Env, rng: EnvRng, scale = 1): Float32Array {
  const s = env.actionSpace;
  if (s.kind === 'discrete') return Float32Array.of(Math.floor(rng.next() * s.n));
  const a = new Float32Array(s.shape[0]);
  for (let i = 0; i < a.length; i++) a[i] = rng.uniform(-scale, scale);
  return a;
}

function sum(terms: Record<string, number>): number {
  return Object.values(terms).reduce((a, b) => a + b, 0);
}

function sq(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  return s;
}

function snap(env: Env): PhysicsSnapshot {
  return (env as MujocoEnv).inspect();
}

function bodyIndex(env: Env, name: string): number {
  const i = env.renderDescription().bodyNames.indexOf(name);
  if (i < 0) throw new Error(`no body ${name}`);
  return i;
}

/** Independent recomputation of each task's reward terms from the physics before/after a step. */
function expectedTerms(task: string, env: Env, before: PhysicsSnapshot, after: PhysicsSnapshot, a: Float32Array): Record<string, number> {
  const g = GYM[task];
  const dt = g.timestep * g.frameSkip;
  const q = after.qpos;
  const v = after.qvel;
  switch (task) {
    case 'InvertedPendulum':
    case 'InvertedPendulumDiscrete':
      return { alive: Math.abs(q[1]) <= 0.2 ? 1 : 0 };
    case 'InvertedDoublePendulum': {
      const [x, , y] = after.siteXpos;
      return {
        alive: y > 1 ? 10 : 0,
        distance_penalty: -(0.01 * x * x + (y - 2) ** 2),
        velocity_penalty: -(1e-3 * v[1] ** 2 + 5e-3 * v[2] ** 2),
      };
    }
    case 'Reacher': {
      const f = bodyIndex(env, 'fingertip');
      const t = bodyIndex(env, 'target');
      const d = Math.hypot(after.xpos[3 * f] - after.xpos[3 * t], after.xpos[3 * f + 1] - after.xpos[3 * t + 1], after.xpos[3 * f + 2] - after.xpos[3 * t + 2]);
      return { distance: -d, ctrl_cost: -sq(a) };
    }
    case 'Swimmer':
      return { forward: (q[0] - before.qpos[0]) / dt, ctrl_cost: -1e-4 * sq(a) };
    case 'HalfCheetah':
      return { forward: (q[0] - before.qpos[0]) / dt, ctrl_cost: -0.1 * sq(a) };
    case 'Hopper': {
      const rest = [...q.slice(2), ...v];
      const ok = rest.every((s) => s > -100 && s < 100) && q[1] > 0.7 && Math.abs(q[2]) < 0.2;
      return { forward: (q[0] - before.qpos[0]) / dt, ctrl_cost: -1e-3 * sq(a), healthy: ok ? 1 : 0 };
    }
    case 'Walker2d': {
      const ok = q[1] > 0.8 && q[1] < 2 && q[2] > -1 && q[2] < 1;
      return { forward: (q[0] - before.qpos[0]) / dt, ctrl_cost: -1e-3 * sq(a), healthy: ok ? 1 : 0 };
    }
    case 'Ant': {
      const torso = bodyIndex(env, 'torso');
      let contact = 0;
      for (const c of after.cfrcExt) contact += Math.min(1, Math.max(-1, c)) ** 2;
      return {
        forward: (after.xpos[3 * torso] - before.xpos[3 * torso]) / dt,
        healthy: q[2] >= 0.2 && q[2] <= 1 ? 1 : 0,
        ctrl_cost: -0.5 * sq(a),
        contact_cost: -5e-4 * contact,
      };
    }
  }
  throw new Error(`no expectation for ${task}`);
}

describe('task suite (Gymnasium v5)', () => {
  it('lists every specified task', () => {
    expect(TASKS.map((t) => t.name).sort()).toEqual(Object.keys(GYM).sort());
  });

  for (const task of Object.keys(GYM)) {
    describe(task, () => {
      const g = GYM[task];

      it('has the specified spaces, frame skip and time limit', async () => {
        const env = await makeEnv(task);
        expect(env.spec.obsDim).toBe(g.obs);
        expect(env.observationSpace.shape[0]).toBe(g.obs);
        expect(env.reset(0).length).toBe(g.obs);
        if (g.act === 'discrete2') {
          expect(env.actionSpace).toEqual({ kind: 'discrete', n: 2 });
          expect(env.spec.actionKind).toBe('discrete');
        } else {
          expect(env.actionSpace.kind).toBe('box');
          if (env.actionSpace.kind === 'box') expect(env.actionSpace.shape[0]).toBe(g.act);
          expect(env.spec.actDim).toBe(g.act);
        }
        expect(env.spec.frameSkip).toBe(g.frameSkip);
        expect(env.spec.maxEpisodeSteps).toBe(g.maxSteps);
        expect(snap(env).timestep).toBeCloseTo(g.timestep, 12);
        env.dispose();
      });

      it('is deterministic for a seed and differs across seeds', async () => {
        const run = async (seed: number): Promise<number[]> => {
          const env = await makeEnv(task);
          const rng = new EnvRng(99);
          const out: number[] = Array.from(env.reset(seed));
          for (let t = 0; t < 60; t++) {
            const r = env.step(randomAction(env, rng));
            out.push(r.reward, ...r.obs);
            if (r.terminated || r.truncated) out.push(...env.reset());
          }
          env.dispose();
          return out;
        };
        const a = await run(7);
        const b = await run(7);
        const c = await run(8);
        expect(b).toEqual(a);
        expect(c.slice(0, g.obs)).not.toEqual(a.slice(0, g.obs));
      });

      it('reward is the sum of its terms, each matching a recomputation from the state', async () => {
        const env = await makeEnv(task);
        const rng = new EnvRng(3);
        env.reset(11);
        let checked = 0;
        for (let t = 0; t < 40; t++) {
          // Scale 1.5: some controls fall outside ctrlrange, and the cost must still use them as given.
          const a = randomAction(env, rng, g.act === 'discrete2' ? 1 : 1.5);
          const before = snap(env);
          const r = env.step(a);
          const after = snap(env);
          expect(Object.keys(r.info.rewardTerms).sort()).toEqual([...env.spec.rewardTerms].sort());
          expect(r.reward).toBeCloseTo(sum(r.info.rewardTerms), 9);
          const want = expectedTerms(task, env, before, after, a);
          for (const [k, val] of Object.entries(want)) expect(r.info.rewardTerms[k], `${task} term ${k}`).toBeCloseTo(val, 6);
          checked++;
          if (r.terminated || r.truncated) env.reset();
        }
        expect(checked).toBe(40);
        env.dispose();
      });

      it('getState/setState resumes the continuation exactly (physics, episode and rng)', async () => {
        const a = await makeEnv(task);
        const b = await makeEnv(task);
        const rng = new EnvRng(5);
        a.reset(21);
        const actions = Array.from({ length: 60 }, () => randomAction(a, rng));
        let i = 0;
        for (; i < 20; i++) {
          const r = a.step(actions[i]);
          if (r.terminated || r.truncated) a.reset();
        }
        const saved = a.getState();
        const trace = (env: Env): number[] => {
          const out: number[] = [];
          for (let k = 20; k < 60; k++) {
            const r = env.step(actions[k]);
            out.push(r.reward, r.info.elapsedSteps, ...r.obs);
            if (r.terminated || r.truncated) out.push(...env.reset());
          }
          out.push(...env.reset()); // the restored generator continues the same stream
          return out;
        };
        const expected = trace(a);
        b.reset(12345);
        b.step(actions[0]);
        b.setState(saved);
        expect(trace(b)).toEqual(expected);
        a.dispose();
        b.dispose();
      });

      it('writes unit-quaternion poses that match geom_xmat', async () => {
        const env = await makeEnv(task);
        env.reset(1);
        env.step(randomAction(env, new EnvRng(1)));
        const desc = env.renderDescription();
        expect(desc.task).toBe(task);
        expect(desc.geoms.length).toBeGreaterThan(0);
        expect(desc.bodyNames[0]).toBe('world');
        const poses = new Float32Array(desc.geoms.length * POSE_STRIDE);
        env.writePoses(poses);
        const m = snap(env).geomXmat;
        for (let gi = 0; gi < desc.geoms.length; gi++) {
          const [w, x, y, z] = poses.subarray(gi * POSE_STRIDE + 3, gi * POSE_STRIDE + 7);
          expect(Math.hypot(w, x, y, z)).toBeCloseTo(1, 5);
          // Rotation matrix of the quaternion, row-major, against MuJoCo's own.
          const R = [
            1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y),
            2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x),
            2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y),
          ];
          for (let k = 0; k < 9; k++) expect(R[k]).toBeCloseTo(m[9 * gi + k], 5);
        }
        env.dispose();
      });
    });
  }
});

function setQ(env: Env, qpos: Record<number, number>, qvel: Record<number, number> = {}): void {
  const s = env.getState();
  const nq = s[1];
  for (const [i, val] of Object.entries(qpos)) s[STATE_QPOS_OFFSET + Number(i)] = val;
  for (const [i, val] of Object.entries(qvel)) s[STATE_QPOS_OFFSET + nq + Number(i)] = val;
  env.setState(s);
}

describe('termination rules', () => {
  const zeros = (env: Env): Float32Array => new Float32Array(env.spec.actDim);

  it('InvertedPendulum terminates when |angle| > 0.2, not before', async () => {
    const env = await makeEnv('InvertedPendulum');
    env.reset(0);
    setQ(env, { 0: 0, 1: 0.05 }, { 0: 0, 1: 0 });
    const ok = env.step(zeros(env));
    expect(ok.terminated).toBe(false);
    expect(ok.reward).toBe(1);
    env.reset(0);
    setQ(env, { 1: 0.3 }, { 1: 0 });
    const r = env.step(zeros(env));
    expect(Math.abs(r.obs[1])).toBeGreaterThan(0.2);
    expect(r.terminated).toBe(true);
    expect(r.reward).toBe(0);
    env.dispose();
  });

  it('InvertedDoublePendulum terminates when the tip drops to y ≤ 1', async () => {
    const env = await makeEnv('InvertedDoublePendulum');
    env.reset(0);
    setQ(env, { 1: 1.2, 2: 0.5 });
    const r = env.step(zeros(env));
    expect(snap(env).siteXpos[2]).toBeLessThanOrEqual(1);
    expect(r.terminated).toBe(true);
    expect(r.info.rewardTerms.alive).toBe(0);
    env.dispose();
  });

  it('Hopper terminates when its torso tilts beyond 0.2 rad or drops below z = 0.7', async () => {
    const env = await makeEnv('Hopper');
    env.reset(0);
    expect(env.step(zeros(env)).terminated).toBe(false);
    setQ(env, { 2: 0.35 });
    const tilted = env.step(zeros(env));
    expect(tilted.terminated).toBe(true);
    expect(tilted.info.rewardTerms.healthy).toBe(0);
    env.reset(0);
    setQ(env, { 1: 0.6 });
    expect(env.step(zeros(env)).terminated).toBe(true);
    env.dispose();
  });

  it('Walker2d terminates outside 0.8 < z < 2 or |angle| ≥ 1', async () => {
    const env = await makeEnv('Walker2d');
    env.reset(0);
    expect(env.step(zeros(env)).terminated).toBe(false);
    setQ(env, { 2: 1.2 });
    expect(env.step(zeros(env)).terminated).toBe(true);
    env.reset(0);
    setQ(env, { 1: 2.5 });
    expect(env.step(zeros(env)).terminated).toBe(true);
    env.dispose();
  });

  it('Ant terminates when the torso leaves 0.2 ≤ z ≤ 1', async () => {
    const env = await makeEnv('Ant');
    env.reset(0);
    expect(env.step(zeros(env)).terminated).toBe(false);
    setQ(env, { 2: 1.6 });
    const r = env.step(zeros(env));
    expect(r.terminated).toBe(true);
    expect(r.info.rewardTerms.healthy).toBe(0);
    env.dispose();
  });

  it('falling with random actions eventually terminates Hopper (no time limit needed)', async () => {
    const env = await makeEnv('Hopper');
    const rng = new EnvRng(2);
    env.reset(2);
    let steps = 0;
    let done = false;
    while (!done && steps < 1000) {
      const r = env.step(randomAction(env, rng));
      steps++;
      done = r.terminated;
    }
    expect(done).toBe(true);
    expect(steps).toBeLessThan(1000);
    env.dispose();
  });
});

describe('time limit', () => {
  for (const [task, limit] of [['HalfCheetah', 1000], ['Swimmer', 1000], ['Reacher', 50]] as const) {
    it(`${task} truncates at exactly ${limit} steps`, async () => {
      const env = await makeEnv(task);
      env.reset(0);
      const a = new Float32Array(env.spec.actDim);
      for (let t = 1; t < limit; t++) {
        const r = env.step(a);
        expect(r.truncated).toBe(false);
        expect(r.terminated).toBe(false);
        expect(r.info.elapsedSteps).toBe(t);
      }
      const last = env.step(a);
      expect(last.truncated).toBe(true);
      expect(last.info.elapsedSteps).toBe(limit);
      expect(() => env.step(a)).toThrow(/episode ended/);
      env.dispose();
    });
  }

  it('InvertedPendulum held upright through the state truncates at exactly 1000 steps', async () => {
    const env = await makeEnv('InvertedPendulum');
    env.reset(0);
    const a = new Float32Array(1);
    let last = env.step(a);
    while (!last.truncated) {
      expect(last.terminated).toBe(false);
      setQ(env, { 0: 0, 1: 0 }, { 0: 0, 1: 0 }); // keeps elapsed steps, resets the pole
      last = env.step(a);
    }
    expect(last.info.elapsedSteps).toBe(1000);
    env.dispose();
  });
});

describe('actions', () => {
  it('are clamped to ctrlrange for the physics (the cost still sees them as given)', async () => {
    const a = await makeEnv('HalfCheetah');
    const b = await makeEnv('HalfCheetah');
    a.reset(4);
    b.reset(4);
    const ra = a.step(Float32Array.of(3, -3, 1.5, 0.2, -7, 1));
    const obsA = Array.from(ra.obs);
    const costA = ra.info.rewardTerms.ctrl_cost;
    const rb = b.step(Float32Array.of(1, -1, 1, 0.2, -1, 1));
    expect(Array.from(rb.obs)).toEqual(obsA);
    expect(costA).toBeCloseTo(-0.1 * (9 + 9 + 2.25 + 0.04 + 49 + 1), 5);
    expect(snap(b).ctrl[0]).toBe(1);
    a.dispose();
    b.dispose();
  });

  it('discrete InvertedPendulum pushes the cart in the chosen direction', async () => {
    const env = await makeEnv('InvertedPendulumDiscrete');
    env.reset(0);
    setQ(env, { 0: 0, 1: 0 }, { 0: 0, 1: 0 });
    const right = env.step([1]).obs[2];
    env.reset(0);
    setQ(env, { 0: 0, 1: 0 }, { 0: 0, 1: 0 });
    const left = env.step([0]).obs[2];
    expect(right).toBeGreaterThan(0.1);
    expect(left).toBeLessThan(-0.1);
    env.dispose();
  });
});
