// Turns a run's task (built-in name or custom MJCF + preset) into a synchronous env factory,
// after MuJoCo's WASM module is loaded once for this process.
import { readFileSync } from 'node:fs';
import type { EnvSource } from '../algos/types.js';
import type { Env } from '../envs/types.js';
import type { RunConfig } from '../protocol.js';
import { getMujoco } from '../envs/mujoco.js';
import { makeEnvSync } from '../envs/registry.js';
import { makeCustomEnvSync } from '../envs/custom.js';

export async function envFactory(config: Pick<RunConfig, 'task' | 'custom'>): Promise<() => Env> {
  await getMujoco();
  const custom = config.custom;
  if (custom) {
    const xml = readFileSync(custom.mjcfPath, 'utf8');
    return () => makeCustomEnvSync(xml, custom.preset);
  }
  return () => makeEnvSync(config.task);
}

/** The run's env described for other processes (A3C workers). */
export function envSourceOf(config: Pick<RunConfig, 'task' | 'custom'>): EnvSource {
  return config.custom ? { kind: 'custom', mjcf: config.custom.mjcfPath, preset: config.custom.preset } : { kind: 'task', name: config.task };
}
