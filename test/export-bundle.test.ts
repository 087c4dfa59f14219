import * as tf from '@tensorflow/tfjs';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportBundle, exportFormats, importBundle, parseExportFormat } from '../src/core/export/bundle.js';
import type { PolicyCardMeta } from '../src/core/export/card.js';
import { ExportError } from '../src/core/export/errors.js';
import { snapshotAction } from '../src/core/export/forward.js';
import { tfjsDirLoader } from '../src/core/export/tfjs.js';
import type { PolicySnapshot } from '../src/core/policy/snapshot.js';
import { exportCases, maxRelErr, randomObservations, randomSnapshot } from './export-fixtures.js';

let root: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  ort.env.wasm.numThreads = 1;
  root = mkdtempSync(join(tmpdir(), 'pl-bundle-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function metaFor(s: PolicySnapshot): PolicyCardMeta {
  return {
    task: 'TestTask-v0',
    observationSpace: { kind: 'box', shape: [s.obsDim], low: new Float32Array(s.obsDim).fill(-Infinity), high: new Float32Array(s.obsDim).fill(Infinity) },
    actionSpace: s.kind === 'categorical'
      ? { kind: 'discrete', n: s.actDim }
      : { kind: 'box', shape: [s.actDim], low: s.actionLow ?? new Float32Array(s.actDim).fill(-1), high: s.actionHigh ?? new Float32Array(s.actDim).fill(1) },
    algo: 'ppo',
    config: { lr: 3e-4, hidden: [64, 64], clip: 0.2 },
    seed: 42,
    steps: 123456,
    finalEvalReturn: 987.5,
    backend: 'wasm',
    exportedAt: new Date('2026-01-02T03:04:05Z'),
  };
}

async function codeOf(p: Promise<unknown>): Promise<ExportError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ExportError);
    return e as ExportError;
  }
  throw new Error('expected an ExportError, nothing was thrown');
}

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

describe('exportBundle → importBundle round trip', () => {
  exportCases().forEach(([name, s], idx) => {
    it(name, async () => {
      const dir = join(root, `rt${idx}`);
      const res = await exportBundle(s, metaFor(s), dir, exportFormats);
      expect(res.files.sort()).toEqual(['model.onnx', 'policy-card.json', 'policy-snapshot.json', 'tfjs/model.json', 'tfjs/weights.bin']);
      // No temp files are left behind by the atomic writes.
      expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
      const { card, snapshot } = await importBundle(dir);
      expect(snapshot).toEqual(s);
      const obs = randomObservations(5, 20, s.obsDim);
      for (let i = 0; i < 20; i++) {
        const o = obs.subarray(i * s.obsDim, (i + 1) * s.obsDim);
        expect(Array.from(snapshotAction(snapshot, o))).toEqual(Array.from(snapshotAction(s, o)));
      }
      // Checksums in the card are the files' real sha256 (computed independently here).
      for (const f of card.files) expect(f.sha256).toBe(sha(readFileSync(join(dir, f.path))));
    });
  });

  it('records the run in the card', async () => {
    const s = exportCases()[1][1];
    const dir = join(root, 'card');
    await exportBundle(s, metaFor(s), dir, ['onnx']);
    const { card } = await importBundle(dir);
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    expect(card.policyLabVersion).toBe(pkg.version);
    expect(card.task.name).toBe('TestTask-v0');
    expect(card.task.observationSpace).toEqual({ kind: 'box', shape: [s.obsDim], low: Array(s.obsDim).fill('-Infinity'), high: Array(s.obsDim).fill('Infinity') });
    expect(card.task.actionSpace).toEqual({ kind: 'box', shape: [s.actDim], low: Array.from(s.actionLow!), high: Array.from(s.actionHigh!) });
    expect([card.algorithm, card.seed, card.trainingSteps, card.finalEvalReturn, card.backend]).toEqual(['ppo', 42, 123456, 987.5, 'wasm']);
    expect(card.config).toEqual({ lr: 3e-4, hidden: [64, 64], clip: 0.2 });
    expect(card.exportedAt).toBe('2026-01-02T03:04:05.000Z');
    expect(card.policy).toMatchObject({ kind: 'gaussian', squash: 'tanh', obsNormalization: true, logStd: 'state-independent' });
    expect(Object.keys(card.formats)).toEqual(['onnx']);
    expect(existsSync(join(dir, 'tfjs'))).toBe(false);
  });

  it("the bundle's model files run and agree with the imported snapshot", async () => {
    const s = exportCases()[2][1];
    const dir = join(root, 'run');
    await exportBundle(s, metaFor(s), dir, ['onnx', 'tfjs']);
    const { snapshot } = await importBundle(dir);
    const n = 50;
    const obs = randomObservations(6, n, s.obsDim);
    const ref = new Float32Array(n * s.actDim);
    for (let i = 0; i < n; i++) ref.set(snapshotAction(snapshot, obs.subarray(i * s.obsDim, (i + 1) * s.obsDim)), i * s.actDim);
    const sess = await ort.InferenceSession.create(readFileSync(join(dir, 'model.onnx')));
    const r = await sess.run({ obs: new ort.Tensor('float32', obs, [n, s.obsDim]) });
    expect(maxRelErr(r.action.data as Float32Array, ref)).toBeLessThan(1e-5);
    await sess.release();
    const model = await tf.loadLayersModel(tfjsDirLoader(join(dir, 'tfjs')));
    const a = tf.tidy(() => (model.predict(tf.tensor2d(obs, [n, s.obsDim])) as tf.Tensor[])[0].dataSync() as Float32Array);
    expect(maxRelErr(a, ref)).toBeLessThan(1e-5);
    model.dispose();
  });
});

describe('importBundle refuses damaged bundles', () => {
  let pristine: string;
  let paths: string[];
  beforeAll(async () => {
    const s = randomSnapshot(21, { logStd: 'head' });
    pristine = join(root, 'pristine');
    const res = await exportBundle(s, metaFor(s), pristine, ['onnx', 'tfjs']);
    paths = res.files;
  });
  const fresh = (tag: string): string => {
    const d = join(root, `copy-${tag}-${Math.random().toString(36).slice(2)}`);
    cpSync(pristine, d, { recursive: true });
    return d;
  };

  it('a pristine copy imports', async () => {
    const { snapshot } = await importBundle(fresh('ok'));
    expect(snapshot.logStdHead).toBeDefined();
  });

  it('one changed byte in any file → checksum-mismatch naming the file', async () => {
    expect(paths.length).toBe(5);
    for (const p of paths.filter((x) => x !== 'policy-card.json')) {
      const d = fresh('tamper');
      const b = readFileSync(join(d, p));
      b[Math.floor(b.length / 2)] ^= 0x01;
      writeFileSync(join(d, p), b);
      const e = await codeOf(importBundle(d));
      expect(e.code).toBe('checksum-mismatch');
      expect(e.file).toBe(p);
      expect(e.message).toContain(p);
    }
  });

  it('an edited card value → checksum-mismatch naming the card', async () => {
    const d = fresh('card');
    const text = readFileSync(join(d, 'policy-card.json'), 'utf8');
    expect(text).toContain('"finalEvalReturn": 987.5');
    writeFileSync(join(d, 'policy-card.json'), text.replace('"finalEvalReturn": 987.5', '"finalEvalReturn": 987.6'));
    const e = await codeOf(importBundle(d));
    expect(e.code).toBe('checksum-mismatch');
    expect(e.file).toBe('policy-card.json');
  });

  it('a missing file → missing-file naming it', async () => {
    for (const p of paths) {
      const d = fresh('missing');
      unlinkSync(join(d, p));
      const e = await codeOf(importBundle(d));
      expect(e.code).toBe('missing-file');
      expect(e.file).toBe(p);
      expect(e.message).toContain(p);
    }
  });

  it('a malformed card → bad-card', async () => {
    const cases: string[] = [
      '{ not json',
      JSON.stringify({ format: 'something-else' }),
      JSON.stringify({ format: 'policy-lab-policy-card', formatVersion: 1, cardSha256: 'x', files: [{ path: '../etc/passwd', role: 'snapshot', bytes: 1, sha256: 'a'.repeat(64) }] }),
      JSON.stringify({ format: 'policy-lab-policy-card', formatVersion: 99 }),
    ];
    for (const text of cases) {
      const d = fresh('bad');
      writeFileSync(join(d, 'policy-card.json'), text);
      const e = await codeOf(importBundle(d));
      expect(e.code).toBe('bad-card');
      expect(e.file).toBe('policy-card.json');
    }
  });
});

describe('exportBundle refuses bad input before writing', () => {
  it('unknown format', async () => {
    const s = randomSnapshot(1);
    const dir = join(root, 'never');
    const e = await codeOf(exportBundle(s, metaFor(s), dir, ['pdf' as 'onnx']));
    expect(e.code).toBe('bad-format');
    expect(existsSync(dir)).toBe(false);
    expect(parseExportFormat('all')).toEqual(['onnx', 'tfjs']);
    expect(() => parseExportFormat('keras')).toThrow(/unknown export format/);
  });
  it('meta that does not fit the snapshot', async () => {
    const s = randomSnapshot(1);
    const m = { ...metaFor(s), observationSpace: { kind: 'box' as const, shape: [2] as [number], low: new Float32Array(2), high: new Float32Array(2) } };
    const e = await codeOf(exportBundle(s, m, join(root, 'never2'), ['onnx']));
    expect(e.code).toBe('bad-meta');
    expect(e.message).toMatch(/observationSpace/);
  });
  it('an invalid snapshot', async () => {
    const s = { ...randomSnapshot(1), logStd: undefined };
    const e = await codeOf(exportBundle(s, metaFor(randomSnapshot(1)), join(root, 'never3'), ['tfjs']));
    expect(e.code).toBe('bad-snapshot');
  });
});
