// Import reads an untrusted folder: FIFOs, sockets, devices and symlinks are refused without
// being opened for reading (no import ever hangs, and none stalls listRuns), files are size-
// limited, and a card may list only so many files.
import { execFileSync } from 'node:child_process';
import { constants } from 'node:fs';
import { cp, mkdir, mkdtemp, open, readdir, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLE_LIMITS, importBundleInto, listImportedBundles } from '../src/backend/bundle-import.js';
import { LabError, type TaskSpec } from '../src/backend/api.js';
import { exportBundle } from '../src/core/export/bundle.js';
import { buildCard, encodeCard, type PolicyCardMeta } from '../src/core/export/card.js';
import type { PolicySnapshot } from '../src/core/policy/snapshot.js';
import { randomSnapshot } from './export-fixtures.js';

const box = (n: number, lo: number, hi: number) => ({ kind: 'box' as const, shape: [n] as [number], low: new Float32Array(n).fill(lo), high: new Float32Array(n).fill(hi) });
const meta: PolicyCardMeta = {
  task: 'InvertedPendulum', observationSpace: box(4, -Infinity, Infinity), actionSpace: box(1, -3, 3), algo: 'a2c',
  config: { task: 'InvertedPendulum', algo: 'a2c', seed: 17 }, seed: 17, steps: 1000, finalEvalReturn: 1, backend: 'cpu',
};
const tasks: TaskSpec[] = [{ name: 'InvertedPendulum', description: '', obsDim: 4, actDim: 1, actionKind: 'box', frameSkip: 2, maxEpisodeSteps: 1000, rewardTerms: [] } as unknown as TaskSpec];

let root: string;
let outside: string;
let good: string;
let snapshot: PolicySnapshot;
const fifos: string[] = [];

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'lab-hostile-runs-'));
  outside = await mkdtemp(path.join(tmpdir(), 'lab-hostile-src-'));
  const base = randomSnapshot(5, { obsDim: 4, actDim: 1, trunk: [8], squash: 'clip', scale: 0.5 });
  snapshot = { ...base, actionLow: new Float32Array([-3]), actionHigh: new Float32Array([3]) } as PolicySnapshot;
  good = path.join(outside, 'good');
  await exportBundle(snapshot, meta, good, ['onnx', 'tfjs']);
}, 60_000);

afterAll(async () => {
  // Release any reader still blocked on a FIFO (only a broken implementation would be), then clean up.
  for (const f of fifos) {
    try {
      const h = await open(f, constants.O_WRONLY | constants.O_NONBLOCK);
      await h.close();
    } catch { /* no reader waiting: fine */ }
  }
  await rm(root, { recursive: true, force: true });
  await rm(outside, { recursive: true, force: true });
});

function mkfifo(p: string): void {
  execFileSync('mkfifo', [p]);
  fifos.push(p);
}

async function copyOfGood(name: string): Promise<string> {
  const d = path.join(outside, name);
  await cp(good, d, { recursive: true });
  return d;
}

/** The import's outcome within a deadline: a hang is a failure, not a stuck test. */
async function outcome(p: Promise<unknown>, ms = 5000): Promise<{ code: string; message: string }> {
  const deadline = new Promise<{ code: string; message: string }>((r) => setTimeout(() => r({ code: 'hang', message: `no answer within ${ms} ms` }), ms));
  const settled = p.then(() => ({ code: 'ok', message: '' }), (e: unknown) => ({ code: e instanceof LabError ? e.code : 'thrown', message: (e as Error).message }));
  return Promise.race([settled, deadline]);
}

describe('import refuses special files at once', () => {
  it('a card that is a FIFO is refused, not waited on', async () => {
    const d = await copyOfGood('fifo-card');
    await unlink(path.join(d, 'policy-card.json'));
    mkfifo(path.join(d, 'policy-card.json'));
    const r = await outcome(importBundleInto(d, root, tasks));
    expect(r.code).toBe('invalid');
    expect(r.message).toMatch(/policy-card\.json is a FIFO/);
  });

  it('a listed file that is a FIFO is refused, naming it; nothing is copied', async () => {
    const d = await copyOfGood('fifo-model');
    await unlink(path.join(d, 'model.onnx'));
    mkfifo(path.join(d, 'model.onnx'));
    const r = await outcome(importBundleInto(d, root, tasks));
    expect(r.code).toBe('invalid');
    expect(r.message).toMatch(/model\.onnx is a FIFO/);
    expect((await readdir(path.join(root, 'imports')).catch(() => [])).filter((x) => !x.startsWith('.'))).toEqual([]);
  });

  it('a device or a symlink among the files is refused', async () => {
    const dev = await copyOfGood('device');
    await unlink(path.join(dev, 'model.onnx'));
    await symlink('/dev/zero', path.join(dev, 'model.onnx'));
    const r1 = await outcome(importBundleInto(dev, root, tasks));
    expect(r1.code).toBe('invalid');
    expect(r1.message).toMatch(/leads outside the bundle folder|symbolic link/);
    const inner = await copyOfGood('inner-link');
    await cp(path.join(inner, 'model.onnx'), path.join(inner, 'other'));
    await unlink(path.join(inner, 'model.onnx'));
    await symlink(path.join(inner, 'other'), path.join(inner, 'model.onnx'));
    const r2 = await outcome(importBundleInto(inner, root, tasks));
    expect(r2.code).toBe('invalid');
    expect(r2.message).toMatch(/model\.onnx is a symbolic link/);
    const loop = await copyOfGood('link-loop');
    await unlink(path.join(loop, 'model.onnx'));
    await symlink(path.join(loop, 'model.onnx'), path.join(loop, 'model.onnx'));
    const r3 = await outcome(importBundleInto(loop, root, tasks));
    expect(r3.code).toBe('invalid');
  });

  it('a symlinked folder leading out of the bundle is refused', async () => {
    const d = await copyOfGood('folder-link');
    const elsewhere = path.join(outside, 'elsewhere-tfjs');
    await cp(path.join(d, 'tfjs'), elsewhere, { recursive: true });
    await rm(path.join(d, 'tfjs'), { recursive: true });
    await symlink(elsewhere, path.join(d, 'tfjs'));
    const r = await outcome(importBundleInto(d, root, tasks));
    expect(r.code).toBe('invalid');
    expect(r.message).toMatch(/tfjs\/.*leads outside the bundle folder/);
  });

  it('four FIFO imports at once do not stall listRuns (or each other)', async () => {
    const dirs: string[] = [];
    for (let i = 0; i < 4; i++) {
      const d = await copyOfGood(`stall-${i}`);
      await unlink(path.join(d, 'policy-card.json'));
      mkfifo(path.join(d, 'policy-card.json'));
      dirs.push(d);
    }
    // A readable import beside them, so listRuns has something to read.
    await importBundleInto(good, root, tasks);
    const imports = dirs.map((d) => outcome(importBundleInto(d, root, tasks)));
    const t0 = Date.now();
    const listed = await outcome(listImportedBundles(root), 3000);
    expect(listed.code).toBe('ok');
    expect(Date.now() - t0).toBeLessThan(3000);
    for (const r of await Promise.all(imports)) expect(r.code).toBe('invalid');
  });
});

describe('import limits', () => {
  async function bundleListing(name: string, n: number): Promise<string> {
    const d = path.join(outside, name);
    await mkdir(d, { recursive: true });
    const files = Array.from({ length: n }, (_, i) => ({ path: `f${i}.bin`, role: 'data', bytes: 1, sha256: '0'.repeat(64) }));
    const card = buildCard(snapshot, meta, 'test', ['onnx'] as never, files as never);
    await writeFile(path.join(d, 'policy-card.json'), encodeCard(card));
    return d;
  }

  it(`a card listing more than ${BUNDLE_LIMITS.files} files is refused at once`, async () => {
    const d = await bundleListing('many', BUNDLE_LIMITS.files + 1);
    const t0 = Date.now();
    const r = await outcome(importBundleInto(d, root, tasks));
    expect(r.code).toBe('invalid');
    expect(r.message).toMatch(new RegExp(`lists ${BUNDLE_LIMITS.files + 1} files, more than the ${BUNDLE_LIMITS.files} allowed`));
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('a card listing 20,000 files answers within a second or two', async () => {
    const d = await bundleListing('twenty-thousand', 20_000);
    const t0 = Date.now();
    const r = await outcome(importBundleInto(d, root, tasks));
    expect(r.code).toBe('invalid');
    expect(Date.now() - t0).toBeLessThan(2500);
  });

  it('an oversized card is refused without being read whole', async () => {
    const d = await copyOfGood('huge-card');
    const h = await open(path.join(d, 'policy-card.json'), 'r+');
    await h.truncate(BUNDLE_LIMITS.cardBytes + 1);
    await h.close();
    const r = await outcome(importBundleInto(d, root, tasks));
    expect(r.code).toBe('invalid');
    expect(r.message).toMatch(/more than the \d+ allowed/);
  });

  it('the intact bundle still imports', async () => {
    const r = await importBundleInto(good, root, tasks);
    expect(r.card).toMatchObject({ task: 'InvertedPendulum', algorithm: 'a2c' });
  });
});
