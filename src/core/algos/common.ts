// Schema fields shared by the policy-gradient algorithms, and their translation to CoreOptions.
import { bool, choice, int, list, num, type Schema } from '../config/schema.js';
import type { CoreOptions } from '../rl/policy-core.js';

export const NETWORK_FIELDS = {
  hidden: list([64, 64], 'hidden layer sizes of the MLPs'),
  activation: choice('tanh', ['tanh', 'relu', 'elu'] as const, 'hidden activation'),
  sigma: choice('state-independent', ['state-independent', 'state-dependent'] as const, 'log σ as a free vector, or a head of the actor'),
  logStdInit: num(0, 'initial log σ', { min: -5, max: 2 }),
  squash: choice('clip', ['clip', 'tanh'] as const, 'map Gaussian samples into the action bounds by clipping or tanh'),
  orthoInit: bool(true, 'orthogonal init (gains √2 hidden, 0.01 policy, 1 value)'),
} as const;

export const NORM_FIELDS = {
  normObs: bool(true, 'normalize observations by running mean/std'),
  obsClip: num(10, 'clip normalized observations to ±this', { min: 0 }),
  normReward: bool(true, 'scale rewards by the running std of the discounted return'),
  rewardClip: num(10, 'clip scaled rewards to ±this', { min: 0 }),
} as const;

export const OPTIM_FIELDS = {
  optimizer: choice('adam', ['adam', 'rmsprop'] as const, 'optimizer'),
  lr: num(3e-4, 'learning rate', { min: 0 }),
  lrSchedule: choice('linear', ['constant', 'linear'] as const, 'learning-rate schedule: constant, or linear decay to 0 at totalSteps'),
  optimEps: num(1e-5, 'ε in the optimizer denominator', { min: 0 }),
  maxGradNorm: num(0.5, 'clip the global gradient norm to this (0: off)', { min: 0 }),
  gradKernel: choice('auto', ['auto', 'fused', 'tf'] as const, 'the net’s arithmetic (acting, values, gradient steps): the WASM-SIMD kernel engine (auto, fused) or TF.js ops (tf, the reference)'),
} as const;

export const gammaField = num(0.99, 'discount γ', { min: 0, max: 1 });
export const numEnvsField = (d: number) => int(d, 'parallel environments', 1, 256);

type Cfg = Readonly<Record<string, unknown>>;

/** `trainRows`: the most rows one training forward takes (sizes the kernel engine's buffers). */
export function coreOptions(c: Cfg, critic: CoreOptions['critic'], shared: boolean, trainRows: number): CoreOptions {
  return {
    numEnvs: c.numEnvs as number, gamma: c.gamma as number, hidden: c.hidden as number[], activation: c.activation as CoreOptions['activation'],
    shared, sigma: c.sigma as CoreOptions['sigma'], squash: c.squash as CoreOptions['squash'], orthoInit: c.orthoInit as boolean,
    logStdInit: c.logStdInit as number, normObs: c.normObs as boolean, obsClip: c.obsClip as number,
    normReward: c.normReward as boolean, rewardClip: c.rewardClip as number, critic,
    kernel: c.gradKernel !== 'tf', trainRows,
  };
}

export type { Schema };
