// Builds and checks a RunConfig from loose input (CLI flags, an IPC payload, a config.json).
// One place decides what a valid run is; every entry point calls it.

import { ALGOS } from '../algos/index.js';
import { PRESETS } from '../algos/presets.js';
import { ConfigError, resolveConfig } from '../config/schema.js';
import { TASKS } from '../envs/registry.js';
import type { AlgoName, BackendChoice, RunConfig } from '../protocol.js';

const BACKENDS: readonly BackendChoice[] = ['auto', 'tensorflow', 'wasm', 'cpu'];
const PRESET_NAMES = ['forward', 'upright', 'reach'] as const;

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
    if (!PRESET_NAMES.includes(c.preset as (typeof PRESET_NAMES)[number])) throw new ConfigError(`custom.preset: expected one of ${PRESET_NAMES.join(' | ')}, got ${JSON.stringify(c.preset)}`);
    custom = { mjcfPath: c.mjcfPath, preset: c.preset as (typeof PRESET_NAMES)[number] };
    task = 'custom';
  } else {
    if (typeof input.task !== 'string' || !TASKS.some((t) => t.name === input.task))
      throw new ConfigError(`task: unknown task ${JSON.stringify(input.task)} (known: ${TASKS.map((t) => t.name).join(', ')})`);
    task = input.task;
  }
  const seed = input.seed ?? 1;
  if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed > 2 ** 31 - 1) throw new ConfigError(`seed: expected an integer in [0, 2^31), got ${JSON.stringify(seed)}`);
  const totalSteps = input.totalSteps ?? 1_000_000;
  if (typeof totalSteps !== 'number' || !Number.isInteger(totalSteps) || totalSteps < 1 || totalSteps > 1e10) throw new ConfigError(`totalSteps: expected a positive integer, got ${JSON.stringify(totalSteps)}`);
  const backend = input.backend ?? 'auto';
  if (!BACKENDS.includes(backend as BackendChoice)) throw new ConfigError(`backend: expected one of ${BACKENDS.join(' | ')}, got ${JSON.stringify(backend)}`);
  const checkpointEvery = input.checkpointEvery ?? 10;
  if (typeof checkpointEvery !== 'number' || !Number.isInteger(checkpointEvery) || checkpointEvery < 1) throw new ConfigError(`checkpointEvery: expected a positive integer, got ${JSON.stringify(checkpointEvery)}`);
  const given = input.algoConfig ?? {};
  if (typeof given !== 'object' || given === null || Array.isArray(given)) throw new ConfigError('algoConfig: expected an object of hyperparameters');
  const preset = (PRESETS[algo] as Record<string, Record<string, unknown>> | undefined)?.[task] ?? {};
  const algoConfig = resolveConfig(ALGOS[algo].schema, { ...preset, ...(given as Record<string, unknown>) }, algo);
  return { task, algo, seed, totalSteps, backend: backend as BackendChoice, algoConfig, custom, checkpointEvery };
}
