// The task list and the factory. Specs follow Gymnasium v5 defaults (src/core/envs/README.md
// lists the few deliberate differences).

import { AntEnv, HalfCheetahEnv, HopperEnv, SwimmerEnv, Walker2dEnv } from './locomotion.js';
import { getMujoco, getMujocoSync, type Mujoco } from './mujoco.js';
import { InvertedDoublePendulumEnv, InvertedPendulumDiscreteEnv, InvertedPendulumEnv } from './pendulums.js';
import { ReacherEnv } from './reacher.js';
import { EnvError, type Env, type TaskSpec } from './types.js';

type Factory = (mj: Mujoco, spec: TaskSpec) => Env;

interface Entry {
  spec: TaskSpec;
  create: Factory;
}

const ENTRIES: readonly Entry[] = [
  {
    spec: {
      name: 'InvertedPendulum',
      description: 'Balance a pole on a cart (Gymnasium InvertedPendulum-v5).',
      obsDim: 4, actDim: 1, actionKind: 'box', frameSkip: 2, maxEpisodeSteps: 1000,
      rewardTerms: ['alive'],
    },
    create: (mj, spec) => new InvertedPendulumEnv(mj, spec),
  },
  {
    spec: {
      name: 'InvertedPendulumDiscrete',
      description: 'InvertedPendulum with two actions (0: push left, 1: push right), for categorical policies.',
      obsDim: 4, actDim: 1, actionKind: 'discrete', frameSkip: 2, maxEpisodeSteps: 1000,
      rewardTerms: ['alive'],
    },
    create: (mj, spec) => new InvertedPendulumDiscreteEnv(mj, spec),
  },
  {
    spec: {
      name: 'InvertedDoublePendulum',
      description: 'Balance two stacked poles on a cart (Gymnasium InvertedDoublePendulum-v5).',
      obsDim: 9, actDim: 1, actionKind: 'box', frameSkip: 5, maxEpisodeSteps: 1000,
      rewardTerms: ['alive', 'distance_penalty', 'velocity_penalty'],
    },
    create: (mj, spec) => new InvertedDoublePendulumEnv(mj, spec),
  },
  {
    spec: {
      name: 'Reacher',
      description: 'Move a two-link arm\'s fingertip to a random target (Gymnasium Reacher-v5, 50-step episodes).',
      obsDim: 10, actDim: 2, actionKind: 'box', frameSkip: 2, maxEpisodeSteps: 50,
      rewardTerms: ['distance', 'ctrl_cost'],
    },
    create: (mj, spec) => new ReacherEnv(mj, spec),
  },
  {
    spec: {
      name: 'Swimmer',
      description: 'Swim forward in a viscous fluid with a three-link body (Gymnasium Swimmer-v5).',
      obsDim: 8, actDim: 2, actionKind: 'box', frameSkip: 4, maxEpisodeSteps: 1000,
      rewardTerms: ['forward', 'ctrl_cost'],
    },
    create: (mj, spec) => new SwimmerEnv(mj, spec),
  },
  {
    spec: {
      name: 'HalfCheetah',
      description: 'Run forward with a planar cheetah (Gymnasium HalfCheetah-v5).',
      obsDim: 17, actDim: 6, actionKind: 'box', frameSkip: 5, maxEpisodeSteps: 1000,
      rewardTerms: ['forward', 'ctrl_cost'],
    },
    create: (mj, spec) => new HalfCheetahEnv(mj, spec),
  },
  {
    spec: {
      name: 'Hopper',
      description: 'Hop forward on one leg without falling (Gymnasium Hopper-v5).',
      obsDim: 11, actDim: 3, actionKind: 'box', frameSkip: 4, maxEpisodeSteps: 1000,
      rewardTerms: ['forward', 'ctrl_cost', 'healthy'],
    },
    create: (mj, spec) => new HopperEnv(mj, spec),
  },
  {
    spec: {
      name: 'Walker2d',
      description: 'Walk forward on two legs without falling (Gymnasium Walker2d-v5).',
      obsDim: 17, actDim: 6, actionKind: 'box', frameSkip: 4, maxEpisodeSteps: 1000,
      rewardTerms: ['forward', 'ctrl_cost', 'healthy'],
    },
    create: (mj, spec) => new Walker2dEnv(mj, spec),
  },
  {
    spec: {
      name: 'Ant',
      description: 'Walk forward with a four-legged ant; observation includes contact forces (Gymnasium Ant-v5).',
      obsDim: 105, actDim: 8, actionKind: 'box', frameSkip: 5, maxEpisodeSteps: 1000,
      rewardTerms: ['forward', 'healthy', 'ctrl_cost', 'contact_cost'],
    },
    create: (mj, spec) => new AntEnv(mj, spec),
  },
];

/** Every built-in task, in the order the UI lists them. */
export const TASKS: readonly TaskSpec[] = ENTRIES.map((e) => e.spec);

export function taskNames(): string[] {
  return ENTRIES.map((e) => e.spec.name);
}

function entryFor(name: string): Entry {
  const entry = ENTRIES.find((e) => e.spec.name === name);
  if (!entry) {
    throw new EnvError('unknown-task', `unknown task '${name}'; known tasks: ${taskNames().join(', ')}`);
  }
  return entry;
}

/** The spec of a named task (throws EnvError('unknown-task') listing the known names). */
export function getTaskSpec(name: string): TaskSpec {
  return entryFor(name).spec;
}

export { setEnvAssetDir } from './assets.js';

/** Creates a task env, loading MuJoCo first if needed. */
export async function makeEnv(name: string): Promise<Env> {
  const entry = entryFor(name);
  const mj = await getMujoco();
  return entry.create(mj, entry.spec);
}

/** Synchronous variant, for when getMujoco() has already resolved (e.g. VecEnv construction). */
export function makeEnvSync(name: string): Env {
  const entry = entryFor(name);
  const mj = getMujocoSync();
  if (!mj) throw new Error('makeEnvSync: MuJoCo is not loaded yet; await getMujoco() or makeEnv() first');
  return entry.create(mj, entry.spec);
}
