// `policy-lab tasks --mjcf FILE` prints what the lab derived from the robot; a broken model folder
// is an error naming the file (exit 2), not a crash.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli/main.js';
import { defaultPresetOf } from '../src/cli/robot.js';

const QUAD = new URL('./fixtures/robots/quadruped/', import.meta.url).pathname;
let stdout: string[];
let stderr: string[];

beforeEach(() => {
  stdout = [];
  stderr = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => { stdout.push(String(s)); return true; });
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => { stderr.push(String(s)); return true; });
});
afterEach(() => vi.restoreAllMocks());

describe('policy-lab tasks --mjcf', () => {
  it('prints files, bodies, actuators, keyframes, the tasks with their sizes and the chosen one', async () => {
    expect(await main(['tasks', '--mjcf', join(QUAD, 'scene.xml')])).toBe(0);
    const text = stdout.join('');
    expect(text).toMatch(/files \(5, [\d.]+ kB\): scene\.xml, quadruped\.xml, assets\/skin\.png, assets\/torso\.obj, assets\/leg\.stl/);
    expect(text).toMatch(/bodies \(10\): world, torso, fl_thigh/);
    expect(text).toMatch(/fl_knee\s+position\s+fl_knee\s+ctrlrange \[-1\.5, 1\.5\]/);
    expect(text).toMatch(/keyframes: home; home = 'home'/);
    expect(text).toMatch(/\* walk\s+35\s+8\s+4\s+1000\s+tracking, upright, height, action_rate, energy/);
    expect(text).toMatch(/ {2}stand\s+34\s+8\s+4\s+1000/);
    expect(text).toMatch(/chosen task: walk/);
    expect(text).toMatch(/reach\s+not available: task 'reach' needs an end-effector site/);
  });

  it('--json gives the same summary as data', async () => {
    expect(await main(['tasks', '--mjcf', join(QUAD, 'scene.xml'), '--json'])).toBe(0);
    const s = JSON.parse(stdout.join('')) as { chosen: string; robot: { actuators: unknown[] }; specs: Record<string, { obsDim: number }> };
    expect(s.chosen).toBe('walk');
    expect(s.robot.actuators).toHaveLength(8);
    expect(s.specs.stand.obsDim).toBe(34);
  });

  it('a broken folder fails with exit 2 naming the missing file and its element', async () => {
    const d = mkdtempSync(join(tmpdir(), 'robots-cli-'));
    try {
      cpSync(QUAD, d, { recursive: true });
      rmSync(join(d, 'assets', 'torso.obj'));
      expect(await main(['tasks', '--mjcf', join(d, 'scene.xml')])).toBe(2);
      expect(stderr.join('')).toMatch(/<mesh file="torso\.obj"> in quadruped\.xml line \d+: assets\/torso\.obj not found/);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });

  it('train --mjcf without --preset uses the derived task: walk for the quadruped, reach for the arm', async () => {
    expect(await defaultPresetOf(join(QUAD, 'scene.xml'))).toBe('walk');
    expect(await defaultPresetOf(new URL('./fixtures/robots/arm/arm.xml', import.meta.url).pathname)).toBe('reach');
  });
});

describe('task options of your own robot', () => {
  it('flags become RunConfig.custom.options, and every env of the run gets them', async () => {
    const { robotOptionsFromFlags } = await import('../src/cli/robot.js');
    const { resolveRunConfig } = await import('../src/core/runs/run-config.js');
    const { envFactory } = await import('../src/core/trainer/env-factory.js');
    const options = robotOptionsFromFlags(new Map([['command-range', '0.2:0.3'], ['episode-steps', '50'], ['keyframe', 'home']]));
    expect(options).toEqual({ commandRange: [0.2, 0.3], maxEpisodeSteps: 50, keyframe: 'home' });
    const config = resolveRunConfig({ algo: 'ppo', custom: { mjcfPath: join(QUAD, 'scene.xml'), preset: 'walk', options } });
    expect(config.custom).toEqual({ mjcfPath: join(QUAD, 'scene.xml'), preset: 'walk', options });
    const env = (await envFactory(config))();
    expect(env.spec.maxEpisodeSteps).toBe(50);
    const c = env.reset(1)[34];
    expect(c).toBeGreaterThanOrEqual(0.2);
    expect(c).toBeLessThanOrEqual(0.3);
    env.dispose();
  });

  it('bad options are refused naming the flag or the field', async () => {
    const { robotOptionsFromFlags } = await import('../src/cli/robot.js');
    const { resolveRunConfig } = await import('../src/core/runs/run-config.js');
    expect(() => robotOptionsFromFlags(new Map([['command-range', '0.5:0.1']]))).toThrow(/--command-range: expected \[lo, hi\] with lo ≤ hi/);
    expect(() => robotOptionsFromFlags(new Map([['command', 'fast']]))).toThrow(/--command: expected a finite number/);
    expect(() => resolveRunConfig({ algo: 'ppo', custom: { mjcfPath: '/x/scene.xml', preset: 'walk', options: { speed: 1 } } })).toThrow(/custom\.options: unknown option "speed"/);
    expect(await main(['train', '--task', 'InvertedPendulum', '--algo', 'ppo', '--command', '1'])).toBe(2);
    expect(stderr.join('')).toMatch(/--command applies to your own robot \(--mjcf\) only/);
  });
});
