// What every PolicyCore-based algorithm does alike, so an algorithm file holds only its rollout
// and its loss: a gradient step's ceremony on either engine (kernel: clip and apply what the loss
// wrote into the engine; TF.js: grads → clip → apply → dispose, in tfGradStep / withTfGrads,
// which PPO's, QAC's and the A3C worker's TF.js paths use too), the end of an update (NaN/Inf checks, "not
// applicable" stats), acting, snapshots and checkpoints of the core and its optimizers (made
// through optimizer()), disposal, and the AlgoModule boilerplate.
import * as tf from '@tensorflow/tfjs';
import { resolveConfig, type ConfigOf, type Schema } from '../config/schema.js';
import type { KernelNet } from '../kernels/kernel-net.js';
import { NonFiniteError } from '../rl/errors.js';
import { Optimizer, type OptimizerOptions } from '../rl/optim.js';
import type { PolicyCore } from '../rl/policy-core.js';
import type { PolicySnapshot } from '../policy/snapshot.js';
import type { AlgoName } from '../protocol.js';
import type { AlgoContext, AlgoModule, AlgoState, Algorithm, UpdateStats } from './types.js';

export type StateTensors = Record<string, AlgoState['tensors'][string]>;

/** An update's stats: what the algorithm reports, NaN ("not applicable") for the rest. */
export function updateStats(s: Partial<UpdateStats>): UpdateStats {
  return {
    policyLoss: NaN, valueLoss: NaN, entropy: NaN, approxKl: NaN, clipFraction: NaN, explainedVariance: NaN, gradNorm: NaN, ...s,
  };
}

/** An AlgoModule whose create() resolves the schema and builds the algorithm. */
export function algoModule<S extends Schema>(
  m: { name: AlgoName; title: string; summary: string; schema: S },
  make: (ctx: AlgoContext, c: ConfigOf<S>) => Algorithm | Promise<Algorithm>,
): AlgoModule {
  return { ...m, create: async (ctx) => make(ctx, resolveConfig(m.schema, ctx.config as Record<string, unknown>, m.name)) };
}

export abstract class CoreAlgorithm implements Algorithm {
  abstract readonly name: AlgoName;
  /** Updates done so far (drives the learning-rate schedule; checkpointed as json "updates"). */
  protected updates = 0;

  constructor(readonly core: PolicyCore) {}

  /** The optimizers by checkpoint name (see optimizer()). */
  private readonly opts: Record<string, Optimizer> = {};

  /**
   * Makes an optimizer over `vars` and registers it under its checkpoint name: its slots are saved
   * as tensor `name`, its step count as json `${name}Step`, and it is disposed with the algorithm.
   */
  protected optimizer(name: string, vars: readonly tf.Variable[], o: OptimizerOptions): Optimizer {
    if (name in this.opts) throw new RangeError(`${this.name}: two optimizers named "${name}"`);
    const opt = new Optimizer(vars, o);
    this.opts[name] = opt;
    return opt;
  }
  /** Algorithm-specific state beyond core, optimizers and `updates`. */
  protected saveExtra(_tensors: StateTensors, _json: Record<string, unknown>): void {}
  protected loadExtra(_state: AlgoState): void {}
  /** The core, brought up to date for acting (A3C rebuilds its actor lazily). */
  protected liveCore(): PolicyCore {
    return this.core;
  }

  abstract update(): Promise<UpdateStats>;

  get gradientStep(): string | undefined {
    return this.core.engine ? 'WASM-SIMD kernel engine' : undefined;
  }

  /** The kernel engine (the algorithm checked `core.engine` before taking the kernel path). */
  protected get engine(): KernelNet {
    return this.core.engine as KernelNet;
  }

  /**
   * TF.js path: tfGradStep with one optimizer, read back. `loss` may hand out one tensor of
   * statistics through `keep`; returns its values and the pre-clip gradient norm.
   */
  protected tfStep(opt: Optimizer, lr: number, maxNorm: number, loss: (keep: (stats: tf.Tensor) => void) => tf.Scalar): { norm: number; stats: Float32Array } {
    let kept: tf.Tensor | undefined;
    const [normT] = tfGradStep(() => loss((s) => { kept = tf.keep(s); }), [{ opt, lr, maxNorm }]);
    const norm = normT.dataSync()[0];
    const stats = kept ? (kept.dataSync() as Float32Array) : new Float32Array(0);
    normT.dispose();
    kept?.dispose();
    return { norm, stats };
  }

  /**
   * How every update ends: NaN/Inf in the named stats or in any parameter throws NonFiniteError
   * (the trainer then keeps its last good checkpoint), and the actor used for acting is current.
   */
  protected finishUpdate(stats: UpdateStats, mustBeFinite: readonly (keyof UpdateStats)[] = ['policyLoss', 'valueLoss', 'gradNorm']): UpdateStats {
    const values: Record<string, number> = {};
    for (const k of mustBeFinite) values[k] = stats[k];
    assertFiniteNumbers(`${this.name} update`, values);
    this.core.assertFinite(`${this.name} update`);
    this.refreshActor();
    return stats;
  }
  /** TF.js path: copies the trained weights into the JS actor (A3C does it lazily). */
  protected refreshActor(): void {
    this.core.syncActor();
  }

  get steps(): number {
    return this.core.pool.steps;
  }

  act(obs: Float32Array, deterministic: boolean): Float32Array {
    return this.liveCore().act(obs, deterministic);
  }
  policyAt(obs: Float32Array): { mu: Float32Array; std: Float32Array } {
    return this.liveCore().policyAt(obs);
  }
  snapshot(): PolicySnapshot {
    return this.liveCore().snapshot();
  }

  async saveState(): Promise<AlgoState> {
    const tensors: StateTensors = {}, json: Record<string, unknown> = {};
    this.core.saveInto(tensors, json);
    for (const [name, opt] of Object.entries(this.opts)) {
      this.core.engine?.pushOptimizer(opt);
      const o = opt.getState();
      tensors[name] = o.slots;
      json[`${name}Step`] = o.step;
    }
    json['updates'] = this.updates;
    this.saveExtra(tensors, json);
    return { tensors, json };
  }

  async loadState(state: AlgoState): Promise<void> {
    this.core.loadFrom(state);
    for (const [name, opt] of Object.entries(this.opts)) {
      const slots = state.tensors[name];
      if (!slots) throw new RangeError(`loadState: checkpoint lacks "${name}"`);
      opt.setState({ slots: slots as Float32Array, step: Number(state.json[`${name}Step`]) });
      this.core.engine?.pullOptimizer(opt);
    }
    this.updates = Number(state.json['updates'] ?? 0);
    this.loadExtra(state);
  }

  async dispose(): Promise<void> {
    for (const opt of Object.values(this.opts)) opt.dispose();
    this.core.dispose();
  }
}

/**
 * The TF.js gradient of `loss` with respect to `vars`, from one tape, handed to `use` and disposed
 * after it (a variable the loss does not reach has no entry). Returns what `use` returns.
 */
export function withTfGrads<T>(vars: readonly tf.Variable[], loss: () => tf.Scalar, use: (grads: tf.NamedTensorMap) => T): T {
  const { value, grads } = tf.variableGrads(loss, vars as tf.Variable[]);
  try {
    return use(grads);
  } finally {
    tf.dispose([value, ...Object.values(grads)]);
  }
}

/** One optimizer's part of a TF.js gradient step: its variables' gradients, clipped to maxNorm, applied at lr. */
export interface TfApply {
  readonly opt: Optimizer;
  readonly lr: number;
  readonly maxNorm: number;
}

/**
 * The TF.js gradient step (the reference of KernelNet.applyGradients): the gradient of `loss` with
 * respect to every optimizer's variables from one tape, then each optimizer, in order, clips and
 * applies its part. Returns the pre-clip norms as scalars kept on the backend (no read back, so a
 * loop of steps need not wait on each; the caller disposes them).
 */
export function tfGradStep(loss: () => tf.Scalar, steps: readonly TfApply[]): tf.Scalar[] {
  return withTfGrads(steps.flatMap((s) => s.opt.vars), loss, (grads) => steps.map((s) => s.opt.applyClipped(s.opt.vars.map((v) => grads[v.name]), s.lr, s.maxNorm)));
}

/** Throws NonFiniteError if a reported number is NaN or ±Inf. */
export function assertFiniteNumbers(where: string, values: Record<string, number>): void {
  for (const [k, v] of Object.entries(values)) if (!Number.isFinite(v)) throw new NonFiniteError(`${where}: ${k} (${v})`);
}
