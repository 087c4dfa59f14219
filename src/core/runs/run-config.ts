// Builds and checks a RunConfig from loose input (CLI flags, an IPC payload, a config.json).
// One place decides what a valid run is; every entry point calls it.

import { ALGOS } from '../algos/index.js';
import { PRESETS } from '../algos/presets.js';
import { choice, ConfigError, int, resolveConfig, type Schema } from '../config/schema.js';
import { CUSTOM_PRESETS, type CustomPreset } from '../envs/custom.js';
import { TASKS } from '../envs/registry.js';
import type { AlgoName, BackendChoice, RunConfig } from '../protocol.js';

/** The run-level fields of a RunConfig, as a schema (CLI help, the UI's form and validation). */
export const RUN_SCHEMA = {
  seed: int(1, 'Seed of every random source of the run (env resets, initial weights, sampling).', 0, 2 ** 31 - 1),
  totalSteps: int(1_000_000, 'Environment steps to train for (all envs together).', 1_000, 10_000_000_000),
  checkpointEvery: int(10, 'Updates between checkpoints (a crashed run resumes from the last one).', 1, 1_000_000),
  backend: choice<BackendChoice>('auto', ['auto', 'tensorflow', 'wasm', 'cpu'], 'TensorFlow.js backend: auto picks tfjs-node, then WebAssembly, then plain JS.'),
} as const satisfies Schema;

export { CUSTOM_PRESETS, type CustomPreset };

export interface RunConfigInput {
  task?: unknown;
  algo?: unknown;
  seed?: unknown;
  totalSteps?: unknown;
  backend?: unknown;
  algoConfig?: unknown;
  custom?: unknown;
  checkpointEvery?: unknown;
}

export function isAlgoName(x: unknown): x is AlgoName {
  return typeof x === 'string' && Object.prototype.hasOwnProperty.call(ALGOS, x);
}

/**
 * A complete, checked RunConfig. The algorithm's hyperparameters are resolved against its
 * schema on top of the task preset, so config.json records every value the run used.
 */
export function resolveRunConfig(input: RunConfigInput): RunConfig {
  if (!isAlgoName(input.algo)) throw new ConfigError(`algo: expected one of ${Object.keys(ALGOS).join(' | ')}, got ${JSON.stringify(input.algo)}`);
  const algo = input.algo;
  let custom: RunConfig['custom'];
  let task: string;
  if (input.custom !== undefined) {
    const c = input.custom as { mjcfPath?: unknown; preset?: unknown };
    if (!c || typeof c.mjcfPath !== 'string' || c.mjcfPath === '') throw new ConfigError('custom.mjcfPath: expected the path of an MJCF file');
    if (!CUSTOM_PRESETS.includes(c.preset as CustomPreset)) throw new ConfigError(`custom.preset: expected one of ${CUSTOM_PRESETS.join(' | ')}, got ${JSON.stringify(c.preset)}`);
    custom = { mjcfPath: c.mjcfPath, preset: c.preset as CustomPreset };
    task = 'custom';
  } else {
    if (typeof input.task !== 'string' || !TASKS.some((t) => t.name === input.task))
      throw new ConfigError(`task: unknown task ${JSON.stringify(input.task)} (known: ${TASKS.map((t) => t.name).join(', ')})`);
    task = input.task;
  }
  const run: Record<string, unknown> = {};
  for (const k of ['seed', 'totalSteps', 'checkpointEvery', 'backend'] as const) if (input[k] !== undefined) run[k] = input[k];
  const { seed, totalSteps, checkpointEvery, backend } = resolveConfig(RUN_SCHEMA, run, 'run');
  const given = input.algoConfig ?? {};
  if (typeof given !== 'object' || given === null || Array.isArray(given)) throw new ConfigError('algoConfig: expected an object of hyperparameters');
  const preset = (PRESETS[algo] as Record<string, Record<string, unknown>> | undefined)?.[task] ?? {};
  const algoConfig = resolveConfig(ALGOS[algo].schema, { ...preset, ...(given as Record<string, unknown>) }, algo);
  return { task, algo, seed, totalSteps, backend, algoConfig, custom, checkpointEvery };
}
