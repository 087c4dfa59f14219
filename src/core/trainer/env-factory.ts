// The one way a process turns a run's env description into a synchronous env factory: the
// trainer (from the run config), evaluation and export, and every A3C worker (from the
// EnvSource sent to it). MuJoCo's WASM module is loaded once per process first.
import { pathToFileURL } from 'node:url';
import type { EnvSource } from '../rl/context.js';
import type { Env } from '../envs/types.js';
import type { RunConfig } from '../protocol.js';
import { getMujoco } from '../envs/mujoco.js';
import { makeEnvSync } from '../envs/registry.js';
import { customEnvMaker } from '../envs/custom.js';

/** The run's env described so any process can build it. */
export function envSourceOf(config: Pick<RunConfig, 'task' | 'custom'>): EnvSource {
  const c = config.custom;
  return c ? { kind: 'custom', mjcf: c.mjcfPath, preset: c.preset, ...(c.options ? { options: c.options } : {}) } : { kind: 'task', name: config.task };
}

/** A factory of fresh envs for `src` (the MJCF file of a custom task is read once, here). */
export async function envMaker(src: EnvSource): Promise<() => Env> {
  switch (src.kind) {
    case 'task':
      await getMujoco();
      return () => makeEnvSync(src.name);
    case 'custom': {
      await getMujoco();
      // The model's folder (includes, meshes, textures) is read once, here.
      return customEnvMaker({ mjcfPath: src.mjcf, preset: src.preset }, src.options);
    }
    case 'module': {
      const mod = (await import(pathToFileURL(src.path).href)) as Record<string, unknown>;
      const f = mod[src.exportName];
      if (typeof f !== 'function') throw new TypeError(`env source: ${src.path} has no function export "${src.exportName}"`);
      const args = src.args ?? [];
      // A class (Env implementation) is constructed; anything else is called as a factory.
      if (/^class[\s{]/.test(Function.prototype.toString.call(f))) return () => new (f as new (...a: unknown[]) => Env)(...args);
      return () => (f as (...a: unknown[]) => Env)(...args);
    }
  }
}

/** envMaker for a run config. */
export function envFactory(config: Pick<RunConfig, 'task' | 'custom'>): Promise<() => Env> {
  return envMaker(envSourceOf(config));
}
