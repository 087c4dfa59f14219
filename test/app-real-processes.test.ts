// The real backend with real trainer processes (as `policy-lab serve` runs it): a training run
// survives a storm of hostile WebSocket traffic; a finished run's trainer process ends; the
// trainer count stays bounded under concurrent exports; an export trainer killed mid-export
// fails only that export while the run trains on.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { LabEvent } from '../src/backend/api.js';
import { createLabBackend } from '../src/backend/default-deps.js';
import { createDispatcher } from '../src/backend/dispatch.js';
import { encodeMessage } from '../src/backend/wire.js';
import { readStatus } from '../src/core/runs/store.js';
import type { ServeHandle } from '../src/serve/server.js';
import { descendants } from './proc-tree.js';
import { anyWire, deepFrame, methodName, payloadFor } from './fuzz-arbitraries.js';
import { connect, exchange as exchangeOnce, serveForTest, type TestServe } from './ws-harness.js';

/** Small PPO updates: a metrics row every second or so, even on a busy machine. */
const quickRun = (totalSteps: number) => ({
  task: 'InvertedPendulum', algo: 'ppo', seed: 3, totalSteps, backend: 'cpu', checkpointEvery: 1,
  algoConfig: { numSteps: 256, numEnvs: 1, numMinibatches: 4, updateEpochs: 2 },
});

/** Trainer processes below this one (their command line runs trainer/child.ts). */
const trainerPids = (): number[] => descendants().filter((d) => /trainer[/\\]child\.ts/.test(d.cmd)).map((d) => d.pid);
const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };
const until = async (what: string, cond: () => boolean, ms = 120_000) => {
  for (const t0 = Date.now(); !cond(); await new Promise((r) => setTimeout(r, 100))) if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
};

describe('a real training run under hostile WebSocket traffic', () => {
  let t: TestServe;
  let s: ServeHandle;
  const events: LabEvent[] = [];

  beforeAll(async () => {
    t = await serveForTest((root) => createLabBackend(root));
    s = t.s;
    s.backend.onEvent((e) => events.push(e));
  });
  afterAll(async () => { await t?.close(); });

  const exchange = (ws: WebSocket, data: Uint8Array | string) => exchangeOnce(ws, data, 30_000);

  it('keeps training through 400 hostile frames, an oversized frame and a dropped connection', async () => {
    const ws = await connect(s);
    const r = await exchange(ws, encodeMessage({ t: 'req', id: 1, method: 'start', payload: quickRun(50_000_000) }));
    expect(r).toMatchObject({ ok: true });
    const runDir = (r as { result: { runDir: string } }).result.runDir;
    await until('the first metrics', () => events.some((e) => e.type === 'metrics'));
    const trainerPid = readStatus(runDir).trainer?.pid;
    expect(trainerPid).toBeGreaterThan(0);

    // An oversized frame on its own connection, and a client that vanishes mid-request.
    const big = await connect(s);
    expect(await exchange(big, encodeMessage({ t: 'req', id: 2, method: 'start', payload: { pad: 'x'.repeat(10 * 1024 * 1024) } }))).toBe('closed');
    const rude = await connect(s);
    rude.send(encodeMessage({ t: 'req', id: 3, method: 'listRuns', payload: null }));
    rude.terminate();

    const frame = fc.oneof(
      { weight: 8, arbitrary: fc.tuple(methodName(['stop', 'pause']), payloadFor(true)).map(([method, payload]) => encodeMessage({ t: 'req', id: 9, method, payload })) },
      { weight: 1, arbitrary: anyWire.map((v) => encodeMessage(v)) },
      { weight: 1, arbitrary: fc.uint8Array({ maxLength: 256 }) },
      { weight: 1, arbitrary: deepFrame },
    );
    await fc.assert(fc.asyncProperty(frame, async (f) => {
      const answer = await exchange(ws, f);
      expect(answer).not.toBe('closed');
      expect(s.backend.status.state).toBe('running');
    }), { seed: 77, numRuns: 400 });

    // The same trainer is alive and still reporting updates.
    expect(alive(trainerPid as number)).toBe(true);
    const seen = events.filter((e) => e.type === 'metrics').length;
    await until('metrics after the storm', () => events.filter((e) => e.type === 'metrics').length > seen + 1);
    expect(events.some((e) => e.type === 'trainer-exit')).toBe(false);
    const stop = await exchange(ws, encodeMessage({ t: 'req', id: 4, method: 'stop', payload: null }));
    expect(stop).toMatchObject({ ok: true });
    await until('stopped', () => s.backend.status.state === 'stopped');
    ws.close();
  }, 300_000);
});

describe('real trainer processes are bounded and ended', () => {
  let root: string;
  beforeAll(async () => { root = await mkdtemp(path.join(tmpdir(), 'lab-real-procs-')); });
  afterAll(async () => { await rm(root, { recursive: true, force: true }); });

  it('a finished run\'s trainer exits; concurrent exports use at most two trainers; a killed export trainer costs only its export', async () => {
    const backend = createLabBackend(root);
    const call = createDispatcher(backend);
    const events: LabEvent[] = [];
    backend.onEvent((e) => events.push(e));
    let maxTrainers = 0;
    const sampler = setInterval(() => { maxTrainers = Math.max(maxTrainers, trainerPids().length); }, 100);
    try {
      // 1. A short run: when it is done its trainer process is gone (before: an idle ~250 MB process stayed).
      const { runDir } = (await call('start', quickRun(1024))) as { runDir: string };
      await until('the run to finish', () => backend.status.state === 'finished');
      const ranOn = events.find((e) => e.type === 'started');
      expect(ranOn).toBeDefined();
      await until('the finished trainer to exit', () => events.some((e) => e.type === 'trainer-exit'), 15_000);
      expect(events.find((e) => e.type === 'trainer-exit')).toMatchObject({ crashed: false });
      // Only the warm spare is left.
      await until('one trainer left', () => trainerPids().length === 1, 15_000);

      // 2. Four exports at once: two trainers work, two requests wait; never more than spare + 2.
      maxTrainers = 0;
      const outs = [1, 2, 3, 4].map((i) => path.join(root, 'exports', `x${i}`));
      const results = await Promise.all(outs.map((outDir) => call('exportRun', { runDir, format: 'onnx', outDir })));
      expect(results).toHaveLength(4);
      expect(maxTrainers).toBeLessThanOrEqual(1 + 2);
      await until('export trainers gone', () => trainerPids().length === 1, 15_000);

      // 3. Exports during training, and one whose trainer is killed mid-export.
      const again = await call('resume', { runDir }).then(() => 'ok', (e: Error) => e.message);
      expect(again).toBe('ok'); // continues the finished run: its totalSteps is reached, so it finishes again
      await until('finished again', () => backend.status.state === 'finished');
      const { runDir: longRun } = (await call('start', quickRun(50_000_000))) as { runDir: string };
      await until('training', () => events.filter((e) => e.type === 'metrics' && e.runDir === longRun).length >= 2);
      const active = readStatus(longRun).trainer?.pid as number;
      const spare = trainerPids().find((p) => p !== active) as number;
      expect(spare).toBeGreaterThan(0);
      const doomed = call('exportRun', { runDir: longRun, format: 'onnx', outDir: path.join(root, 'exports', 'doomed') }).then(() => 'ok', (e: Error) => e.message);
      await new Promise((r) => setTimeout(r, 500));
      process.kill(spare, 'SIGKILL'); // the spare was taken by the export: this is the export's trainer
      expect(await doomed).toMatch(/export failed/);
      const fine = await call('exportRun', { runDir: longRun, format: 'onnx', outDir: path.join(root, 'exports', 'fine') });
      expect(fine).toMatchObject({ files: expect.arrayContaining(['model.onnx']) });
      expect(alive(active)).toBe(true);
      const before = events.filter((e) => e.type === 'metrics' && e.runDir === longRun).length;
      await until('training goes on', () => events.filter((e) => e.type === 'metrics' && e.runDir === longRun).length > before);
      expect(backend.status.state).toBe('running');
      expect(maxTrainers).toBeLessThanOrEqual(1 + 1 + 2);
      await call('stop', undefined);
      await until('stopped', () => backend.status.state === 'stopped');
    } finally {
      clearInterval(sampler);
      backend.dispose();
    }
  }, 600_000);
});
