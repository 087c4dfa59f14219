// AssemblyScript (not TypeScript): the dense-layer, activation and optimizer kernels behind the
// fused PPO gradient step (src/core/kernels/wasm-mlp.ts). Built by `npm run build:kernels` into
// src/core/kernels/mlp-wasm.gen.ts. Every pointer is a byte offset into the module's memory;
// matrices are row-major f32; W is [inDim, outDim] as in the tf networks. Four outputs are
// computed per SIMD lane group; tails that are not a multiple of four run scalar.

const TANH: i32 = 1;
const RELU: i32 = 2;
const ELU: i32 = 3;

@inline function f(p: usize, i: i32): usize {
  return p + ((<usize>i) << 2);
}

/** act(z): tanh as sign(z)·(1 − e^{−2|z|})/(1 + e^{−2|z|}) (stable for large |z|). */
@inline function activate(z: f32, act: i32): f32 {
  if (act == TANH) {
    const e = Mathf.exp(<f32>-2 * Mathf.abs(z));
    const t: f32 = (<f32>1 - e) / (<f32>1 + e);
    return z < 0 ? -t : t;
  }
  if (act == RELU) return z > 0 ? z : <f32>0;
  if (act == ELU) return z > 0 ? z : Mathf.exp(z) - <f32>1;
  return z;
}

/** act'(z) written with y = act(z). */
@inline function activationGrad(y: f32, act: i32): f32 {
  if (act == TANH) return <f32>1 - y * y;
  if (act == RELU) return y > 0 ? <f32>1 : <f32>0;
  if (act == ELU) return y > 0 ? <f32>1 : y + <f32>1;
  return <f32>1;
}

/** y = act(x·W + b) for `rows` rows. Four rows share each load of W. */
export function denseForward(x: usize, rows: i32, inDim: i32, w: usize, b: usize, outDim: i32, y: usize, act: i32): void {
  const ov = outDim & ~3;
  let r = 0;
  for (; r + 4 <= rows; r += 4) {
    const x0 = f(x, r * inDim), x1 = f(x0, inDim), x2 = f(x1, inDim), x3 = f(x2, inDim);
    const y0 = f(y, r * outDim), y1 = f(y0, outDim), y2 = f(y1, outDim), y3 = f(y2, outDim);
    let o = 0;
    for (; o < ov; o += 4) {
      const bv = v128.load(f(b, o));
      let a0 = bv, a1 = bv, a2 = bv, a3 = bv;
      for (let i = 0; i < inDim; i++) {
        const wv = v128.load(f(w, i * outDim + o));
        a0 = f32x4.add(a0, f32x4.mul(f32x4.splat(load<f32>(f(x0, i))), wv));
        a1 = f32x4.add(a1, f32x4.mul(f32x4.splat(load<f32>(f(x1, i))), wv));
        a2 = f32x4.add(a2, f32x4.mul(f32x4.splat(load<f32>(f(x2, i))), wv));
        a3 = f32x4.add(a3, f32x4.mul(f32x4.splat(load<f32>(f(x3, i))), wv));
      }
      v128.store(f(y0, o), a0);
      v128.store(f(y1, o), a1);
      v128.store(f(y2, o), a2);
      v128.store(f(y3, o), a3);
    }
    for (; o < outDim; o++) {
      const bo = load<f32>(f(b, o));
      let s0 = bo, s1 = bo, s2 = bo, s3 = bo;
      for (let i = 0; i < inDim; i++) {
        const wv = load<f32>(f(w, i * outDim + o));
        s0 += load<f32>(f(x0, i)) * wv;
        s1 += load<f32>(f(x1, i)) * wv;
        s2 += load<f32>(f(x2, i)) * wv;
        s3 += load<f32>(f(x3, i)) * wv;
      }
      store<f32>(f(y0, o), s0);
      store<f32>(f(y1, o), s1);
      store<f32>(f(y2, o), s2);
      store<f32>(f(y3, o), s3);
    }
  }
  for (; r < rows; r++) {
    const xr = f(x, r * inDim), yr = f(y, r * outDim);
    let o = 0;
    for (; o < ov; o += 4) {
      let a = v128.load(f(b, o));
      for (let i = 0; i < inDim; i++) a = f32x4.add(a, f32x4.mul(f32x4.splat(load<f32>(f(xr, i))), v128.load(f(w, i * outDim + o))));
      v128.store(f(yr, o), a);
    }
    for (; o < outDim; o++) {
      let s = load<f32>(f(b, o));
      for (let i = 0; i < inDim; i++) s += load<f32>(f(xr, i)) * load<f32>(f(w, i * outDim + o));
      store<f32>(f(yr, o), s);
    }
  }
  if (act != 0) {
    const n = rows * outDim;
    for (let k = 0; k < n; k++) store<f32>(f(y, k), activate(load<f32>(f(y, k)), act));
  }
}

/**
 * Backward through y = act(x·W + b): `dy` (dL/dy, [rows, outDim]) is overwritten by dL/dz;
 * writes dW = xᵀ·dz and db = Σ_rows dz, and dx = dz·Wᵀ unless dx is 0 (the first layer).
 */
export function denseBackward(x: usize, rows: i32, inDim: i32, w: usize, outDim: i32, y: usize, act: i32, dy: usize, dw: usize, db: usize, dx: usize): void {
  const n = rows * outDim;
  if (act != 0) for (let k = 0; k < n; k++) store<f32>(f(dy, k), load<f32>(f(dy, k)) * activationGrad(load<f32>(f(y, k)), act));
  const ov = outDim & ~3;
  // db and dW, one output group at a time, accumulated over rows in registers.
  let o = 0;
  for (; o < ov; o += 4) {
    let bacc = f32x4.splat(<f32>0);
    for (let r = 0; r < rows; r++) bacc = f32x4.add(bacc, v128.load(f(dy, r * outDim + o)));
    v128.store(f(db, o), bacc);
    let i = 0;
    for (; i + 4 <= inDim; i += 4) {
      let a0 = f32x4.splat(<f32>0), a1 = a0, a2 = a0, a3 = a0;
      for (let r = 0; r < rows; r++) {
        const g = v128.load(f(dy, r * outDim + o));
        const xr = f(x, r * inDim + i);
        a0 = f32x4.add(a0, f32x4.mul(f32x4.splat(load<f32>(xr)), g));
        a1 = f32x4.add(a1, f32x4.mul(f32x4.splat(load<f32>(xr, 4)), g));
        a2 = f32x4.add(a2, f32x4.mul(f32x4.splat(load<f32>(xr, 8)), g));
        a3 = f32x4.add(a3, f32x4.mul(f32x4.splat(load<f32>(xr, 12)), g));
      }
      v128.store(f(dw, i * outDim + o), a0);
      v128.store(f(dw, (i + 1) * outDim + o), a1);
      v128.store(f(dw, (i + 2) * outDim + o), a2);
      v128.store(f(dw, (i + 3) * outDim + o), a3);
    }
    for (; i < inDim; i++) {
      let a = f32x4.splat(<f32>0);
      for (let r = 0; r < rows; r++) a = f32x4.add(a, f32x4.mul(f32x4.splat(load<f32>(f(x, r * inDim + i))), v128.load(f(dy, r * outDim + o))));
      v128.store(f(dw, i * outDim + o), a);
    }
  }
  for (; o < outDim; o++) {
    let bs: f32 = 0;
    for (let r = 0; r < rows; r++) bs += load<f32>(f(dy, r * outDim + o));
    store<f32>(f(db, o), bs);
    for (let i = 0; i < inDim; i++) {
      let s: f32 = 0;
      for (let r = 0; r < rows; r++) s += load<f32>(f(x, r * inDim + i)) * load<f32>(f(dy, r * outDim + o));
      store<f32>(f(dw, i * outDim + o), s);
    }
  }
  if (dx == 0) return;
  // dx[r, i] = Σ_o dz[r, o]·W[i, o]: a dot product along a row of W.
  for (let r = 0; r < rows; r++) {
    const gr = f(dy, r * outDim), xr = f(dx, r * inDim);
    for (let i = 0; i < inDim; i++) {
      const wi = f(w, i * outDim);
      let a = f32x4.splat(<f32>0);
      let oo = 0;
      for (; oo < ov; oo += 4) a = f32x4.add(a, f32x4.mul(v128.load(f(gr, oo)), v128.load(f(wi, oo))));
      let s = f32x4.extract_lane(a, 0) + f32x4.extract_lane(a, 1) + f32x4.extract_lane(a, 2) + f32x4.extract_lane(a, 3);
      for (; oo < outDim; oo++) s += load<f32>(f(gr, oo)) * load<f32>(f(wi, oo));
      store<f32>(f(xr, i), s);
    }
  }
}

/** Σ g² over n values. */
export function sumSquares(g: usize, n: i32): f32 {
  const nv = n & ~3;
  let a = f32x4.splat(<f32>0);
  let k = 0;
  for (; k < nv; k += 4) {
    const v = v128.load(f(g, k));
    a = f32x4.add(a, f32x4.mul(v, v));
  }
  let s = f32x4.extract_lane(a, 0) + f32x4.extract_lane(a, 1) + f32x4.extract_lane(a, 2) + f32x4.extract_lane(a, 3);
  for (; k < n; k++) {
    const v = load<f32>(f(g, k));
    s += v * v;
  }
  return s;
}

/**
 * Adam in PyTorch's form on n values, g scaled by `scale` first (gradient clipping):
 * m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²;  θ ← θ − (lr/bc1)·m / (√v·(1/bc2) + ε).
 */
export function adam(theta: usize, g: usize, m: usize, v: usize, n: i32, scale: f32, b1: f32, b2: f32, lrOverBc1: f32, invBc2: f32, eps: f32): void {
  const nv = n & ~3;
  const sc = f32x4.splat(scale), vb1 = f32x4.splat(b1), vb2 = f32x4.splat(b2), c1 = f32x4.splat(<f32>1 - b1), c2 = f32x4.splat(<f32>1 - b2);
  const lr = f32x4.splat(lrOverBc1), ib = f32x4.splat(invBc2), ve = f32x4.splat(eps);
  let k = 0;
  for (; k < nv; k += 4) {
    const gv = f32x4.mul(v128.load(f(g, k)), sc);
    const m1 = f32x4.add(f32x4.mul(v128.load(f(m, k)), vb1), f32x4.mul(gv, c1));
    const v1 = f32x4.add(f32x4.mul(v128.load(f(v, k)), vb2), f32x4.mul(f32x4.mul(gv, gv), c2));
    v128.store(f(m, k), m1);
    v128.store(f(v, k), v1);
    const upd = f32x4.div(f32x4.mul(m1, lr), f32x4.add(f32x4.mul(f32x4.sqrt(v1), ib), ve));
    v128.store(f(theta, k), f32x4.sub(v128.load(f(theta, k)), upd));
  }
  for (; k < n; k++) {
    const gv = load<f32>(f(g, k)) * scale;
    const m1 = load<f32>(f(m, k)) * b1 + gv * (<f32>1 - b1);
    const v1 = load<f32>(f(v, k)) * b2 + gv * gv * (<f32>1 - b2);
    store<f32>(f(m, k), m1);
    store<f32>(f(v, k), v1);
    store<f32>(f(theta, k), load<f32>(f(theta, k)) - (m1 * lrOverBc1) / (Mathf.sqrt(v1) * invBc2 + eps));
  }
}

/** RMSProp in PyTorch's form: v ← α·v + (1−α)·g²;  θ ← θ − lr·g / (√v + ε), g scaled first. */
export function rmsprop(theta: usize, g: usize, v: usize, n: i32, scale: f32, alpha: f32, lr: f32, eps: f32): void {
  for (let k = 0; k < n; k++) {
    const gv = load<f32>(f(g, k)) * scale;
    const v1 = load<f32>(f(v, k)) * alpha + gv * gv * (<f32>1 - alpha);
    store<f32>(f(v, k), v1);
    store<f32>(f(theta, k), load<f32>(f(theta, k)) - (gv * lr) / (Mathf.sqrt(v1) + eps));
  }
}
