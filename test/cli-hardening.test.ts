// The CLI refuses what would lose data or smuggle in a non-field: export over an existing
// bundle (without --force) or into a run folder, and inherited object keys as hyperparameters.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveRunConfig } from '../src/core/runs/run-config.js';
import { newRunDir } from '../src/core/runs/store.js';
import { cli } from './cli-run.js';

describe('policy-lab export refuses to overwrite', () => {
  it('a folder holding a bundle, unless --force; a run folder always', async () => {
    const root = mkdtempSync(join(tmpdir(), 'pl-cli-hard-'));
    const run = await newRunDir(root, resolveRunConfig({ task: 'InvertedPendulum', algo: 'ppo', totalSteps: 1000 }));
    const other = await newRunDir(root, resolveRunConfig({ task: 'InvertedPendulum', algo: 'ppo', totalSteps: 1000, seed: 2 }));
    const taken = join(root, 'bundle');
    mkdirSync(taken);
    writeFileSync(join(taken, 'policy-card.json'), '{"mine": true}');
    const r1 = await cli('export', run, '--format', 'onnx', '--out', taken);
    expect(r1.code).toBe(2);
    expect(r1.stderr).toMatch(/already holds a policy bundle .*pass --force to replace it/);
    expect(readFileSync(join(taken, 'policy-card.json'), 'utf8')).toBe('{"mine": true}');
    const r2 = await cli('export', run, '--format', 'onnx', '--out', other);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/is a run folder/);
    const r3 = await cli('export', run, '--format', 'onnx', '--out', join(other, 'export'), '--force');
    expect(r3.code).toBe(2);
    expect(r3.stderr).toMatch(/inside another run's folder/);
    // With --force the target is accepted; this run has no checkpoint, so the export itself says so.
    const r4 = await cli('export', run, '--format', 'onnx', '--out', taken, '--force');
    expect(r4.stderr).not.toMatch(/already holds a policy bundle/);
    expect(r4.stderr).toMatch(/checkpoint/);
  }, 120_000);
});

describe('policy-lab train: inherited object keys are not hyperparameters', () => {
  it.each(['constructor', 'to-string', '__proto__', 'has-own-property', 'value-of'])('--%s 5 is an unknown flag', async (flag) => {
    const r = await cli('train', '--task', 'InvertedPendulum', '--algo', 'ppo', '--steps', '1000', '--out', tmpdir(), `--${flag}`, '5');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`unknown flag --${flag}`));
  }, 60_000);
});
