// A3C: asynchronous advantage actor-critic (Mnih et al. 2016). K worker processes (child
// processes, not threads), each with its own envs and a local copy of θ, roll out n steps,
// compute ∇ of
//
//   loss = −mean[(R_t − V(s_t)) log π_θ(a_t|s_t)] − c_ent·H[π_θ] + c_V·mean[(R_t − V_θ(s_t))²]
//   R_t  = Σ_{i<k} γ^i r_{t+i} + γ^k V(s_{t+k})   (V = 0 at a terminal state, bootstrapped at a
//                                                   time limit and at the rollout's end)
//
// and send it here. This process owns the global θ and the ONE optimizer (RMSProp or Adam with
// statistics shared by all workers, as in the paper); it applies each gradient as soon as it is
// taken from the queue (clipped by global norm) and replies to that worker with the fresh θ. A
// gradient may have been computed on θ a few steps old: that staleness is A3C.
//
// Observation normalization: the running mean/std lives here. Workers normalize with the
// statistics sent along with θ and send back the moments of the raw observations they saw; this
// process merges them (Chan's rule). Reward scaling (normReward, on by default as in A2C) is per
// worker: each keeps its own running return std, which is not checkpointed (re-estimated after a
// resume or a restart).
//
// Not bit-reproducible: the order in which gradients arrive depends on OS scheduling. Checkpoints
// hold θ, the optimizer, the normalizer and the counters; the workers' env states are not saved
// (after loadState the workers continue their own episodes, and gradients computed before the load
// are discarded).
//
// Crashes: a worker that exits unexpectedly is reported on stderr and, with restartWorkers (the
// default), respawned with a fresh seed (up to maxWorkerRestarts in all); otherwise — or past that
// limit — update() throws A3cWorkerCrashError('A3C worker k crashed (signal …)'). An error inside
// a worker (e.g. a NaN loss) is rethrown here with its name and message; silence from all workers
// for workerTimeout seconds fails the update too.
//
// Files: this one holds the algorithm; a3c-supervisor.ts the worker processes, a3c-messages.ts
// what crosses between them, a3c-worker.ts a worker's loop.
//
// The live view is the viewer process's (it replays the policy snapshots the trainer sends), so
// this process only applies gradients; its own single env exists because PolicyCore builds one.
import { bool, int, num, choice, type ConfigOf } from '../config/schema.js';
import type { AlgoContext, EnvSource } from '../rl/context.js';
import { Optimizer, scheduledLr, type LrSchedule } from '../rl/optim.js';
import { PolicyCore } from '../rl/policy-core.js';
import { coreOptions, gammaField, NETWORK_FIELDS, NORM_FIELDS, OPTIM_FIELDS } from './common.js';
import { algoModule, CoreAlgorithm, updateStats, type StateTensors } from './base.js';
import type { A3cGradMsg, A3cParamsMsg } from './a3c-messages.js';
import { A3cSupervisor } from './a3c-supervisor.js';
import type { AlgoState, UpdateStats } from './types.js';

export const A3C_SCHEMA = {
  numWorkers: int(2, 'worker processes, each with its own envs and copy of the parameters', 1, 64),
  numEnvsPerWorker: int(1, 'environments per worker', 1, 64),
  numSteps: int(20, 'steps per env per worker rollout (the n of n-step returns)', 1),
  updatesPerReport: int(10, 'one reported update = numWorkers·numSteps·numEnvsPerWorker·this env steps of applied gradients', 1),
  gamma: gammaField,
  entCoef: num(0, 'entropy bonus coefficient', { min: 0 }),
  vfCoef: num(0.5, 'value-loss coefficient', { min: 0 }),
  shared: bool(false, 'one trunk for actor and critic (A3C-style parameter sharing)'),
  ...NETWORK_FIELDS,
  ...NORM_FIELDS,
  normReward: bool(true, 'scale rewards by the running std of the discounted return (per worker, not checkpointed)'),
  ...OPTIM_FIELDS,
  optimizer: choice('rmsprop', ['adam', 'rmsprop'] as const, 'global optimizer, its statistics shared by all workers (paper: RMSProp)'),
  lr: num(7e-4, 'learning rate', { min: 0 }),
  lrSchedule: choice('constant', ['constant', 'linear'] as const, 'learning-rate schedule'),
  restartWorkers: bool(true, 'respawn a crashed worker and continue (else the update fails)'),
  maxWorkerRestarts: int(10, 'give up after this many restarts in all', 0),
  workerTimeout: num(300, 'seconds without any word from the workers before the update fails (0: wait forever)', { min: 0 }),
} as const;
export type A3cConfig = ConfigOf<typeof A3C_SCHEMA>;

/** What an A3C run is given: an AlgoContext (with envSource for a custom task). */
export type A3cContext = AlgoContext;

/** core: global θ, the global obs normalizer, acting, snapshots, the live-view env. */
export class A3c extends CoreAlgorithm {
  readonly name = 'a3c' as const;
  private readonly opt: Optimizer;
  private readonly flat: Float32Array;
  readonly workers: A3cSupervisor;
  private failure: Error | null = null;
  private epoch = 0;
  private stepCount = 0;
  /** θ changed since the JS actor (acting) was last rebuilt (TF.js path). */
  private actorStale = false;
  private disposed = false;
  /** Gradients applied so far. */
  applied = 0;

  constructor(private readonly ctx: A3cContext, readonly c: A3cConfig) {
    const envSource = workerEnvSource(ctx);
    super(new PolicyCore(ctx, coreOptions({ ...c, numEnvs: 1, normReward: false }, 'v', c.shared, 1)));
    // The constructor's observe() fed the live-view env's first obs to the normalizer: start clean.
    this.core.obsNorm?.rms.setState(cleanRms(this.core.obsDim));
    this.opt = this.optimizer('opt', this.core.net.variables, { kind: c.optimizer, eps: c.optimEps, alpha: 0.99 });
    this.flat = new Float32Array(this.core.paramCount);
    this.core.readParams(this.flat);
    this.workers = new A3cSupervisor({
      count: c.numWorkers, numParams: this.flat.length, restart: c.restartWorkers, maxRestarts: c.maxWorkerRestarts, timeoutSec: () => c.workerTimeout,
      init: (k, gen) => ({ type: 'init', index: k, seed: workerSeed(ctx.seed, k, gen), backend: ctx.backend, spec: ctx.spec, envSource, config: c }),
      onReady: (k) => this.sendParams(k),
    });
  }

  /** Forks every worker, waits until all are ready, then sends them θ. */
  async start(): Promise<void> {
    await this.workers.start();
    for (let k = 0; k < this.c.numWorkers; k++) this.sendParams(k);
  }

  async update(): Promise<UpdateStats> {
    if (this.failure) throw this.failure;
    try {
      return await this.runUpdate();
    } catch (e) {
      this.failure = e as Error;
      throw e;
    }
  }

  /** Applies gradients as they arrive until this report's env steps are in. */
  private async runUpdate(): Promise<UpdateStats> {
    const { c } = this;
    const target = this.stepCount + c.numWorkers * c.numSteps * c.numEnvsPerWorker * c.updatesPerReport;
    const sum = new Float64Array(5);
    let count = 0;
    while (this.stepCount < target) {
      const { k, msg, current } = await this.workers.nextGradient();
      // A gradient from before a loadState belongs to parameters that no longer exist.
      if (msg.epoch === this.epoch) {
        const gn = this.applyGradient(msg);
        const s = msg.stats;
        sum[0] += s[0];
        sum[1] += s[1];
        sum[2] += s[2];
        sum[3] += Number.isFinite(s[3]) ? s[3] : 0;
        sum[4] += gn;
        count++;
      }
      if (current) this.sendParams(k);
    }
    return this.finishUpdate(updateStats({
      policyLoss: sum[0] / count, valueLoss: sum[1] / count, entropy: sum[2] / count, explainedVariance: sum[3] / count, gradNorm: sum[4] / count,
    }));
  }

  /** Applies one worker's gradient to θ (clipped), merges its obs moments, reports its episodes. */
  private applyGradient(msg: A3cGradMsg): number {
    const c = this.c;
    const lr = scheduledLr(c.lr, c.lrSchedule as LrSchedule, this.stepCount / Math.max(1, this.ctx.totalSteps));
    const gn = this.core.applyFlatGradient(this.opt, msg.grads, lr, c.maxGradNorm);
    this.core.readParams(this.flat);
    if (this.core.obsNorm && msg.obsMoments) this.core.obsNorm.rms.merge(msg.obsMoments);
    this.stepCount += msg.stats[4];
    this.applied++;
    this.actorStale = true;
    const ep = msg.episodes;
    for (let i = 0; i + 1 < ep.length; i += 2) this.ctx.onEpisode({ step: this.stepCount, return: ep[i], length: ep[i + 1] });
    return gn;
  }

  private sendParams(k: number): void {
    const msg: A3cParamsMsg = { type: 'params', epoch: this.epoch, params: this.flat, obsRms: this.core.obsNorm ? this.core.obsNorm.rms.getState() : null };
    this.workers.send(k, msg);
  }

  override get steps(): number {
    return this.stepCount;
  }

  /** The pids of the live workers (tests, diagnostics). */
  get workerPids(): number[] {
    return this.workers.pids;
  }
  get restarts(): number {
    return this.workers.restarts;
  }
  get crashLog(): readonly string[] {
    return this.workers.crashLog;
  }

  protected override refreshActor(): void {
    this.syncActor();
  }

  /** Rebuilds the JS actor only when θ changed since the last rebuild (TF.js path; a no-op on the engine). */
  private syncActor(): void {
    if (!this.actorStale) return;
    this.core.syncActor();
    this.actorStale = false;
  }

  protected override liveCore(): PolicyCore {
    this.syncActor();
    return this.core;
  }

  protected override saveExtra(tensors: StateTensors, json: Record<string, unknown>): void {
    json['a3cSteps'] = this.stepCount;
    json['applied'] = this.applied;
    json['restarts'] = this.workers.restarts;
  }

  protected override loadExtra(state: AlgoState): void {
    this.stepCount = Number(state.json['a3cSteps']);
    this.applied = Number(state.json['applied'] ?? 0);
    this.workers.restarts = Number(state.json['restarts'] ?? 0);
    if (!Number.isFinite(this.stepCount)) throw new RangeError('loadState: checkpoint lacks "a3cSteps"');
    this.core.readParams(this.flat);
    // Workers busy with the old θ: their gradients are dropped (epoch) and they get the new θ.
    this.epoch++;
  }

  override async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.workers.dispose();
    await super.dispose();
  }
}

/**
 * How the workers build their envs: the context's EnvSource (the trainer sets it from the run
 * config with env-factory's envSourceOf), else the built-in task of the spec's name (tests).
 */
function workerEnvSource(ctx: A3cContext): EnvSource {
  if (ctx.envSource) return ctx.envSource;
  if (ctx.spec.name === 'custom') throw new RangeError('a3c: a custom MJCF task needs ctx.envSource = { kind: "custom", mjcf, preset } so the workers can build it');
  return { kind: 'task', name: ctx.spec.name };
}

function workerSeed(seed: number, index: number, generation: number): number {
  return (Math.imul(seed ^ 0x3c6ef372, 0x9e3779b1) + Math.imul(index + 1, 0x85ebca6b) + Math.imul(generation, 0xc2b2ae35)) >>> 0;
}

function cleanRms(d: number): Float64Array {
  const s = new Float64Array(2 * d + 1);
  s.fill(1, d, 2 * d);
  s[2 * d] = 1e-4;
  return s;
}

export const a3c = algoModule({
  name: 'a3c',
  title: 'Asynchronous Advantage Actor-Critic',
  summary: 'K worker processes, n-step returns, entropy bonus, one shared RMSProp/Adam; not bit-reproducible',
  schema: A3C_SCHEMA,
}, async (ctx, c) => {
  const algo = new A3c(ctx, c);
  try {
    await algo.start();
  } catch (e) {
    await algo.dispose();
    throw e;
  }
  return algo;
});
