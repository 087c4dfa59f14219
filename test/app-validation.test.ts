import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LabError } from '../src/backend/api.js';
import { createDispatcher, type Dispatcher } from '../src/backend/dispatch.js';
import { LabBackend } from '../src/backend/lab-backend.js';
import { fakeDeps } from './app-fakes.js';

const good = { task: 'InvertedPendulum', algo: 'ppo', seed: 3, totalSteps: 50_000, backend: 'cpu', checkpointEvery: 5, algoConfig: { lr: 1e-3 } };

let root: string;
let deps: ReturnType<typeof fakeDeps>;
let backend: LabBackend;
let call: Dispatcher;

beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'lab-val-'));
  deps = fakeDeps();
  backend = new LabBackend(root, deps);
  call = createDispatcher(backend);
});
afterEach(async () => {
  backend.dispose();
  await rm(root, { recursive: true, force: true });
});

/** Calls and expects an 'invalid' LabError whose message matches; checks nothing was started or written. */
async function rejects(method: string, payload: unknown, msg: RegExp): Promise<void> {
  const before = await readdir(root);
  const err = await call(method, payload).then(() => null, (e: unknown) => e);
  expect(err, `${method} ${JSON.stringify(payload)} should be rejected`).toBeInstanceOf(LabError);
  expect((err as LabError).code).toBe('invalid');
  expect((err as LabError).message).toMatch(msg);
  expect(deps.spawned).toHaveLength(0);
  expect(deps.created).toHaveLength(0);
  expect(await readdir(root)).toEqual(before);
  expect(backend.status.state).toBe('idle');
}

describe('start validation', () => {
  it('accepts a good request and resolves hyperparameters: schema defaults < task preset < user values', async () => {
    const r = (await call('start', good)) as { runDir: string };
    expect(r.runDir.startsWith(root)).toBe(true);
    expect(deps.spawned).toHaveLength(1);
    const start = deps.spawned[0].sent.find((m) => m.type === 'start');
    expect(start).toBeDefined();
    if (start?.type !== 'start') throw new Error('no start');
    expect(start.resume).toBe(false);
    expect(start.config.algoConfig).toEqual({ lr: 1e-3, epochs: 4, phi: 'gae' });
    expect(start.config.seed).toBe(3);
  });

  it.each([
    ['not an object', 'hello', /start: expected an object/],
    ['an array', [good], /start: expected an object/],
    ['unknown top-level field', { ...good, evil: 1 }, /unknown field "evil"/],
    ['unknown task', { ...good, task: 'Nope' }, /start.task: unknown task "Nope"/],
    ['unknown algorithm', { ...good, algo: 'dqn' }, /start.algo: unknown algorithm "dqn"/],
    ['non-integer seed', { ...good, seed: 1.5 }, /start.seed: expected an integer/],
    ['negative seed', { ...good, seed: -1 }, /start.seed: must be ≥ 0/],
    ['string seed', { ...good, seed: '7' }, /start.seed: expected a finite number/],
    ['too few steps', { ...good, totalSteps: 10 }, /start.totalSteps: must be ≥ 1000/],
    ['unknown backend', { ...good, backend: 'cuda' }, /start.backend: expected one of/],
    ['learning rate out of range', { ...good, algoConfig: { lr: 5 } }, /algoConfig\(ppo\).lr: must be ≤ 1/],
    ['NaN hyperparameter', { ...good, algoConfig: { lr: Number.NaN } }, /lr: expected a finite number/],
    ['unknown hyperparameter', { ...good, algoConfig: { gamma2: 0.9 } }, /unknown field "gamma2"/],
    ['bad choice', { ...good, algoConfig: { phi: 'q' } }, /phi: expected one of gae \| return/],
    ['algoConfig not an object', { ...good, algoConfig: [1] }, /algoConfig: expected an object/],
    ['custom without model', { ...good, task: 'custom' }, /needs an MJCF model/],
    ['custom model that is not MJCF', { ...good, task: 'custom', custom: { name: 'a.xml', content: '<html/>', preset: 'forward' } }, /not an MJCF model/],
    ['custom with bad preset', { ...good, task: 'custom', custom: { name: 'a.xml', content: '<mujoco></mujoco>', preset: 'fly' } }, /preset: expected one of/],
    ['custom on a built-in task', { ...good, custom: { name: 'a.xml', content: '<mujoco/>', preset: 'forward' } }, /only allowed with task "custom"/],
  ])('rejects %s', async (_name, payload, msg) => {
    await rejects('start', payload, msg);
  });

  it('rejects a second start while a run is active (busy), keeping the first', async () => {
    await call('start', good);
    const err = await call('start', good).catch((e: unknown) => e);
    expect((err as LabError).code).toBe('busy');
    expect(deps.spawned).toHaveLength(1);
    expect(deps.created).toHaveLength(1);
  });
});

describe('paths stay inside the runs root', () => {
  it.each([
    ['parent escape', '../outside'],
    ['absolute elsewhere', '/etc'],
    ['the root itself', '.'],
    ['sneaky escape', 'run-1/../../x'],
  ])('openRun rejects %s', async (_n, dir) => {
    await rejects('openRun', { runDir: dir }, /outside the runs folder/);
  });
  it('rejects a non-string path and NUL bytes', async () => {
    await rejects('openRun', { runDir: 42 }, /openRun.runDir: expected text/);
    await rejects('evaluate', { runDir: 'a\0b', episodes: 1, deterministic: true }, /NUL/);
  });
  it('export outDir is confined too', async () => {
    await rejects('exportRun', { runDir: 'r', format: 'onnx', outDir: '/tmp' }, /exportRun.outDir: .* outside the runs folder/);
  });
  it('an inside path that does not exist is not-found, not a crash', async () => {
    const err = await call('openRun', { runDir: 'missing' }).catch((e: unknown) => e);
    expect((err as LabError).code).toBe('not-found');
  });
});

describe('other requests', () => {
  it.each([
    ['evaluate', { runDir: 'r', episodes: 0, deterministic: true }, /episodes: must be between 1 and 100/],
    ['evaluate', { runDir: 'r', episodes: 2.5, deterministic: true }, /episodes: expected an integer/],
    ['evaluate', { runDir: 'r', episodes: 3, deterministic: 'yes' }, /deterministic: expected true or false/],
    ['exportRun', { runDir: 'r', format: 'exe' }, /format: expected one of onnx \| tfjs \| all/],
    ['viewerControl', { speed: 0 }, /speed: must be between 0.1 and 4/],
    ['viewerControl', { speed: 1e6 }, /speed: must be between 0.1 and 4/],
    ['viewerControl', { paused: 1 }, /paused: expected true or false/],
    ['viewerControl', { fly: true }, /unknown field "fly"/],
    ['viewerPush', { body: 0, target: [0, 0, 0] }, /body: must be between 1/],
    ['viewerPush', { body: 1, target: [0, 0] }, /target: expected \[x, y, z\]/],
    ['viewerPush', { body: 1, target: [0, Infinity, 0] }, /target\[1\]: expected a number/],
    ['viewerPush', { body: 1, target: [0, 1e9, 0] }, /target\[1\]: must be between/],
    ['viewerPush', { target: [0, 0, 0] }, /grab\/target need a body/],
    ['viewerPlay', { runDir: '/etc' }, /outside the runs folder/],
    ['pause', { force: true }, /pause: unknown field "force"/],
    ['getCatalog', 'x', /getCatalog: expected an object/],
    ['resume', { runDir: '/etc' }, /outside the runs folder/],
    ['__proto__', {}, /unknown request/],
    ['constructor', {}, /unknown request/],
    ['spawn', {}, /unknown request "spawn"/],
  ])('%s rejects %j', async (method, payload, msg) => {
    await rejects(method, payload, msg);
  });

  it('a rejected viewerControl changes nothing the viewer would be sent', async () => {
    await call('viewerControl', { speed: 2 });
    await call('viewerControl', { speed: 999 }).catch(() => null);
    expect(deps.viewers[0].sent).toEqual([{ type: 'control', control: { speed: 2 } }]);
  });
});
