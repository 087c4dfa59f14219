// The WASM-SIMD dense-layer and optimizer kernels (assembly/mlp.ts, embedded by
// scripts/build-kernels.mjs) and a float arena in their linear memory. A gradient step made of a
// dozen kernel calls costs microseconds of dispatch, where the same step as TF.js ops costs
// hundreds: at PPO's minibatch of 64, dispatch is most of the time.
import type { Activation } from '../policy/snapshot.js';
import { MLP_WASM_BASE64 } from './mlp-wasm.gen.js';

/** The kernels' exports; every pointer is a byte offset into `memory`. */
interface KernelExports {
  readonly memory: WebAssembly.Memory;
  denseForward(x: number, rows: number, inDim: number, w: number, b: number, outDim: number, y: number, act: number): void;
  denseBackward(x: number, rows: number, inDim: number, w: number, outDim: number, y: number, act: number, dy: number, dw: number, db: number, dx: number): void;
  sumSquares(g: number, n: number): number;
  adam(theta: number, g: number, m: number, v: number, n: number, scale: number, b1: number, b2: number, lrOverBc1: number, invBc2: number, eps: number): void;
  rmsprop(theta: number, g: number, v: number, n: number, scale: number, alpha: number, lr: number, eps: number): void;
}

/** The kernels' activation codes. */
export const ACTIVATION_CODE: Readonly<Record<Activation, number>> = { linear: 0, tanh: 1, relu: 2, elu: 3 };

let compiled: WebAssembly.Module | undefined;
function kernelModule(): WebAssembly.Module {
  if (!compiled) {
    const bin = atob(MLP_WASM_BASE64);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    compiled = new WebAssembly.Module(bytes);
  }
  return compiled;
}

const PAGE = 65536;
/** Page 0 holds the module's own constants (expf's table); the arena starts after it. */
const ARENA_START = PAGE;

/**
 * One kernel instance with its own memory, handing out 16-byte-aligned float regions. Regions
 * are float indices into `f32`; `ptr` turns one into the byte offset the kernels take.
 */
export class WasmArena {
  readonly k: KernelExports;
  private view: Float32Array;
  private next = ARENA_START / 4;

  constructor() {
    this.k = new WebAssembly.Instance(kernelModule(), {}).exports as unknown as KernelExports;
    this.view = new Float32Array(this.k.memory.buffer);
  }

  /** A zeroed region of n floats; returns its float index. Only at set-up: growing moves the buffer. */
  alloc(n: number): number {
    const at = this.next;
    this.next += (n + 3) & ~3;
    const need = this.next * 4 - this.k.memory.buffer.byteLength;
    if (need > 0) this.k.memory.grow(Math.ceil(need / PAGE));
    this.view = new Float32Array(this.k.memory.buffer);
    return at;
  }

  /** The whole memory as floats (valid until the next alloc). */
  get f32(): Float32Array {
    return this.view;
  }

  ptr(floatIndex: number): number {
    return floatIndex * 4;
  }
}

/** A dense layer whose W ([inDim, outDim]) and b live at float offsets `w`, `b` of an arena. */
export interface WasmDense {
  readonly inDim: number;
  readonly outDim: number;
  readonly act: number;
  readonly w: number;
  readonly b: number;
}

/**
 * A stack of dense layers on an arena, with activation and gradient scratch for up to maxRows
 * rows. Parameters sit at offsets of a parameter region; their gradients at the same offsets
 * plus `gradShift` (a parallel region), so the optimizer runs over both regions flat.
 */
export class WasmMlpStack {
  /** Per layer: its outputs [maxRows, outDim], and dL/d(outputs) (overwritten by dL/dz). */
  private readonly out: number[];
  readonly dOut: number[];

  constructor(private readonly a: WasmArena, readonly layers: readonly WasmDense[], readonly maxRows: number, private readonly gradShift: number) {
    this.out = layers.map((l) => a.alloc(maxRows * l.outDim));
    this.dOut = layers.map((l) => a.alloc(maxRows * l.outDim));
  }

  /** Runs rows of the input at float offset x; returns the float offset of the last layer's output. */
  forward(x: number, rows: number): number {
    const { a, layers, out } = this;
    let inp = x;
    for (let k = 0; k < layers.length; k++) {
      const l = layers[k];
      a.k.denseForward(a.ptr(inp), rows, l.inDim, a.ptr(l.w), a.ptr(l.b), l.outDim, a.ptr(out[k]), l.act);
      inp = out[k];
    }
    return out[layers.length - 1];
  }

  /**
   * With dOut[last] filled with dL/d(output), writes every layer's parameter gradients (x: the
   * forward's input) and, when `dx` is given, dL/dx there (a head passing its gradient on to a trunk).
   */
  backward(x: number, rows: number, dx = -1): void {
    const { a, layers, out, dOut, gradShift } = this;
    for (let k = layers.length - 1; k >= 0; k--) {
      const l = layers[k];
      const inp = k === 0 ? x : out[k - 1];
      a.k.denseBackward(a.ptr(inp), rows, l.inDim, a.ptr(l.w), l.outDim, a.ptr(out[k]), l.act, a.ptr(dOut[k]),
        a.ptr(l.w + gradShift), a.ptr(l.b + gradShift), k > 0 ? a.ptr(dOut[k - 1]) : dx >= 0 ? a.ptr(dx) : 0);
    }
  }

  /** Float offset of the last layer's output (valid after forward). */
  get output(): number {
    return this.out[this.layers.length - 1];
  }

  /** Float offset of dL/d(output of the last layer), to be filled before backward. */
  get dOutput(): number {
    return this.dOut[this.layers.length - 1];
  }
}
