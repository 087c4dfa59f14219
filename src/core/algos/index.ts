// The algorithm registry: every AlgoModule by name.
import type { AlgoName } from '../protocol.js';
import { a2c } from './a2c.js';
import { ppo } from './ppo.js';
import type { AlgoModule } from './types.js';

export const ALGOS = { ppo, a2c } as unknown as Record<AlgoName, AlgoModule>;
