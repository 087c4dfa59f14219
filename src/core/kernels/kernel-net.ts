// The kernel engine: an ActorCritic of any layout mirrored into one WASM kernel arena, doing the
// forward, the backward and the optimizer for every algorithm. Layouts: Gaussian (log σ a free
// vector or a head, clamped to [LOG_STD_MIN, LOG_STD_MAX]) or categorical; a V(s) critic with its
// own trunk or on the actor's (shared) trunk, a Q(s, a) critic on [s, a], or none.
//
// Parameters, gradients and optimizer moments are four parallel flat regions, each variable at
// the same offset in all four, in ActorCritic.named order (so an optimizer over the actor's or the
// critic's variables owns one contiguous range). During training the arena is the source of
// truth: snapshots (the policy published after every update, export) read it directly (paramOf);
// the tf variables and the Optimizers' slots are brought up to date (push) only when a checkpoint
// is written (CoreAlgorithm.saveState) and read back (pull) after one is loaded.
//
// An algorithm's loss fills dL/d(outputs) per sample through PolicyHeadGrad (policy-head.ts)
// and dValue, then calls backward() and applyGradients(): see ppoLossGrad in algos/ppo.ts.
import * as tf from '@tensorflow/tfjs';
import { NonFiniteError } from '../rl/errors.js';
import type { ActorCritic, DenseVars } from '../rl/networks.js';
import type { Optimizer } from '../rl/optim.js';
import { ACTIVATION_CODE, WasmArena, WasmMlpStack, type WasmDense } from './wasm-mlp.js';

/** What a forward or backward pass covers. */
export interface Passes {
  readonly policy: boolean;
  readonly value: boolean;
}
export const POLICY: Passes = { policy: true, value: false };
export const VALUE: Passes = { policy: false, value: true };
export const BOTH: Passes = { policy: true, value: true };

export class KernelNet {
  readonly arena = new WasmArena();
  /** Flat length of each region (variables padded to multiples of four floats). */
  readonly size: number;
  readonly theta: number;
  readonly grad: number;
  readonly m: number;
  readonly v: number;
  readonly obsDim: number;
  readonly actDim: number;
  readonly discrete: boolean;
  readonly shared: boolean;
  readonly critic: 'v' | 'q' | 'none';
  /** Input rows [maxRows, obsDim]; the Q critic's input [s, a] rows at `xq`. */
  readonly x: number;
  readonly xq: number;
  /** The actor's trunk (shared: the one trunk), and the heads on its output. */
  readonly trunk: WasmMlpStack;
  readonly meanHead: WasmMlpStack;
  readonly logStdHead?: WasmMlpStack;
  /** Offset of the free log σ vector in the parameter region (state-independent σ), else -1. */
  readonly logStd: number;
  /** Separate: critic trunk + value head on x; shared: the value head on the trunk; q: on xq. */
  readonly valueNet?: WasmMlpStack;
  /** Views of the last forward's outputs (valid while the arena does not grow: it never does after construction). */
  readonly mu: Float32Array;
  readonly logStdRaw: Float32Array;
  readonly values: Float32Array;
  /** θ moved since the tf variables were last written (push). */
  dirty = false;
  private readonly headDx: number;
  private readonly hidden: number;
  private readonly at = new Map<tf.Variable, number>();
  private readonly names: { name: string; v: tf.Variable; off: number }[] = [];
  private readonly ranges = new Map<Optimizer, { off: number; n: number }>();

  constructor(readonly net: ActorCritic, readonly maxRows: number) {
    const cfg = net.cfg;
    this.obsDim = cfg.obsDim;
    this.actDim = cfg.actDim;
    this.discrete = cfg.discrete;
    this.shared = cfg.shared;
    this.critic = cfg.critic;
    let size = 0;
    for (const { name, v } of net.named) {
      this.at.set(v, size);
      this.names.push({ name, v, off: size });
      size += (v.size + 3) & ~3;
    }
    this.size = size;
    const a = this.arena;
    this.theta = a.alloc(size);
    this.grad = a.alloc(size);
    this.m = a.alloc(size);
    this.v = a.alloc(size);
    this.x = a.alloc(maxRows * cfg.obsDim);
    this.xq = cfg.critic === 'q' ? a.alloc(maxRows * (cfg.obsDim + cfg.actDim)) : -1;
    const layer = (l: DenseVars): WasmDense => ({
      inDim: l.inDim, outDim: l.outDim, act: ACTIVATION_CODE[l.activation],
      w: this.theta + this.off(l.w), b: this.theta + this.off(l.b),
    });
    const shift = this.grad - this.theta;
    this.hidden = cfg.hidden[cfg.hidden.length - 1];
    this.trunk = new WasmMlpStack(a, net.actorTrunk.map(layer), maxRows, shift);
    this.meanHead = new WasmMlpStack(a, [layer(net.meanHead)], maxRows, shift);
    if (net.logStdHead) this.logStdHead = new WasmMlpStack(a, [layer(net.logStdHead)], maxRows, shift);
    this.logStd = net.logStd ? this.theta + this.off(net.logStd) : -1;
    if (net.valueHead) this.valueNet = new WasmMlpStack(a, [...(cfg.shared && cfg.critic === 'v' ? [] : net.criticTrunk), net.valueHead].map(layer), maxRows, shift);
    this.headDx = a.alloc(maxRows * this.hidden);
    const F = a.f32;
    this.mu = F.subarray(this.meanHead.output, this.meanHead.output + maxRows * cfg.actDim);
    const ls = this.logStdHead ? this.logStdHead.output : this.logStd;
    this.logStdRaw = ls >= 0 ? F.subarray(ls, ls + (this.logStdHead ? maxRows : 1) * cfg.actDim) : new Float32Array(0);
    this.values = this.valueNet ? F.subarray(this.valueNet.output, this.valueNet.output + maxRows) : new Float32Array(0);
    this.pullParams();
  }

  private off(v: tf.Variable): number {
    const o = this.at.get(v);
    if (o === undefined) throw new RangeError('KernelNet: a variable that is not the net\'s');
    return o;
  }

  /** Offset of dL/dμ (or dL/dlogits), [rows, actDim]. */
  get dMu(): number {
    return this.meanHead.dOutput;
  }
  /** Offset of dL/d(raw log σ): [rows, actDim] from the head, or the free vector's gradient [actDim]. */
  get dLogStd(): number {
    return this.logStdHead ? this.logStdHead.dOutput : this.logStd >= 0 ? this.logStd + (this.grad - this.theta) : -1;
  }
  /** Offset of dL/dV (or dL/dQ), [rows]. */
  get dValue(): number {
    return this.valueNet ? this.valueNet.dOutput : -1;
  }

  /** Copies rows × obsDim observations into x (and, for a Q critic, the actions beside them into xq). */
  load(obs: ArrayLike<number>, rows: number, actions?: ArrayLike<number>): void {
    const F = this.arena.f32, od = this.obsDim;
    if (rows > this.maxRows) throw new RangeError(`KernelNet: ${rows} rows for a net sized for ${this.maxRows}`);
    for (let i = 0, n = rows * od; i < n; i++) F[this.x + i] = obs[i];
    if (actions && this.xq >= 0) {
      const ad = this.actDim, w = od + ad;
      for (let r = 0; r < rows; r++) {
        for (let j = 0; j < od; j++) F[this.xq + r * w + j] = obs[r * od + j];
        for (let j = 0; j < ad; j++) F[this.xq + r * w + od + j] = actions[r * ad + j];
      }
    }
  }

  /** Forward of the loaded rows: μ / logits and raw log σ (policy), V or Q (value). */
  forward(rows: number, p: Passes): void {
    const sharedV = this.shared && this.critic === 'v';
    if (p.policy || (p.value && sharedV)) {
      const h = this.trunk.forward(this.x, rows);
      if (p.policy) {
        this.meanHead.forward(h, rows);
        this.logStdHead?.forward(h, rows);
      }
      if (p.value && sharedV) this.valueNet?.forward(h, rows);
    }
    if (p.value && !sharedV && this.valueNet) this.valueNet.forward(this.critic === 'q' ? this.xq : this.x, rows);
  }

  /**
   * Backward of the last forward with dMu / dLogStd (policy) and dValue (value) filled: writes the
   * parameter gradients of the parts covered (a shared trunk receives both heads' gradients).
   */
  backward(rows: number, p: Passes): void {
    const sharedV = this.shared && this.critic === 'v';
    const h = this.trunk.output, dh = this.trunk.dOutput, n = rows * this.hidden;
    let heads = 0;
    const head = (s: WasmMlpStack) => {
      s.backward(h, rows, heads === 0 ? dh : this.headDx);
      if (heads > 0) {
        const F = this.arena.f32;
        for (let i = 0; i < n; i++) F[dh + i] += F[this.headDx + i];
      }
      heads++;
    };
    if (p.policy) {
      head(this.meanHead);
      if (this.logStdHead) head(this.logStdHead);
    }
    if (p.value && sharedV && this.valueNet) head(this.valueNet);
    if (heads > 0) this.trunk.backward(this.x, rows);
    if (p.value && !sharedV && this.valueNet) this.valueNet.backward(this.critic === 'q' ? this.xq : this.x, rows);
  }

  /** The contiguous range of the regions that opt's variables occupy. */
  private rangeOf(opt: Optimizer): { off: number; n: number } {
    let r = this.ranges.get(opt);
    if (r) return r;
    if (opt.vars.length === 0) throw new RangeError('KernelNet: an optimizer without variables');
    const first = this.names.findIndex((e) => e.v === opt.vars[0]);
    if (first < 0 || opt.vars.some((v, i) => this.names[first + i]?.v !== v))
      throw new RangeError('KernelNet: an optimizer must hold a run of the net\'s variables, in the net\'s order');
    const last = this.names[first + opt.vars.length - 1];
    r = { off: this.names[first].off, n: last.off + ((last.v.size + 3) & ~3) - this.names[first].off };
    this.ranges.set(opt, r);
    return r;
  }

  /**
   * Clips the gradients of opt's variables to global norm ≤ maxNorm (≤ 0: off) and applies opt's
   * update rule to them, advancing opt.step. Returns the pre-clip norm.
   */
  applyGradients(opt: Optimizer, lr: number, maxNorm: number): number {
    const { k } = this.arena, p = (i: number) => this.arena.ptr(i);
    const { off, n } = this.rangeOf(opt);
    const norm = Math.sqrt(k.sumSquares(p(this.grad + off), n));
    const scale = maxNorm > 0 && maxNorm !== Infinity ? Math.min(maxNorm / (norm + 1e-6), 1) : 1;
    opt.step++;
    const t = opt.step;
    if (opt.opts.kind === 'adam')
      k.adam(p(this.theta + off), p(this.grad + off), p(this.m + off), p(this.v + off), n, scale, opt.b1, opt.b2, lr / (1 - opt.b1 ** t), 1 / Math.sqrt(1 - opt.b2 ** t), opt.eps);
    else k.rmsprop(p(this.theta + off), p(this.grad + off), p(this.v + off), n, scale, opt.alpha, lr, opt.eps);
    this.dirty = true;
    return norm;
  }

  /** A copy of one variable's current value (snapshots during training, without the tf side). */
  paramOf(v: tf.Variable): Float32Array {
    const o = this.theta + this.off(v);
    return this.arena.f32.slice(o, o + v.size);
  }

  /** The gradient of one variable, as a view of the gradient region (tests, diagnostics). */
  gradOf(v: tf.Variable): Float32Array {
    const o = this.grad + this.off(v);
    return this.arena.f32.subarray(o, o + v.size);
  }

  // ------------------------------------------------------------------ flat views (unpadded, named order)
  /** Copies the gradient of every variable, in named order and unpadded, into out (A3C messages). */
  readGrads(out: Float32Array): void {
    this.flatCopy(this.grad, out, true);
  }
  /** Writes a flat gradient (named order, unpadded) into the gradient region. */
  writeGrads(flat: Float32Array): void {
    this.flatCopy(this.grad, flat, false);
  }
  readParams(out: Float32Array): void {
    this.flatCopy(this.theta, out, true);
  }
  writeParams(flat: Float32Array): void {
    this.flatCopy(this.theta, flat, false);
    this.dirty = true;
  }
  get paramCount(): number {
    return this.names.reduce((s, e) => s + e.v.size, 0);
  }
  private flatCopy(region: number, flat: Float32Array, out: boolean): void {
    if (flat.length !== this.paramCount) throw new RangeError(`KernelNet: ${flat.length} numbers for ${this.paramCount} parameters`);
    const F = this.arena.f32;
    let o = 0;
    for (const { v, off } of this.names) {
      const at = region + off;
      if (out) flat.set(F.subarray(at, at + v.size), o);
      else F.set(flat.subarray(o, o + v.size), at);
      o += v.size;
    }
  }

  // ------------------------------------------------------------------ the tf side
  /** tf variables → θ. */
  pullParams(): void {
    const F = this.arena.f32;
    for (const { v, off } of this.names) F.set(v.dataSync() as Float32Array, this.theta + off);
    this.dirty = false;
  }
  /** θ → tf variables (only when it moved). */
  pushParams(): void {
    if (!this.dirty) return;
    const F = this.arena.f32;
    for (const { v, off } of this.names) {
      const o = this.theta + off;
      tf.tidy(() => v.assign(tf.tensor(F.subarray(o, o + v.size), v.shape)));
    }
    this.dirty = false;
  }
  /** Optimizer slots → moment regions. */
  pullOptimizer(opt: Optimizer): void {
    const F = this.arena.f32, { slots } = opt.getState();
    this.eachSlice(opt, (region, src, off, n) => F.set(slots.subarray(src, src + n), region + off));
  }
  /** Moment regions → optimizer slots (the step count lives on opt throughout). */
  pushOptimizer(opt: Optimizer): void {
    const F = this.arena.f32, { slots } = opt.getState();
    this.eachSlice(opt, (region, src, off, n) => slots.set(F.subarray(region + off, region + off + n), src));
    opt.setState({ slots, step: opt.step });
  }
  private eachSlice(opt: Optimizer, fn: (region: number, src: number, off: number, n: number) => void): void {
    this.rangeOf(opt);
    const regions = opt.opts.kind === 'adam' ? [this.m, this.v] : [this.v];
    let src = 0;
    for (const region of regions)
      for (const v of opt.vars) {
        fn(region, src, this.off(v), v.size);
        src += v.size;
      }
  }

  /** Throws NonFiniteError naming the first parameter that is NaN or ±Inf. */
  assertFinite(where: string): void {
    const F = this.arena.f32;
    for (const { name, v, off } of this.names)
      for (let i = 0; i < v.size; i++) {
        const x = F[this.theta + off + i];
        if (!Number.isFinite(x)) throw new NonFiniteError(`${where}: parameter ${name} (${x})`);
      }
  }
}
