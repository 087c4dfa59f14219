// What every PolicyCore-based algorithm does alike: act, σ, snapshots and checkpoints of the core,
// its optimizers and counters, disposal. An algorithm file then holds only its rollout and loss.
import type { Optimizer } from '../rl/optim.js';
import { assertFiniteNumbers, type PolicyCore } from '../rl/policy-core.js';
import type { PolicySnapshot } from '../policy/snapshot.js';
import type { AlgoName } from '../protocol.js';
import type { AlgoState, Algorithm, UpdateStats } from './types.js';

export type StateTensors = Record<string, AlgoState['tensors'][string]>;

export abstract class CoreAlgorithm implements Algorithm {
  abstract readonly name: AlgoName;
  /** Updates done so far (drives the learning-rate schedule; checkpointed as json "updates"). */
  protected updates = 0;

  constructor(readonly core: PolicyCore) {}

  /**
   * The optimizers by checkpoint name: slots are saved as tensor `name`, the step count as json
   * `${name}Step`. An undefined entry (an optional critic) is skipped.
   */
  protected abstract optimizers(): Record<string, Optimizer | undefined>;
  /** Algorithm-specific state beyond core, optimizers and `updates`. */
  protected saveExtra(_tensors: StateTensors, _json: Record<string, unknown>): void {}
  protected loadExtra(_state: AlgoState): void {}
  /** The core, brought up to date for acting (A3C rebuilds its actor lazily). */
  protected liveCore(): PolicyCore {
    return this.core;
  }

  abstract update(): Promise<UpdateStats>;

  /**
   * How every update ends: NaN/Inf in the named stats or in any parameter throws (the trainer then
   * keeps its last good checkpoint), and the JS actor used for acting gets the new weights.
   */
  protected finishUpdate(stats: UpdateStats, mustBeFinite: readonly (keyof UpdateStats)[] = ['policyLoss', 'valueLoss', 'gradNorm']): UpdateStats {
    const values: Record<string, number> = {};
    for (const k of mustBeFinite) values[k] = stats[k];
    assertFiniteNumbers(`${this.name} update`, values);
    this.core.net.assertFinite(`${this.name} update`);
    this.refreshActor();
    return stats;
  }
  /** Copies the trained weights into the JS actor (A3C does it lazily). */
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
    for (const [name, opt] of Object.entries(this.optimizers())) {
      if (!opt) continue;
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
    for (const [name, opt] of Object.entries(this.optimizers())) {
      if (!opt) continue;
      const slots = state.tensors[name];
      if (!slots) throw new RangeError(`loadState: checkpoint lacks "${name}"`);
      opt.setState({ slots: slots as Float32Array, step: Number(state.json[`${name}Step`]) });
    }
    this.updates = Number(state.json['updates'] ?? 0);
    this.loadExtra(state);
  }

  async dispose(): Promise<void> {
    for (const opt of Object.values(this.optimizers())) opt?.dispose();
    this.core.dispose();
  }
}
