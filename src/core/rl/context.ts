// What an algorithm is given (AlgoContext, with the EnvSource that lets another process rebuild
// the run's env) and what it checkpoints (AlgoState). They live below the algorithms because the
// shared machinery (PolicyCore, EnvPool, the checkpoint container) uses them too.
import type { CustomTaskOptions } from '../envs/custom.js';
import type { Env, TaskSpec } from '../envs/types.js';
import type { BackendName } from '../protocol.js';

/** How another process (an A3C worker) rebuilds the run's env: a closure cannot cross processes. */
export type EnvSource =
  | { readonly kind: 'task'; readonly name: string }
  | { readonly kind: 'custom'; readonly mjcf: string; readonly preset: string; readonly options?: CustomTaskOptions }
  /** A module exporting `exportName(...args): Env` (tests, plug-in envs). */
  | { readonly kind: 'module'; readonly path: string; readonly exportName: string; readonly args?: readonly unknown[] };

/** What an algorithm is given. */
export interface AlgoContext {
  /** The same env as makeEnv, described so a child process can build it. */
  readonly envSource?: EnvSource;
  readonly spec: TaskSpec;
  /** Makes one fresh environment of the run's task (the algorithm decides how many). */
  readonly makeEnv: () => Env;
  /** Resolved hyperparameters (schema defaults overlaid with the user's values). */
  readonly config: Readonly<Record<string, unknown>>;
  readonly seed: number;
  readonly totalSteps: number;
  readonly backend: BackendName;
  /** Called at every finished episode of a training env. */
  readonly onEpisode: (ep: { step: number; return: number; length: number }) => void;
}

/** Everything needed to continue exactly: named typed arrays plus small JSON. */
export interface AlgoState {
  readonly tensors: Record<string, Float32Array | Float64Array | Int32Array | Uint32Array>;
  readonly json: Record<string, unknown>;
}
