// Studies through the app's backend (what the Study view calls): every payload validated
// (nothing starts on a bad one), a study runs in real trial processes and is reported and
// followed live, and a study the lab was running when it closed continues when it starts again.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LabEvent, StudyReport } from '../src/backend/api.js';
import { createDispatcher, toApiError } from '../src/backend/dispatch.js';
import { LabBackend } from '../src/backend/lab-backend.js';
import { StudyService } from '../src/backend/study-backend.js';
import { readMetrics, readRun, readStatus } from '../src/core/runs/store.js';
import { readPlan, studyFiles, trialDone } from '../src/core/studies/study-folder.js';
import { fakeDeps } from './app-fakes.js';

const TINY = { name: 'app-tiny', task: 'InvertedPendulum', algo: 'reinforce', steps: 3000, seeds: [1, 2], batchSteps: 1000, backend: 'cpu', evalEpisodes: 2, grid: { phi: ['reward-to-go', 'baseline'] } };

async function refused(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try { await p; } catch (e) { return toApiError(e); }
  throw new Error('expected a refusal');
}

function waitFor(events: LabEvent[], pred: (e: LabEvent) => boolean, ms = 240_000): Promise<LabEvent> {
  const t0 = Date.now();
  return new Promise((res, rej) => {
    const t = setInterval(() => {
      const e = events.find(pred);
      if (e) { clearInterval(t); res(e); } else if (Date.now() - t0 > ms) { clearInterval(t); rej(new Error('timed out')); }
    }, 100);
  });
}

describe('studies in the app backend', () => {
  it('validates every request, runs a study, follows it live, and reports it', async () => {
    const root = mkdtempSync(join(tmpdir(), 'pl-app-studies-'));
    const backend = new LabBackend(root, { ...fakeDeps(), readRun }); // the real run reader: trials are real runs
    const call = createDispatcher(backend);
    const events: LabEvent[] = [];
    backend.onEvent((e) => events.push(e));
    try {
      expect((await refused(call('startStudy', { study: TINY, builtin: 'phi-estimators' }))).message).toMatch(/exactly one of "study"/);
      expect((await refused(call('startStudy', { study: { ...TINY, lrr: 1 } }))).message).toMatch(/variant "reward-to-go".*unknown field "lrr"/);
      expect((await refused(call('startStudy', { builtin: 'nope' }))).message).toMatch(/unknown study "nope"/);
      expect((await refused(call('startStudy', { study: TINY, workers: 0 }))).message).toMatch(/workers/);
      expect((await refused(call('studyReport', { studyDir: '../../etc' }))).message).toMatch(/under the lab's studies folder/);
      expect((await refused(call('studyReport', { studyDir: join(root, 'studies', 'missing') }))).code).toBe('not-found');
      expect((await refused(call('stopStudy', { studyDir: 1 }))).code).toBe('invalid');
      expect(await call('listStudies', undefined)).toEqual([]); // nothing started
      const builtins = (await call('builtinStudies', undefined)) as { name: string }[];
      expect(builtins.map((b) => b.name)).toEqual(['phi-estimators', 'a2c-vs-a3c', 'ppo-vs-a2c']);

      const { studyDir } = (await call('startStudy', { study: TINY, workers: 2 })) as { studyDir: string };
      expect(studyDir.startsWith(join(root, 'studies'))).toBe(true);
      // One study at a time uses the cores.
      expect((await refused(call('startStudy', { study: { ...TINY, name: 'second' } }))).code).toBe('busy');
      const first = (await call('studyReport', { studyDir })) as StudyReport; // and follow it
      expect(first.variants.map((v) => v.name)).toEqual(['reward-to-go', 'baseline']);
      expect(((await call('listStudies', undefined)) as { running: boolean }[])[0].running).toBe(true);
      await waitFor(events, (e) => e.type === 'study-state' && !e.running);
      expect(events.some((e) => e.type === 'study-report' && e.report.counts.running > 0 || e.type === 'study-report' && e.report.steps > 0)).toBe(true);
      const last = [...events].reverse().find((e) => e.type === 'study-report') as Extract<LabEvent, { type: 'study-report' }>;
      expect(last.report.counts.finished).toBe(4);
      for (const v of last.report.variants) { expect(v.final!.scored).toBe(2); expect(v.curve.length).toBeGreaterThan(0); }
      expect(last.report.comparisons).toHaveLength(2);
      // Every trial is an ordinary run the lab can open.
      const open = (await call('openRun', { runDir: last.report.variants[0].trials[0].runDir })) as { metrics: unknown[] };
      expect(open.metrics.length).toBe(3);
      expect(existsSync(join(studyDir, '.lab-running'))).toBe(false);
    } finally {
      backend.dispose();
    }
  }, 300_000);

  it('a lab that closes mid-study leaves it to be continued; the next lab continues it', async () => {
    const root = mkdtempSync(join(tmpdir(), 'pl-app-studies-'));
    const events: LabEvent[] = [];
    const s1 = new StudyService(root, (e) => events.push(e));
    const { studyDir } = s1.start({ study: { ...TINY, steps: 400_000, seeds: [1], grid: undefined }, workers: 1 });
    const td = studyFiles.trialDir(studyDir, readPlan(studyDir).trials[0]);
    await new Promise<void>((res) => { const t = setInterval(() => { if (readMetrics(td).length > 0) { clearInterval(t); res(); } }, 100); });
        s1.dispose(); // the app quits: the trial checkpoints and stops
    await waitFor(events, (e) => e.type === 'study-state' && !e.running);
    expect(readStatus(td).status).toBe('stopped');
    expect(existsSync(join(studyDir, '.lab-running'))).toBe(true);
    const events2: LabEvent[] = [];
    const s2 = new StudyService(root, (e) => events2.push(e)); // the app starts again
    try {
      await waitFor(events2, (e) => e.type === 'study-state' && !e.running);
      expect(trialDone(td)).toBe(true);
      expect(existsSync(join(studyDir, '.lab-running'))).toBe(false);
    } finally {
      s2.dispose();
    }
  }, 300_000);
});
