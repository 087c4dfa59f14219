// Tuned per-task hyperparameters, overlaid on the schema defaults: PRESETS[algo][task].
// Only entries measured to help are here; an absent task means the defaults are used.
import type { AlgoName } from '../protocol.js';

export type Preset = Readonly<Record<string, unknown>>;

export const PRESETS: Readonly<Record<AlgoName, Readonly<Record<string, Preset>>>> = {
  reinforce: {},
  qac: {},
  a2c: {},
  a3c: {},
  ppo: {},
};

/** The preset of algo on task, or {} when there is none. */
export function presetFor(algo: AlgoName, task: string): Preset {
  return PRESETS[algo]?.[task] ?? {};
}
