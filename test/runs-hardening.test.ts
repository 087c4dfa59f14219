// Run files are input too: config.json is validated when read, a corrupt metrics line costs
// only itself (also on resume), status.json of a killed trainer reads as crashed, and special
// files never block a reader. Plus: inherited object keys are never hyperparameters.
import { execFile, execFileSync, spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, resolveConfig } from '../src/core/config/schema.js';
import type { MetricsRow, RunConfig } from '../src/core/protocol.js';
import { resolveRunConfig } from '../src/core/runs/run-config.js';
import {
  appendMetrics, listRuns, newRunDir, readConfig, readMetrics, readStatus, runFiles, RunError, truncateMetrics, writeStatus,
} from '../src/core/runs/store.js';
import { ALGOS } from '../src/core/algos/index.js';

const config: RunConfig = resolveRunConfig({ task: 'InvertedPendulum', algo: 'ppo', seed: 3, totalSteps: 1000, backend: 'cpu', algoConfig: { lr: 1e-3 }, checkpointEvery: 5 });
const row = (update: number): MetricsRow => ({
  update, steps: update * 100, episodes: update, returnMean: update * 10, returnMin: 0, returnMax: update * 20, lengthMean: 5,
  policyLoss: 0.1, valueLoss: 0.2, entropy: 1, approxKl: NaN, clipFraction: NaN, explainedVariance: 0.5, gradNorm: 1, stepsPerSecond: 1000, wallTime: update,
});
const root = () => mkdtempSync(join(tmpdir(), 'pl-hard-'));

describe('config.json is validated when read', () => {
  it('an unknown algorithm is a RunError naming the file and the field (not "reading \'create\'")', async () => {
    const dir = await newRunDir(root(), config);
    writeFileSync(runFiles.config(dir), JSON.stringify({ ...config, algo: 'dqn' }));
    expect(() => readConfig(dir)).toThrow(RunError);
    expect(() => readConfig(dir)).toThrow(/config\.json: algo: unknown algorithm "dqn"/);
  });
  it.each([
    ['a bad hyperparameter', { ...config, algoConfig: { ...config.algoConfig, lr: -1 } }, /config\.json: algoConfig\(ppo\)\.lr: must be ≥/],
    ['an unknown task', { ...config, task: 'Nope' }, /config\.json: task: unknown task "Nope"/],
    ['a non-object', [1, 2], /config\.json: expected a JSON object/],
    ['a string seed', { ...config, seed: '3' }, /config\.json: run\.seed: expected a finite number/],
  ])('refuses %s', async (_n, content, re) => {
    const dir = await newRunDir(root(), config);
    writeFileSync(runFiles.config(dir), JSON.stringify(content));
    expect(() => readConfig(dir)).toThrow(re);
  });
  it('a good config.json reads back equal', async () => {
    const dir = await newRunDir(root(), config);
    expect(readConfig(dir)).toEqual(config);
  });
});

describe('metrics.jsonl: one bad line costs only itself', () => {
  it('a corrupt line in the middle is skipped, the rows after it are read', async () => {
    const dir = await newRunDir(root(), config);
    appendMetrics(dir, row(1));
    appendMetrics(dir, row(2));
    appendFileSync(runFiles.metrics(dir), '{"update":3,"st garbage\n');
    appendMetrics(dir, row(3));
    appendMetrics(dir, row(4));
    expect(readMetrics(dir).map((r) => r.update)).toEqual([1, 2, 3, 4]);
  });
  it('resume keeps every valid row up to the checkpoint and names the bad line', async () => {
    const dir = await newRunDir(root(), config);
    for (const u of [1, 2]) appendMetrics(dir, row(u));
    appendFileSync(runFiles.metrics(dir), 'not json at all\n');
    for (const u of [3, 4, 5, 6]) appendMetrics(dir, row(u));
    const msg = truncateMetrics(dir, 5);
    expect(readMetrics(dir).map((r) => r.update)).toEqual([1, 2, 3, 4, 5]);
    expect(msg).toMatch(/metrics\.jsonl: line 3 was not a metrics row/);
    expect(readFileSync(runFiles.metrics(dir) + '.bad', 'utf8')).toBe('3\tnot json at all\n');
    // A clean file says nothing.
    expect(truncateMetrics(dir, 5)).toBeNull();
  });
  it('a JSON line that is not a row (no update) is skipped too', async () => {
    const dir = await newRunDir(root(), config);
    appendMetrics(dir, row(1));
    appendFileSync(runFiles.metrics(dir), '{"hello":1}\n[1,2]\n');
    appendMetrics(dir, row(2));
    expect(readMetrics(dir).map((r) => r.update)).toEqual([1, 2]);
  });
});

describe('status.json of a dead trainer', () => {
  it('"running" written by a process that is gone reads as crashed; a live writer reads as running', async () => {
    const dir = await newRunDir(root(), config);
    writeStatus(dir, { status: 'running', steps: 100 });
    expect(readStatus(dir).status).toBe('running'); // this process wrote it and is alive
    const child = spawn(process.execPath, ['-e', `
      const { writeFileSync, readFileSync } = require('node:fs');
      const st = readFileSync('/proc/self/stat', 'utf8');
      const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
      writeFileSync(${JSON.stringify(runFiles.status(dir))}, JSON.stringify({ status: 'running', steps: 200, trainer: { pid: process.pid, startTicks: existsSync('/proc') ? Number(f[19]) : null }, updatedAt: '' }));
      function existsSync(p) { try { require('node:fs').statSync(p); return true; } catch { return false; } }
    `]);
    await new Promise((r) => child.on('exit', r));
    const s = readStatus(dir);
    expect(s.status).toBe('crashed');
    expect(s.message).toMatch(/trainer process \(pid \d+\) ended/);
    const listed = (await listRuns(join(dir, '..'))).find((r) => r.dir === dir);
    expect(listed?.status).toBe('crashed');
  });
  it('a pid now used by another process (different start time) is not the trainer', async () => {
    if (!existsSync('/proc/self/stat')) return;
    const dir = await newRunDir(root(), config);
    writeFileSync(runFiles.status(dir), JSON.stringify({ status: 'paused', trainer: { pid: process.pid, startTicks: 1 }, updatedAt: '' }));
    expect(readStatus(dir).status).toBe('crashed');
  });
});

describe('special files never block a reader', () => {
  it('a FIFO as metrics.jsonl or config.json is refused at once; listRuns skips that run', async () => {
    const r = root();
    const good = await newRunDir(r, config);
    const fifoMetrics = await newRunDir(r, { ...config, seed: 4 });
    execFileSync('mkfifo', [runFiles.metrics(fifoMetrics)]);
    const fifoConfig = await newRunDir(r, { ...config, seed: 5 });
    execFileSync('rm', [runFiles.config(fifoConfig)]);
    execFileSync('mkfifo', [runFiles.config(fifoConfig)]);
    // In a child process with a deadline: a reader that blocks on the FIFO would hang this worker for good.
    const script = `
      import { listRuns, readConfig, readMetrics } from ${JSON.stringify(join(import.meta.dirname, '../src/core/runs/store.ts'))};
      const err = (f) => { try { f(); return 'no error'; } catch (e) { return e.message; } };
      const out = { metrics: err(() => readMetrics(${JSON.stringify(fifoMetrics)})), config: err(() => readConfig(${JSON.stringify(fifoConfig)})),
        runs: (await listRuns(${JSON.stringify(r)})).map((x) => x.dir) };
      console.log(JSON.stringify(out));`;
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { timeout: 30_000 }, (e, so) => (e ? reject(e) : resolve(so)));
    });
    const out = JSON.parse(stdout.trim().split('\n').at(-1)!) as { metrics: string; config: string; runs: string[] };
    expect(out.metrics).toMatch(/is a FIFO/);
    expect(out.config).toMatch(/is a FIFO/);
    expect(out.runs).toEqual([good]);
  }, 60_000);
});

describe('inherited object keys are not hyperparameters', () => {
  it.each(['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf'])('%s is an unknown field everywhere a schema is consulted', (key) => {
    const given = JSON.parse(`{${JSON.stringify(key)}: 5}`) as Record<string, unknown>;
    expect(() => resolveConfig(ALGOS.ppo.schema, given, 'ppo')).toThrow(ConfigError);
    expect(() => resolveConfig(ALGOS.ppo.schema, given, 'ppo')).toThrow(/unknown field/);
    expect(() => resolveRunConfig({ task: 'InvertedPendulum', algo: 'ppo', algoConfig: given })).toThrow(/unknown field/);
    expect(() => resolveRunConfig({ task: key, algo: 'ppo' })).toThrow(/unknown task/);
    expect(() => resolveRunConfig({ task: 'InvertedPendulum', algo: key })).toThrow(/unknown algorithm/);
    expect(Object.prototype).not.toHaveProperty('polluted');
  });
});
