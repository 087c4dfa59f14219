// The one typed message protocol between a host (Electron main, the CLI, serve mode) and a
// trainer child process. The same messages travel over Electron IPC and the WebSocket bridge.
// Bulk data (policy weights, evaluation poses) crosses as typed arrays; fork() uses serialization: 'advanced'.

import type { CustomPreset, CustomTaskOptions } from './envs/custom.js';
import type { RenderDescription, TaskSpec } from './envs/types.js';
import type { PolicySnapshot } from './policy/snapshot.js';

export type AlgoName = 'reinforce' | 'qac' | 'a2c' | 'a3c' | 'ppo';
export type BackendName = 'tensorflow' | 'wasm' | 'cpu';
export type BackendChoice = 'auto' | BackendName;

/** Everything that defines a run; saved as config.json in the run directory. */
export interface RunConfig {
  readonly task: string;
  readonly algo: AlgoName;
  readonly seed: number;
  readonly totalSteps: number;
  readonly backend: BackendChoice;
  /** Algorithm hyperparameters; fields absent here take their schema defaults. */
  readonly algoConfig: Readonly<Record<string, unknown>>;
  /** A user's MJCF model instead of a built-in task (task is then 'custom'). */
  readonly custom?: { readonly mjcfPath: string; readonly preset: CustomPreset; readonly options?: CustomTaskOptions };
  /** Updates between checkpoints. */
  readonly checkpointEvery: number;
}

/** One line of metrics.jsonl: one per update. NaN where a quantity does not apply. */
export interface MetricsRow {
  readonly update: number;
  readonly steps: number;
  readonly episodes: number;
  readonly returnMean: number;
  readonly returnMin: number;
  readonly returnMax: number;
  readonly lengthMean: number;
  readonly policyLoss: number;
  readonly valueLoss: number;
  readonly entropy: number;
  readonly approxKl: number;
  readonly clipFraction: number;
  readonly explainedVariance: number;
  readonly gradNorm: number;
  readonly stepsPerSecond: number;
  readonly wallTime: number;
}

export type HostToTrainer =
  | { readonly type: 'start'; readonly config: RunConfig; readonly runDir: string; readonly resume: boolean }
  | { readonly type: 'pause' }
  | { readonly type: 'resume' }
  | { readonly type: 'stop' }
  /** Replays a run's (or an imported bundle's) policy; answered by one 'evaluation'. */
  | { readonly type: 'evaluate'; readonly runDir: string; readonly episodes: number; readonly deterministic: boolean; readonly record: boolean }
  /** Writes the run's policy bundle (the final evaluation runs here, not in the host); answered by 'exported'. */
  | { readonly type: 'export'; readonly runDir: string; readonly format: 'onnx' | 'tfjs' | 'all'; readonly outDir: string; readonly evalEpisodes: number };

export type TrainerToHost =
  /** gradientStep: what takes the gradient steps when it is not the TF.js backend (the WASM-SIMD kernel engine). */
  | { readonly type: 'started'; readonly runDir: string; readonly backend: BackendName; readonly gradientStep?: string; readonly spec: TaskSpec; readonly render: RenderDescription; readonly startStep: number }
  | { readonly type: 'metrics'; readonly row: MetricsRow }
  /** The policy as it is after `update` updates (0: before the first), for the viewer process (src/core/viewer). */
  | { readonly type: 'policy'; readonly update: number; readonly steps: number; readonly snapshot: PolicySnapshot }
  | { readonly type: 'episode'; readonly step: number; readonly return: number; readonly length: number }
  | { readonly type: 'checkpoint'; readonly step: number; readonly path: string }
  /** Per-episode returns and lengths; with record, every step's poses (steps × ngeom × POSE_STRIDE). */
  | { readonly type: 'evaluation'; readonly returns: Float64Array; readonly lengths: Int32Array; readonly render: RenderDescription; readonly frames: Float32Array; readonly frameCount: number }
  | { readonly type: 'exported'; readonly dir: string; readonly files: readonly string[] }
  | { readonly type: 'paused' }
  | { readonly type: 'resumed' }
  | { readonly type: 'error'; readonly message: string; readonly fatal: boolean }
  | { readonly type: 'done'; readonly reason: 'finished' | 'stopped' | 'failed'; readonly steps: number };
