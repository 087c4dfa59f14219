// 1,000 create/reset/step/dispose cycles must not grow the process or the WASM heap without bound:
// every MjModel/MjData is freed and nothing else accumulates per env.
import { describe, expect, it } from 'vitest';
import { wasmHeapBytes } from '../src/core/envs/mujoco.js';
import type { MujocoEnv } from '../src/core/envs/mujoco-env.js';
import { makeEnv } from '../src/core/envs/registry.js';

async function heapNow(): Promise<number> {
  const env = (await makeEnv('HalfCheetah')) as MujocoEnv;
  const bytes = wasmHeapBytes((env as unknown as { data: Parameters<typeof wasmHeapBytes>[0] }).data);
  env.dispose();
  return bytes;
}

describe('env memory', () => {
  it('stays bounded over 1,000 create/reset/step/dispose cycles', async () => {
    const tasks = ['HalfCheetah', 'Ant', 'Reacher', 'InvertedDoublePendulum'];
    const cycle = async (i: number): Promise<void> => {
      const env = await makeEnv(tasks[i % tasks.length]);
      env.reset(i);
      env.step(new Float32Array(env.spec.actDim));
      env.renderDescription();
      env.getState();
      env.dispose();
    };
    for (let i = 0; i < 100; i++) await cycle(i); // warm-up: heap and JIT reach steady state
    global.gc?.();
    const rss0 = process.memoryUsage().rss;
    const heap0 = await heapNow();
    for (let i = 0; i < 1000; i++) await cycle(i);
    global.gc?.();
    const rss1 = process.memoryUsage().rss;
    const heap1 = await heapNow();
    // A leak of one Ant model per cycle alone would be tens of MB; these bounds are far below that.
    expect(heap1 - heap0).toBeLessThanOrEqual(8 * 1024 * 1024);
    expect(rss1 - rss0).toBeLessThan(64 * 1024 * 1024);
  });
});
