// The built-in studies (`policy-lab study run --builtin NAME`, one click in the app): the
// lecture's claims and the common algorithm questions as experiments. Plain study files, so
// they pass the same validation as a user's.
import { PHI_CHOICES } from '../rl/phi.js';

export const BUILTIN_STUDIES: Readonly<Record<string, Readonly<Record<string, unknown>>>> = {
  // REINFORCE with every Φ_t: learning curves, final scores and the gradient's variance at three
  // points of training, from the same batches for every estimator the run's critic allows.
  'phi-estimators': {
    name: 'phi-estimators',
    description: 'REINFORCE on InvertedPendulum with every form of Φ_t (lecture: reward-to-go, baselines and critics cut the variance)',
    task: 'InvertedPendulum', algo: 'reinforce', steps: 150_000, seeds: [1, 2, 3, 4, 5],
    checkpointEvery: 1,
    grid: { phi: [...PHI_CHOICES] },
    variance: { at: [0.1, 0.5, 1], batches: 20, episodesPerBatch: 5 },
  },
  // Same env-step budget: sample efficiency from the curves, wall clock from the trials' times.
  'a2c-vs-a3c': {
    name: 'a2c-vs-a3c',
    description: 'A2C vs A3C on InvertedPendulum with the same env-step budget (sample efficiency and wall clock)',
    task: 'InvertedPendulum', steps: 200_000, seeds: [1, 2, 3, 4, 5],
    variants: [{ name: 'a2c', algo: 'a2c' }, { name: 'a3c', algo: 'a3c' }],
  },
  'ppo-vs-a2c': {
    name: 'ppo-vs-a2c',
    description: 'PPO vs A2C on Hopper, 1M steps, shipped presets',
    task: 'Hopper', steps: 1_000_000, seeds: [1, 2, 3],
    variants: [{ name: 'ppo', algo: 'ppo' }, { name: 'a2c', algo: 'a2c' }],
  },
};

export const BUILTIN_NAMES = Object.keys(BUILTIN_STUDIES);
