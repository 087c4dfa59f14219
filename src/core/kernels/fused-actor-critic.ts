// An ActorCritic mirrored into a WASM kernel arena for fused gradient steps: parameters,
// gradients and optimizer moments as four parallel flat regions, the actor (trunk + mean head)
// and the critic (trunk + value head) as kernel layer stacks. The tf variables and the
// Optimizer stay the source of truth between updates (checkpoints, snapshots, acting): pull()
// before a run of steps, push() after.
import * as tf from '@tensorflow/tfjs';
import type { ActorCritic, DenseVars, NetConfig } from '../rl/networks.js';
import type { Optimizer } from '../rl/optim.js';
import { ACTIVATION_CODE, WasmArena, WasmMlpStack, type WasmDense } from './wasm-mlp.js';

/** Why a net cannot take fused steps, or null when it can. */
export function fusedUnsupportedReason(cfg: NetConfig): string | null {
  if (cfg.discrete) return 'categorical policies use the TF.js step';
  if (cfg.sigma !== 'state-independent') return 'state-dependent σ uses the TF.js step';
  if (cfg.shared) return 'a shared trunk uses the TF.js step';
  if (cfg.critic !== 'v') return 'only a V(s) critic is fused';
  return null;
}

export class FusedActorCritic {
  readonly arena = new WasmArena();
  /** Flat length of each region (variables padded to multiples of four floats). */
  readonly size: number;
  readonly theta: number;
  readonly grad: number;
  readonly m: number;
  readonly v: number;
  /** Input rows [maxRows, obsDim]. */
  readonly x: number;
  readonly actor: WasmMlpStack;
  readonly critic: WasmMlpStack;
  /** Offset of log σ in the parameter region ([actDim]). */
  readonly logStd: number;
  /** Scratch for a loss: 1/σ per action dimension. */
  readonly invStd: Float64Array;
  /** Each tf variable's offset within a region (net.named order). */
  private readonly at: Map<tf.Variable, number>;

  constructor(private readonly net: ActorCritic, readonly maxRows: number) {
    const why = fusedUnsupportedReason(net.cfg);
    if (why) throw new RangeError(`FusedActorCritic: ${why}`);
    const rel = new Map<tf.Variable, number>();
    let size = 0;
    for (const { v } of net.named) {
      rel.set(v, size);
      size += (v.size + 3) & ~3;
    }
    this.size = size;
    const a = this.arena;
    this.theta = a.alloc(size);
    this.grad = a.alloc(size);
    this.m = a.alloc(size);
    this.v = a.alloc(size);
    this.at = rel;
    this.x = a.alloc(maxRows * net.cfg.obsDim);
    const layer = (l: DenseVars): WasmDense => ({
      inDim: l.inDim, outDim: l.outDim, act: ACTIVATION_CODE[l.activation],
      w: this.theta + (rel.get(l.w) as number), b: this.theta + (rel.get(l.b) as number),
    });
    const shift = this.grad - this.theta;
    this.actor = new WasmMlpStack(a, [...net.actorTrunk, net.meanHead].map(layer), maxRows, shift);
    this.critic = new WasmMlpStack(a, [...net.criticTrunk, net.valueHead as DenseVars].map(layer), maxRows, shift);
    this.logStd = this.theta + (rel.get(net.logStd as tf.Variable) as number);
    this.invStd = new Float64Array(net.cfg.actDim);
  }

  /** tf variables and optimizer moments → arena. */
  pull(opt: Optimizer): void {
    const F = this.arena.f32;
    for (const { v } of this.net.named) F.set(v.dataSync() as Float32Array, this.theta + (this.at.get(v) as number));
    const { slots } = opt.getState();
    this.eachSlice(opt, (region, src, at) => F.set(slots.subarray(src, src + at.n), region + at.off));
  }

  /** Arena → tf variables and optimizer moments (the step count is kept on opt throughout). */
  push(opt: Optimizer): void {
    const F = this.arena.f32;
    for (const { v } of this.net.named) {
      const o = this.theta + (this.at.get(v) as number);
      tf.tidy(() => v.assign(tf.tensor(F.subarray(o, o + v.size), v.shape)));
    }
    const { slots } = opt.getState();
    this.eachSlice(opt, (region, src, at) => slots.set(F.subarray(region + at.off, region + at.off + at.n), src));
    opt.setState({ slots, step: opt.step });
  }

  /** Pairs each variable's slice of the optimizer's flat slots with its place in the m/v regions. */
  private eachSlice(opt: Optimizer, fn: (region: number, src: number, at: { off: number; n: number }) => void): void {
    if (opt.vars.length !== this.net.named.length || opt.vars.some((v, i) => v !== this.net.named[i].v))
      throw new RangeError('FusedActorCritic: the optimizer must hold exactly the net\'s variables, in order');
    const regions = opt.opts.kind === 'adam' ? [this.m, this.v] : [this.v];
    let src = 0;
    regions.forEach((region) => {
      for (const v of opt.vars) {
        fn(region, src, { off: this.at.get(v) as number, n: v.size });
        src += v.size;
      }
    });
  }

  /**
   * Clips the gradient region to global norm ≤ maxNorm (≤ 0: off) and applies opt's update rule
   * to the parameter region, advancing opt.step. Returns the pre-clip norm.
   */
  applyGradients(opt: Optimizer, lr: number, maxNorm: number): number {
    const { k } = this.arena, p = (i: number) => this.arena.ptr(i);
    const norm = Math.sqrt(k.sumSquares(p(this.grad), this.size));
    const scale = maxNorm > 0 && maxNorm !== Infinity ? Math.min(maxNorm / (norm + 1e-6), 1) : 1;
    opt.step++;
    const t = opt.step;
    if (opt.opts.kind === 'adam')
      k.adam(p(this.theta), p(this.grad), p(this.m), p(this.v), this.size, scale, opt.b1, opt.b2, lr / (1 - opt.b1 ** t), 1 / Math.sqrt(1 - opt.b2 ** t), opt.eps);
    else k.rmsprop(p(this.theta), p(this.grad), p(this.v), this.size, scale, opt.alpha, lr, opt.eps);
    return norm;
  }

  /** Offset of log σ's gradient. */
  get logStdGrad(): number {
    return this.logStd + (this.grad - this.theta);
  }
}
