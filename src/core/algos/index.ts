// The algorithm registry: every AlgoModule by name.
import type { AlgoName } from '../protocol.js';
import { a2c } from './a2c.js';
import { ppo } from './ppo.js';
import { reinforce } from './reinforce.js';
import type { AlgoModule } from './types.js';

export const ALGOS = { reinforce, a2c, ppo } as unknown as Record<AlgoName, AlgoModule>;
