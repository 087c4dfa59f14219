// Derived robot tasks (issue 14): the walk reward terms recomputed from the simulator state, the
// documented observation layout, position actions as offsets from the home keyframe scaled into
// ctrlrange, 50 Hz control, pushes and reach targets from the env's seeded generator, exact
// getState/setState, and what `analyzeRobot` derives.
import { beforeAll, describe, expect, it } from 'vitest';
import { describeCustomModel, makeCustomEnv } from '../src/core/envs/custom.js';
import { getMujoco } from '../src/core/envs/mujoco.js';
import type { RobotEnv } from '../src/core/envs/robot-tasks.js';

const SCENE = new URL('./fixtures/robots/quadruped/scene.xml', import.meta.url).pathname;
const ARM = new URL('./fixtures/robots/arm/arm.xml', import.meta.url).pathname;
// The fixture's home keyframe and actuators (quadruped.xml): 8 position servos, kp 1, ctrlrange ±1.5.
const HOME_Z = 0.22;
const HOME_J = [0.5, -1, 0.5, -1, 0.5, -1, 0.5, -1];
const KP = 1;

beforeAll(async () => {
  await getMujoco();
});

async function quad(task: string, opts = {}): Promise<RobotEnv> {
  return (await makeCustomEnv({ path: SCENE }, task, opts)) as RobotEnv;
}

function actuatorsOf(env: RobotEnv): { force: Float64Array; velocity: Float64Array } {
  const d = (env as unknown as { data: { actuator_force: Float64Array; actuator_velocity: Float64Array } }).data;
  return { force: Float64Array.from(d.actuator_force), velocity: Float64Array.from(d.actuator_velocity) };
}

describe('what the lab derives from the model', () => {
  it('summarizes bodies, actuators, keyframes, tasks and sizes', async () => {
    const s = await describeCustomModel({ path: SCENE });
    expect(s.robot.legged).toBe(true);
    expect(s.robot.bodies).toContain('torso');
    expect(s.robot.actuators).toHaveLength(8);
    expect(s.robot.actuators.every((a) => a.kind === 'position' && a.ctrlrange?.[0] === -1.5)).toBe(true);
    expect(s.robot.keyframes).toEqual(['home']);
    expect(s.chosen).toBe('walk');
    expect(s.robot.tasks).toEqual(['walk', 'stand']);
    // legged: z 1 + gravity 3 + lin vel 3 + ang vel 3 + joints 8 + joint vel 8 + previous action 8 (+ command 1)
    expect(s.specs.stand?.obsDim).toBe(34);
    expect(s.specs.walk?.obsDim).toBe(35);
    expect(s.specs.walk?.frameSkip).toBe(4); // 0.005 s timestep → 50 Hz
    const arm = await describeCustomModel({ path: ARM });
    expect(arm.chosen).toBe('reach');
    expect(arm.robot.eeSiteName).toBe('end_effector');
    expect(arm.specs.reach?.obsDim).toBe(2 + 2 + 2 + 3 + 3);
  });
});

describe('walk', () => {
  it('reward terms recomputed from the state after each step', async () => {
    const env = await quad('walk');
    expect(env.spec.rewardTerms).toEqual(['tracking', 'upright', 'height', 'action_rate', 'energy']);
    let obs = env.reset(3);
    expect(obs[obs.length - 1]).toBeCloseTo(0.5, 6); // the command is the last observation
    let prev = new Float64Array(8);
    let checked = 0;
    for (let t = 0; t < 60; t++) {
      const a = Array.from({ length: 8 }, (_, i) => 1.3 * Math.sin(0.3 * t + i)); // also beyond ±1: clipped
      const r = env.step(a);
      const s = env.inspect();
      const R = s.xmat.subarray(9, 18); // root body 'torso' is body 1
      const vx = R[0] * s.qvel[0] + R[3] * s.qvel[1] + R[6] * s.qvel[2];
      const tracking = Math.exp(-((vx - 0.5) ** 2) / 0.25);
      const upright = 0.5 * R[8];
      const height = -10 * (s.qpos[2] - HOME_Z) ** 2;
      const clipped = a.map((x) => Math.max(-1, Math.min(1, x)));
      const actionRate = -0.01 * clipped.reduce((acc, x, i) => acc + (x - prev[i]) ** 2, 0);
      const { force, velocity } = actuatorsOf(env);
      const energy = -1e-3 * force.reduce((acc, f, i) => acc + Math.abs(f * velocity[i]), 0);
      const terms = r.info.rewardTerms;
      expect(terms.tracking).toBeCloseTo(tracking, 10);
      expect(terms.upright).toBeCloseTo(upright, 10);
      expect(terms.height).toBeCloseTo(height, 10);
      expect(terms.action_rate).toBeCloseTo(actionRate, 10);
      expect(terms.energy).toBeCloseTo(energy, 10);
      expect(r.reward).toBeCloseTo(tracking + upright + height + actionRate + energy, 10);
      // Position servo: ctrl = home + 0.5·a·(3/2), clipped to ±1.5; its force is kp·(ctrl − q) at
      // the last substep's start, where q = q_after − h·qvel_after (semi-implicit Euler, h 5 ms).
      for (let i = 0; i < 8; i++) {
        const ctrl = Math.max(-1.5, Math.min(1.5, HOME_J[i] + 0.5 * clipped[i] * 1.5));
        expect(s.ctrl[i]).toBeCloseTo(ctrl, 12);
        expect(force[i]).toBeCloseTo(KP * (ctrl - (s.qpos[7 + i] - 0.005 * s.qvel[6 + i])), 9);
      }
      prev = Float64Array.from(clipped);
      obs = r.obs;
      checked++;
      if (r.terminated) {
        // Terminates only when fallen: below half the home height or tilted past 60°.
        expect(s.qpos[2] < 0.5 * HOME_Z || R[8] < 0.5).toBe(true);
        break;
      }
    }
    expect(checked).toBeGreaterThan(10);
    env.dispose();
  });

  it('observation layout: height, gravity and velocities in the root frame, joints − home, joint velocities, previous action, command', async () => {
    const env = await quad('walk', { commandRange: [0.2, 0.8] });
    const commands = new Set<number>();
    for (let seed = 0; seed < 4; seed++) {
      env.reset(seed);
      const r = env.step([0.2, -0.2, 0.1, 0, 0, 0, 0.3, -1]);
      const o = r.obs;
      const s = env.inspect();
      const R = s.xmat.subarray(9, 18);
      expect(o[0]).toBeCloseTo(s.qpos[2], 6);
      for (let j = 0; j < 3; j++) expect(o[1 + j]).toBeCloseTo(-R[6 + j], 6);
      for (let j = 0; j < 3; j++) expect(o[4 + j]).toBeCloseTo(R[j] * s.qvel[0] + R[3 + j] * s.qvel[1] + R[6 + j] * s.qvel[2], 5);
      for (let j = 0; j < 3; j++) expect(o[7 + j]).toBeCloseTo(s.qvel[3 + j], 5);
      for (let i = 0; i < 8; i++) expect(o[10 + i]).toBeCloseTo(s.qpos[7 + i] - HOME_J[i], 6);
      for (let i = 0; i < 8; i++) expect(o[18 + i]).toBeCloseTo(s.qvel[6 + i], 5);
      expect(Array.from(o.subarray(26, 34))).toEqual(Array.from(Float32Array.from([0.2, -0.2, 0.1, 0, 0, 0, 0.3, -1])));
      const c = o[34];
      expect(c).toBeGreaterThanOrEqual(0.2);
      expect(c).toBeLessThanOrEqual(0.8);
      commands.add(c);
    }
    expect(commands.size).toBe(4); // a random command per episode
    env.dispose();
  });

  it('starts from the home keyframe plus reset noise, and zero action holds home ctrl', async () => {
    const env = await quad('walk', { resetNoise: 0.02 });
    env.reset(11);
    const s = env.inspect();
    expect(s.qpos[2]).toBeCloseTo(HOME_Z, 12); // the root is not perturbed
    for (let i = 0; i < 8; i++) {
      expect(Math.abs(s.qpos[7 + i] - HOME_J[i])).toBeLessThanOrEqual(0.02);
      expect(s.qpos[7 + i]).not.toBe(HOME_J[i]);
    }
    env.step(new Float32Array(8));
    expect(Array.from(env.inspect().ctrl)).toEqual(HOME_J);
    env.dispose();
  });
});

describe('stand and reach', () => {
  it('stand: pushes come from the seeded generator; getState/setState continues bit for bit', async () => {
    const pushed = await quad('stand', { pushVelocity: 0.5 });
    const calm = await quad('stand', { pushVelocity: 0 });
    pushed.reset(5);
    calm.reset(5);
    let diverged = false;
    for (let t = 0; t < 120; t++) {
      const a = pushed.step(new Float32Array(8));
      const b = calm.step(new Float32Array(8));
      if (Math.abs(a.obs[4] - b.obs[4]) > 0.05) diverged = true; // a kick in the root's velocity
      if (a.terminated || b.terminated) break;
    }
    expect(diverged).toBe(true);
    expect(pushed.spec.rewardTerms).toEqual(['pose', 'upright', 'height', 'action_rate', 'energy']);

    pushed.reset(9);
    for (let t = 0; t < 30; t++) pushed.step(new Float32Array(8).fill(0.1));
    const saved = pushed.getState();
    const run = (): number[] => {
      const out: number[] = [];
      for (let t = 0; t < 120; t++) {
        const r = pushed.step(new Float32Array(8).fill(Math.sin(t) * 0.3));
        out.push(r.reward, r.obs[0], r.obs[5]);
        if (r.terminated) break;
      }
      return out;
    };
    const first = run();
    pushed.setState(saved);
    expect(run()).toEqual(first);
    pushed.dispose();
    calm.dispose();
  });

  it('stand: pose term is exp(−‖q − q_home‖²) over the joints', async () => {
    const env = await quad('stand');
    env.reset(2);
    const r = env.step([0.3, 0, 0, 0, 0, 0, 0, 0]);
    const q = env.inspect().qpos;
    const sq = HOME_J.reduce((acc, h, i) => acc + (q[7 + i] - h) ** 2, 0);
    expect(r.info.rewardTerms.pose).toBeCloseTo(Math.exp(-sq), 12);
    env.dispose();
  });

  it('reach: a reachable random target per episode; distance = −‖end effector − target‖', async () => {
    const env = (await makeCustomEnv({ path: ARM }, 'reach')) as RobotEnv;
    expect(env.spec.maxEpisodeSteps).toBe(200);
    expect(env.actionSpace).toMatchObject({ kind: 'box' });
    const targets: number[][] = [];
    for (let seed = 0; seed < 5; seed++) {
      env.reset(seed);
      const t = Array.from(env.target);
      // Within the arm's reach (links 0.12 + 0.1) at the shoulder's height.
      expect(Math.hypot(t[0], t[1])).toBeLessThanOrEqual(0.22 + 1e-9);
      expect(t[2]).toBeCloseTo(0.03, 9);
      const r = env.step([0.5, -0.5]);
      const p = env.inspect().siteXpos;
      expect(r.info.rewardTerms.distance).toBeCloseTo(-Math.hypot(p[0] - t[0], p[1] - t[1], p[2] - t[2]), 9);
      expect(Array.from(r.obs.subarray(6, 9))).toEqual(Array.from(Float32Array.from(t)));
      for (let k = 0; k < 3; k++) expect(r.obs[9 + k]).toBeCloseTo(p[k] - t[k], 6);
      targets.push(t);
    }
    expect(new Set(targets.map((t) => t.join())).size).toBe(5);
    env.dispose();
  });

  it('refuses tasks that do not fit the robot, naming what is missing', async () => {
    await expect(makeCustomEnv({ path: ARM }, 'walk')).rejects.toThrow(/needs a legged robot/);
    await expect(makeCustomEnv({ path: SCENE }, 'walk', { keyframe: 'crouch' })).rejects.toThrow(/no keyframe named 'crouch' \(keyframes: home\)/);
    await expect(makeCustomEnv({ path: SCENE }, 'walk', { frameSkip: 0 })).rejects.toThrow(/frameSkip must be a positive integer/);
  });
});
