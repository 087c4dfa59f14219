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
// Live view: this process keeps one env of its own; when ctx.wantFrame() is true after a gradient,
// it takes one sampled step of the current policy there and emits that frame.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { bool, int, num, choice, type ConfigOf, resolveConfig } from '../config/schema.js';
import type { TaskSpec } from '../envs/types.js';
import { Optimizer, scheduledLr, type LrSchedule } from '../rl/optim.js';
import { NonFiniteLossError, PolicyCore } from '../rl/policy-core.js';
import type { RunningMeanStd } from '../rl/normalize.js';
import { coreOptions, gammaField, NETWORK_FIELDS, NORM_FIELDS, OPTIM_FIELDS } from './common.js';
import { CoreAlgorithm, type StateTensors } from './base.js';
import type { AlgoContext, AlgoModule, AlgoState, EnvSource, UpdateStats } from './types.js';

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

export type A3cEnvSource = EnvSource;
export type A3cContext = AlgoContext;

export class A3cWorkerCrashError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'A3cWorkerCrashError';
  }
}

// ------------------------------------------------------------------ messages (typed arrays only)
export interface A3cInitMsg {
  readonly type: 'init';
  readonly index: number;
  readonly seed: number;
  readonly backend: string;
  readonly spec: TaskSpec;
  readonly envSource: A3cEnvSource;
  readonly config: A3cConfig;
}
export interface A3cParamsMsg {
  readonly type: 'params';
  /** Bumped by loadState: gradients computed before it are dropped. */
  readonly epoch: number;
  readonly params: Float32Array;
  /** The global RunningMeanStd state (mean, var, count) or null without normObs. */
  readonly obsRms: Float64Array | null;
}
export type ParentToWorker = A3cInitMsg | A3cParamsMsg | { readonly type: 'stop' };

/** stats: policy loss, value loss, entropy, explained variance, env steps, episodes. */
export const STAT_FIELDS = 6;
export interface A3cGradMsg {
  readonly type: 'grads';
  readonly epoch: number;
  readonly grads: Float32Array;
  readonly stats: Float64Array;
  /** (return, length) pairs of the episodes finished in this rollout. */
  readonly episodes: Float64Array;
  /** Moments (mean, var, count) of the raw observations of this rollout, or null. */
  readonly obsMoments: Float64Array | null;
}
export type WorkerToParent =
  | { readonly type: 'ready'; readonly numParams: number }
  | A3cGradMsg
  | { readonly type: 'error'; readonly name: string; readonly message: string };

// ------------------------------------------------------------------ flat parameter helpers
export function paramCount(vars: readonly tf.Variable[]): number {
  return vars.reduce((s, v) => s + v.size, 0);
}

/** Copies every variable, in order, into `out`. */
export function readParams(vars: readonly tf.Variable[], out: Float32Array): void {
  let o = 0;
  for (const v of vars) {
    out.set(v.dataSync() as Float32Array, o);
    o += v.size;
  }
  if (o !== out.length) throw new RangeError(`readParams: ${o} parameters for a buffer of ${out.length}`);
}

/** Assigns `flat` to the variables, in order (tidy: the temporary tensors are freed). */
export function writeParams(vars: readonly tf.Variable[], flat: Float32Array): void {
  const n = paramCount(vars);
  if (flat.length !== n) throw new RangeError(`writeParams: ${flat.length} numbers for ${n} parameters`);
  let o = 0;
  tf.tidy(() => {
    for (const v of vars) {
      v.assign(tf.tensor(flat.subarray(o, o + v.size), v.shape));
      o += v.size;
    }
  });
}

/**
 * θ ← θ − lr·update(clip(g)) with g a flat gradient in the variables' order. Returns the global
 * norm of g before clipping.
 */
export function applyFlatGradient(opt: Optimizer, flat: Float32Array, lr: number, maxGradNorm: number): number {
  const vars = opt.vars;
  const n = paramCount(vars);
  if (flat.length !== n) throw new RangeError(`applyFlatGradient: ${flat.length} numbers for ${n} parameters`);
  let o = 0;
  const grads = vars.map((v) => {
    const g = tf.tensor(flat.subarray(o, o + v.size), v.shape);
    o += v.size;
    return g;
  });
  const normT = opt.applyClipped(grads, lr, maxGradNorm);
  const norm = normT.dataSync()[0];
  tf.dispose([...grads, normT]);
  return norm;
}

/** Merges batch moments (mean, var, count) into running statistics (Chan et al.'s parallel rule). */
export function mergeMoments(rms: RunningMeanStd, m: Float64Array): void {
  const d = rms.dim;
  if (m.length !== 2 * d + 1) throw new RangeError(`mergeMoments: expected ${2 * d + 1} numbers, got ${m.length}`);
  const nb = m[2 * d];
  if (!(nb > 0)) return;
  const na = rms.count, tot = na + nb;
  for (let j = 0; j < d; j++) {
    const delta = m[j] - rms.mean[j];
    rms.mean[j] += (delta * nb) / tot;
    rms.var[j] = (rms.var[j] * na + m[d + j] * nb + (delta * delta * na * nb) / tot) / tot;
  }
  rms.count = tot;
}

// ------------------------------------------------------------------ worker entry
let workerEntryOverride: string | undefined;

/** For packaged apps: where the built worker script is (default: a3c-worker.{ts,js} beside this module). */
export function setA3cWorkerEntry(path: string | undefined): void {
  workerEntryOverride = path;
}

export function a3cWorkerEntry(): string {
  if (workerEntryOverride) return workerEntryOverride;
  if (process.env.POLICY_LAB_A3C_WORKER) return process.env.POLICY_LAB_A3C_WORKER;
  const ext = import.meta.url.endsWith('.js') ? '.js' : '.ts';
  return fileURLToPath(new URL(`./a3c-worker${ext}`, import.meta.url));
}

/** The argv marker that makes a3c-worker run its main loop (importing it elsewhere does nothing). */
export const WORKER_FLAG = '--policy-lab-a3c-worker';

function envSourceOf(ctx: A3cContext): A3cEnvSource {
  if (ctx.envSource) return ctx.envSource;
  if (ctx.spec.name === 'custom') throw new RangeError('a3c: a custom MJCF task needs ctx.envSource = { kind: "custom", mjcf, preset } so the workers can build it');
  return { kind: 'task', name: ctx.spec.name };
}

function workerSeed(seed: number, index: number, generation: number): number {
  return (Math.imul(seed ^ 0x3c6ef372, 0x9e3779b1) + Math.imul(index + 1, 0x85ebca6b) + Math.imul(generation, 0xc2b2ae35)) >>> 0;
}

type QueueItem =
  | { readonly k: number; readonly gen: number; readonly kind: 'msg'; readonly msg: WorkerToParent }
  | { readonly k: number; readonly gen: number; readonly kind: 'exit'; readonly code: number | null; readonly signal: string | null };

interface Slot {
  proc: ChildProcess;
  gen: number;
  ready: boolean;
}

// ------------------------------------------------------------------ the global side
/** core: global θ (core.net), the global obs normalizer, acting, snapshots, the live-view env. */
export class A3c extends CoreAlgorithm {
  readonly name = 'a3c' as const;
  private readonly opt: Optimizer;
  private readonly vars: tf.Variable[];
  private readonly flat: Float32Array;
  private readonly envSource: A3cEnvSource;
  private readonly slots: Slot[] = [];
  private readonly queue: QueueItem[] = [];
  private wake: (() => void) | null = null;
  private disposing = false;
  private failure: Error | null = null;
  private epoch = 0;
  private frameObs: Float32Array;
  private stepCount = 0;
  /** θ changed since the JS actor (acting, frames) was last rebuilt. */
  private actorStale = false;
  private disposed = false;
  /** Gradients applied so far. */
  applied = 0;
  /** Workers respawned after a crash. */
  restarts = 0;
  /** One line per crash, for the log. */
  readonly crashLog: string[] = [];

  constructor(private readonly ctx: A3cContext, readonly c: A3cConfig) {
    const envSource = envSourceOf(ctx);
    super(new PolicyCore(ctx, coreOptions({ ...c, numEnvs: 1, normReward: false }, 'v', c.shared)));
    this.envSource = envSource;
    // The constructor's observe() fed the live-view env's first obs to the normalizer: start clean.
    this.core.obsNorm?.rms.setState(cleanRms(this.core.obsDim));
    this.vars = this.core.net.variables;
    this.opt = new Optimizer(this.vars, { kind: c.optimizer, eps: c.optimEps, alpha: 0.99 });
    this.flat = new Float32Array(paramCount(this.vars));
    readParams(this.vars, this.flat);
    this.frameObs = Float32Array.from(this.core.pool.obs);
  }

  override get steps(): number {
    return this.stepCount;
  }

  /** The pids of the live workers (tests, diagnostics). */
  get workerPids(): number[] {
    return this.slots.map((s) => s.proc.pid ?? -1);
  }

  /** Forks every worker and waits until all are ready; then sends them θ. */
  async start(): Promise<void> {
    for (let k = 0; k < this.c.numWorkers; k++) this.spawn(k, 0);
    let ready = 0;
    while (ready < this.c.numWorkers) {
      const item = await this.next();
      if (item.kind === 'exit') throw this.crashError(item.k, item.code, item.signal, 'while starting');
      if (item.msg.type === 'ready') {
        this.checkReady(item.k, item.msg.numParams);
        ready++;
      } else if (item.msg.type === 'error') throw workerError(item.k, item.msg);
    }
    for (let k = 0; k < this.slots.length; k++) this.sendParams(k);
  }

  private spawn(k: number, gen: number): void {
    const entry = a3cWorkerEntry();
    const proc = fork(entry, [WORKER_FLAG], {
      execArgv: entry.endsWith('.ts') ? ['--import', 'tsx'] : [],
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const slot: Slot = { proc, gen, ready: false };
    this.slots[k] = slot;
    proc.on('message', (msg) => this.push({ k, gen, kind: 'msg', msg: msg as WorkerToParent }));
    proc.on('exit', (code, signal) => {
      if (!this.disposing) this.push({ k, gen, kind: 'exit', code, signal });
    });
    // A failed send to a dying worker surfaces as its exit; nothing to do here.
    proc.on('error', () => {});
    const init: A3cInitMsg = {
      type: 'init', index: k, seed: workerSeed(this.ctx.seed, k, gen), backend: this.ctx.backend,
      spec: this.ctx.spec, envSource: this.envSource, config: this.c,
    };
    proc.send(init);
  }

  private push(item: QueueItem): void {
    this.queue.push(item);
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  private async next(): Promise<QueueItem> {
    const ms = this.c.workerTimeout * 1000;
    while (this.queue.length === 0) {
      let timer: NodeJS.Timeout | undefined;
      let timedOut = false;
      await new Promise<void>((r) => {
        this.wake = r;
        if (ms > 0) timer = setTimeout(() => { timedOut = true; r(); }, ms);
      });
      clearTimeout(timer);
      if (timedOut && this.queue.length === 0) throw new A3cWorkerCrashError(`A3C workers sent nothing for ${this.c.workerTimeout} s (hung?)`);
    }
    return this.queue.shift() as QueueItem;
  }

  private checkReady(k: number, numParams: number): void {
    if (numParams !== this.flat.length) throw new A3cWorkerCrashError(`A3C worker ${k} built ${numParams} parameters, the global net has ${this.flat.length}`);
    this.slots[k].ready = true;
  }

  private sendParams(k: number): void {
    const s = this.slots[k];
    if (!s.proc.connected) return;
    const msg: A3cParamsMsg = { type: 'params', epoch: this.epoch, params: this.flat, obsRms: this.core.obsNorm ? this.core.obsNorm.rms.getState() : null };
    s.proc.send(msg);
  }

  private crashError(k: number, code: number | null, signal: string | null, when = ''): A3cWorkerCrashError {
    const how = signal ? `signal ${signal}` : `exit code ${code}`;
    return new A3cWorkerCrashError(`A3C worker ${k} crashed (${how})${when ? ' ' + when : ''}`);
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

  private async runUpdate(): Promise<UpdateStats> {
    const { c } = this;
    const target = this.stepCount + c.numWorkers * c.numSteps * c.numEnvsPerWorker * c.updatesPerReport;
    const sum = new Float64Array(5);
    let count = 0;
    while (this.stepCount < target) {
      const item = await this.next();
      const slot = this.slots[item.k];
      const current = item.gen === slot.gen;
      if (item.kind === 'exit') {
        if (!current) continue;
        const err = this.crashError(item.k, item.code, item.signal);
        if (!c.restartWorkers || this.restarts >= c.maxWorkerRestarts) throw err;
        this.restarts++;
        this.crashLog.push(`${err.message}; restarted (${this.restarts}/${c.maxWorkerRestarts})`);
        console.warn(`[a3c] ${this.crashLog[this.crashLog.length - 1]}`);
        this.spawn(item.k, slot.gen + 1);
        continue;
      }
      const msg = item.msg;
      if (msg.type === 'error') throw workerError(item.k, msg);
      if (msg.type === 'ready') {
        if (current) {
          this.checkReady(item.k, msg.numParams);
          this.sendParams(item.k);
        }
        continue;
      }
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
      if (current) this.sendParams(item.k);
      if (this.ctx.wantFrame()) this.frame();
    }
    const out: UpdateStats = {
      policyLoss: sum[0] / count, valueLoss: sum[1] / count, entropy: sum[2] / count, approxKl: NaN, clipFraction: NaN,
      explainedVariance: sum[3] / count, gradNorm: sum[4] / count,
    };
    return this.finishUpdate(out);
  }

  /** Applies one worker's gradient to θ, merges its obs moments, reports its episodes. */
  private applyGradient(msg: A3cGradMsg): number {
    const c = this.c;
    const lr = scheduledLr(c.lr, c.lrSchedule as LrSchedule, this.stepCount / Math.max(1, this.ctx.totalSteps));
    const gn = applyFlatGradient(this.opt, msg.grads, lr, c.maxGradNorm);
    readParams(this.vars, this.flat);
    if (this.core.obsNorm && msg.obsMoments) mergeMoments(this.core.obsNorm.rms, msg.obsMoments);
    this.stepCount += msg.stats[4];
    this.applied++;
    this.actorStale = true;
    const ep = msg.episodes;
    for (let i = 0; i + 1 < ep.length; i += 2) this.ctx.onEpisode({ step: this.stepCount, return: ep[i], length: ep[i + 1] });
    return gn;
  }

  protected override refreshActor(): void {
    this.syncActor();
  }

  /** Rebuilds the JS actor only when θ changed since the last rebuild. */
  private syncActor(): void {
    if (!this.actorStale) return;
    this.core.syncActor();
    this.actorStale = false;
  }

  /** One sampled step of the current policy in this process's own env, for the live view. */
  private frame(): void {
    this.syncActor();
    const env = this.core.pool.envs[0];
    const r = env.step(this.core.act(this.frameObs, false));
    this.frameObs.set(r.obs);
    if (r.terminated || r.truncated) this.frameObs.set(env.reset());
    this.ctx.emitFrame(env, this.frameObs);
  }

  protected override liveCore(): PolicyCore {
    this.syncActor();
    return this.core;
  }
  protected optimizers() {
    return { opt: this.opt };
  }

  protected override saveExtra(tensors: StateTensors, json: Record<string, unknown>): void {
    tensors['frameObs'] = Float32Array.from(this.frameObs);
    json['a3cSteps'] = this.stepCount;
    json['applied'] = this.applied;
    json['restarts'] = this.restarts;
  }

  protected override loadExtra(state: AlgoState): void {
    const fo = state.tensors['frameObs'];
    if (fo) this.frameObs.set(fo);
    this.stepCount = Number(state.json['a3cSteps']);
    this.applied = Number(state.json['applied'] ?? 0);
    this.restarts = Number(state.json['restarts'] ?? 0);
    if (!Number.isFinite(this.stepCount)) throw new RangeError('loadState: checkpoint lacks "a3cSteps"');
    readParams(this.vars, this.flat);
    // Workers busy with the old θ: their gradients are dropped (epoch) and they get the new θ.
    this.epoch++;
  }

  override async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.disposing = true;
    const exits = this.slots.map((s) => new Promise<void>((resolve) => {
      if (s.proc.exitCode !== null || s.proc.signalCode !== null) return resolve();
      s.proc.once('exit', () => resolve());
      if (s.proc.connected) s.proc.send({ type: 'stop' } satisfies ParentToWorker);
      // A worker busy in a long rollout, or stuck: no more than a second's grace.
      setTimeout(() => s.proc.kill('SIGKILL'), 1000).unref();
    }));
    await Promise.all(exits);
    await super.dispose();
  }
}

function cleanRms(d: number): Float64Array {
  const s = new Float64Array(2 * d + 1);
  s.fill(1, d, 2 * d);
  s[2 * d] = 1e-4;
  return s;
}

function workerError(k: number, msg: { name: string; message: string }): Error {
  const text = `A3C worker ${k}: ${msg.message}`;
  if (msg.name === 'NonFiniteLossError' || msg.name === 'NonFiniteError') return new NonFiniteLossError(text);
  const e = new Error(text);
  e.name = msg.name || 'Error';
  return e;
}

export const a3c: AlgoModule = {
  name: 'a3c',
  title: 'Asynchronous Advantage Actor-Critic',
  summary: 'K worker processes, n-step returns, entropy bonus, one shared RMSProp/Adam; not bit-reproducible',
  schema: A3C_SCHEMA,
  async create(ctx) {
    const algo = new A3c(ctx, resolveConfig(A3C_SCHEMA, ctx.config as Record<string, unknown>, 'a3c'));
    try {
      await algo.start();
    } catch (e) {
      await algo.dispose();
      throw e;
    }
    return algo;
  },
};
