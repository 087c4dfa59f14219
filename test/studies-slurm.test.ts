// Studies on a real Slurm cluster (test/slurm-cluster.ts starts a single-node one with its own
// munged, slurmctld and slurmd): a study runs through one sbatch job array and reports exactly
// what the local executor reports; a trial requeued while it runs resumes from its checkpoint; a
// USR1 before the time limit checkpoints and the requeued task finishes the trial; a submission
// Slurm refuses says so in Slurm's words and records nothing. Skipped (with the reason) where
// the test cannot be root or the packages are absent.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MetricsRow } from '../src/core/protocol.js';
import { readMetrics, readStatus, writeStatus, type StatusFile } from '../src/core/runs/store.js';
import { followStudy } from '../src/core/studies/follow.js';
import { LocalExecutor } from '../src/core/studies/local-executor.js';
import { reportJson, studyReport } from '../src/core/studies/report.js';
import { arraySpec, checkSlurmOptions, parseSacct, parseSqueue, readSlurmRecord, SlurmError, SlurmExecutor, slurmFiles, slurmScript, slurmTimeSeconds, slurmTrialStates, submitStudy, type SlurmOptions } from '../src/core/studies/slurm-executor.js';
import { takeSbatchArgs } from '../src/cli/study-slurm.js';
import { validateStudy } from '../src/core/studies/study-file.js';
import { createStudyFolder, readFinalEval, readPlan, StudyError, studyFiles } from '../src/core/studies/study-folder.js';
import { slurmSkipReason, startSlurmCluster, type SlurmCluster } from './slurm-cluster.js';

const skip = slurmSkipReason();
if (skip) console.warn(`studies-slurm: skipped — ${skip}`);

// Tiny PPO on InvertedPendulum: 256 env steps per update, on the cpu backend (same backend and
// seeds → the same numbers, wherever the trial runs).
const PPO = { task: 'InvertedPendulum', algo: 'ppo', backend: 'cpu', evalEpisodes: 2, numSteps: 128, numEnvs: 2, numMinibatches: 4, updateEpochs: 2 };
const STEPS_PER_UPDATE = 256;
const LAB_BIN = fileURLToPath(new URL('../bin/policy-lab.mjs', import.meta.url));

const root = mkdtempSync(join(tmpdir(), 'pl-studies-slurm-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
function newStudy(spec: Record<string, unknown>): string {
  const dir = mkdtempSync(join(root, 'study-'));
  createStudyFolder(dir, validateStudy(spec));
  return dir;
}

/** The learning-relevant part of metrics rows (time fields differ between runs). */
const curve = (rows: MetricsRow[]) => rows.map(({ stepsPerSecond: _s, wallTime: _w, ...rest }) => rest);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, f: () => T | undefined | false, ms: number, cluster: SlurmCluster): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n${cluster.logs()}`);
    await sleep(250);
  }
}

describe.skipIf(Boolean(skip))('studies on a real Slurm cluster', () => {
  let cluster: SlurmCluster;
  let slurm: SlurmOptions;
  beforeAll(async () => {
    cluster = await startSlurmCluster({ requeueDelayS: 5 });
    // The jobs inherit the submitter's environment (sbatch --export=ALL): keep it to the essentials.
    slurm = { env: { PATH: process.env.PATH, HOME: process.env.HOME, SLURM_CONF: cluster.conf }, partition: cluster.partition };
  }, 90_000);
  afterAll(async () => { await cluster?.stop(); });

  it('a 4-trial study runs through one sbatch job array and reports exactly what the local executor reports', async () => {
    const spec = { name: 'slurm-vs-local', ...PPO, steps: 1024, seeds: [1, 2], checkpointEvery: 2, grid: { lr: [3e-4, 1e-3] } };
    const onSlurm = newStudy(spec);
    const onLocal = newStudy(spec);
    const started: number[] = [];
    const res = await new SlurmExecutor({ ...slurm, maxParallel: 2, time: '10', cpusPerTask: 1, mem: '300M', pollMs: 1000 })
      .run(onSlurm, [0, 1, 2, 3], { onTrial: (e) => { if (e.kind === 'started') started.push(e.index); } });
    expect(res.finished.sort()).toEqual([0, 1, 2, 3]);
    expect(res.failed).toEqual([]);
    expect(started.sort()).toEqual([0, 1, 2, 3]);

    // One job array, one task per trial, array index = trial index, recorded after submission.
    const record = JSON.parse(readFileSync(slurmFiles.record(onSlurm), 'utf8'));
    expect(record.submissions).toHaveLength(1);
    expect(record.submissions[0].trials.map((t: { index: number; arrayIndex: number }) => [t.index, t.arrayIndex])).toEqual([[0, 0], [1, 1], [2, 2], [3, 3]]);
    const script = readFileSync(slurmFiles.script(onSlurm), 'utf8');
    expect(script).toContain('#SBATCH --array=0-3%2');
    expect(script).toContain('#SBATCH --requeue');
    expect(script).toMatch(/#SBATCH --signal=B:USR1@\d+/);
    expect(script).toContain(`NODE='${process.execPath}'`);
    expect(script).toContain('#SBATCH --mem=300M');
    const jobId = record.submissions[0].jobId as string;
    expect(readdirSync(slurmFiles.logs(onSlurm)).sort()).toEqual([0, 1, 2, 3].map((i) => `${jobId}_${i}.out`));
    expect(slurmTrialStates(onSlurm, slurm.env)!.trials.map((t) => t.state)).toEqual(['finished', 'finished', 'finished', 'finished']);

    const local = await new LocalExecutor({ workers: 2 }).run(onLocal, [0, 1, 2, 3], {});
    expect(local.finished.sort()).toEqual([0, 1, 2, 3]);
    // Everything but where the trials are and how long they took.
    const strip = (dir: string) => JSON.parse(JSON.stringify(reportJson(studyReport(dir, { reps: 300, curveReps: 50 })),
      (k, v) => (k === 'runDir' ? relative(dir, v) : /wallTime|perSecond/i.test(k) ? undefined : v)));
    const a = strip(onSlurm), b = strip(onLocal);
    expect(a).toEqual(b);
    const scores = a.variants.flatMap((v: { trials: { finalReturn: number }[] }) => v.trials.map((t) => t.finalReturn));
    expect(scores.every((s: unknown) => typeof s === 'number')).toBe(true);
    expect(new Set(scores).size).toBeGreaterThan(1); // the trials differ, so equal reports mean equal trials
    for (const t of readPlan(onSlurm).trials) {
      expect(curve(readMetrics(studyFiles.trialDir(onSlurm, t)))).toEqual(curve(readMetrics(studyFiles.trialDir(onLocal, t))));
    }
  }, 300_000);

  it('a trial requeued while it runs (scontrol requeue) resumes from its checkpoint and finishes as if never interrupted', async () => {
    const checkpointEvery = 4;
    const spec = { name: 'requeue', ...PPO, steps: 200_000, seeds: [3], checkpointEvery };
    const dir = newStudy(spec);
    const twin = newStudy(spec);
    const statuses: StatusFile[] = [];
    let seenSteps = 0;
    const f = followStudy(dir, (e) => {
      if (e.type === 'status') statuses.push(e.status);
      if (e.type === 'metrics') seenSteps = Math.max(seenSteps, ...e.rows.map((r) => r.steps));
    }, { intervalMs: 100 });
    await f.ready;
    try {
      const sub = submitStudy(dir, [0], { ...slurm, time: '10' });
      const task = `${sub.jobId}_0`;
      // Requeue once training is under way and a checkpoint exists.
      await until('training under way', () => seenSteps >= 3 * checkpointEvery * STEPS_PER_UPDATE, 120_000, cluster);
      const before = seenSteps;
      const rq = cluster.run('scontrol', ['requeue', task]);
      expect(rq.status, rq.stderr).toBe(0);
      // Between the requeue and the restart, study status says so (Slurm holds it ~cred_expire).
      const requeued = await until('study status to show the requeue', () => slurmTrialStates(dir, slurm.env)!.trials.find((t) => t.state === 'requeued' || readFinalEval(studyFiles.trialDir(dir, readPlan(dir).trials[0]))), 60_000, cluster);
      expect(requeued).toMatchObject({ state: 'requeued', restarts: 1 });
      await until('the trial to finish', () => readFinalEval(studyFiles.trialDir(dir, readPlan(dir).trials[0])) ?? undefined, 240_000, cluster);
      const runs = statuses.filter((s) => s.status === 'running');
      expect(runs.length).toBeGreaterThanOrEqual(2); // a first start, and a start after the requeue
      const stopped = statuses.find((s) => s.status === 'stopped');
      expect(stopped, 'the trial checkpointed when Slurm stopped it').toBeDefined();
      const resumedAt = runs[1].steps ?? 0;
      expect(resumedAt).toBeGreaterThan(0);
      // Lost work: at most one checkpoint interval behind what had been reached.
      expect(resumedAt).toBeGreaterThanOrEqual(before - checkpointEvery * STEPS_PER_UPDATE);
      expect(resumedAt).toBeLessThan(200_000);
      const log = readFileSync(slurmFiles.taskLog(dir, sub.jobId, 0), 'utf8');
      expect(log).toMatch(/attempt 1,/);
      expect(log).toMatch(/attempt 2,/);
      expect(log).toMatch(/exited with 75/);
    } finally {
      await f.close();
    }
    // The same trial never interrupted, run locally: the same curve and the same score.
    await new LocalExecutor({ workers: 1 }).run(twin, [0], {});
    const td = (d: string) => studyFiles.trialDir(d, readPlan(d).trials[0]);
    expect(curve(readMetrics(td(dir)))).toEqual(curve(readMetrics(td(twin))));
    expect(readFinalEval(td(dir))!.returns).toEqual(readFinalEval(td(twin))!.returns);
    expect(readStatus(td(dir)).status).toBe('finished');
  }, 400_000);

  it('a USR1 before the time limit checkpoints the trial and the requeued task finishes it', async () => {
    // slurmctld tests time limits every 30 s and sends the warning at the first test that finds
    // the limit within --signal-seconds (+ that period). With --time 2 and the warning 90 s ahead
    // that is the first test after the task starts. To land it part-way through a short trial
    // (instead of training for more than 30 s), a probe job first catches one such test (its
    // USR1), and the trial is submitted ~11 s before the next one: ~8 s into its training.
    const probeMark = join(root, 'probe.usr1');
    const probe = cluster.run('sbatch', ['--parsable', `--partition=${cluster.partition}`, '--time=1', '--signal=B:USR1@59', `--output=${join(root, 'probe.out')}`,
      '--wrap', `trap 'date +%s > ${probeMark}; exit 0' USR1; while :; do sleep 0.2; done`]);
    expect(probe.status, probe.stderr).toBe(0);
    const tick = Number(await until('the probe job\'s USR1', () => existsSync(probeMark) && readFileSync(probeMark, 'utf8').trim(), 90_000, cluster)) * 1000;
    const nextTick = tick + 30_000 * Math.max(1, Math.ceil((Date.now() + 12_000 - tick) / 30_000));
    await sleep(nextTick - 11_000 - Date.now());

    const checkpointEvery = 20;
    const steps = 600_000; // ~17–25 s of training on this machine: the warning comes part-way
    const dir = newStudy({ name: 'usr1', ...PPO, steps, seeds: [5], checkpointEvery });
    const statuses: StatusFile[] = [];
    const f = followStudy(dir, (e) => { if (e.type === 'status') statuses.push(e.status); }, { intervalMs: 200 });
    await f.ready;
    try {
      const sub = submitStudy(dir, [0], { ...slurm, time: '2', signalSeconds: 90 });
      expect(readFileSync(slurmFiles.script(dir), 'utf8')).toContain('#SBATCH --signal=B:USR1@90');
      const td = studyFiles.trialDir(dir, readPlan(dir).trials[0]);
      await until('the trial to finish', () => readFinalEval(td) ?? undefined, 600_000, cluster);
      const log = readFileSync(slurmFiles.taskLog(dir, sub.jobId, 0), 'utf8');
      expect(log).toMatch(/USR1 at .* time limit ahead/);
      expect(log).toMatch(/exited with 75/);
      expect(log).toMatch(/attempt 2,/);
      expect(log).not.toMatch(/DUE TO TIME LIMIT/);
      // A checkpointed stop part-way, and a later start that resumed from it.
      const stoppedAt = statuses.filter((s) => s.status === 'stopped').map((s) => s.steps ?? 0);
      expect(stoppedAt.some((s) => s > 0 && s < steps)).toBe(true);
      const resumedAt = statuses.filter((s) => s.status === 'running').map((s) => s.steps ?? 0);
      expect(resumedAt.some((s) => s > 0 && stoppedAt.includes(s))).toBe(true);
      // The metrics continue without a gap or a repeat: one row per update, 1 … N.
      const rows = readMetrics(td);
      expect(rows.map((r) => r.update)).toEqual(rows.map((_, i) => i + 1));
      expect(rows.at(-1)!.steps).toBeGreaterThanOrEqual(steps);
      expect(readStatus(td).status).toBe('finished');
    } finally {
      await f.close();
    }
  }, 700_000);

  it('from the command line: run submits and returns, status shows Slurm\'s view, cancel leaves trials resumable, --resume resubmits only the unfinished', async () => {
    const cli = (...args: string[]) => spawnSync(process.execPath, [LAB_BIN, ...args], { env: slurm.env, encoding: 'utf8', timeout: 120_000 });
    const file = join(root, 'cli-study.json');
    // 300k steps (~25 s a trial here): each `cli` call below starts a Node process, several
    // seconds on a loaded machine, and with 100k-step trials trial 1 had finished before the
    // test looked for it running.
    writeFileSync(file, JSON.stringify({ name: 'cli', ...PPO, steps: 300_000, seeds: [1, 2, 3], checkpointEvery: 8 }));
    const out = mkdtempSync(join(root, 'cli-'));
    const run = cli('study', 'run', file, '--out', out, '--executor', 'slurm', '--partition', cluster.partition, '--time', '10',
      '--max-parallel', '1', '--sbatch-arg=--comment=policy-lab-test', '--sbatch-arg', '--nice=0');
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/submitted job array (\d+) \(3 trials, array 0-2%1\)/);
    const dir = join(out, readdirSync(out)[0]);
    const script = readFileSync(slurmFiles.script(dir), 'utf8');
    expect(script).toContain('#SBATCH --comment=policy-lab-test\n#SBATCH --nice=0\n');
    const first = JSON.parse(readFileSync(slurmFiles.record(dir), 'utf8')).submissions[0];
    const td = (i: number) => studyFiles.trialDir(dir, readPlan(dir).trials[i]);

    // One at a time: trial 0 trains while 1 and 2 wait.
    await until('trial 0 running', () => readStatus(td(0)).status === 'running', 120_000, cluster);
    const st = cli('study', 'status', dir, '--json');
    expect(st.status, st.stderr).toBe(0);
    const sched = (JSON.parse(st.stdout).trials as { index: number; scheduler?: { state: string; detail: string } }[]).map((t) => t.scheduler?.state);
    // --max-parallel 1: never two tasks at once. A fast trial 0 may already have finished and
    // handed over to trial 1 by the time status runs; trial 2 still waits either way.
    expect(sched[0]).toMatch(/running|finished/);
    expect(sched[1]).toMatch(sched[0] === 'running' ? /^pending$/ : /^(pending|running)$/);
    expect(sched[2]).toBe('pending');
    // The table shows Slurm's own state and reason: the array's limit while trial 0 or 1 runs,
    // Resources in the moment between them (the node still completing the finished task; seen on CI).
    expect(cli('study', 'status', dir).stdout).toMatch(new RegExp(`pending .* job ${first.jobId}_2 PD \\((JobArrayTaskLimit|Resources|Priority)\\)`));

    // Cancel once trial 1 runs: it checkpoints and stops; trial 2 never started.
    await until('trial 0 finished, trial 1 running', () => readFinalEval(td(0)) && readStatus(td(1)).status === 'running', 180_000, cluster);
    const cancel = cli('study', 'cancel', dir);
    expect(cancel.status, cancel.stderr).toBe(0);
    expect(cancel.stdout).toMatch(/cancelled/);
    await until('trial 1 stopped', () => ['stopped', 'finished'].includes(readStatus(td(1)).status), 60_000, cluster);
    await until('nothing queued', () => cluster.run('squeue', ['-h', '-j', first.jobId]).stdout.trim() === '', 60_000, cluster);
    const after = slurmTrialStates(dir, slurm.env)!.trials.map((t) => t.state);
    expect(after[0]).toBe('finished');
    expect(after.slice(1).every((x) => x === 'stopped' || x === 'finished')).toBe(true);
    const unfinished = [1, 2].filter((i) => !readFinalEval(td(i)));
    expect(unfinished).toContain(2);

    // Resume: only the unfinished trials are submitted, and the study completes.
    const resume = cli('study', 'run', '--resume', dir, '--executor', 'slurm', '--partition', cluster.partition, '--time', '10', '--wait', '--quiet');
    expect(resume.status, resume.stderr + resume.stdout).toBe(0);
    const subs = JSON.parse(readFileSync(slurmFiles.record(dir), 'utf8')).submissions;
    expect(subs).toHaveLength(2);
    expect(subs[1].arrayIndices).toEqual(unfinished);
    expect(readFileSync(slurmFiles.script(dir), 'utf8')).toContain(`#SBATCH --array=${arraySpec(unfinished)}\n`);
    for (const i of [0, 1, 2]) expect(readFinalEval(td(i))).not.toBeNull();
    // A trial stopped part-way resumed from its checkpoint: its updates run 1 … N without a repeat.
    const rows = readMetrics(td(1));
    expect(rows.map((r) => r.update)).toEqual(rows.map((_, i) => i + 1));
    const report = cli('study', 'report', dir, '--json');
    expect(report.status).toBe(0);
    expect(JSON.parse(report.stdout).variants[0].trials.map((t: { status: string }) => t.status)).toEqual(['finished', 'finished', 'finished']);
  }, 400_000);

  it('run() aborted (Ctrl-C with --wait) cancels the tasks: the running trial checkpoints, the queued one never starts', async () => {
    const dir = newStudy({ name: 'abort', ...PPO, steps: 300_000, seeds: [1, 2], checkpointEvery: 8 });
    const td = (i: number) => studyFiles.trialDir(dir, readPlan(dir).trials[i]);
    const ac = new AbortController();
    const done = new SlurmExecutor({ ...slurm, maxParallel: 1, time: '10', pollMs: 500 }).run(dir, [0, 1], {
      signal: ac.signal,
      onProgress: (p) => { if (p.index === 0 && p.steps >= 8 * STEPS_PER_UPDATE) ac.abort(); },
    });
    const res = await done;
    expect(res.stopped).toEqual([0]);
    expect(res.notStarted).toEqual([1]);
    expect(readStatus(td(0))).toMatchObject({ status: 'stopped' });
    expect(readStatus(td(0)).steps).toBeGreaterThan(0);
    expect(readStatus(td(1)).status).toBe('created');
    await until('nothing queued', () => cluster.run('squeue', ['-h', '-o', '%i']).stdout.trim() === '', 60_000, cluster);
  }, 300_000);

  it('a submission to a partition that does not exist fails with Slurm\'s message and records nothing', async () => {
    const dir = newStudy({ name: 'bad-partition', ...PPO, steps: 1024, seeds: [1, 2] });
    expect(() => submitStudy(dir, [0, 1], { ...slurm, partition: 'no-such-partition' })).toThrow(SlurmError);
    try {
      submitStudy(dir, [0, 1], { ...slurm, partition: 'no-such-partition' });
    } catch (e) {
      expect((e as Error).message).toMatch(/invalid partition/i);
      expect((e as Error).message).toContain('no-such-partition');
    }
    expect(existsSync(slurmFiles.record(dir))).toBe(false);
    expect(slurmTrialStates(dir, slurm.env)).toBeNull();
    const q = cluster.run('squeue', ['-h', '-o', '%i']);
    expect(q.stdout.trim()).toBe('');
    // No Slurm at all on PATH: a clear error, nothing recorded.
    expect(() => submitStudy(dir, [0], { ...slurm, env: { PATH: '/nonexistent', SLURM_CONF: cluster.conf } })).toThrow(/sbatch not found/);
    expect(existsSync(slurmFiles.record(dir))).toBe(false);
    // The command line says it in Slurm's words and exits non-zero.
    const cli = spawnSync(process.execPath, [LAB_BIN, 'study', 'run', '--resume', dir, '--executor', 'slurm', '--partition', 'no-such-partition'],
      { env: slurm.env, encoding: 'utf8', timeout: 60_000 });
    expect(cli.status).not.toBe(0);
    expect(cli.stderr).toMatch(/invalid partition/i);
    expect(existsSync(slurmFiles.record(dir))).toBe(false);
  }, 120_000);
});

// The parts that need no cluster: run everywhere.
describe('the Slurm executor without a cluster', () => {
  it('writes --array as ranges with the %K limit, and parses Slurm time formats', () => {
    expect(arraySpec([0, 1, 2, 3])).toBe('0-3');
    expect(arraySpec([5, 1, 3, 2, 9, 10], 4)).toBe('1-3,5,9-10%4');
    expect(arraySpec([7])).toBe('7');
    expect(() => arraySpec([])).toThrow(SlurmError);
    expect(slurmTimeSeconds('30')).toBe(1800);
    expect(slurmTimeSeconds('10:30')).toBe(630);
    expect(slurmTimeSeconds('04:00:00')).toBe(14400);
    expect(slurmTimeSeconds('2-12')).toBe(2 * 86400 + 12 * 3600);
    expect(slurmTimeSeconds('1-00:30')).toBe(86400 + 1800);
    expect(slurmTimeSeconds('1-02:03:04')).toBe(86400 + 7384);
    expect(slurmTimeSeconds('4h')).toBeNull();
  });

  it('refuses bad options before anything is written, naming the flag', () => {
    expect(() => checkSlurmOptions({ time: 'soon' })).toThrow(/--time/);
    expect(() => checkSlurmOptions({ mem: '4 gigs' })).toThrow(/--mem/);
    expect(() => checkSlurmOptions({ cpusPerTask: 0 })).toThrow(/--cpus-per-task/);
    expect(() => checkSlurmOptions({ partition: 'a b' })).toThrow(/--partition/);
    expect(() => checkSlurmOptions({ sbatchArgs: ['--array=0-9'] })).toThrow(/--array is set by Policy Lab/);
    expect(() => checkSlurmOptions({ sbatchArgs: ['account=x'] })).toThrow(/--sbatch-arg/);
    expect(() => checkSlurmOptions({ sbatchArgs: ['--comment=a\n#SBATCH --x'] })).toThrow(/--sbatch-arg/);
    expect(() => checkSlurmOptions({ time: '5', signalSeconds: 300 })).toThrow(/not shorter than --time/);
    expect(checkSlurmOptions({ time: '04:00:00' }).signalSeconds).toBe(300);
    expect(checkSlurmOptions({ time: '8' }).signalSeconds).toBe(120);
    expect(checkSlurmOptions({}).signalSeconds).toBe(300);
  });

  it('takes repeated --sbatch-arg out of the command line', () => {
    expect(takeSbatchArgs(['x.json', '--sbatch-arg', '--account=a', '--time', '5', '--sbatch-arg=--qos=long'])).toEqual({ argv: ['x.json', '--time', '5'], sbatchArgs: ['--account=a', '--qos=long'] });
    expect(() => takeSbatchArgs(['--sbatch-arg'])).toThrow(/needs a value/);
  });

  it('slurm.json is validated when read: anything else is a StudyError naming the file, never a crash', () => {
    const dir = newStudy({ name: 'record', ...PPO, steps: 1024, seeds: [1] });
    const sub = fc.record({ jobId: fc.oneof(fc.stringMatching(/^\d{1,6}$/), fc.string(), fc.integer()), submittedAt: fc.string(),
      arrayIndices: fc.oneof(fc.array(fc.nat(5)), fc.constant(null)),
      trials: fc.oneof(fc.array(fc.record({ index: fc.oneof(fc.nat(5), fc.string()), arrayIndex: fc.nat(5), dir: fc.oneof(fc.string(), fc.constant(null)) }, { requiredKeys: [] })), fc.anything()) }, { requiredKeys: [] });
    const doc = fc.oneof(fc.record({ version: fc.oneof(fc.constant(1), fc.anything()), submissions: fc.oneof(fc.array(fc.oneof(sub, fc.anything())), fc.anything()) }, { requiredKeys: [] }), fc.anything());
    fc.assert(fc.property(fc.oneof(doc.map((d) => JSON.stringify(d) ?? 'null'), fc.string()), (text) => {
      writeFileSync(slurmFiles.record(dir), text);
      let rec: ReturnType<typeof readSlurmRecord> = null;
      try {
        rec = readSlurmRecord(dir);
      } catch (e) {
        expect(e).toBeInstanceOf(StudyError);
        expect((e as Error).message).toContain('slurm.json');
        return;
      }
      for (const s of rec!.submissions) {
        expect(s.jobId).toMatch(/^\d+$/);
        for (const t of s.trials) expect(Number.isInteger(t.index) && Number.isInteger(t.arrayIndex) && typeof t.dir === 'string').toBe(true);
      }
    }), { seed: 12, numRuns: 300 });
    rmSync(slurmFiles.record(dir));
  });

  it('reads squeue and sacct lines per array task', () => {
    const q = parseSqueue('12|0|CD|None|0|\n12|1|R|None|0|\n12|2|PD|BeginTime|1|\n13|N/A|R|None|0|\n');
    expect(q).toEqual([
      { jobId: '12', arrayIndex: 0, state: 'CD', reason: 'None', restarts: 0 },
      { jobId: '12', arrayIndex: 1, state: 'R', reason: 'None', restarts: 0 },
      { jobId: '12', arrayIndex: 2, state: 'PD', reason: 'BeginTime', restarts: 1 },
    ]);
    const a = parseSacct('40_0|COMPLETED\n40_1|CANCELLED by 0\n40_[2-3]|PENDING\n41|FAILED\n');
    expect(a.map((t) => [t.jobId, t.arrayIndex, t.state])).toEqual([['40', 0, 'COMPLETED'], ['40', 1, 'CANCELLED']]);
  });

  it('merges squeue (then sacct for what squeue forgot) with the trials\' own files', () => {
    const dir = newStudy({ name: 'merge', ...PPO, steps: 1024, seeds: [1, 2, 3, 4, 5, 6, 7, 8] });
    const plan = readPlan(dir);
    const td = (i: number) => studyFiles.trialDir(dir, plan.trials[i]);
    // Trials 0–6 in job 50, trial 7 never submitted.
    writeFileSync(slurmFiles.record(dir), JSON.stringify({ version: 1, submissions: [
      { jobId: '40', submittedAt: '', arrayIndices: [0, 1], trials: [0, 1].map((i) => ({ index: i, arrayIndex: i, dir: plan.trials[i].dir })), options: {} },
      { jobId: '50', submittedAt: '', arrayIndices: [0, 1, 2, 3, 4, 5, 6], trials: [0, 1, 2, 3, 4, 5, 6].map((i) => ({ index: i, arrayIndex: i, dir: plan.trials[i].dir })), options: {} },
    ] }));
    writeStatus(td(0), { status: 'finished', steps: 1024 });
    writeFileSync(studyFiles.finalEval(td(0)), JSON.stringify({ episodes: 2, deterministic: true, returns: [1, 2], mean: 1.5, steps: 1024 }));
    writeStatus(td(3), { status: 'stopped', steps: 512 }); // cancelled after a checkpoint: Slurm says FAILED (exit 75)
    writeStatus(td(4), { status: 'failed', message: 'NaN in the policy loss' });
    const bin = mkdtempSync(join(root, 'fake-slurm-'));
    writeFileSync(join(bin, 'squeue'), '#!/bin/sh\necho "$*" >> ' + join(bin, 'calls') + '\nprintf "50|1|PD|JobArrayTaskLimit|0|\\n50|2|PD|BeginTime|1|\\n50|3|F|NonZeroExitCode|0|\\n50|4|F|NonZeroExitCode|0|\\n50|5|R|None|2|\\n"\n', { mode: 0o755 });
    writeFileSync(join(bin, 'sacct'), '#!/bin/sh\necho "sacct $*" >> ' + join(bin, 'calls') + '\nprintf "50_0|COMPLETED\\n50_6|OUT_OF_MEMORY\\n"\n', { mode: 0o755 });
    const v = slurmTrialStates(dir, { PATH: `${bin}:/usr/bin:/bin` })!;
    expect(v.warning).toBeUndefined();
    expect(v.trials.map((t) => t.state)).toEqual(['finished', 'pending', 'requeued', 'stopped', 'failed', 'running', 'failed', 'not submitted']);
    expect(v.trials[1].detail).toContain('job 50_1 PD (JobArrayTaskLimit)');
    expect(v.trials[5]).toMatchObject({ restarts: 2, jobId: '50', arrayIndex: 5 });
    expect(v.trials[4].detail).toContain('NaN in the policy loss');
    expect(v.trials[6].detail).toMatch(/OUT_OF_MEMORY.*slurm-logs\/50_6\.out/);
    // Only the latest submission is asked about, and sacct only for what squeue did not list.
    const calls = readFileSync(join(bin, 'calls'), 'utf8');
    expect(calls).toMatch(/-j 50 /);
    expect(calls).not.toMatch(/\b40\b/);
    expect(calls).toMatch(/sacct .* -j 50\n/);
    // squeue not answering: a warning, so run() does not take queued tasks for ended ones.
    writeFileSync(join(bin, 'squeue'), '#!/bin/sh\necho "squeue: error: Unable to contact slurm controller" >&2\nexit 1\n', { mode: 0o755 });
    expect(slurmTrialStates(dir, { PATH: `${bin}:/usr/bin:/bin` })!.warning).toMatch(/Unable to contact slurm controller/);
  });

  describe('the batch script, run by bash with a stand-in trial and scontrol', () => {
    const dir = newStudy({ name: 'script', ...PPO, steps: 1024, seeds: [1, 2, 3] });
    const bin = mkdtempSync(join(root, 'bin-'));
    // A stand-in for `node policy-lab.mjs study trial`: logs its arguments and the signal it gets, exits 75 on it.
    writeFileSync(join(bin, 'fake-node'), '#!/bin/bash\necho "trial $*" >> "$LOG"\ntrap \'echo got-TERM >> "$LOG"; exit 75\' TERM\ntrap \'echo got-USR1 >> "$LOG"; exit 75\' USR1\n'
      + 'case "$MODE" in finish) exit 0;; fail) exit 1;; esac\necho ready >> "$LOG"\nwhile :; do sleep 0.05; done\n', { mode: 0o755 });
    writeFileSync(join(bin, 'scontrol'), '#!/bin/bash\necho "scontrol $*" >> "$LOG"\n', { mode: 0o755 });
    const script = join(bin, 'study.sbatch');
    writeFileSync(script, slurmScript(dir, [0, 2], { node: join(bin, 'fake-node'), lab: '/opt/lab', time: '10', signalSeconds: 120, maxParallel: 1, sbatchArgs: ['--account=rl'] }));

    async function runScript(mode: string, signal?: NodeJS.Signals): Promise<{ code: number | null; log: string }> {
      const log = join(bin, `log-${mode}-${signal ?? 'none'}`);
      const p = spawn('bash', [script], { env: { PATH: `${bin}:${process.env.PATH}`, LOG: log, MODE: mode, SLURM_ARRAY_JOB_ID: '77', SLURM_ARRAY_TASK_ID: '2' }, stdio: 'ignore' });
      const exited = new Promise<number | null>((res) => p.once('exit', (c) => res(c)));
      if (signal) {
        for (let i = 0; i < 200 && !(existsSync(log) && readFileSync(log, 'utf8').includes('ready')); i++) await sleep(25);
        p.kill(signal);
      }
      return { code: await exited, log: readFileSync(log, 'utf8') };
    }

    it('is valid bash with the #SBATCH options of the issue', () => {
      expect(spawnSync('bash', ['-n', script]).status).toBe(0);
      const text = readFileSync(script, 'utf8');
      for (const o of ['--array=0,2%1', '--time=10', '--signal=B:USR1@120', '--requeue', '--cpus-per-task=1', '--account=rl', '--open-mode=append'])
        expect(text).toContain(`#SBATCH ${o}\n`);
      expect(text).toContain(`#SBATCH --output=${join(dir, 'slurm-logs')}/%A_%a.out`);
    });

    it('USR1 (the time-limit warning): the trial gets SIGTERM, checkpoints (75), the task requeues itself', async () => {
      const r = await runScript('run', 'SIGUSR1');
      expect(r.log).toContain(`trial /opt/lab/bin/policy-lab.mjs study trial ${dir} 2`);
      expect(r.log).toContain('got-TERM');
      expect(r.log).toContain('scontrol requeue 77_2');
      expect(r.code).toBe(0);
    });

    it('SIGTERM (preemption, scancel, scontrol requeue): forwarded, exit 75, no self-requeue', async () => {
      const r = await runScript('run', 'SIGTERM');
      expect(r.log).toContain('got-TERM');
      expect(r.log).not.toContain('scontrol');
      expect(r.code).toBe(75);
    });

    it('passes the trial\'s own exit on: 0 finished, 1 failed', async () => {
      expect(await runScript('finish')).toMatchObject({ code: 0 });
      const failed = await runScript('fail');
      expect(failed.code).toBe(1);
      expect(failed.log).not.toContain('scontrol');
    });
  });
});

describe.skipIf(!skip)('studies on a real Slurm cluster (skipped here)', () => {
  it.skip(`needs: ${skip}`, () => {});
});
