// Importing an exported policy bundle through the app API with the real deps: checksums are
// verified, the copy lands under <runs>/imports, it is listed, and Evaluate replays it in a
// real trainer process. A tampered bundle is refused and nothing is copied.
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImportResult, RunInfo } from '../src/backend/api.js';
import { createLabBackend } from '../src/backend/default-deps.js';
import { createDispatcher, type Dispatcher } from '../src/backend/dispatch.js';
import type { LabBackend } from '../src/backend/lab-backend.js';
import { exportBundle } from '../src/core/export/bundle.js';
import type { PolicyCardMeta } from '../src/core/export/card.js';
import { evaluateBundle } from '../src/core/trainer/run-export.js';
import type { PolicySnapshot } from '../src/core/policy/snapshot.js';
import { failure } from './app-fakes.js';
import { randomSnapshot } from './export-fixtures.js';

const box = (n: number, lo: number, hi: number) => ({ kind: 'box' as const, shape: [n] as [number], low: new Float32Array(n).fill(lo), high: new Float32Array(n).fill(hi) });

/** Card meta for a policy on InvertedPendulum (4 observations → 1 force). */
function pendulumMeta(task = 'InvertedPendulum'): PolicyCardMeta {
  return {
    task, observationSpace: box(4, -Infinity, Infinity), actionSpace: box(1, -3, 3), algo: 'a2c',
    config: { task, algo: 'a2c', seed: 17 }, seed: 17, steps: 24_576, finalEvalReturn: 41.5, backend: 'cpu',
  };
}

let root: string;
let outside: string;
let bundleDir: string;
let snapshot: PolicySnapshot;
let backend: LabBackend;
let call: Dispatcher;

const importsOf = async (): Promise<string[]> => (await readdir(path.join(root, 'imports')).catch(() => [] as string[])).sort();

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'lab-import-runs-'));
  outside = await mkdtemp(path.join(tmpdir(), 'lab-import-src-'));
  // The task's own force bounds, so the card's action space and the policy's clipping agree.
  const base = randomSnapshot(11, { obsDim: 4, actDim: 1, trunk: [8], squash: 'clip', scale: 0.5 });
  snapshot = { ...base, actionLow: new Float32Array([-3]), actionHigh: new Float32Array([3]) } as PolicySnapshot;
  bundleDir = path.join(outside, 'bundle');
  await exportBundle(snapshot, pendulumMeta(), bundleDir, ['onnx']);
  backend = createLabBackend(root);
  call = createDispatcher(backend);
}, 60_000);

afterAll(async () => {
  backend?.dispose();
  await rm(root, { recursive: true, force: true });
  await rm(outside, { recursive: true, force: true });
});

describe('importBundle (app API, real deps)', () => {
  it('copies a verified bundle under <runs>/imports, returns its card summary and lists it', async () => {
    const r = (await call('importBundle', { path: bundleDir })) as ImportResult;
    expect(path.dirname(r.runDir)).toBe(path.join(root, 'imports'));
    expect(r.id).toMatch(/^InvertedPendulum-a2c-[0-9a-f]{12}$/);
    expect(r.card).toMatchObject({ task: 'InvertedPendulum', algorithm: 'a2c', steps: 24_576, finalEvalReturn: 41.5, seed: 17 });
    // The copy holds exactly the bundle's files, byte for byte.
    const files = (await readdir(bundleDir)).sort();
    expect((await readdir(r.runDir)).sort()).toEqual(files);
    for (const f of files) expect(Buffer.compare(await readFile(path.join(r.runDir, f)), await readFile(path.join(bundleDir, f)))).toBe(0);

    const runs = (await call('listRuns', undefined)) as RunInfo[];
    const listed = runs.find((x) => x.dir === r.runDir);
    expect(listed).toMatchObject({ status: 'imported', steps: 24_576, lastReturn: 41.5, bundle: r.card });
    expect(listed?.config).toMatchObject({ task: 'InvertedPendulum', algo: 'a2c', seed: 17 });

    // The same bundle again: the same copy, not a second one.
    const again = (await call('importBundle', { path: path.join(bundleDir, 'policy-card.json') })) as ImportResult;
    expect(again.runDir).toBe(r.runDir);
    expect(await importsOf()).toEqual([r.id]);
  });

  it('evaluates the imported copy in a trainer process, as the bundle replayed in-process', async () => {
    const r = (await call('importBundle', { path: bundleDir })) as ImportResult;
    const ev = (await call('evaluate', { runDir: r.runDir, episodes: 2, deterministic: true })) as {
      returns: Float64Array; lengths: Int32Array; frameCount: number; render: { geoms: unknown[] };
    };
    expect(ev.returns).toHaveLength(2);
    const ref = await evaluateBundle(bundleDir, 2, true, false);
    expect(Array.from(ev.returns)).toEqual(Array.from(ref.returns));
    expect(Array.from(ev.lengths)).toEqual(Array.from(ref.lengths));
    for (let i = 0; i < 2; i++) {
      // InvertedPendulum pays 1 per step alive and 0 on the step that tips the pole over.
      expect(ev.lengths[i]).toBeGreaterThan(0);
      expect([ev.lengths[i] - 1, ev.lengths[i]]).toContain(ev.returns[i]);
    }
    expect(ev.frameCount).toBe(ev.lengths[0] + ev.lengths[1]);
    expect(ev.render.geoms.length).toBeGreaterThan(0);
  }, 120_000);

  it('refuses a bundle with one flipped byte in model.onnx, naming the file, and copies nothing', async () => {
    const before = await importsOf();
    const bad = path.join(outside, 'tampered');
    await cp(bundleDir, bad, { recursive: true });
    const onnx = await readFile(path.join(bad, 'model.onnx'));
    onnx[onnx.length >> 1] ^= 0x01;
    await writeFile(path.join(bad, 'model.onnx'), onnx);
    const e = await failure(call('importBundle', { path: bad }));
    expect(e.code).toBe('invalid');
    expect(e.message).toMatch(/model\.onnx.*checksum/);
    expect(await importsOf()).toEqual(before);
  });

  it('refuses a bundle whose card was edited, or whose task this lab does not have', async () => {
    const before = await importsOf();
    const edited = path.join(outside, 'edited-card');
    await cp(bundleDir, edited, { recursive: true });
    const card = JSON.parse(await readFile(path.join(edited, 'policy-card.json'), 'utf8')) as { finalEvalReturn: number };
    card.finalEvalReturn = 1000;
    await writeFile(path.join(edited, 'policy-card.json'), JSON.stringify(card, null, 2));
    const e1 = await failure(call('importBundle', { path: edited }));
    expect(e1.code).toBe('invalid');
    expect(e1.message).toMatch(/policy-card\.json was modified/);

    const foreign = path.join(outside, 'foreign');
    await exportBundle(snapshot, pendulumMeta('MoonLander'), foreign, ['onnx']);
    const e2 = await failure(call('importBundle', { path: foreign }));
    expect(e2.code).toBe('invalid');
    expect(e2.message).toMatch(/task "MoonLander"/);
    expect(await importsOf()).toEqual(before);
  });

  it('validates the request: text, absolute, no extra fields; a missing folder is not-found', async () => {
    for (const payload of [{ path: 42 }, { path: '' }, { path: 'relative/bundle' }, { path: bundleDir, extra: 1 }, null, 'x']) {
      const e = await failure(call('importBundle', payload));
      expect(e.code).toBe('invalid');
    }
    expect((await failure(call('importBundle', { path: 'relative/bundle' }))).message).toMatch(/not an absolute path/);
    expect((await failure(call('importBundle', { path: path.join(outside, 'nope') }))).code).toBe('not-found');
    expect((await failure(call('importBundle', { path: outside }))).message).toMatch(/not a policy bundle/);
  });

  it('a copy tampered with after import fails to evaluate with the checksum error', async () => {
    const r = (await call('importBundle', { path: bundleDir })) as ImportResult;
    const onnx = await readFile(path.join(r.runDir, 'model.onnx'));
    onnx[0] ^= 0x80;
    await writeFile(path.join(r.runDir, 'model.onnx'), onnx);
    const e = await failure(call('evaluate', { runDir: r.runDir, episodes: 1, deterministic: false }));
    expect(e.code).toBe('failed');
    expect(e.message).toMatch(/model\.onnx.*checksum/);
    // Importing the intact bundle again repairs the copy.
    const again = (await call('importBundle', { path: bundleDir })) as ImportResult;
    expect(again.runDir).toBe(r.runDir);
    expect(Buffer.compare(await readFile(path.join(r.runDir, 'model.onnx')), await readFile(path.join(bundleDir, 'model.onnx')))).toBe(0);
  }, 120_000);
});
