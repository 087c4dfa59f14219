// The trainer child process end to end: the protocol, pause/resume/stop, exact resume from a
// checkpoint, a SIGKILLed trainer resuming with nothing before its checkpoint lost, NaN refusal.
import { fork } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { MetricsRow, RunConfig, TrainerToHost } from '../src/core/protocol.js';
import { resolveRunConfig } from '../src/core/runs/run-config.js';
import { newRunDir, readMetrics, readStatus, runFiles } from '../src/core/runs/store.js';
import { TrainerHost } from '../src/core/trainer/host.js';

const root = mkdtempSync(join(tmpdir(), 'pl-trainer-'));
// Small PPO updates so each test trains a few updates in seconds.
const base = (over: Partial<RunConfig> = {}): RunConfig => ({
  ...resolveRunConfig({ task: 'InvertedPendulum', algo: 'ppo', seed: 7, totalSteps: 1024, backend: 'cpu', checkpointEvery: 1, algoConfig: { numSteps: 128, numEnvs: 2, numMinibatches: 4, updateEpochs: 2 } }),
  ...over,
});

/** The learning-relevant part of a metrics row (time-dependent fields dropped). */
const curve = (rows: MetricsRow[]) => rows.map(({ stepsPerSecond: _s, wallTime: _w, ...rest }) => rest);

async function runToEnd(config: RunConfig, runDir: string, resume: boolean, hook?: (h: TrainerHost, m: TrainerToHost) => void) {
  const host = TrainerHost.spawn();
  const seen: TrainerToHost[] = [];
  host.onMessage((m) => { seen.push(m); hook?.(host, m); });
  host.send({ type: 'start', config, runDir, resume });
  const done = await host.waitFor((m): m is Extract<TrainerToHost, { type: 'done' }> => m.type === 'done');
  host.kill();
  return { done, seen };
}

describe('trainer process', () => {
  it('trains over the protocol: started with backend and render description, metrics per update, checkpoints, done', async () => {
    const config = base();
    const dir = await newRunDir(root, config);
    const { done, seen } = await runToEnd(config, dir, false);
    expect(done.reason).toBe('finished');
    const started = seen.find((m) => m.type === 'started');
    expect(started && started.type === 'started' && started.backend).toBe('cpu');
    expect(started && started.type === 'started' && started.render.geoms.length).toBeGreaterThan(0);
    const rows = readMetrics(dir);
    expect(rows.length).toBe(seen.filter((m) => m.type === 'metrics').length);
    expect(rows.at(-1)!.steps).toBeGreaterThanOrEqual(1024);
    expect(seen.some((m) => m.type === 'episode')).toBe(true);
    expect(readStatus(dir).status).toBe('finished');
    expect(readStatus(dir).backend).toBe('cpu');
    // PPO's Gaussian step runs on the fused kernels, and the run says so.
    expect(started && started.type === 'started' && started.gradientStep).toMatch(/WASM-SIMD/);
    expect(readStatus(dir).gradientStep).toMatch(/WASM-SIMD/);

    // Export runs in a trainer process too and answers with the files it wrote.
    const host = TrainerHost.spawn();
    const outDir = join(dir, 'export');
    host.send({ type: 'export', runDir: dir, format: 'onnx', outDir, evalEpisodes: 1 });
    const exported = await host.waitFor((m): m is Extract<TrainerToHost, { type: 'exported' | 'error' }> => m.type === 'exported' || m.type === 'error');
    host.kill();
    expect(exported.type).toBe('exported');
    if (exported.type === 'exported') expect(exported.files).toContain('model.onnx');
    expect(existsSync(join(outDir, 'policy-card.json'))).toBe(true);
  });

  it('a trainer whose host goes away stops its run cleanly (no crash on the closed channel)', async () => {
    const config = base({ totalSteps: 10_000_000 });
    const dir = await newRunDir(root, config);
    const child = fork(join(import.meta.dirname, '../src/core/trainer/child.ts'), [], {
      execArgv: ['--import', 'tsx'], serialization: 'advanced', stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    let stderr = '';
    child.stderr!.on('data', (d) => { stderr += String(d); });
    const running = new Promise<void>((ok) => child.on('message', (m: TrainerToHost) => { if (m.type === 'metrics') ok(); }));
    child.send({ type: 'start', config, runDir: dir, resume: false });
    await running;
    child.disconnect(); // the host vanishes mid-run; the trainer keeps sending metrics into nothing
    const code = await new Promise<number | null>((ok) => child.on('exit', (c) => ok(c)));
    expect(code).toBe(0);
    expect(stderr).not.toMatch(/EPIPE|ERR_IPC/);
    expect(readStatus(dir).status).toBe('stopped');
  }, 60_000);

  it('resuming from a checkpoint continues exactly like an uninterrupted run', async () => {
    const config = base();
    const full = await newRunDir(root, config);
    await runToEnd(config, full, false);
    const split = await newRunDir(root, config);
    // Stop after the third update, then resume to the end.
    await runToEnd(config, split, false, (h, m) => { if (m.type === 'metrics' && m.row.update === 3) h.send({ type: 'stop' }); });
    expect(readStatus(split).status).toBe('stopped');
    await runToEnd(config, split, true);
    expect(curve(readMetrics(split))).toEqual(curve(readMetrics(full)));
  });

  it('pauses and resumes between updates, and publishes its policy after every update', async () => {
    const config = base({ totalSteps: 2048 });
    const dir = await newRunDir(root, config);
    let pausedAt = -1;
    let metricsWhilePaused = 0;
    const policies: number[] = [];
    const { seen } = await runToEnd(config, dir, false, (h, m) => {
      if (m.type === 'policy') {
        policies.push(m.update);
        expect(m.snapshot.obsDim).toBe(4);
        expect(m.snapshot.meanHead[0].w).toBeInstanceOf(Float32Array); // typed arrays across the process boundary
      }
      if (m.type === 'metrics' && m.row.update === 2) { h.send({ type: 'pause' }); }
      if (m.type === 'paused') { pausedAt = Date.now(); setTimeout(() => h.send({ type: 'resume' }), 700); }
      if (m.type === 'metrics' && pausedAt > 0 && Date.now() - pausedAt < 600) metricsWhilePaused++;
    });
    expect(seen.some((m) => m.type === 'paused')).toBe(true);
    expect(seen.some((m) => m.type === 'resumed')).toBe(true);
    expect(metricsWhilePaused).toBeLessThanOrEqual(1); // at most the update already under way
    // Update 0 (the initial policy) and one after each update's metrics.
    const updates = seen.filter((m) => m.type === 'metrics').length;
    expect(policies).toEqual(Array.from({ length: updates + 1 }, (_, i) => i));
    expect(seen.at(-1)!.type).toBe('done');
  });

  it('a wide net\'s policy (~1 MB) reaches the host before the next update ends, not an update late', async () => {
    const cfg = base({ totalSteps: 1024 });
    const config = { ...cfg, algoConfig: { ...cfg.algoConfig, hidden: [512, 512] } };
    const dir = await newRunDir(root, config);
    const at = { metrics: new Map<number, number>(), policy: new Map<number, number>() };
    const { seen } = await runToEnd(config, dir, false, (_h, m) => {
      if (m.type === 'metrics') at.metrics.set(m.row.update, performance.now());
      if (m.type === 'policy') at.policy.set(m.update, performance.now());
    });
    const updates = seen.filter((m) => m.type === 'metrics').length;
    expect(updates).toBe(4);
    // One channel keeps the order; what matters is that policy u is not held back until
    // update u+1 has run: it arrives within a small part of an update after u's metrics.
    for (let u = 1; u < updates; u++) {
      const lag = (at.policy.get(u) as number) - (at.metrics.get(u) as number);
      const updateMs = (at.metrics.get(u + 1) as number) - (at.metrics.get(u) as number);
      expect(lag).toBeLessThan(0.5 * updateMs);
    }
    const p = seen.find((m) => m.type === 'policy');
    expect(p?.type === 'policy' && p.snapshot.trunk[1].w.length).toBe(512 * 512);
  });

  it('a SIGKILLed trainer leaves its last checkpoint; resuming loses nothing before it', async () => {
    const config = base({ totalSteps: 2048 });
    const dir = await newRunDir(root, config);
    const host = TrainerHost.spawn();
    let ckptStep = 0;
    const exited = new Promise<string | null>((r) => host.onExit((_c, sig) => r(sig)));
    host.onMessage((m) => {
      if (m.type === 'checkpoint') { ckptStep = m.step; if (m.step >= 512) host.kill('SIGKILL'); }
    });
    host.send({ type: 'start', config, runDir: dir, resume: false });
    expect(await exited).toBe('SIGKILL');
    const before = readMetrics(dir).filter((r) => r.steps <= ckptStep);
    expect(before.length).toBeGreaterThan(0);
    const { done, seen } = await runToEnd(config, dir, true);
    expect(seen.find((m) => m.type === 'error')).toBeUndefined();
    expect(done.reason).toBe('finished');
    const started = seen.find((m) => m.type === 'started');
    expect(started && started.type === 'started' && started.startStep).toBe(ckptStep);
    expect(curve(readMetrics(dir).slice(0, before.length))).toEqual(curve(before));
  });

  it('a corrupt checkpoint is refused with a clear error and the process reports it', async () => {
    const config = base();
    const dir = await newRunDir(root, config);
    await runToEnd(config, dir, false);
    const p = runFiles.checkpoint(dir);
    const bytes = readFileSync(p);
    bytes[bytes.length - 10] ^= 0xff;
    writeFileSync(p, bytes);
    const { done, seen } = await runToEnd(config, dir, true);
    expect(done.reason).toBe('failed');
    const err = seen.find((m) => m.type === 'error');
    expect(err && err.type === 'error' && err.message).toMatch(/checksum mismatch/);
  });

  it('diverging training (NaN) stops with a clear error and keeps the last good checkpoint', async () => {
    // A learning rate this large sends the parameters to Infinity within a few updates.
    const config = base({ algoConfig: { ...base().algoConfig, lr: 1e30, maxGradNorm: 0, lrSchedule: 'constant' } as Record<string, unknown> });
    const dir = await newRunDir(root, config);
    const { done, seen } = await runToEnd(config, dir, false);
    expect(done.reason).toBe('failed');
    const err = seen.find((m) => m.type === 'error');
    expect(err && err.type === 'error' && err.message).toMatch(/NaN|Infinity|diverged|non-finite/i);
    expect(readStatus(dir).status).toBe('failed');
  });
});
