// Builds and checks a RunConfig from loose input (CLI flags, an IPC/WebSocket payload, a
// config.json, the trainer's 'start' message). One place decides what a valid run is:
// resolveRunSettings. The lab's request validator (src/backend/validate.ts) calls it with the
// catalog it serves, everything else through resolveRunConfig with the built-in registry.

import { ALGOS } from '../algos/index.js';
import { PRESETS } from '../algos/presets.js';
import { choice, ConfigError, int, resolveConfig, type Schema } from '../config/schema.js';
import { CUSTOM_PRESETS, parseCustomTaskOptions, type CustomPreset } from '../envs/custom.js';
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

/** What a run may be made of: the backend's Catalog has this shape, and so does the built-in registry. */
export interface RunRegistry {
  readonly tasks: readonly { readonly name: string }[];
  readonly algos: readonly { readonly name: string; readonly schema: Schema }[];
  /** algo → task → tuned hyperparameters, applied under the user's values. */
  readonly presets: Readonly<Record<string, Readonly<Record<string, Readonly<Record<string, unknown>>>>>>;
  readonly customPresets: readonly string[];
  readonly run: Schema;
}

let builtIn: RunRegistry | null = null;
/** The registry of this build: ALGOS, TASKS, PRESETS. */
export function builtInRegistry(): RunRegistry {
  return (builtIn ??= {
    tasks: TASKS,
    algos: (Object.keys(ALGOS) as AlgoName[]).map((name) => ({ name, schema: ALGOS[name].schema })),
    presets: PRESETS as RunRegistry['presets'],
    customPresets: CUSTOM_PRESETS,
    run: RUN_SCHEMA,
  });
}

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

/** A RunConfig without the custom model's location (the caller knows where the model lives). */
export interface RunSettings {
  readonly task: string;
  readonly algo: AlgoName;
  readonly seed: number;
  readonly totalSteps: number;
  readonly checkpointEvery: number;
  readonly backend: BackendChoice;
  readonly algoConfig: Record<string, unknown>;
  /** Set exactly when task is 'custom'. */
  readonly customPreset?: CustomPreset;
}

export function isAlgoName(x: unknown): x is AlgoName {
  return typeof x === 'string' && Object.hasOwn(ALGOS, x);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || ArrayBuffer.isView(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/** A value for an error message: short, and never throws (BigInt, cycles, huge strings). */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v);
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return ArrayBuffer.isView(v) ? 'a typed array' : 'an object';
  return `${typeof v} ${String(v).slice(0, 40)}`;
}

/**
 * THE run validator: every field checked against `registry` (types, ranges, known task and
 * algorithm, hyperparameters through the algorithm's schema over the task's preset). Only own
 * keys count, so `constructor`, `__proto__` or `toString` are unknown fields, never lookups on
 * Object.prototype. Errors are ConfigErrors naming `where`.field.
 */
export function resolveRunSettings(input: RunConfigInput, registry: RunRegistry = builtInRegistry(), where = ''): RunSettings {
  const at = (field: string): string => (where ? `${where}.${field}` : field);
  const algoInfo = typeof input.algo === 'string' ? registry.algos.find((a) => a.name === input.algo) : undefined;
  if (!algoInfo) throw new ConfigError(`${at('algo')}: unknown algorithm ${describeValue(input.algo)} (known: ${registry.algos.map((a) => a.name).join(', ')})`);
  const algo = algoInfo.name as AlgoName;

  const task = input.task ?? (input.custom !== undefined ? 'custom' : undefined);
  let customPreset: CustomPreset | undefined;
  if (task === 'custom') {
    if (input.custom === undefined) throw new ConfigError(`${at('custom')}: task "custom" needs an MJCF model`);
    if (!isPlainObject(input.custom)) throw new ConfigError(`${at('custom')}: expected an object, got ${describeValue(input.custom)}`);
    const preset = Object.hasOwn(input.custom, 'preset') ? input.custom.preset : undefined;
    if (typeof preset !== 'string' || !registry.customPresets.includes(preset))
      throw new ConfigError(`${at('custom.preset')}: expected one of ${registry.customPresets.join(' | ')}, got ${describeValue(preset)}`);
    customPreset = preset as CustomPreset;
  } else {
    if (typeof task !== 'string' || !registry.tasks.some((t) => t.name === task))
      throw new ConfigError(`${at('task')}: unknown task ${describeValue(task)} (known: ${registry.tasks.map((t) => t.name).join(', ')}, custom)`);
    if (input.custom !== undefined) throw new ConfigError(`${at('custom')}: only allowed with task "custom"`);
  }

  const run: Record<string, unknown> = {};
  for (const k of ['seed', 'totalSteps', 'checkpointEvery', 'backend'] as const) if (input[k] !== undefined) run[k] = input[k];
  const { seed, totalSteps, checkpointEvery, backend } = resolveConfig(registry.run, run, where || 'run') as unknown as {
    seed: number; totalSteps: number; checkpointEvery: number; backend: BackendChoice;
  };
  const given = input.algoConfig ?? {};
  if (!isPlainObject(given)) throw new ConfigError(`${at('algoConfig')}: expected an object of hyperparameters, got ${describeValue(given)}`);
  const byTask = Object.hasOwn(registry.presets, algo) ? registry.presets[algo] : {};
  const preset = Object.hasOwn(byTask, task) ? byTask[task] : {};
  // The task's tuned preset sits between the schema defaults and the user's values.
  const algoConfig = resolveConfig(algoInfo.schema, { ...preset, ...given }, `${at('algoConfig')}(${algo})`);
  return { task, algo, seed, totalSteps, checkpointEvery, backend, algoConfig, ...(customPreset ? { customPreset } : {}) };
}

/**
 * A complete, checked RunConfig (CLI, trainer, config.json). The algorithm's hyperparameters
 * are resolved against its schema on top of the task preset, so config.json records every
 * value the run used.
 */
export function resolveRunConfig(input: RunConfigInput, where = ''): RunConfig {
  const s = resolveRunSettings(input, builtInRegistry(), where);
  let custom: RunConfig['custom'];
  if (s.customPreset) {
    const c = input.custom as Record<string, unknown>;
    const mjcfPath = Object.hasOwn(c, 'mjcfPath') ? c.mjcfPath : undefined;
    if (typeof mjcfPath !== 'string' || mjcfPath === '') throw new ConfigError(`${where ? where + '.' : ''}custom.mjcfPath: expected the path of an MJCF file`);
    let options;
    if (Object.hasOwn(c, 'options') && c.options !== undefined) {
      try {
        options = parseCustomTaskOptions(c.options);
      } catch (e) {
        throw new ConfigError(`${where ? where + '.' : ''}${(e as Error).message}`);
      }
    }
    custom = { mjcfPath, preset: s.customPreset, ...(options ? { options } : {}) };
  }
  const { customPreset: _p, ...rest } = s;
  return { ...rest, ...(custom ? { custom } : {}) };
}
