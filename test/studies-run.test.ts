// Studies end to end through the local executor's real processes: trials run in parallel, a
// SIGKILLed trial resumes from its checkpoint and ends exactly where an uninterrupted twin does,
// a stop request checkpoints (exit 75, status "stopped") and a second run finishes, and a trial
// that fails is marked failed while the others go on.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readMetrics, readStatus, runFiles } from '../src/core/runs/store.js';
import type { TrialEvent } from '../src/core/studies/executor.js';
import { LocalExecutor } from '../src/core/studies/local-executor.js';
import { runTrial, TrialBusyError } from '../src/core/studies/trial-runner.js';
import { reportJson, studyReport } from '../src/core/studies/report.js';
import { createStudyFolder, readFinalEval, studyFiles, trialDone } from '../src/core/studies/study-folder.js';
import { validateStudy } from '../src/core/studies/study-file.js';

// Two identical variants (a twin to compare against) and a third whose checkpoint is corrupt.
const STUDY = {
  name: 'kill-test', task: 'InvertedPendulum', algo: 'reinforce', steps: 16000, seeds: [3], batchSteps: 1000, backend: 'cpu',
  checkpointEvery: 1, evalEpisodes: 3, variants: [{ name: 'killed' }, { name: 'twin' }, { name: 'broken' }],
};
const strip = (rows: ReturnType<typeof readMetrics>) => rows.map(({ wallTime: _w, stepsPerSecond: _s, ...r }) => r);

describe('study run (local executor)', () => {
  it('resumes a killed trial from its checkpoint to the same end as its twin; a failed trial does not stop the others', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'pl-study-run-')), 's');
    const plan = createStudyFolder(dir, validateStudy(STUDY));
    const td = plan.trials.map((t) => studyFiles.trialDir(dir, t));
    writeFileSync(runFiles.checkpoint(td[2]), 'not a checkpoint');
    const exec = new LocalExecutor({ workers: 2 });
    const pids = new Map<number, number>();
    const events: TrialEvent[] = [];
    let killedAt = -1;
    const first = await exec.run(dir, [0, 1, 2], {
      onTrial: (e) => { events.push(e); if (e.kind === 'started' && e.pid) pids.set(e.index, e.pid); },
      onProgress: (p) => {
        if (p.index === 0 && killedAt < 0 && p.steps >= 5000) { killedAt = p.steps; process.kill(pids.get(0)!, 'SIGKILL'); }
      },
    });
    expect(killedAt).toBeGreaterThan(0);
    expect(first.failed.sort()).toEqual([0, 2]);
    expect(first.finished).toEqual([1]);
    expect(readStatus(td[0]).status).toBe('failed');
    expect(readStatus(td[0]).message).toMatch(/SIGKILL/);
    expect(readStatus(td[2]).message).toMatch(/checkpoint .* is unusable/);
    expect(events.filter((e) => e.kind === 'ended').every((e) => e.seconds! > 0)).toBe(true);
    const before = readMetrics(td[0]);
    expect(before.at(-1)!.steps).toBeLessThan(16000);

    // study run --resume: the unfinished trials again; the killed one continues from its checkpoint.
    const second = await exec.run(dir, [0], {});
    expect(second.finished).toEqual([0]);
    expect(trialDone(td[0])).toBe(true);
    const after = readMetrics(td[0]);
    expect(after.map((r) => r.update)).toEqual(after.map((_r, i) => i + 1)); // no gap, no repeat
    // Exact resume (one backend, single process): the same curve and the same score as the twin.
    expect(strip(after)).toEqual(strip(readMetrics(td[1])));
    expect(readFinalEval(td[0])!.returns).toEqual(readFinalEval(td[1])!.returns);
    // A finished trial is not run again.
    expect(await exec.run(dir, [1], {})).toMatchObject({ finished: [1] });
    expect(readMetrics(td[1])).toHaveLength(after.length);

    const r = reportJson(studyReport(dir)) as { variants: { name: string; final: { mean: number } | null; trials: { status: string; finalReturn: number | null }[] }[]; comparisons: { a: string; b: string; probabilityOfImprovement: number }[] };
    expect(r.variants.map((v) => v.trials[0].status)).toEqual(['finished', 'finished', 'failed']);
    expect(r.variants[0].final!.mean).toBe(r.variants[1].final!.mean);
    expect(r.variants[2].final).toBeNull();
    expect(r.comparisons).toEqual([
      { a: 'killed', b: 'twin', probabilityOfImprovement: 0.5, ci95: [0.5, 0.5] },
      { a: 'twin', b: 'killed', probabilityOfImprovement: 0.5, ci95: [0.5, 0.5] },
    ]);
  }, 300_000);

  it('refuses to train a trial another live process is training, and leaves its files alone', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'pl-study-busy-')), 's');
    const plan = createStudyFolder(dir, validateStudy({ ...STUDY, name: 'busy-test', steps: 60_000, variants: undefined }));
    const td = studyFiles.trialDir(dir, plan.trials[0]);
    const ac = new AbortController();
    let refused: unknown = null;
    const exec = new LocalExecutor({ workers: 1, spare: false });
    const res = await exec.run(dir, [0], {
      signal: ac.signal,
      onProgress: () => {
        if (refused !== null || ac.signal.aborted) return;
        refused = 'pending';
        // While the pool's process trains trial 0, this process tries too.
        runTrial(dir, 0).then(() => { refused = new Error('not refused'); }, (e: unknown) => { refused = e; ac.abort(); });
      },
    });
    expect(refused).toBeInstanceOf(TrialBusyError);
    expect((refused as Error).message).toMatch(/trial 0 is being trained by pid \d+/);
    expect(res.stopped).toEqual([0]);
    expect(readStatus(td).status).toBe('stopped');
  }, 300_000);

  it('a stop request checkpoints every running trial (exit 75, status stopped) and a second run finishes them', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'pl-study-stop-')), 's');
    const plan = createStudyFolder(dir, validateStudy({ ...STUDY, name: 'stop-test', seeds: [1, 2], variants: undefined }));
    const ac = new AbortController();
    const exec = new LocalExecutor({ workers: 1 });
    const res = await exec.run(dir, [0, 1], { signal: ac.signal, onProgress: (p) => { if (p.steps >= 3000) ac.abort(); } });
    expect(res.stopped).toEqual([0]);
    expect(res.notStarted).toEqual([1]);
    const td0 = studyFiles.trialDir(dir, plan.trials[0]);
    expect(readStatus(td0).status).toBe('stopped');
    const ck = readMetrics(td0).at(-1)!.update;
    const res2 = await exec.run(dir, [0, 1], {});
    expect(res2.finished.sort()).toEqual([0, 1]);
    const rows = readMetrics(td0);
    expect(rows.map((r) => r.update)).toEqual(rows.map((_r, i) => i + 1));
    expect(rows.length).toBeGreaterThan(ck);
  }, 300_000);
});
