import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../src/core/rl/backend.js';
import { Rng } from '../src/core/rl/rng.js';

describe('selectBackend', () => {
  it('auto falls back to wasm here (tfjs-node absent) and really computes', async () => {
    const b = await selectBackend('auto');
    expect(b).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    const y = tf.matMul(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[5], [6]]));
    expect(Array.from(await y.data())).toEqual([17, 39]);
  });
  it('cpu is selectable and reported', async () => {
    expect(await selectBackend('cpu')).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
  });
  it('switches back to wasm after cpu (the wasm module is only set up once)', async () => {
    expect(await selectBackend('wasm')).toBe('wasm');
    expect(await selectBackend('cpu')).toBe('cpu');
    expect(await selectBackend('wasm')).toBe('wasm');
  });
  it('explicit tensorflow fails with a clear error when tfjs-node is missing', async () => {
    await expect(selectBackend('tensorflow')).rejects.toThrow(/tensorflow/);
  });
});

describe('Rng', () => {
  it('same seed → same stream, different seed → different stream', () => {
    const a = new Rng(42), b = new Rng(42), c = new Rng(43);
    const xa = Array.from({ length: 10 }, () => a.nextU32());
    const xb = Array.from({ length: 10 }, () => b.nextU32());
    const xc = Array.from({ length: 10 }, () => c.nextU32());
    expect(xa).toEqual(xb);
    expect(xa).not.toEqual(xc);
  });
  it('uniform and normal moments match closed forms', () => {
    const r = new Rng(1);
    const n = 200_000;
    let su = 0, su2 = 0, sn = 0, sn2 = 0, sn4 = 0;
    for (let i = 0; i < n; i++) {
      const u = r.uniform();
      expect(u >= 0 && u < 1).toBe(true);
      su += u; su2 += u * u;
      const z = r.normal();
      sn += z; sn2 += z * z; sn4 += z ** 4;
    }
    expect(su / n).toBeCloseTo(0.5, 2);
    expect(su2 / n - (su / n) ** 2).toBeCloseTo(1 / 12, 2);
    expect(Math.abs(sn / n)).toBeLessThan(0.01);
    expect(sn2 / n).toBeCloseTo(1, 1);
    expect(sn4 / n).toBeGreaterThan(2.85); // kurtosis of N(0,1) is 3
    expect(sn4 / n).toBeLessThan(3.15);
  });
  it('state get/set resumes exactly, including a pending Box–Muller spare', () => {
    const r = new Rng(7);
    r.normal(); // leaves a spare
    const st = r.getState();
    const cont = Array.from({ length: 5 }, () => r.normal());
    const r2 = new Rng(999);
    r2.setState(st);
    expect(Array.from({ length: 5 }, () => r2.normal())).toEqual(cont);
    expect(() => r2.setState([1, 2])).toThrow(RangeError);
  });
  it('shuffle writes a permutation in place, uniformly', () => {
    const r = new Rng(3);
    const out = new Int32Array(5);
    const counts = new Array(5).fill(0);
    for (let k = 0; k < 20000; k++) {
      r.shuffle(out);
      expect([...out].sort()).toEqual([0, 1, 2, 3, 4]);
      counts[out[0]]++;
    }
    for (const c of counts) expect(Math.abs(c / 20000 - 0.2)).toBeLessThan(0.015);
  });
});
