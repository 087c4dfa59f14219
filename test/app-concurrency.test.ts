// Requests that change state are serialized; trainer processes are bounded (one per active run,
// a small pool for evaluate/export with a queue, refused beyond it) and ended when their run is
// done; exports may run during training and a trainer killed mid-export costs only that export.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LabError, type ExportResult } from '../src/backend/api.js';
import { createDispatcher, type Dispatcher } from '../src/backend/dispatch.js';
import { LabBackend } from '../src/backend/lab-backend.js';
import { fakeCatalog, fakeDeps, FakeTrainer } from './app-fakes.js';

const req = { task: 'InvertedPendulum', algo: 'ppo', seed: 1, totalSteps: 10_000, backend: 'cpu', checkpointEvery: 1, algoConfig: {} };
const render = { task: 'InvertedPendulum', geoms: [], bodyNames: ['world'], trackBody: 0 };
const tick = (ms = 5) => new Promise((r) => setTimeout(r, ms));
/**
 * Waits until `check` passes: the backend reaches its next state through asynchronous file reads,
 * which on a loaded machine take longer than any fixed pause. Upper bounds are then re-checked
 * after a further pause, so a backend that forks too many still fails.
 */
const until = async (check: () => void): Promise<void> => { await vi.waitFor(() => { check(); }, { timeout: 10_000, interval: 5 }); };

let root: string;
let deps: ReturnType<typeof fakeDeps>;
let backend: LabBackend;
let call: Dispatcher;

beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'lab-conc-'));
  deps = fakeDeps();
  backend = new LabBackend(root, deps, { doneGraceMs: 20 });
  call = createDispatcher(backend);
});
afterEach(async () => {
  backend.dispose();
  await rm(root, { recursive: true, force: true });
});

const outcome = (p: Promise<unknown>) => p.then(() => 'ok', (e: unknown) => (e instanceof LabError ? e.code : String(e)));
const alive = (ts: FakeTrainer[]) => ts.filter((t) => t.killed === null);

describe('state-changing requests are serialized', () => {
  it('two starts at once: one runs, the other is busy; one trainer, one run folder', async () => {
    const r = await Promise.all([outcome(call('start', req)), outcome(call('start', req))]);
    expect(r.sort()).toEqual(['busy', 'ok']);
    expect(deps.spawned).toHaveLength(1);
    expect(deps.created).toHaveLength(1);
    // Stop reaches the one trainer that runs.
    await call('stop', undefined);
    expect(deps.spawned[0].sent.at(-1)).toEqual({ type: 'stop' });
  });

  it('ten starts at once still start exactly one run', async () => {
    const r = await Promise.all(Array.from({ length: 10 }, () => outcome(call('start', req))));
    expect(r.filter((x) => x === 'ok')).toHaveLength(1);
    expect(deps.spawned).toHaveLength(1);
    expect(deps.created).toHaveLength(1);
  });

  it('start then stop sent together: the stop reaches the run that start launched', async () => {
    const [a, b] = await Promise.all([outcome(call('start', req)), outcome(call('stop', undefined))]);
    expect([a, b]).toEqual(['ok', 'ok']);
    expect(deps.spawned[0].sent.map((m) => m.type)).toContain('stop');
    expect(backend.status.state).toBe('stopping');
  });

  it('a crashed run resumed twice at once launches one trainer', async () => {
    const { runDir } = (await call('start', req)) as { runDir: string };
    deps.spawned[0].exit(null, 'SIGKILL');
    expect(backend.status.state).toBe('crashed');
    const r = await Promise.all([outcome(call('resume', { runDir })), outcome(call('resume', { runDir })), outcome(call('resume', undefined))]);
    expect(r.filter((x) => x === 'ok')).toHaveLength(1);
    // The others see the relaunched run: busy (or, without a runDir, nothing interrupted to resume).
    expect(r.filter((x) => x !== 'ok').sort()).toEqual(['busy', 'invalid']);
    expect(deps.spawned).toHaveLength(2);
  });

  it('start / stop / resume interleaved: every state change sees the previous one', async () => {
    const { runDir } = (await call('start', req)) as { runDir: string };
    const t1 = deps.spawned[0];
    t1.emit({ type: 'started', runDir, backend: 'cpu', spec: fakeCatalog.tasks[0], render, startStep: 0 });
    const stop = call('stop', undefined);
    const resumeTooEarly = outcome(call('resume', { runDir }));
    await stop;
    // The trainer is still stopping when the resume is handled: refused, nothing launched.
    expect(await resumeTooEarly).toBe('busy');
    t1.emit({ type: 'done', reason: 'stopped', steps: 100 });
    t1.exit(0, null);
    expect(backend.status.state).toBe('stopped');
    const [r1, r2] = await Promise.all([outcome(call('resume', undefined)), outcome(call('start', req))]);
    expect([r1, r2]).toEqual(['ok', 'busy']);
    expect(deps.spawned).toHaveLength(2);
    expect(deps.spawned[1].sent.find((m) => m.type === 'start')).toMatchObject({ runDir, resume: true });
  });
});

describe('trainer processes are bounded and ended', () => {
  it('a finished run\'s trainer is ended by its owner if it does not exit by itself', async () => {
    const { runDir } = (await call('start', req)) as { runDir: string };
    const t = deps.spawned[0];
    t.emit({ type: 'started', runDir, backend: 'cpu', spec: fakeCatalog.tasks[0], render, startStep: 0 });
    t.emit({ type: 'done', reason: 'finished', steps: 10_000 });
    expect(t.killed).toBeNull();
    await tick(60);
    expect(t.killed).toBe('SIGTERM');
    t.exit(null, 'SIGTERM');
    expect(backend.status.state).toBe('finished'); // not a crash
  });

  it('a trainer that exits by itself after done is not killed again', async () => {
    await call('start', req);
    const t = deps.spawned[0];
    t.emit({ type: 'done', reason: 'finished', steps: 10_000 });
    t.exit(0, null);
    await tick(60);
    expect(t.killed).toBeNull();
  });

  it('evaluations share two trainer slots; the rest wait their turn instead of failing or forking more', async () => {
    const { runDir } = (await call('start', req)) as { runDir: string };
    deps.spawned[0].exit(0, null);
    const evals = Array.from({ length: 5 }, () => call('evaluate', { runDir, episodes: 1, deterministic: true }));
    const evaluators = () => deps.spawned.slice(1);
    await until(() => expect(evaluators()).toHaveLength(2));
    await tick(30);
    expect(evaluators()).toHaveLength(2);
    expect(backend.jobLoad).toEqual({ active: 2, queued: 3 });
    const answer = (t: FakeTrainer) => t.emit({ type: 'evaluation', returns: new Float64Array([1]), lengths: new Int32Array([1]), render, frames: new Float32Array(0), frameCount: 0 });
    let maxAlive = 0;
    for (let i = 0; i < 5; i++) {
      await until(() => expect(alive(evaluators()).length).toBeGreaterThan(0));
      maxAlive = Math.max(maxAlive, alive(evaluators()).length);
      answer(alive(evaluators())[0]);
    }
    const results = await Promise.all(evals);
    expect(results).toHaveLength(5);
    expect(evaluators()).toHaveLength(5);
    expect(maxAlive).toBeLessThanOrEqual(2);
    expect(alive(evaluators())).toHaveLength(0);
    expect(backend.jobLoad).toEqual({ active: 0, queued: 0 });
  });

  it('beyond the queue, requests are refused as busy and change nothing', async () => {
    const b = new LabBackend(root, deps, { jobSlots: 2, jobQueue: 2 });
    const c = createDispatcher(b);
    const { runDir } = (await c('start', req)) as { runDir: string };
    deps.spawned[0].exit(0, null);
    const r = Array.from({ length: 6 }, () => outcome(c('evaluate', { runDir, episodes: 1, deterministic: true })));
    await until(() => expect(deps.spawned.length - 1).toBe(2));
    await tick(30);
    expect(deps.spawned.length - 1).toBe(2);
    expect(b.jobLoad).toEqual({ active: 2, queued: 2 });
    for (const t of deps.spawned.slice(1)) t.exit(1, null);
    await until(() => expect(deps.spawned.length - 1).toBe(4));
    for (const t of deps.spawned.slice(3)) t.exit(1, null);
    const codes = await Promise.all(r);
    expect(codes.filter((x) => x === 'busy')).toHaveLength(2);
    expect(codes.filter((x) => x === 'failed')).toHaveLength(4);
    b.dispose();
  });
});

/** Deps whose export runs in a FakeTrainer that answers only when the test says so (or dies). */
function exportingDeps() {
  const d = fakeDeps();
  const exporters: FakeTrainer[] = [];
  d.exportRun = (_runDir, format, outDir) => new Promise<ExportResult>((resolve, reject) => {
    const t = d.spawnTrainer() as FakeTrainer;
    exporters.push(t);
    t.onMessage((m) => { if (m.type === 'exported') { t.kill(); resolve({ dir: m.dir, files: m.files }); } });
    t.onExit((code, sig) => reject(new Error(`trainer process exited (code ${code}, signal ${sig})`)));
    t.send({ type: 'export', runDir: _runDir, format, outDir, evalEpisodes: 1 });
  });
  return { d, exporters };
}

describe('exports during training', () => {
  it('run alongside the training trainer, at most two at a time, and leave the run untouched', async () => {
    const { d, exporters } = exportingDeps();
    const b = new LabBackend(root, d);
    const c = createDispatcher(b);
    const { runDir } = (await c('start', req)) as { runDir: string };
    const trainer = d.spawned[0];
    trainer.emit({ type: 'started', runDir, backend: 'cpu', spec: fakeCatalog.tasks[0], render, startStep: 0 });
    const outs = ['a', 'b', 'c', 'd'].map((n) => path.join(root, 'out-' + n));
    const exports = outs.map((o) => c('exportRun', { runDir, format: 'onnx', outDir: o }));
    await until(() => expect(exporters).toHaveLength(2));
    await tick(30);
    expect(exporters).toHaveLength(2);
    for (let i = 0; i < 4; i++) {
      await until(() => expect(alive(exporters).length).toBeGreaterThan(0));
      const t = alive(exporters)[0];
      const msg = t.sent[0];
      if (msg.type !== 'export') throw new Error('not an export');
      t.emit({ type: 'exported', dir: msg.outDir, files: ['model.onnx'] });
      expect(alive(exporters).length).toBeLessThanOrEqual(2);
    }
    const r = (await Promise.all(exports)) as ExportResult[];
    expect(r.map((x) => x.dir)).toEqual(outs);
    expect(b.status.state).toBe('running');
    expect(trainer.killed).toBeNull();
    // Exports take their own trainers: the run's trainer was only ever told to start.
    expect(trainer.sent.map((m) => m.type)).toEqual(['start']);
    b.dispose();
  });

  it('a trainer killed during an export fails that export only; the next export and the run go on', async () => {
    const { d, exporters } = exportingDeps();
    const b = new LabBackend(root, d);
    const c = createDispatcher(b);
    const { runDir } = (await c('start', req)) as { runDir: string };
    d.spawned[0].emit({ type: 'started', runDir, backend: 'cpu', spec: fakeCatalog.tasks[0], render, startStep: 0 });
    const first = outcome(c('exportRun', { runDir, format: 'onnx', outDir: path.join(root, 'x1') }));
    await until(() => expect(exporters).toHaveLength(1));
    exporters[0].exit(null, 'SIGKILL');
    expect(await first).toBe('failed');
    expect(b.jobLoad.active).toBe(0);
    const second = c('exportRun', { runDir, format: 'onnx', outDir: path.join(root, 'x2') });
    await until(() => expect(exporters).toHaveLength(2));
    exporters[1].emit({ type: 'exported', dir: path.join(root, 'x2'), files: ['model.onnx'] });
    expect(await second).toMatchObject({ dir: path.join(root, 'x2') });
    expect(b.status.state).toBe('running');
    b.dispose();
  });
});

describe('an export never writes into a run folder or over a bundle', () => {
  it.each([
    ['another run\'s folder', (other: string) => other, /is a run folder/],
    ['a folder inside another run', (other: string) => path.join(other, 'export'), /inside another run's folder/],
    ['its own run folder', (_o: string, own: string) => own, /is a run folder/],
    ['the imports folder', () => path.join(root, 'imports', 'x'), /imports\/ folder/],
  ])('refuses %s', async (_n, pick, re) => {
    const { runDir: own } = (await call('start', req)) as { runDir: string };
    deps.spawned[0].exit(0, null);
    const { runDir: other } = (await call('start', { ...req, seed: 2 })) as { runDir: string };
    deps.spawned[1].exit(0, null);
    const err = await call('exportRun', { runDir: own, format: 'onnx', outDir: pick(other, own) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LabError);
    expect((err as LabError).code).toBe('invalid');
    expect((err as LabError).message).toMatch(re);
  });
  it('refuses a folder holding a bundle, but re-exports into the run\'s own export folder', async () => {
    const { runDir } = (await call('start', req)) as { runDir: string };
    const taken = path.join(root, 'mine');
    await mkdir(taken);
    await writeFile(path.join(taken, 'policy-card.json'), '{}');
    await expect(call('exportRun', { runDir, format: 'onnx', outDir: taken })).rejects.toThrow(/already holds a policy bundle/);
    await call('exportRun', { runDir, format: 'onnx' });
    await writeFile(path.join(runDir, 'export', 'policy-card.json'), '{}');
    await expect(call('exportRun', { runDir, format: 'onnx' })).resolves.toMatchObject({ dir: path.join(runDir, 'export') });
  });
});
