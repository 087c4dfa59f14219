// One A3C worker process: its own envs and local copy of θ. Loop: receive θ (and the global obs
// statistics), roll out numSteps steps in each env, compute n-step returns and the gradient of the
// A3C loss, send it back as one flat Float32Array. Forked by a3c.ts with WORKER_FLAG; importing
// this module without that flag (tests) only exposes A3cWorker.
import * as tf from '@tensorflow/tfjs';
import { setEnvAssetDir } from '../envs/assets.js';
import type { Env } from '../envs/types.js';
import { explainedVariance, nStepReturns } from '../rl/advantages.js';
import { readGrads } from '../rl/flat-params.js';
import { selectBackend } from '../rl/backend.js';
import { RunningMeanStd } from '../rl/normalize.js';
import { PolicyCore, RolloutBuffer, type KernelCore } from '../rl/policy-core.js';
import type { BackendChoice } from '../protocol.js';
import { envMaker } from '../trainer/env-factory.js';
import { a2cLoss, a2cLossGrad } from './a2c.js';
import type { A3cConfig } from './a3c.js';
import { STAT_FIELDS, WORKER_FLAG, type A3cGradMsg, type A3cInitMsg, type A3cParamsMsg, type ParentToWorker, type WorkerToParent } from './a3c-messages.js';
import { withTfGrads } from './base.js';
import { coreOptions } from './common.js';
import type { AlgoContext } from './types.js';

/**
 * PolicyCore whose observe() normalizes with frozen (global) statistics and collects the raw
 * observations' moments since the last send into `fresh` instead of updating the normalizer.
 */
class WorkerCore extends PolicyCore {
  fresh?: RunningMeanStd;
  override observe(): void {
    this.observeRows(this.pool.obs, this.N, this.normObs, this.fresh);
  }
}

export class A3cWorker {
  readonly core: WorkerCore;
  readonly numParams: number;
  /** The last rollout, its n-step returns R_t and advantages R_t − V(s_t) (tests, diagnostics). */
  readonly buf: RolloutBuffer;
  readonly ret: Float32Array;
  readonly adv: Float32Array;
  /** The last gradient and stats (lossGrad fills stats[0..2]); every message reuses these buffers. */
  readonly grads: Float32Array;
  readonly stats = new Float64Array(STAT_FIELDS);
  private readonly episodes: Float64Array;
  private nEpisodes = 0;
  private readonly moments: Float64Array | null;
  private readonly vars: tf.Variable[];

  constructor(init: Pick<A3cInitMsg, 'seed' | 'spec' | 'config'> & { backend: AlgoContext['backend'] }, makeEnv: () => Env) {
    const c = init.config;
    const ctx: AlgoContext = {
      spec: init.spec, makeEnv, config: c, seed: init.seed, totalSteps: 0, backend: init.backend,
      onEpisode: (ep) => this.onEpisode(ep.return, ep.length),
    };
    this.core = new WorkerCore(ctx, coreOptions({ ...c, numEnvs: c.numEnvsPerWorker }, 'v', c.shared, c.numSteps * c.numEnvsPerWorker));
    if (this.core.obsNorm) this.core.fresh = emptyRms(this.core.obsDim);
    const { N, obsDim, actWidth } = this.core;
    this.buf = new RolloutBuffer(c.numSteps, N, obsDim, actWidth);
    this.ret = new Float32Array(c.numSteps * N);
    this.adv = new Float32Array(c.numSteps * N);
    this.vars = this.core.net.variables;
    this.numParams = this.core.paramCount;
    this.grads = new Float32Array(this.numParams);
    // At most one episode end per env step.
    this.episodes = new Float64Array(2 * c.numSteps * N);
    this.moments = this.core.obsNorm ? new Float64Array(2 * obsDim + 1) : null;
  }

  private onEpisode(ret: number, len: number): void {
    this.episodes[2 * this.nEpisodes] = ret;
    this.episodes[2 * this.nEpisodes + 1] = len;
    this.nEpisodes++;
  }

  /** θ and the global obs statistics from the parent. */
  setParams(params: Float32Array, obsRms: Float64Array | null): void {
    this.core.writeParams(params);
    if (this.core.obsNorm && obsRms) this.core.obsNorm.rms.setState(obsRms);
  }

  /** One rollout and the gradient of the A3C loss on it. */
  step(epoch: number, c: A3cConfig): A3cGradMsg {
    const { core, buf } = this;
    this.nEpisodes = 0;
    core.collect(buf);
    core.computeValues(buf);
    nStepReturns(buf, buf.valueInfo, c.gamma, this.ret);
    for (let i = 0; i < this.adv.length; i++) this.adv[i] = this.ret[i] - buf.values[i];
    const B = buf.T * buf.N;
    this.lossGrad(c);
    this.stats[3] = explainedVariance(buf.values, this.ret);
    this.stats[4] = B;
    this.stats[5] = this.nEpisodes;
    let moments: Float64Array | null = null;
    if (this.moments && core.fresh) {
      this.moments.set(core.fresh.getState());
      moments = this.moments;
      resetRms(core.fresh);
    }
    // Serialization copies at send, so the same buffers serve every message.
    return { type: 'grads', epoch, grads: this.grads, stats: this.stats, episodes: this.episodes.subarray(0, 2 * this.nEpisodes), obsMoments: moments };
  }

  /**
   * The gradient of the A2C loss (Φ = R − V: A3C differs in where the gradient is applied, not in
   * what it is) on the last rollout (buf, adv, ret) into grads, flat in the net's variable order;
   * its [policy, value, entropy] into stats[0..2].
   */
  lossGrad(c: A3cConfig): void {
    const { core } = this;
    if (core.engine) {
      a2cLossGrad(core as KernelCore, this.buf, this.adv, this.ret, c, this.stats);
      core.engine.readGrads(this.grads);
      return;
    }
    // TF.js path: no optimizer step here (the parent applies the flat gradient), so tfGradStep does not fit.
    let kept: tf.Tensor | undefined;
    withTfGrads(this.vars, () => a2cLoss(core.net, this.buf, this.adv, this.ret, c, (t) => { kept = tf.keep(t); }), (grads) => readGrads(this.vars, grads, this.grads));
    this.stats.set((kept as tf.Tensor).dataSync());
    (kept as tf.Tensor).dispose();
  }

  dispose(): void {
    this.core.dispose();
  }
}

function emptyRms(d: number): RunningMeanStd {
  const r = new RunningMeanStd(d);
  resetRms(r);
  return r;
}

/** Count 0: the next batch's moments become the statistics exactly. */
function resetRms(r: RunningMeanStd): void {
  r.mean.fill(0);
  r.var.fill(1);
  r.count = 0;
}

function send(msg: WorkerToParent): void {
  process.send?.(msg);
}

async function main(): Promise<void> {
  // Packaged layouts: the trainer's asset folder, inherited through the environment.
  if (process.env.POLICY_LAB_ASSETS) setEnvAssetDir(process.env.POLICY_LAB_ASSETS);
  let worker: A3cWorker | null = null;
  let config: A3cConfig | null = null;
  // Messages are handled strictly one after another (init is async).
  let chain: Promise<void> = Promise.resolve();
  const fail = (e: unknown) => {
    const err = e instanceof Error ? e : new Error(String(e));
    send({ type: 'error', name: err.name, message: err.message });
    setTimeout(() => process.exit(1), 50);
  };
  const handle = async (m: ParentToWorker) => {
    if (m.type === 'init') {
      await selectBackend(m.backend as BackendChoice);
      const makeEnv = await envMaker(m.envSource);
      config = m.config;
      worker = new A3cWorker({ seed: m.seed, spec: m.spec, config: m.config, backend: tf.getBackend() as AlgoContext['backend'] }, makeEnv);
      send({ type: 'ready', numParams: worker.numParams });
    } else if (m.type === 'params') {
      if (!worker || !config) throw new Error('params before init');
      const p = m as A3cParamsMsg;
      worker.setParams(p.params, p.obsRms);
      send(worker.step(p.epoch, config));
    } else if (m.type === 'stop') {
      worker?.dispose();
      process.exit(0);
    }
  };
  process.on('message', (m) => {
    chain = chain.then(() => handle(m as ParentToWorker)).catch(fail);
  });
  // The parent is gone: nobody to send gradients to.
  process.on('disconnect', () => process.exit(0));
}

if (process.argv.includes(WORKER_FLAG)) void main();
