// Opening your own robot in the app (and serve mode): the renderer sends the XML's path (the
// backend reads its folder), a zip of the folder, or MJCF text — exactly one, text never taken
// for a path. The backend stores a copy of exactly the model's files under <runs>/models/ and
// starts the run on it; a broken model is refused naming its file, and nothing starts.
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { zipSync } from 'fflate';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDispatcher, type Dispatcher } from '../src/backend/dispatch.js';
import { LabBackend } from '../src/backend/lab-backend.js';
import { failure, fakeDeps } from './app-fakes.js';

const QUAD = new URL('./fixtures/robots/quadruped/', import.meta.url).pathname;
const req = { task: 'custom', algo: 'ppo', seed: 1, totalSteps: 10_000, backend: 'cpu', checkpointEvery: 1, algoConfig: {} };
let root: string;
let deps: ReturnType<typeof fakeDeps>;
let backend: LabBackend;
let call: Dispatcher;

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'robots-app-'));
  deps = fakeDeps();
  backend = new LabBackend(root, deps);
  call = createDispatcher(backend);
});
afterEach(() => {
  backend.dispose();
  rmSync(root, { recursive: true, force: true });
});

function startedConfig(): { mjcfPath: string; preset: string } {
  const start = deps.spawned[0].sent.find((m) => m.type === 'start');
  if (start?.type !== 'start' || !start.config.custom) throw new Error('no custom start');
  return start.config.custom;
}

describe('start with your own robot', () => {
  it('path: the backend reads the folder and runs on its stored copy (only the referenced files)', async () => {
    await call('start', { ...req, custom: { name: 'scene.xml', path: path.join(QUAD, 'scene.xml'), preset: 'stand' } });
    const c = startedConfig();
    expect(c.preset).toBe('stand');
    const dir = path.dirname(c.mjcfPath);
    expect(path.dirname(dir)).toBe(path.join(root, 'models'));
    expect(path.basename(c.mjcfPath)).toBe('scene.xml');
    expect(readdirSync(dir, { recursive: true }).map(String).sort()).toEqual(['assets', 'assets/leg.stl', 'assets/skin.png', 'assets/torso.obj', 'quadruped.xml', 'scene.xml']);
    expect(Buffer.compare(readFileSync(path.join(dir, 'assets', 'torso.obj')), readFileSync(path.join(QUAD, 'assets', 'torso.obj')))).toBe(0);
  });

  it('zip: a zipped folder (serve mode upload) lands in the same stored copy', async () => {
    const entries: Record<string, Uint8Array> = {};
    for (const f of ['scene.xml', 'quadruped.xml', 'assets/torso.obj', 'assets/leg.stl', 'assets/skin.png']) entries[f] = readFileSync(path.join(QUAD, f));
    await call('start', { ...req, custom: { name: 'quadruped.zip', zip: zipSync(entries), preset: 'walk' } });
    expect(startedConfig().mjcfPath).toMatch(/models\/[0-9a-f]{16}\/scene\.xml$/);
  });

  it('a broken folder is refused naming the file and the element; nothing starts', async () => {
    const d = mkdtempSync(path.join(tmpdir(), 'robots-app-broken-'));
    try {
      cpSync(QUAD, d, { recursive: true });
      rmSync(path.join(d, 'assets', 'skin.png'));
      const e = await failure(call('start', { ...req, custom: { name: 'scene.xml', path: path.join(d, 'scene.xml'), preset: 'stand' } }));
      expect(e.code).toBe('invalid');
      expect(e.message).toMatch(/<texture file="skin\.png"> in quadruped\.xml line \d+: assets\/skin\.png not found/);
      expect(deps.spawned).toHaveLength(0);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });

  it('content and path are separate inputs: exactly one, and text is never read as a path', async () => {
    const both = await failure(call('start', { ...req, custom: { name: 'a', content: '<mujoco/>', path: '/tmp/a.xml', preset: 'walk' } }));
    expect(both.message).toMatch(/exactly one of content \(MJCF text\), path \(an XML file on this machine\) or zip \(a zipped model folder\); got content and path/);
    const none = await failure(call('start', { ...req, custom: { name: 'a', preset: 'walk' } }));
    expect(none.message).toMatch(/got none/);
    const relative = await failure(call('start', { ...req, custom: { name: 'a', path: 'robots/scene.xml', preset: 'walk' } }));
    expect(relative.message).toMatch(/start\.custom\.path: not an absolute path/);
    // A path typed where text belongs is text: it is not MJCF, and is not echoed back as a missing file.
    const asText = await failure(call('start', { ...req, custom: { name: 'a', content: '/etc/shadow', preset: 'walk' } }));
    expect(asText.message).toMatch(/not an MJCF model/);
    expect(asText.message).not.toContain('/etc/shadow');
    const notZip = await failure(call('start', { ...req, custom: { name: 'a', zip: 'UEsDBA==', preset: 'walk' } }));
    expect(notZip.message).toMatch(/start\.custom\.zip: expected the zip file's bytes/);
    expect(deps.spawned).toHaveLength(0);
  });

  it('task options travel into the run config; bad ones are refused naming the field', async () => {
    await call('start', { ...req, custom: { name: 'scene.xml', path: path.join(QUAD, 'scene.xml'), preset: 'walk', options: { command: 0.3, keyframe: 'home' } } });
    expect(startedConfig()).toMatchObject({ preset: 'walk', options: { command: 0.3, keyframe: 'home' } });
    const bad = await failure(call('start', { ...req, custom: { name: 'scene.xml', path: path.join(QUAD, 'scene.xml'), preset: 'walk', options: { command: 'fast' } } }));
    expect(bad.message).toMatch(/start\.custom\.options\.command: expected a finite number/);
    const unknown = await failure(call('start', { ...req, custom: { name: 'scene.xml', path: path.join(QUAD, 'scene.xml'), preset: 'walk', options: { speed: 2 } } }));
    expect(unknown.message).toMatch(/start\.custom\.options: unknown option "speed"/);
  });
});
