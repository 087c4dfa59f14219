// `policy-lab tasks --mjcf FILE`: what the lab derives from your robot — its files, bodies,
// actuators, keyframes, the tasks that apply with their observation and action sizes, and the
// task chosen when `train --mjcf` gets no --preset.

import { resolve } from 'node:path';
import { defaultTaskOf, describeCustomModel, parseCustomTaskOptions, type CustomModelSummary, type CustomPreset, type CustomTaskOptions } from '../core/envs/custom.js';
import { EnvError } from '../core/envs/types.js';
import { UsageError } from './args.js';

const out = (s = ''): void => {
  process.stdout.write(s + '\n');
};

export function formatRobotSummary(s: CustomModelSummary): string {
  const r = s.robot;
  const lines: string[] = [];
  const kb = (n: number): string => (n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MB` : n >= 1024 ? `${(n / 1024).toFixed(1)} kB` : `${n} B`);
  lines.push(`model: ${s.origin}`);
  lines.push(`files (${s.files.length}, ${kb(s.files.reduce((a, f) => a + f.bytes, 0))}): ${s.files.map((f) => f.path).join(', ')}`);
  lines.push(`bodies (${r.bodies.length}): ${r.bodies.join(', ')}`);
  lines.push(`base: ${r.legged ? `floating (free joint on '${r.bodies[r.rootBody]}'): legged` : 'fixed'}; timestep ${r.timestep} s; nq ${r.nq}, nv ${r.nv}`);
  lines.push(`actuators (${r.actuators.length}):`);
  for (const a of r.actuators) {
    lines.push(`  ${a.name.padEnd(20)} ${a.kind.padEnd(9)} ${(a.joint ?? '-').padEnd(16)} ctrlrange ${a.ctrlrange ? `[${a.ctrlrange[0]}, ${a.ctrlrange[1]}]` : 'unlimited'}`);
  }
  lines.push(`keyframes: ${r.keyframes.length ? r.keyframes.join(', ') : 'none'}; home = ${r.homeKey >= 0 ? `'${r.keyframes[r.homeKey]}'` : 'qpos0'}`);
  lines.push(`end effector: ${r.eeSiteName ? `site '${r.eeSiteName}'` : 'none'}`);
  lines.push('tasks:');
  lines.push('  task      obs  act  skip  max steps  reward terms');
  for (const [name, spec] of Object.entries(s.specs)) {
    if (!spec) continue;
    const mark = name === s.chosen ? '*' : ' ';
    lines.push(`${mark} ${name.padEnd(8)}${String(spec.obsDim).padStart(4)}${String(spec.actDim).padStart(5)}${String(spec.frameSkip).padStart(6)}${String(spec.maxEpisodeSteps).padStart(11)}  ${spec.rewardTerms.join(', ')}`);
  }
  for (const [name, why] of Object.entries(s.unavailable)) lines.push(`  ${name.padEnd(8)}  not available: ${why}`);
  lines.push(Object.keys(s.specs).length > 0 ? `chosen task: ${s.chosen} (* above; pick another with --preset)` : 'no task applies to this model (see above)');
  return lines.join('\n');
}

/** Prints the derived summary (or JSON); model errors propagate as EnvError naming the file. */
export async function robotSummaryCommand(mjcf: string, json: boolean): Promise<number> {
  const s = await describeCustomModel({ path: resolve(mjcf) });
  if (json) out(JSON.stringify(s, null, 2));
  else out(formatRobotSummary(s));
  return 0;
}

/** The task `train --mjcf FILE` uses without --preset: walk (legged), reach (arm), else forward. */
export async function defaultPresetOf(mjcf: string): Promise<CustomPreset> {
  const s = await describeCustomModel({ path: resolve(mjcf) });
  return defaultTaskOf(s.robot);
}

/** `train --mjcf` flags for the task's options (kebab-case of CustomTaskOptions), with their help. */
export const ROBOT_FLAGS: Readonly<Record<string, { key: keyof CustomTaskOptions; help: string }>> = {
  command: { key: 'command', help: 'walk: commanded forward velocity, m/s (default 0.5)' },
  'command-range': { key: 'commandRange', help: 'walk: a random command per episode from LO:HI instead' },
  keyframe: { key: 'keyframe', help: "start from this keyframe (default 'home', else the first)" },
  'action-scale': { key: 'actionScale', help: 'position actuators: fraction of the half ctrlrange an action of ±1 moves (default 0.5)' },
  'push-velocity': { key: 'pushVelocity', help: 'stand: largest push, m/s (default 0.5; 0 = none)' },
  'reset-noise': { key: 'resetNoise', help: 'uniform noise on joint positions and velocities at reset (default 0.02)' },
  'episode-steps': { key: 'maxEpisodeSteps', help: 'episode length limit (default 1000; reach 200)' },
  'frame-skip': { key: 'frameSkip', help: 'physics steps per env step (default: 50 Hz control)' },
};

/** The task options given as flags, checked; undefined when none was given. */
export function robotOptionsFromFlags(flags: Map<string, string>): CustomTaskOptions | undefined {
  const raw: Record<string, unknown> = {};
  for (const [flag, { key }] of Object.entries(ROBOT_FLAGS)) {
    const v = flags.get(flag);
    if (v === undefined) continue;
    if (key === 'keyframe') raw[key] = v;
    else if (key === 'commandRange') raw[key] = v.split(':').map(Number);
    else raw[key] = Number(v);
  }
  if (Object.keys(raw).length === 0) return undefined;
  try {
    return parseCustomTaskOptions(raw);
  } catch (e) {
    if (e instanceof EnvError) throw new UsageError(`policy-lab train: ${e.message.replace(/custom\.options\.(\w+)/, (_m, k: string) => `--${Object.keys(ROBOT_FLAGS).find((f) => ROBOT_FLAGS[f].key === k) ?? k}`)}`);
    throw e;
  }
}
