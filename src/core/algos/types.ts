// The contract between the trainer loop (src/core/trainer) and one algorithm file.

import type { PolicySnapshot } from '../policy/snapshot.js';
import type { AlgoName, MetricsRow } from '../protocol.js';
import type { AlgoContext, AlgoState } from '../rl/context.js';

// What an algorithm is given and what it checkpoints are defined below it (src/core/rl), where
// the shared machinery (PolicyCore, EnvPool, checkpoints) uses them too.
export type { AlgoContext, AlgoState, EnvSource } from '../rl/context.js';

/** Loss-side numbers of one update; the trainer adds steps, returns, timing. NaN when n/a. */
export type UpdateStats = Pick<MetricsRow, 'policyLoss' | 'valueLoss' | 'entropy' | 'approxKl' | 'clipFraction' | 'explainedVariance' | 'gradNorm'>;

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
