// Tuned hyperparameters per algorithm and task, overlaid on the schema defaults (and under the
// user's own values) by resolveRunConfig.
import type { AlgoName } from '../protocol.js';

export const PRESETS: Partial<Record<AlgoName, Record<string, Record<string, unknown>>>> = {};
