// A custom robot run end to end through the CLI: train the quadruped's `stand` from its model
// folder, resume it, export the bundle (which carries the model folder, checksummed), delete the original
// folder, import the bundle into another runs root and replay it there to the same returns.
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importBundleInto } from '../src/backend/bundle-import.js';
import { importBundle } from '../src/core/export/bundle.js';
import { MODEL_MAIN_ROLE } from '../src/core/export/model-files.js';
import { TASKS } from '../src/core/envs/registry.js';
import { evaluateBundle } from '../src/core/trainer/run-export.js';
import { loadSavedPolicy } from '../src/core/viewer/saved-policy.js';
import { cli } from './cli-run.js';

const QUAD = new URL('./fixtures/robots/quadruped/', import.meta.url).pathname;

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'robots-bundle-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('a custom robot run exports, imports and replays elsewhere', () => {
  it('bundle carries the model folder; the imported copy replays to the same returns', async () => {
    const model = join(tmp, 'my-robot');
    cpSync(QUAD, model, { recursive: true });
    const out = join(tmp, 'runs');
    const t = await cli('train', '--mjcf', join(model, 'scene.xml'), '--preset', 'stand', '--algo', 'ppo', '--steps', '2048', '--seed', '4',
      '--out', out, '--backend', 'cpu', '--num-steps', '512', '--num-minibatches', '4', '--update-epochs', '2', '--quiet');
    expect(t.code, t.stderr).toBe(0);
    const runDir = join(out, readdirSync(out).find((d) => !d.startsWith('.'))!);
    const config = JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8')) as { task: string; custom: { mjcfPath: string; preset: string } };
    expect(config.task).toBe('custom');
    expect(config.custom).toEqual({ mjcfPath: join(model, 'scene.xml'), preset: 'stand' });

    // Resume continues the custom run from its checkpoint (same model folder, same task).
    const rowsBefore = readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').length;
    const resumed = await cli('train', '--resume', runDir, '--steps', '3072', '--quiet');
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').length).toBeGreaterThan(rowsBefore);

    const bundle = join(tmp, 'bundle');
    const x = await cli('export', runDir, '--format', 'onnx', '--out', bundle, '--episodes', '3');
    expect(x.code, x.stderr).toBe(0);
    const { card } = await importBundle(bundle);
    const modelFiles = card.files.filter((f) => f.path.startsWith('model/')).map((f) => [f.path, f.role]);
    expect(modelFiles.sort()).toEqual([
      ['model/assets/leg.stl', 'model-file'], ['model/assets/skin.png', 'model-file'], ['model/assets/torso.obj', 'model-file'],
      ['model/quadruped.xml', 'model-file'], ['model/scene.xml', MODEL_MAIN_ROLE],
    ]);
    for (const f of ['scene.xml', 'quadruped.xml', 'assets/leg.stl']) {
      expect(Buffer.compare(readFileSync(join(bundle, 'model', f)), readFileSync(join(QUAD, f)))).toBe(0);
    }
    const here = await evaluateBundle(bundle, 3, true, false);
    // The card's evaluation ran on the lab's Algorithm at export (its own float32 forward pass):
    // the bundle's replay matches it to within 1 % (contacts amplify last-bit action differences).
    const mean = Array.from(here.returns).reduce((a, b) => a + b, 0) / 3;
    expect(Math.abs(mean - (card.finalEvalReturn as number))).toBeLessThanOrEqual(0.01 * Math.abs(card.finalEvalReturn as number));

    // Elsewhere: the original folder is gone, the bundle is imported into another runs root.
    rmSync(model, { recursive: true, force: true });
    rmSync(runDir, { recursive: true, force: true });
    const elsewhere = join(tmp, 'other-lab');
    const imported = await importBundleInto(bundle, elsewhere, TASKS);
    expect(existsSync(join(imported.runDir, 'model', 'scene.xml'))).toBe(true);
    const there = await evaluateBundle(imported.runDir, 3, true, true);
    expect(Array.from(there.returns)).toEqual(Array.from(here.returns));
    expect(Array.from(there.lengths)).toEqual(Array.from(here.lengths));
    expect(there.render.geoms.filter((g) => g.type === 'mesh' && g.mesh).length).toBe(5);
    // The viewer plays the imported bundle on the same bundled model.
    const saved = await loadSavedPolicy(imported.runDir);
    expect(saved.source.env).toEqual({ kind: 'custom', mjcf: join(imported.runDir, 'model', 'scene.xml'), preset: 'stand' });

    // A changed model byte is refused on import, naming the file.
    writeFileSync(join(bundle, 'model', 'assets', 'leg.stl'), 'tampered');
    await expect(importBundleInto(bundle, join(tmp, 'third-lab'), TASKS)).rejects.toThrow(/model\/assets\/leg\.stl.*checksum/);
  }, 300_000);
});
