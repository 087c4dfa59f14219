// AssemblyScript (not TypeScript): the dense-layer, activation and optimizer kernels behind the
// kernel engine (src/core/kernels: wasm-mlp.ts, kernel-net.ts). Built by `npm run build:kernels` into
// src/core/kernels/mlp-wasm.gen.ts. Every pointer is a byte offset into the module's memory;
// matrices are row-major f32; W is [inDim, outDim] as in the tf networks. Four outputs are
// computed per SIMD lane group; tails that are not a multiple of four run scalar.

const TANH: i32 = 1;
const RELU: i32 = 2;
const ELU: i32 = 3;

@inline function f(p: usize, i: i32): usize {
  return p + ((<usize>i) << 2);
}

/**
 * e^x on four lanes (Cephes expf: x = n·ln2 + r, a degree-6 polynomial for e^r, 2^n from the
 * exponent bits), |relative error| ≈ 1e-7 for x in [−87, 88]; x is clamped to that range.
 */
@inline function expv(x: v128): v128 {
  x = f32x4.min(f32x4.max(x, f32x4.splat(<f32>-87.3)), f32x4.splat(<f32>88.3));
  const n = f32x4.nearest(f32x4.mul(x, f32x4.splat(<f32>1.44269504088896341)));
  const r = f32x4.sub(f32x4.sub(x, f32x4.mul(n, f32x4.splat(<f32>0.693359375))), f32x4.mul(n, f32x4.splat(<f32>-2.12194440e-4)));
  let p = f32x4.splat(<f32>1.9875691500e-4);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(<f32>1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(<f32>8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(<f32>4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(<f32>1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(<f32>5.0000001201e-1));
  p = f32x4.add(f32x4.add(f32x4.mul(p, f32x4.mul(r, r)), r), f32x4.splat(<f32>1));
  const two = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  return f32x4.mul(p, two);
}

/**
 * act(z) in place on n values, four at a time (buffers are padded to four floats): tanh as
 * 1 − 2/(e^{2z} + 1), ELU as e^z − 1 below zero.
 */
function activateInPlace(y: usize, n: i32, act: i32): void {
  const one = f32x4.splat(<f32>1), zero = f32x4.splat(<f32>0);
  for (let k = 0; k < n; k += 4) {
    const p = f(y, k);
    const z = v128.load(p);
    let out = z;
    if (act == TANH) out = f32x4.sub(one, f32x4.div(f32x4.splat(<f32>2), f32x4.add(expv(f32x4.add(z, z)), one)));
    else if (act == RELU) out = f32x4.max(z, zero);
    else if (act == ELU) out = v128.bitselect(z, f32x4.sub(expv(z), one), f32x4.gt(z, zero));
    v128.store(p, out);
  }
}

/** dy ← dy ⊙ act'(z), written with y = act(z), in place on n values (padded to four). */
function activationGradInPlace(dy: usize, y: usize, n: i32, act: i32): void {
  const one = f32x4.splat(<f32>1), zero = f32x4.splat(<f32>0);
  for (let k = 0; k < n; k += 4) {
    const p = f(dy, k);
    const g = v128.load(p), yv = v128.load(f(y, k));
    let out = g;
    if (act == TANH) out = f32x4.mul(g, f32x4.sub(one, f32x4.mul(yv, yv)));
    else if (act == RELU) out = v128.and(g, f32x4.gt(yv, zero));
    else if (act == ELU) out = v128.bitselect(g, f32x4.mul(g, f32x4.add(yv, one)), f32x4.gt(yv, zero));
    v128.store(p, out);
  }
}

/** Inner-dimension block of matmul: keeps the panel of W being swept resident in cache. */
const KB: i32 = 128;

/**
 * y = x·W (+ b when b ≠ 0), [rows, inDim]·[inDim, outDim]. The inner dimension is swept in
 * blocks of KB (a long inner dimension, as in xᵀ·dz at large minibatches, would otherwise stream
 * W from memory once per output group); within a block, four rows share each load of W and
 * eight outputs accumulate at once where there are eight.
 */
function matmul(x: usize, rows: i32, inDim: i32, w: usize, b: usize, outDim: i32, y: usize): void {
  for (let k0 = 0; k0 < inDim; k0 += KB) {
    const k1 = min(inDim, k0 + KB);
    matmulBlock(x, rows, inDim, w, outDim, y, k0, k1, k0 == 0 ? b : 0, k0 > 0);
  }
}

/** y (+)= x[:, k0:k1]·W[k0:k1, :]: starting from b (or 0), or from y itself when `add`. */
function matmulBlock(x: usize, rows: i32, inDim: i32, w: usize, outDim: i32, y: usize, k0: i32, k1: i32, b: usize, add: bool): void {
  const o8 = outDim & ~7, o4 = outDim & ~3;
  const zero = f32x4.splat(<f32>0);
  let r = 0;
  for (; r + 4 <= rows; r += 4) {
    const x0 = f(x, r * inDim), x1 = f(x0, inDim), x2 = f(x1, inDim), x3 = f(x2, inDim);
    const y0 = f(y, r * outDim), y1 = f(y0, outDim), y2 = f(y1, outDim), y3 = f(y2, outDim);
    let o = 0;
    for (; o < o8; o += 8) {
      let a0 = zero, a1 = zero, a2 = zero, a3 = zero, c0 = zero, c1 = zero, c2 = zero, c3 = zero;
      if (add) {
        a0 = v128.load(f(y0, o)); c0 = v128.load(f(y0, o + 4));
        a1 = v128.load(f(y1, o)); c1 = v128.load(f(y1, o + 4));
        a2 = v128.load(f(y2, o)); c2 = v128.load(f(y2, o + 4));
        a3 = v128.load(f(y3, o)); c3 = v128.load(f(y3, o + 4));
      } else if (b) {
        a0 = v128.load(f(b, o)); c0 = v128.load(f(b, o + 4));
        a1 = a0; a2 = a0; a3 = a0; c1 = c0; c2 = c0; c3 = c0;
      }
      for (let i = k0; i < k1; i++) {
        const wp = f(w, i * outDim + o);
        const wl = v128.load(wp), wh = v128.load(wp, 16);
        const s0 = f32x4.splat(load<f32>(f(x0, i))), s1 = f32x4.splat(load<f32>(f(x1, i)));
        const s2 = f32x4.splat(load<f32>(f(x2, i))), s3 = f32x4.splat(load<f32>(f(x3, i)));
        a0 = f32x4.add(a0, f32x4.mul(s0, wl));
        c0 = f32x4.add(c0, f32x4.mul(s0, wh));
        a1 = f32x4.add(a1, f32x4.mul(s1, wl));
        c1 = f32x4.add(c1, f32x4.mul(s1, wh));
        a2 = f32x4.add(a2, f32x4.mul(s2, wl));
        c2 = f32x4.add(c2, f32x4.mul(s2, wh));
        a3 = f32x4.add(a3, f32x4.mul(s3, wl));
        c3 = f32x4.add(c3, f32x4.mul(s3, wh));
      }
      v128.store(f(y0, o), a0);
      v128.store(f(y0, o + 4), c0);
      v128.store(f(y1, o), a1);
      v128.store(f(y1, o + 4), c1);
      v128.store(f(y2, o), a2);
      v128.store(f(y2, o + 4), c2);
      v128.store(f(y3, o), a3);
      v128.store(f(y3, o + 4), c3);
    }
    for (; o < o4; o += 4) {
      let a0 = zero, a1 = zero, a2 = zero, a3 = zero;
      if (add) {
        a0 = v128.load(f(y0, o)); a1 = v128.load(f(y1, o)); a2 = v128.load(f(y2, o)); a3 = v128.load(f(y3, o));
      } else if (b) {
        a0 = v128.load(f(b, o)); a1 = a0; a2 = a0; a3 = a0;
      }
      for (let i = k0; i < k1; i++) {
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
      let s0: f32 = 0, s1: f32 = 0, s2: f32 = 0, s3: f32 = 0;
      if (add) {
        s0 = load<f32>(f(y0, o)); s1 = load<f32>(f(y1, o)); s2 = load<f32>(f(y2, o)); s3 = load<f32>(f(y3, o));
      } else if (b) {
        s0 = load<f32>(f(b, o)); s1 = s0; s2 = s0; s3 = s0;
      }
      for (let i = k0; i < k1; i++) {
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
    for (; o < o4; o += 4) {
      let a = add ? v128.load(f(yr, o)) : b ? v128.load(f(b, o)) : zero;
      for (let i = k0; i < k1; i++) a = f32x4.add(a, f32x4.mul(f32x4.splat(load<f32>(f(xr, i))), v128.load(f(w, i * outDim + o))));
      v128.store(f(yr, o), a);
    }
    for (; o < outDim; o++) {
      let s: f32 = add ? load<f32>(f(yr, o)) : b ? load<f32>(f(b, o)) : 0;
      for (let i = k0; i < k1; i++) s += load<f32>(f(xr, i)) * load<f32>(f(w, i * outDim + o));
      store<f32>(f(yr, o), s);
    }
  }
}

@inline function hsum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}

/**
 * y = a·Bᵀ for a [rows, k] and B [n, k]: y[r, j] = a[r, :]·B[j, :], dot products along
 * contiguous rows, two rows of a by four rows of B at a time (no transposed copy of B needed).
 */
function matmulBT(a: usize, rows: i32, k: i32, bm: usize, n: i32, y: usize): void {
  const k4 = k & ~3;
  let r = 0;
  for (; r + 2 <= rows; r += 2) {
    const a0 = f(a, r * k), a1 = f(a0, k);
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      const b0 = f(bm, j * k), b1 = f(b0, k), b2 = f(b1, k), b3 = f(b2, k);
      let p00 = f32x4.splat(<f32>0), p01 = p00, p02 = p00, p03 = p00, p10 = p00, p11 = p00, p12 = p00, p13 = p00;
      let t = 0;
      for (; t < k4; t += 4) {
        const u0 = v128.load(f(a0, t)), u1 = v128.load(f(a1, t));
        const v0 = v128.load(f(b0, t)), v1 = v128.load(f(b1, t)), v2 = v128.load(f(b2, t)), v3 = v128.load(f(b3, t));
        p00 = f32x4.add(p00, f32x4.mul(u0, v0));
        p01 = f32x4.add(p01, f32x4.mul(u0, v1));
        p02 = f32x4.add(p02, f32x4.mul(u0, v2));
        p03 = f32x4.add(p03, f32x4.mul(u0, v3));
        p10 = f32x4.add(p10, f32x4.mul(u1, v0));
        p11 = f32x4.add(p11, f32x4.mul(u1, v1));
        p12 = f32x4.add(p12, f32x4.mul(u1, v2));
        p13 = f32x4.add(p13, f32x4.mul(u1, v3));
      }
      let s00 = hsum(p00), s01 = hsum(p01), s02 = hsum(p02), s03 = hsum(p03);
      let s10 = hsum(p10), s11 = hsum(p11), s12 = hsum(p12), s13 = hsum(p13);
      for (; t < k; t++) {
        const u0 = load<f32>(f(a0, t)), u1 = load<f32>(f(a1, t));
        const v0 = load<f32>(f(b0, t)), v1 = load<f32>(f(b1, t)), v2 = load<f32>(f(b2, t)), v3 = load<f32>(f(b3, t));
        s00 += u0 * v0; s01 += u0 * v1; s02 += u0 * v2; s03 += u0 * v3;
        s10 += u1 * v0; s11 += u1 * v1; s12 += u1 * v2; s13 += u1 * v3;
      }
      const y0 = f(y, r * n + j), y1 = f(y0, n);
      store<f32>(y0, s00); store<f32>(y0, s01, 4); store<f32>(y0, s02, 8); store<f32>(y0, s03, 12);
      store<f32>(y1, s10); store<f32>(y1, s11, 4); store<f32>(y1, s12, 8); store<f32>(y1, s13, 12);
    }
    for (; j < n; j++) {
      const b0 = f(bm, j * k);
      let s0: f32 = 0, s1: f32 = 0;
      for (let t = 0; t < k; t++) {
        const v = load<f32>(f(b0, t));
        s0 += load<f32>(f(a0, t)) * v;
        s1 += load<f32>(f(a1, t)) * v;
      }
      store<f32>(f(y, r * n + j), s0);
      store<f32>(f(y, (r + 1) * n + j), s1);
    }
  }
  for (; r < rows; r++) {
    const a0 = f(a, r * k);
    for (let j = 0; j < n; j++) {
      const b0 = f(bm, j * k);
      let p = f32x4.splat(<f32>0);
      let t = 0;
      for (; t < k4; t += 4) p = f32x4.add(p, f32x4.mul(v128.load(f(a0, t)), v128.load(f(b0, t))));
      let s = hsum(p);
      for (; t < k; t++) s += load<f32>(f(a0, t)) * load<f32>(f(b0, t));
      store<f32>(f(y, r * n + j), s);
    }
  }
}

/**
 * dw = xᵀ·dz for x [rows, inDim] and dz [rows, outDim] without a transposed copy of x: the sum
 * runs over rows, four columns of x (four rows of dw) share each load of dz, eight outputs at a
 * time where there are eight; rows are swept in blocks of KB, as in matmul.
 */
function matmulTA(x: usize, rows: i32, inDim: i32, dz: usize, outDim: i32, dw: usize): void {
  for (let r0 = 0; r0 < rows; r0 += KB) matmulTABlock(x, inDim, dz, outDim, dw, r0, min(rows, r0 + KB), r0 > 0);
}

function matmulTABlock(x: usize, inDim: i32, dz: usize, outDim: i32, dw: usize, r0: i32, r1: i32, add: bool): void {
  const o8 = outDim & ~7, o4 = outDim & ~3, xs = (<usize>inDim) << 2, zs = (<usize>outDim) << 2;
  const zero = f32x4.splat(<f32>0);
  let i = 0;
  for (; i + 4 <= inDim; i += 4) {
    const y0 = f(dw, i * outDim), y1 = f(y0, outDim), y2 = f(y1, outDim), y3 = f(y2, outDim);
    let o = 0;
    for (; o < o8; o += 8) {
      let a0 = zero, a1 = zero, a2 = zero, a3 = zero, c0 = zero, c1 = zero, c2 = zero, c3 = zero;
      if (add) {
        a0 = v128.load(f(y0, o)); c0 = v128.load(f(y0, o + 4));
        a1 = v128.load(f(y1, o)); c1 = v128.load(f(y1, o + 4));
        a2 = v128.load(f(y2, o)); c2 = v128.load(f(y2, o + 4));
        a3 = v128.load(f(y3, o)); c3 = v128.load(f(y3, o + 4));
      }
      let xp = f(x, r0 * inDim + i), zp = f(dz, r0 * outDim + o);
      for (let r = r0; r < r1; r++) {
        const wl = v128.load(zp), wh = v128.load(zp, 16);
        const s0 = f32x4.splat(load<f32>(xp)), s1 = f32x4.splat(load<f32>(xp, 4));
        const s2 = f32x4.splat(load<f32>(xp, 8)), s3 = f32x4.splat(load<f32>(xp, 12));
        a0 = f32x4.add(a0, f32x4.mul(s0, wl));
        c0 = f32x4.add(c0, f32x4.mul(s0, wh));
        a1 = f32x4.add(a1, f32x4.mul(s1, wl));
        c1 = f32x4.add(c1, f32x4.mul(s1, wh));
        a2 = f32x4.add(a2, f32x4.mul(s2, wl));
        c2 = f32x4.add(c2, f32x4.mul(s2, wh));
        a3 = f32x4.add(a3, f32x4.mul(s3, wl));
        c3 = f32x4.add(c3, f32x4.mul(s3, wh));
        xp += xs;
        zp += zs;
      }
      v128.store(f(y0, o), a0);
      v128.store(f(y0, o + 4), c0);
      v128.store(f(y1, o), a1);
      v128.store(f(y1, o + 4), c1);
      v128.store(f(y2, o), a2);
      v128.store(f(y2, o + 4), c2);
      v128.store(f(y3, o), a3);
      v128.store(f(y3, o + 4), c3);
    }
    for (; o < o4; o += 4) {
      let a0 = zero, a1 = zero, a2 = zero, a3 = zero;
      if (add) {
        a0 = v128.load(f(y0, o)); a1 = v128.load(f(y1, o)); a2 = v128.load(f(y2, o)); a3 = v128.load(f(y3, o));
      }
      let xp = f(x, r0 * inDim + i), zp = f(dz, r0 * outDim + o);
      for (let r = r0; r < r1; r++) {
        const wv = v128.load(zp);
        a0 = f32x4.add(a0, f32x4.mul(f32x4.splat(load<f32>(xp)), wv));
        a1 = f32x4.add(a1, f32x4.mul(f32x4.splat(load<f32>(xp, 4)), wv));
        a2 = f32x4.add(a2, f32x4.mul(f32x4.splat(load<f32>(xp, 8)), wv));
        a3 = f32x4.add(a3, f32x4.mul(f32x4.splat(load<f32>(xp, 12)), wv));
        xp += xs;
        zp += zs;
      }
      v128.store(f(y0, o), a0);
      v128.store(f(y1, o), a1);
      v128.store(f(y2, o), a2);
      v128.store(f(y3, o), a3);
    }
    for (; o < outDim; o++) {
      let s0: f32 = 0, s1: f32 = 0, s2: f32 = 0, s3: f32 = 0;
      if (add) {
        s0 = load<f32>(f(y0, o)); s1 = load<f32>(f(y1, o)); s2 = load<f32>(f(y2, o)); s3 = load<f32>(f(y3, o));
      }
      for (let r = r0; r < r1; r++) {
        const zv = load<f32>(f(dz, r * outDim + o)), xr = f(x, r * inDim + i);
        s0 += load<f32>(xr) * zv;
        s1 += load<f32>(xr, 4) * zv;
        s2 += load<f32>(xr, 8) * zv;
        s3 += load<f32>(xr, 12) * zv;
      }
      store<f32>(f(y0, o), s0);
      store<f32>(f(y1, o), s1);
      store<f32>(f(y2, o), s2);
      store<f32>(f(y3, o), s3);
    }
  }
  for (; i < inDim; i++) {
    const yr = f(dw, i * outDim);
    let o = 0;
    for (; o < o4; o += 4) {
      let a = add ? v128.load(f(yr, o)) : zero;
      for (let r = r0; r < r1; r++) a = f32x4.add(a, f32x4.mul(f32x4.splat(load<f32>(f(x, r * inDim + i))), v128.load(f(dz, r * outDim + o))));
      v128.store(f(yr, o), a);
    }
    for (; o < outDim; o++) {
      let s: f32 = add ? load<f32>(f(yr, o)) : 0;
      for (let r = r0; r < r1; r++) s += load<f32>(f(x, r * inDim + i)) * load<f32>(f(dz, r * outDim + o));
      store<f32>(f(yr, o), s);
    }
  }
}

/** y = act(x·W + b) for `rows` rows (y padded to a multiple of four floats). */
export function denseForward(x: usize, rows: i32, inDim: i32, w: usize, b: usize, outDim: i32, y: usize, act: i32): void {
  matmul(x, rows, inDim, w, b, outDim, y);
  if (act != 0) activateInPlace(y, rows * outDim, act);
}

/**
 * Backward through y = act(x·W + b) (y, dy padded to four floats): `dy` (dL/dy, [rows, outDim]) is overwritten by dL/dz;
 * writes dW = xᵀ·dz and db = Σ_rows dz, and dx = dz·Wᵀ unless dx is 0 (the first layer).
 * dW sums over rows without a transposed copy of x (matmulTA); dx as dot products along W's rows.
 */
export function denseBackward(x: usize, rows: i32, inDim: i32, w: usize, outDim: i32, y: usize, act: i32, dy: usize, dw: usize, db: usize, dx: usize): void {
  if (act != 0) activationGradInPlace(dy, y, rows * outDim, act);
  const o4 = outDim & ~3;
  let o = 0;
  for (; o < o4; o += 4) {
    let acc = f32x4.splat(<f32>0);
    for (let r = 0; r < rows; r++) acc = f32x4.add(acc, v128.load(f(dy, r * outDim + o)));
    v128.store(f(db, o), acc);
  }
  for (; o < outDim; o++) {
    let s: f32 = 0;
    for (let r = 0; r < rows; r++) s += load<f32>(f(dy, r * outDim + o));
    store<f32>(f(db, o), s);
  }
  matmulTA(x, rows, inDim, dy, outDim, dw);
  if (dx != 0) matmulBT(dy, rows, outDim, w, inDim, dx);
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
  let s = hsum(a);
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
