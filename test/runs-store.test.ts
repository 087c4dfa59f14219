import { appendFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { MetricsRow, RunConfig } from '../src/core/protocol.js';
import { resolveRunConfig } from '../src/core/runs/run-config.js';
import { appendMetrics, listRuns, newRunDir, readMetrics, readRun, runFiles, truncateMetrics, writeStatus } from '../src/core/runs/store.js';

// Resolved as every writer resolves it: config.json records every value (readConfig validates and completes it).
const config: RunConfig = resolveRunConfig({ task: 'InvertedPendulum', algo: 'ppo', seed: 3, totalSteps: 1000, backend: 'cpu', algoConfig: { lr: 1e-3 }, checkpointEvery: 5 });
const row = (update: number): MetricsRow => ({
  update, steps: update * 100, episodes: update, returnMean: update * 10, returnMin: 0, returnMax: update * 20, lengthMean: 5,
  policyLoss: 0.1, valueLoss: 0.2, entropy: 1, approxKl: NaN, clipFraction: NaN, explainedVariance: 0.5, gradNorm: 1, stepsPerSecond: 1000, wallTime: update,
});

describe('run directory', () => {
  it('creates unique run dirs with config.json, appends and truncates metrics, lists runs', async () => {
    const root = mkdtempSync(join(tmpdir(), 'pl-runs-'));
    const a = await newRunDir(root, config);
    const b = await newRunDir(root, config);
    expect(a).not.toBe(b);
    for (let u = 1; u <= 5; u++) appendMetrics(a, row(u));
    expect(readMetrics(a).map((r) => r.update)).toEqual([1, 2, 3, 4, 5]);
    truncateMetrics(a, 3);
    expect(readMetrics(a).map((r) => r.update)).toEqual([1, 2, 3]);
    expect(Number.isNaN(readMetrics(a)[0].approxKl)).toBe(true); // written as null, read back as NaN
    expect(readMetrics(a)[0].entropy).toBe(1);
    writeStatus(a, { status: 'finished', steps: 300 });
    const runs = await listRuns(root);
    expect(runs.map((r) => r.dir).sort()).toEqual([a, b].sort());
    const ra = runs.find((r) => r.dir === a)!;
    expect(ra.steps).toBe(300);
    expect(ra.status).toBe('finished');
    expect((await readRun(a)).config).toEqual(config);
  });

  it('ignores a torn last metrics line (crash mid-write) and keeps the rows before it', async () => {
    const root = mkdtempSync(join(tmpdir(), 'pl-runs-'));
    const a = await newRunDir(root, config);
    appendMetrics(a, row(1));
    appendMetrics(a, row(2));
    appendFileSync(runFiles.metrics(a), '{"update":3,"ste');
    expect(readMetrics(a).map((r) => r.update)).toEqual([1, 2]);
  });

  it('a folder without config.json is not a run', async () => {
    const root = mkdtempSync(join(tmpdir(), 'pl-runs-'));
    await expect(readRun(root)).rejects.toThrow(/not a run directory/);
    expect(await listRuns(join(root, 'missing'))).toEqual([]);
  });
});
