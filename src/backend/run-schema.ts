// The run-level fields of a RunConfig as a schema: the same defaults, docs and ranges drive the
// UI's form and the validation of every start request.
import { choice, int, type Schema } from '../core/config/schema.js';
import type { BackendChoice } from '../core/protocol.js';

export const BACKENDS: readonly BackendChoice[] = ['auto', 'tensorflow', 'wasm', 'cpu'];

export const RUN_SCHEMA = {
  seed: int(1, 'Seed of every random source of the run (env resets, initial weights, sampling).', 0, 2 ** 31 - 1),
  totalSteps: int(200_000, 'Environment steps to train for (all envs together).', 1_000, 1_000_000_000),
  checkpointEvery: int(10, 'Updates between checkpoints (a crashed run resumes from the last one).', 1, 1_000_000),
  backend: choice<BackendChoice>('auto', BACKENDS, 'TensorFlow.js backend: auto picks native, then WebAssembly, then plain JS.'),
} as const satisfies Schema;

export const PRESETS = ['forward', 'upright', 'reach'] as const;
/** Largest MJCF text accepted from the renderer. */
export const MAX_MJCF_BYTES = 4 * 1024 * 1024;
export const MAX_EVAL_EPISODES = 100;
export const MAX_LIVE_FPS = 60;
