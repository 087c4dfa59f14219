// Bad input of every kind becomes a typed EnvError with a message naming the problem, and the
// process (and the env, where it stays usable) survives.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeCustomEnv } from '../src/core/envs/custom.js';
import type { MujocoEnv } from '../src/core/envs/mujoco-env.js';
import { makeEnv } from '../src/core/envs/registry.js';
import { EnvError, type EnvErrorCode } from '../src/core/envs/types.js';

function codeOf(fn: () => unknown): EnvErrorCode | string {
  try {
    fn();
  } catch (e) {
    if (e instanceof EnvError) return e.code;
    return `not an EnvError: ${String(e)}`;
  }
  return 'no error';
}

async function asyncError(p: Promise<unknown>): Promise<EnvError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof EnvError) return e;
    throw new Error(`expected EnvError, got ${String(e)}`);
  }
  throw new Error('expected an error');
}

describe('env input errors', () => {
  it('rejects wrong action length, non-finite actions, and keeps working', async () => {
    const env = await makeEnv('HalfCheetah');
    env.reset(0);
    expect(codeOf(() => env.step(new Float32Array(5)))).toBe('bad-action-shape');
    expect(codeOf(() => env.step([]))).toBe('bad-action-shape');
    expect(codeOf(() => env.step(null as unknown as number[]))).toBe('bad-action-shape');
    expect(codeOf(() => env.step([0, 0, NaN, 0, 0, 0]))).toBe('non-finite-action');
    expect(codeOf(() => env.step([0, Infinity, 0, 0, 0, 0]))).toBe('non-finite-action');
    const r = env.step(new Float32Array(6));
    expect(r.info.elapsedSteps).toBe(1); // the rejected calls did not advance the episode
    env.dispose();
  });

  it('rejects discrete actions outside {0, 1}', async () => {
    const env = await makeEnv('InvertedPendulumDiscrete');
    env.reset(0);
    expect(codeOf(() => env.step([2]))).toBe('bad-action-shape');
    expect(codeOf(() => env.step([0.5]))).toBe('bad-action-shape');
    expect(codeOf(() => env.step([NaN]))).toBe('non-finite-action');
    expect(env.step([1]).info.elapsedSteps).toBe(1);
    env.dispose();
  });

  it('refuses to step before reset and after the episode ended', async () => {
    const env = await makeEnv('InvertedPendulum');
    expect(codeOf(() => env.step([0]))).toBe('episode-finished');
    env.reset(0);
    let r = env.step([3]);
    while (!r.terminated) r = env.step([3]);
    expect(codeOf(() => env.step([0]))).toBe('episode-finished');
    env.reset();
    expect(env.step([0]).info.elapsedSteps).toBe(1);
    env.dispose();
  });

  it('names the known tasks for an unknown one', async () => {
    const e = await asyncError(makeEnv('HalfCheeta'));
    expect(e.code).toBe('unknown-task');
    expect(e.message).toContain('HalfCheetah');
    expect(e.message).toContain('Ant');
  });

  it('throws disposed from every method after dispose()', async () => {
    const env = await makeEnv('Reacher');
    env.reset(0);
    const state = env.getState();
    env.dispose();
    env.dispose(); // idempotent
    expect(codeOf(() => env.reset())).toBe('disposed');
    expect(codeOf(() => env.step([0, 0]))).toBe('disposed');
    expect(codeOf(() => env.getState())).toBe('disposed');
    expect(codeOf(() => env.setState(state))).toBe('disposed');
    expect(codeOf(() => env.writePoses(new Float32Array(100)))).toBe('disposed');
    expect(codeOf(() => env.renderDescription())).toBe('disposed');
  });

  it('rejects foreign or malformed states and small pose buffers', async () => {
    const a = await makeEnv('Hopper');
    const b = await makeEnv('Walker2d');
    a.reset(0);
    b.reset(0);
    expect(codeOf(() => a.setState(b.getState()))).toBe('bad-state');
    expect(codeOf(() => a.setState(new Float64Array(3)))).toBe('bad-state');
    const s = a.getState();
    s[8] = NaN;
    expect(codeOf(() => a.setState(s))).toBe('bad-state');
    expect(codeOf(() => a.writePoses(new Float32Array(3)))).toBe('bad-buffer');
    a.dispose();
    b.dispose();
  });
});

const ARM = `<mujoco>
  <worldbody>
    <body name="arm" pos="0 0 0.1">
      <joint name="j0" type="hinge" axis="0 0 1"/>
      <geom type="capsule" fromto="0 0 0 0.2 0 0" size="0.02"/>
      <site name="fingertip" pos="0.2 0 0"/>
    </body>
    <site name="target" pos="0 0.2 0.1"/>
  </worldbody>
  <actuator><motor joint="j0" gear="1" ctrlrange="-1 1" ctrllimited="true"/></actuator>
</mujoco>`;

const SLIDER = `<mujoco>
  <option timestep="0.01"/>
  <worldbody>
    <body name="cart" pos="0 0 0.2">
      <joint name="x" type="slide" axis="1 0 0"/>
      <joint name="z" type="slide" axis="0 0 1"/>
      <geom type="box" size="0.1 0.1 0.1" mass="1"/>
    </body>
  </worldbody>
  <actuator><motor joint="x" gear="10" ctrlrange="-1 1" ctrllimited="true"/></actuator>
</mujoco>`;

const FALLING = `<mujoco>
  <worldbody>
    <geom type="plane" size="5 5 0.1"/>
    <body name="robot" pos="0 0 1" euler="0 80 0">
      <freejoint/>
      <geom type="box" size="0.1 0.1 0.1"/>
      <body pos="0 0 0.2"><joint name="h" type="hinge" axis="0 1 0"/><geom type="sphere" size="0.05"/></body>
    </body>
  </worldbody>
  <actuator><motor joint="h"/></actuator>
</mujoco>`;

describe('custom robots', () => {
  it('reports malformed XML with MuJoCo\'s parse error', async () => {
    const e = await asyncError(makeCustomEnv({ xml: '<mujoco><worldbody><body></mujoco>' }, 'forward'));
    expect(e.code).toBe('bad-mjcf');
    expect(e.message).toMatch(/XML|parse|Error/i);
    const e2 = await asyncError(makeCustomEnv({ xml: '<mujoco><worldbody><geom type="sphere" size="-1"/></worldbody></mujoco>' }, 'forward'));
    expect(e2.code).toBe('bad-mjcf');
  });

  it('reports models without actuators, unknown presets, missing sites and missing files', async () => {
    const none = await asyncError(makeCustomEnv({ xml: '<mujoco><worldbody><body><freejoint/><geom size="0.1"/></body></worldbody></mujoco>' }, 'forward'));
    expect(none.code).toBe('bad-mjcf');
    expect(none.message).toMatch(/no actuators/);
    const preset = await asyncError(makeCustomEnv({ xml: SLIDER }, 'jump'));
    expect(preset.code).toBe('bad-preset');
    expect(preset.message).toMatch(/walk, stand, reach, forward, upright/);
    const sites = await asyncError(makeCustomEnv({ xml: SLIDER }, 'reach'));
    expect(sites.code).toBe('bad-preset');
    expect(sites.message).toMatch(/needs an end-effector site/);
    const file = await asyncError(makeCustomEnv({ path: '/nonexistent/robot.xml' }, 'forward'));
    expect(file.code).toBe('bad-mjcf');
    expect(file.message).toContain('/nonexistent/robot.xml');
  });

  it("'forward': obs drops the root x, reward is root x velocity − 0.1‖a‖²", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'envs-'));
    const path = join(dir, 'slider.xml');
    writeFileSync(path, SLIDER);
    const env = (await makeCustomEnv({ path }, 'forward')) as MujocoEnv;
    expect(env.spec.obsDim).toBe(1 + 2); // qpos z, then qvel x, z
    expect(env.spec.actDim).toBe(1);
    env.reset(0);
    let lastX = env.inspect().xpos[3];
    let total = 0;
    for (let t = 0; t < 20; t++) {
      const r = env.step([1]);
      const x = env.inspect().xpos[3];
      expect(r.info.rewardTerms.forward).toBeCloseTo((x - lastX) / 0.05, 9);
      expect(r.info.rewardTerms.ctrl_cost).toBeCloseTo(-0.1, 12);
      expect(r.terminated).toBe(false);
      total += r.info.rewardTerms.forward;
      lastX = x;
    }
    expect(total).toBeGreaterThan(0);
    env.dispose();
  });

  it("'upright': alive while upright, terminates once the robot has toppled", async () => {
    const env = await makeCustomEnv({ xml: FALLING }, 'upright');
    expect(env.spec.obsDim).toBe(8 - 2 + 7);
    env.reset(0);
    // Tilted 80° at the start: the root z axis is far from vertical, so the first step ends it.
    const r = env.step([0]);
    expect(r.terminated).toBe(true);
    expect(r.info.rewardTerms.alive).toBe(0);
    env.dispose();
    const upright = await makeCustomEnv({ xml: FALLING.replace('euler="0 80 0"', 'euler="0 0 0"') }, 'upright');
    upright.reset(0);
    const first = upright.step([0]);
    expect(first.terminated).toBe(false);
    expect(first.reward).toBeCloseTo(1, 12);
    let done = false;
    for (let t = 0; t < 300 && !done; t++) done = upright.step([0]).terminated;
    expect(done).toBe(true); // it falls below half its starting height
    upright.dispose();
  });

  it("'reach': reward is −‖end effector − target‖, the target is in the observation", async () => {
    const env = (await makeCustomEnv({ xml: ARM }, 'reach')) as MujocoEnv;
    // joint position − home (1), joint velocity (1), previous action (1), target (3), tip − target (3)
    expect(env.spec.obsDim).toBe(1 + 1 + 1 + 3 + 3);
    env.reset(0);
    const r = env.step([0.5]);
    // The site named 'fingertip' is the end effector: MuJoCo orders the world's 'target' first.
    const p = env.inspect().siteXpos;
    const target = [r.obs[3], r.obs[4], r.obs[5]];
    const d = Math.hypot(p[3] - target[0], p[4] - target[1], p[5] - target[2]);
    expect(r.info.rewardTerms.distance).toBeCloseTo(-d, 6);
    expect(r.obs[6]).toBeCloseTo(p[3] - target[0], 6);
    expect(r.obs[2]).toBeCloseTo(0.5, 6); // the previous action
    env.dispose();
  });
});
