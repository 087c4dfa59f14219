// policy-lab study … and policy-lab variance, run as a user runs them (bin/policy-lab.mjs).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readMetrics, readStatus } from '../src/core/runs/store.js';
import { createStudyFolder, readPlan, studyFiles } from '../src/core/studies/study-folder.js';
import { validateStudy } from '../src/core/studies/study-file.js';
import { CLI_BIN as BIN, cli } from './cli-run.js';

const TINY = {
  name: 'cli-tiny', task: 'InvertedPendulum', algo: 'reinforce', steps: 2000, seeds: [1, 2], batchSteps: 1000, backend: 'cpu', checkpointEvery: 1,
  evalEpisodes: 2, grid: { phi: ['reward-to-go', 'baseline'] }, variance: { at: [1], batches: 3, episodesPerBatch: 2 },
};

describe('policy-lab study', () => {
  it('refuses a bad study file, naming field and variant, and starts nothing', async () => {
    const root = mkdtempSync(join(tmpdir(), 'pl-study-cli-'));
    const file = join(root, 'bad.json');
    writeFileSync(file, JSON.stringify({ ...TINY, grid: { phi: ['reward-to-go', 'nope'] } }));
    const r = await cli('study', 'run', file, '--out', join(root, 'out'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/variant "nope".*phi: expected one of/);
    expect(existsSync(join(root, 'out'))).toBe(false);
    writeFileSync(file, '{"name": "x", ');
    expect((await cli('study', 'run', file, '--out', join(root, 'out'))).stderr).toMatch(/not valid JSON/);
    expect((await cli('study', 'run', '--builtin', 'nope')).stderr).toMatch(/unknown study "nope" \(known: phi-estimators, a2c-vs-a3c, ppo-vs-a2c\)/);
  }, 120_000);

  it('runs a study, reports it as JSON/CSV/table, probes gradient variance, and study trial is a no-op on a finished trial', async () => {
    const root = mkdtempSync(join(tmpdir(), 'pl-study-cli-'));
    const file = join(root, 'tiny.json');
    writeFileSync(file, JSON.stringify(TINY));
    const r = await cli('study', 'run', file, '--out', join(root, 'out'), '--workers', '2', '--quiet');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/4 trials finished, 0 failed/);
    expect(r.stdout).toMatch(/probability of improvement/);
    const dir = join(root, 'out', readdirSync(join(root, 'out'))[0]);
    const j = JSON.parse((await cli('study', 'report', dir, '--json')).stdout);
    expect(j.variants.map((v: { name: string }) => v.name)).toEqual(['reward-to-go', 'baseline']);
    for (const v of j.variants) {
      expect(v.seeds).toEqual([1, 2]);
      expect(v.trials).toHaveLength(2);
      expect(v.final.ci95[0]).toBeLessThanOrEqual(v.final.iqm);
      expect(v.final.ci95[1]).toBeGreaterThanOrEqual(v.final.iqm);
      for (const t of v.trials) { expect(t.status).toBe('finished'); expect(typeof t.finalReturn).toBe('number'); expect(existsSync(t.runDir)).toBe(true); }
      expect(v.curve.length).toBeGreaterThan(0);
    }
    // Each variant's probes: reward-to-go trains no critic (2 estimators), baseline a V critic (6).
    expect(new Set(j.variants[0].variance.map((p: { phi: string }) => p.phi))).toEqual(new Set(['total-return', 'reward-to-go']));
    expect(new Set(j.variants[1].variance.map((p: { phi: string }) => p.phi))).toEqual(new Set(['total-return', 'reward-to-go', 'baseline', 'td', 'nstep', 'gae']));
    expect(j.comparisons).toHaveLength(2);
    for (const c of j.comparisons) expect(c.probabilityOfImprovement).toBeGreaterThanOrEqual(0);
    expect(j.comparisons[0].probabilityOfImprovement + j.comparisons[1].probabilityOfImprovement).toBeCloseTo(1, 12);
    const csv = (await cli('study', 'report', dir, '--csv')).stdout.trim().split('\n');
    expect(csv[0]).toBe('variant,seed,status,steps,finalReturn,runDir');
    expect(csv).toHaveLength(5);
    const st = await cli('study', 'status', dir);
    expect(st.stdout).toMatch(/4 finished, 0 running/);
    // A trial directory is an ordinary run: the variance command and eval work on it.
    const td = studyFiles.trialDir(dir, readPlan(dir).trials[2]);
    const v = JSON.parse((await cli('variance', td, '--batches', '3', '--episodes', '2', '--phi', 'reward-to-go,baseline', '--json')).stdout);
    expect(v.estimators.map((e: { phi: string }) => e.phi)).toEqual(['reward-to-go', 'baseline']);
    for (const e of v.estimators) { expect(e.totalVariance).toBeGreaterThan(0); expect(e.snr).toBeCloseTo(e.meanGradNorm / Math.sqrt(e.totalVariance), 9); }
    expect((await cli('eval', td, '--episodes', '1')).code).toBe(0);
    const again = await cli('study', 'trial', dir, '2');
    expect(again.code).toBe(0);
    expect((await cli('study', 'trial', dir, '9')).stderr).toMatch(/no trial 9/);
  }, 300_000);

  it('study trial: SIGTERM checkpoints and exits 75 with status "stopped"; run again, it finishes', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'pl-study-cli-')), 's');
    createStudyFolder(dir, validateStudy({ ...TINY, steps: 30_000, seeds: [1], grid: undefined, variance: undefined }));
    const td = studyFiles.trialDir(dir, readPlan(dir).trials[0]);
    const child = spawn(process.execPath, [BIN, 'study', 'trial', dir, '0'], { stdio: 'ignore' });
    const code = await new Promise<number | null>((res) => {
      const poll = setInterval(() => {
        if (readMetrics(td).length >= 2) { clearInterval(poll); child.kill('SIGTERM'); }
      }, 100);
      child.on('exit', (c) => { clearInterval(poll); res(c); });
    });
    expect(code).toBe(75);
    expect(readStatus(td).status).toBe('stopped');
    expect(existsSync(join(td, 'checkpoints', 'latest.ckpt'))).toBe(true);
    const stoppedAt = readMetrics(td).length;
    expect(stoppedAt).toBeLessThan(30);
    const again = await cli('study', 'trial', dir, '0');
    expect(again.code, again.stderr).toBe(0);
    expect(readStatus(td).status).toBe('finished');
    const rows = readMetrics(td);
    expect(rows.map((r) => r.update)).toEqual(rows.map((_r, i) => i + 1));
    expect(rows.at(-1)!.steps).toBeGreaterThanOrEqual(30_000);
  }, 300_000);
});
