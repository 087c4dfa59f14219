// The algorithm registry: every AlgoModule by name. a3c is a placeholder whose create() throws
// until src/core/algos/a3c.ts holds the real thing.
import type { AlgoName } from '../protocol.js';
import { a2c } from './a2c.js';
import { a3c } from './a3c.js';
import { ppo } from './ppo.js';
import { qac } from './qac.js';
import { reinforce } from './reinforce.js';
import type { AlgoModule } from './types.js';

export const ALGOS: Record<AlgoName, AlgoModule> = { reinforce, qac, a2c, a3c, ppo };
