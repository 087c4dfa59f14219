// The contract between the trainer loop (src/core/trainer) and one algorithm file.

import type { Env, TaskSpec } from '../envs/types.js';
import type { PolicySnapshot } from '../policy/snapshot.js';
import type { AlgoName, BackendName, MetricsRow } from '../protocol.js';

/** How another process (an A3C worker) rebuilds the run's env: a closure cannot cross processes. */
export type EnvSource =
  | { readonly kind: 'task'; readonly name: string }
  | { readonly kind: 'custom'; readonly mjcf: string; readonly preset: string }
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
  /**
   * The live view: true when the host wants a frame now. The algorithm then calls
   * emitFrame with env 0's state (the trainer rate-limits; cost when off is one boolean check).
   */
  readonly wantFrame: () => boolean;
  readonly emitFrame: (env: Env, obs: Float32Array) => void;
}

/** Loss-side numbers of one update; the trainer adds steps, returns, timing. NaN when n/a. */
export type UpdateStats = Pick<MetricsRow, 'policyLoss' | 'valueLoss' | 'entropy' | 'approxKl' | 'clipFraction' | 'explainedVariance' | 'gradNorm'>;

/** Everything needed to continue exactly: named typed arrays plus small JSON. */
export interface AlgoState {
  readonly tensors: Record<string, Float32Array | Float64Array | Int32Array | Uint32Array>;
  readonly json: Record<string, unknown>;
}

export interface Algorithm {
  readonly name: AlgoName;
  /** Env steps taken so far (all envs, all workers). */
  readonly steps: number;
  /** What takes the gradient steps when it is not the TF.js backend (reported with the backend). */
  readonly gradientStep?: string;
  /** Collects experience and improves the policy once. */
  update(): Promise<UpdateStats>;
  /** Deterministic (mean / argmax) or sampled action for one raw observation. */
  act(obs: Float32Array, deterministic: boolean): Float32Array;
  /** μ and σ of the policy at a raw observation (σ empty for categorical: probabilities in mu). */
  policyAt(obs: Float32Array): { mu: Float32Array; std: Float32Array };
  saveState(): Promise<AlgoState>;
  loadState(state: AlgoState): Promise<void>;
  snapshot(): PolicySnapshot;
  dispose(): Promise<void>;
}

export interface AlgoModule {
  readonly name: AlgoName;
  readonly title: string;
  /** One line for `policy-lab algos`. */
  readonly summary: string;
  readonly schema: import('../config/schema.js').Schema;
  create(ctx: AlgoContext): Promise<Algorithm>;
}
