// What A3C's global process and its worker processes say to each other (typed arrays only, so
// `serialization: 'advanced'` moves them as typed arrays), and the errors a worker can cause.
import type { TaskSpec } from '../envs/types.js';
import { NonFiniteError } from '../rl/errors.js';
import type { EnvSource } from '../rl/context.js';
import type { A3cConfig } from './a3c.js';

/** The argv marker that makes a3c-worker run its main loop (importing it elsewhere does nothing). */
export const WORKER_FLAG = '--policy-lab-a3c-worker';

export interface A3cInitMsg {
  readonly type: 'init';
  readonly index: number;
  readonly seed: number;
  readonly backend: string;
  readonly spec: TaskSpec;
  readonly envSource: EnvSource;
  readonly config: A3cConfig;
}
export interface A3cParamsMsg {
  readonly type: 'params';
  /** Bumped by loadState: gradients computed before it are dropped. */
  readonly epoch: number;
  readonly params: Float32Array;
  /** The global RunningMeanStd state (mean, var, count) or null without normObs. */
  readonly obsRms: Float64Array | null;
}
export type ParentToWorker = A3cInitMsg | A3cParamsMsg | { readonly type: 'stop' };

/** stats: policy loss, value loss, entropy, explained variance, env steps, episodes. */
export const STAT_FIELDS = 6;
export interface A3cGradMsg {
  readonly type: 'grads';
  readonly epoch: number;
  readonly grads: Float32Array;
  readonly stats: Float64Array;
  /** (return, length) pairs of the episodes finished in this rollout. */
  readonly episodes: Float64Array;
  /** Moments (mean, var, count) of the raw observations of this rollout, or null. */
  readonly obsMoments: Float64Array | null;
}
export type WorkerToParent =
  | { readonly type: 'ready'; readonly numParams: number }
  | A3cGradMsg
  | { readonly type: 'error'; readonly name: string; readonly message: string };

export class A3cWorkerCrashError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'A3cWorkerCrashError';
  }
}

/** A worker's error message rethrown here, keeping NonFiniteError recognizable. */
export function workerError(k: number, msg: { name: string; message: string }): Error {
  const text = `A3C worker ${k}: ${msg.message}`;
  const e = msg.name === 'NonFiniteError' ? new NonFiniteError('') : new Error(text);
  e.message = text;
  if (msg.name !== 'NonFiniteError') e.name = msg.name || 'Error';
  return e;
}
