import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LabEvent } from '../src/backend/api.js';
import { createDispatcher, type Dispatcher } from '../src/backend/dispatch.js';
import { LabBackend } from '../src/backend/lab-backend.js';
import { fakeCatalog, fakeDeps, metricsRow } from './app-fakes.js';

const req = { task: 'InvertedPendulum', algo: 'ppo', seed: 1, totalSteps: 10_000, backend: 'cpu', checkpointEvery: 1, algoConfig: {} };
const render = { task: 'InvertedPendulum', geoms: [], bodyNames: ['world'], trackBody: 0 };

let root: string;
let deps: ReturnType<typeof fakeDeps>;
let backend: LabBackend;
let call: Dispatcher;
let events: LabEvent[];

beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'lab-be-'));
  deps = fakeDeps();
  backend = new LabBackend(root, deps);
  call = createDispatcher(backend);
  events = [];
  backend.onEvent((e) => events.push(e));
});
afterEach(async () => {
  backend.dispose();
  await rm(root, { recursive: true, force: true });
});

describe('LabBackend', () => {
  it('relays trainer messages as events tagged with the run', async () => {
    const { runDir } = (await call('start', req)) as { runDir: string };
    const t = deps.spawned[0];
    t.emit({ type: 'started', runDir, backend: 'cpu', spec: fakeCatalog.tasks[0], render, startStep: 0 });
    t.emit({ type: 'metrics', row: metricsRow(1, 12) });
    expect(events.map((e) => e.type)).toEqual(['status', 'started', 'status', 'metrics']);
    expect(events[3].type === 'metrics' && events[3].runDir).toBe(runDir);
    expect(backend.status.state).toBe('running');
  });

  it('the viewer follows the run: loads its task, gets every published policy, and its states become events', async () => {
    const { runDir } = (await call('start', req)) as { runDir: string };
    const v = deps.viewers[0];
    expect(v.sent[0]).toMatchObject({ type: 'load', source: { env: { kind: 'task', name: req.task }, seed: req.seed }, policy: null });
    const snapshot = { kind: 'gaussian', obsDim: 4, actDim: 1, trunk: [], meanHead: [], squash: 'clip' } as const;
    deps.spawned[0].emit({ type: 'policy', update: 3, steps: 300, snapshot: snapshot as never });
    expect(v.sent[1]).toEqual({ type: 'policy', policy: { snapshot, update: 3, steps: 300 } });
    // Another run's policy is not the followed one's.
    deps.spawned[0].emit({ type: 'metrics', row: metricsRow(1, 1) });
    const poses = new Float32Array([1, 2, 3, 1, 0, 0, 0]);
    v.emit({ type: 'viewer-states', intervalMs: 1000 / 60, states: [{ type: 'viewer-state', seq: 1, simTime: 0.5, poses, mu: new Float32Array([0.1]), std: new Float32Array([0.2]), episode: 0, episodeStep: 10, episodeReturn: 9, update: 3, steps: 300, push: new Float32Array(0), settings: { paused: false, speed: 1, deterministic: true, swapAtOnce: false } }] });
    const st = events.find((e) => e.type === 'viewer-states');
    expect(st?.type === 'viewer-states' && st.states[0].poses).toBe(poses);
    // Controls and pushes go to the viewer only, never to the trainer.
    await call('viewerControl', { speed: 2, paused: true });
    await call('viewerPush', { body: 1, grab: [0, 0, 1], target: [0, 0, 2] });
    expect(v.sent.slice(2)).toEqual([{ type: 'control', control: { speed: 2, paused: true } }, { type: 'push', push: { body: 1, grab: [0, 0, 1], target: [0, 0, 2] } }]);
    expect(deps.spawned[0].sent.map((m) => m.type)).toEqual(['start']);
    // A viewer that dies is respawned with the settings and the latest policy.
    v.exit(null, 'SIGKILL');
    await call('viewerControl', { step: true });
    const v2 = deps.viewers[1];
    expect(v2.sent[0]).toEqual({ type: 'control', control: { speed: 2, paused: true } });
    expect(v2.sent[1]).toMatchObject({ type: 'load', policy: { update: 3 } });
    expect(v2.sent[2]).toEqual({ type: 'control', control: { step: true } });
    expect(runDir).toBeTruthy();
    backend.dispose();
    expect(v2.killed).toBe('SIGTERM');
  });

  it('pause / resume are sent to the trainer and tracked from its answers', async () => {
    await call('start', req);
    const t = deps.spawned[0];
    t.emit({ type: 'started', runDir: '', backend: 'cpu', spec: fakeCatalog.tasks[0], render, startStep: 0 });
    await call('pause', undefined);
    expect(t.sent.at(-1)).toEqual({ type: 'pause' });
    t.emit({ type: 'paused' });
    expect(backend.status.state).toBe('paused');
    await expect(call('pause', undefined)).rejects.toThrow(/nothing is training/);
    await call('resume', undefined);
    expect(t.sent.at(-1)).toEqual({ type: 'resume' });
    t.emit({ type: 'resumed' });
    expect(backend.status.state).toBe('running');
  });

  it('reports a killed trainer with its last checkpoint and resumes from it', async () => {
    const { runDir } = (await call('start', req)) as { runDir: string };
    const t = deps.spawned[0];
    t.emit({ type: 'started', runDir, backend: 'cpu', spec: fakeCatalog.tasks[0], render, startStep: 0 });
    t.emit({ type: 'checkpoint', step: 4096, path: path.join(runDir, 'ckpt') });
    t.exit(null, 'SIGKILL');
    const exit = events.find((e) => e.type === 'trainer-exit');
    expect(exit).toMatchObject({ crashed: true, signal: 'SIGKILL', lastCheckpointStep: 4096 });
    expect(exit?.type === 'trainer-exit' && exit.message).toBe('trainer process was killed (SIGKILL); last checkpoint at step 4096; press Resume to continue');
    expect(backend.status.state).toBe('crashed');
    await call('resume', undefined);
    expect(deps.spawned).toHaveLength(2);
    const start = deps.spawned[1].sent.find((m) => m.type === 'start');
    expect(start).toMatchObject({ type: 'start', runDir, resume: true });
    expect(deps.created).toHaveLength(1);
  });

  it('a non-zero exit without a checkpoint says so; a clean finish is not a crash', async () => {
    await call('start', req);
    deps.spawned[0].exit(3, null);
    const crash = events.find((e) => e.type === 'trainer-exit');
    expect(crash?.type === 'trainer-exit' && crash.message).toMatch(/exited with code 3; no checkpoint was written yet/);
    events.length = 0;
    await call('resume', undefined);
    const t2 = deps.spawned[1];
    t2.emit({ type: 'done', reason: 'finished', steps: 10_000 });
    t2.exit(0, null);
    expect(events.find((e) => e.type === 'trainer-exit')).toMatchObject({ crashed: false });
    expect(backend.status.state).toBe('finished');
  });

  it('stop asks politely and the clean exit is reported as stopped', async () => {
    await call('start', req);
    const t = deps.spawned[0];
    await call('stop', undefined);
    expect(t.sent.at(-1)).toEqual({ type: 'stop' });
    t.exit(0, null);
    expect(backend.status.state).toBe('stopped');
    expect(t.killed).toBeNull();
  });

  it('evaluate runs in its own process, returns the recording and kills it', async () => {
    const { runDir } = (await call('start', req)) as { runDir: string };
    deps.spawned[0].exit(0, null);
    const p = call('evaluate', { runDir, episodes: 2, deterministic: true });
    await new Promise((r) => setTimeout(r, 20));
    const ev = deps.spawned[1];
    expect(ev.sent[0]).toEqual({ type: 'evaluate', runDir, episodes: 2, deterministic: true, record: true });
    ev.emit({ type: 'evaluation', returns: new Float64Array([5, 7]), lengths: new Int32Array([10, 12]), render, frames: new Float32Array(22 * 7), frameCount: 22 });
    const r = (await p) as { returns: Float64Array; frameCount: number };
    expect(Array.from(r.returns)).toEqual([5, 7]);
    expect(r.frameCount).toBe(22);
    expect(ev.killed).not.toBeNull();
  });

  it('a trainer that answers start synchronously still ends up running', async () => {
    const sync = fakeDeps((t) => {
      t.onSend = (m, self) => {
        if (m.type === 'start') self.emit({ type: 'started', runDir: m.runDir, backend: 'cpu', spec: fakeCatalog.tasks[0], render, startStep: 0 });
      };
    });
    const b = new LabBackend(root, sync);
    await createDispatcher(b)('start', req);
    expect(b.status.state).toBe('running');
    b.dispose();
  });

  it('custom MJCF text is stored under the runs root and passed by path', async () => {
    const content = '<mujoco model="m"><worldbody/></mujoco>';
    await call('start', { ...req, task: 'custom', custom: { name: 'm.xml', content, preset: 'upright' } });
    const start = deps.spawned[0].sent.find((m) => m.type === 'start');
    if (start?.type !== 'start' || !start.config.custom) throw new Error('no custom config');
    expect(start.config.custom.preset).toBe('upright');
    // <runs>/models/<content hash>/model.xml: a copy of the model the run keeps using.
    expect(path.dirname(path.dirname(start.config.custom.mjcfPath))).toBe(path.join(root, 'models'));
    expect(await readFile(start.config.custom.mjcfPath, 'utf8')).toBe(content);
  });

  it('export writes under <runDir>/export by default', async () => {
    const { runDir } = (await call('start', req)) as { runDir: string };
    const r = (await call('exportRun', { runDir, format: 'tfjs' })) as { dir: string; files: string[] };
    expect(r.dir).toBe(path.join(runDir, 'export'));
    expect(await readdir(path.join(runDir, 'export'))).toEqual(r.files);
  });
});
