// The algorithm registry: every AlgoModule by name (the lecture's REINFORCE, Q actor-critic, A2C
// and A3C, plus PPO). A new algorithm is one file here exporting an AlgoModule, added below.
import type { AlgoName } from '../protocol.js';
import { a2c } from './a2c.js';
import { a3c } from './a3c.js';
import { ppo } from './ppo.js';
import { qac } from './qac.js';
import { reinforce } from './reinforce.js';
import type { AlgoModule } from './types.js';

export const ALGOS: Record<AlgoName, AlgoModule> = { reinforce, qac, a2c, a3c, ppo };
