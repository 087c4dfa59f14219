// A trained policy as plain typed arrays: what export writes, what import reads, and what the
// trainer hands over when it saves. Independent of TensorFlow.js so any consumer can use it.

export type Activation = 'tanh' | 'relu' | 'elu' | 'linear';

/** y = act(x · W + b); W is row-major [inDim, outDim] (TensorFlow/Keras Dense layout). */
export interface DenseLayer {
  readonly inDim: number;
  readonly outDim: number;
  readonly w: Float32Array;
  readonly b: Float32Array;
  readonly activation: Activation;
}

/** Running observation normalizer, applied as clip((obs - mean) / sqrt(var + eps), -clip, clip). */
export interface ObsNormSnapshot {
  readonly mean: Float32Array;
  readonly var: Float32Array;
  readonly eps: number;
  readonly clip: number;
}

export interface PolicySnapshot {
  readonly kind: 'gaussian' | 'categorical';
  readonly obsDim: number;
  /** Action dimensions (gaussian) or number of discrete actions (categorical). */
  readonly actDim: number;
  readonly obsNorm?: ObsNormSnapshot;
  /** Hidden layers from the observation (a shared trunk, or the actor's own hidden layers). */
  readonly trunk: readonly DenseLayer[];
  /** From the trunk's output to the mean (gaussian) or the logits (categorical); last is linear. */
  readonly meanHead: readonly DenseLayer[];
  /** State-independent log σ (gaussian, when σ does not depend on s). */
  readonly logStd?: Float32Array;
  /** State-dependent log σ_φ(s) head on the trunk's output (gaussian, when σ depends on s). */
  readonly logStdHead?: readonly DenseLayer[];
  /** The head's log σ is clamped to [min, max] (as the training network does). */
  readonly logStdRange?: readonly [number, number];
  /** How the mean is mapped into the action bounds. 'tanh': low + (tanh(μ)+1)(high-low)/2. */
  readonly squash: 'clip' | 'tanh' | 'none';
  readonly actionLow?: Float32Array;
  readonly actionHigh?: Float32Array;
}
