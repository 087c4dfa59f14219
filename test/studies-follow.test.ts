// Following a study folder live (src/core/studies/follow.ts): appended metrics rows arrive once
// and in order, a half-written last line waits for its newline, files that appear later are
// picked up, a rewritten (shorter) metrics file resets, and the same holds when polling with
// stat() as on a cluster's shared filesystem.
import { appendFileSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { MetricsRow } from '../src/core/protocol.js';
import { writeStatus } from '../src/core/runs/store.js';
import { AppendedLines, filesystemType, followStudy, isNetworkFilesystem, type StudyFollowEvent, type StudyFollower } from '../src/core/studies/follow.js';
import { validateStudy } from '../src/core/studies/study-file.js';
import { createStudyFolder, studyFiles } from '../src/core/studies/study-folder.js';

const STUDY = { name: 'follow', task: 'InvertedPendulum', algo: 'ppo', steps: 2048, seeds: [1, 2], backend: 'cpu' };

function row(update: number, returnMean = update * 10): MetricsRow {
  return {
    update, steps: update * 256, episodes: update, returnMean, returnMin: returnMean - 1, returnMax: returnMean + 1, lengthMean: 20,
    policyLoss: 0.1, valueLoss: 0.2, entropy: 1, approxKl: 0.01, clipFraction: 0.1, explainedVariance: 0.5, gradNorm: 1,
    stepsPerSecond: 1000, wallTime: update,
  };
}
const line = (r: MetricsRow) => JSON.stringify(r) + '\n';

const root = mkdtempSync(join(tmpdir(), 'pl-follow-'));
const followers: StudyFollower[] = [];
afterEach(async () => { await Promise.all(followers.splice(0).map((f) => f.close())); });
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Collects events; `until` waits (bounded) for a predicate over everything seen so far. */
function collector() {
  const events: StudyFollowEvent[] = [];
  const waiters: { pred: () => boolean; res: () => void }[] = [];
  const on = (e: StudyFollowEvent) => {
    events.push(e);
    for (const w of waiters.splice(0)) { if (w.pred()) w.res(); else waiters.push(w); }
  };
  const until = (pred: () => boolean, what: string, ms = 8000) => new Promise<void>((res, rej) => {
    if (pred()) { res(); return; }
    const t = setTimeout(() => rej(new Error(`timed out waiting for ${what}; events: ${JSON.stringify(events.map((e) => e.type))}`)), ms);
    waiters.push({ pred, res: () => { clearTimeout(t); res(); } });
  });
  /** Metrics rows of trial `i` as a follower that honours resets holds them. */
  const rowsOf = (i: number) => {
    let rows: MetricsRow[] = [];
    for (const e of events) {
      if (e.type === 'metrics-reset' && e.index === i) rows = [];
      if (e.type === 'metrics' && e.index === i) rows = rows.concat(e.rows);
    }
    return rows;
  };
  return { events, on, until, rowsOf };
}

function newStudy() {
  const dir = mkdtempSync(join(root, 'study-'));
  const plan = createStudyFolder(dir, validateStudy(STUDY));
  const td = (i: number) => studyFiles.trialDir(dir, plan.trials[i]);
  return { dir, plan, td, metrics: (i: number) => join(td(i), 'metrics.jsonl') };
}

for (const polling of [false, true]) {
  describe(`followStudy (${polling ? 'polling with stat, as on NFS' : 'inotify'})`, () => {
    /** Starts following `dir`; resolves once the initial state has been delivered. */
    async function follow(dir: string) {
      const c = collector();
      const f = followStudy(dir, c.on, { usePolling: polling, intervalMs: 50 });
      followers.push(f);
      await f.ready;
      return c;
    }

    it('emits the plan and the state so far, then only appended rows, in order, once', async () => {
      const s = newStudy();
      appendFileSync(s.metrics(0), line(row(1)) + line(row(2)));
      const c = await follow(s.dir);
      expect(c.events[0]).toMatchObject({ type: 'plan' });
      expect(c.events[0].type === 'plan' && c.events[0].trials.length).toBe(2);
      expect(c.rowsOf(0).map((r) => r.update)).toEqual([1, 2]);
      expect(c.events.filter((e) => e.type === 'status').map((e) => (e as { status: { status: string } }).status.status)).toEqual(['created', 'created']);

      appendFileSync(s.metrics(0), line(row(3)));
      await c.until(() => c.rowsOf(0).length === 3, 'row 3');
      appendFileSync(s.metrics(0), line(row(4)) + line(row(5)));
      await c.until(() => c.rowsOf(0).length === 5, 'rows 4, 5');
      expect(c.rowsOf(0).map((r) => r.update)).toEqual([1, 2, 3, 4, 5]);
      expect(c.rowsOf(0)[4].returnMean).toBe(50);
      expect(c.events.some((e) => e.type === 'metrics-reset')).toBe(false);
    });

    it('holds back a half-written last line until its newline arrives', async () => {
      const s = newStudy();
      const c = await follow(s.dir);
      const text = line(row(1, 123.5));
      appendFileSync(s.metrics(1), text.slice(0, 17)); // the first bytes of a row only
      // The rest arriving later proves the torn part was read and held, not dropped or misparsed.
      await new Promise((r) => setTimeout(r, polling ? 400 : 200));
      expect(c.rowsOf(1)).toEqual([]);
      expect(c.events.filter((e) => e.type === 'error')).toEqual([]);
      appendFileSync(s.metrics(1), text.slice(17) + line(row(2)));
      await c.until(() => c.rowsOf(1).length === 2, 'both rows');
      expect(c.rowsOf(1).map((r) => [r.update, r.returnMean])).toEqual([[1, 123.5], [2, 20]]);
    });

    it('picks up files that appear later: a trial starting, its status and its score', async () => {
      const s = newStudy();
      const c = await follow(s.dir);
      expect(c.rowsOf(1)).toEqual([]);
      writeStatus(s.td(1), { status: 'running', steps: 0 });
      appendFileSync(s.metrics(1), line(row(1)));
      await c.until(() => c.rowsOf(1).length === 1 && c.events.some((e) => e.type === 'status' && e.index === 1 && e.status.status === 'running'), 'trial 1 running with a row');
      writeStatus(s.td(1), { status: 'finished', steps: 256 });
      writeFileSync(studyFiles.finalEval(s.td(1)), JSON.stringify({ episodes: 2, deterministic: true, returns: [5, 7], mean: 6, steps: 256 }));
      await c.until(() => c.events.some((e) => e.type === 'score' && e.index === 1), 'the score');
      const score = c.events.find((e) => e.type === 'score');
      expect(score).toMatchObject({ index: 1, finalEval: { mean: 6, returns: [5, 7] } });
      await c.until(() => c.events.some((e) => e.type === 'status' && e.index === 1 && e.status.status === 'finished'), 'finished');
      // Trial 0 was never touched: only its initial status.
      expect(c.events.filter((e) => 'index' in e && e.index === 0 && e.type !== 'status')).toEqual([]);
    });

    it('a metrics file rewritten shorter (resume from a checkpoint) resets and is read again', async () => {
      const s = newStudy();
      appendFileSync(s.metrics(0), [1, 2, 3, 4].map((u) => line(row(u))).join(''));
      const c = await follow(s.dir);
      expect(c.rowsOf(0)).toHaveLength(4);
      // What truncateMetrics does on resume: keep rows up to the checkpoint (a new, shorter file).
      writeFileSync(s.metrics(0), line(row(1)) + line(row(2)));
      await c.until(() => c.events.some((e) => e.type === 'metrics-reset' && e.index === 0) && c.rowsOf(0).length === 2, 'the reset');
      appendFileSync(s.metrics(0), line(row(3, -7)));
      await c.until(() => c.rowsOf(0).length === 3, 'the resumed row');
      expect(c.rowsOf(0).map((r) => [r.update, r.returnMean])).toEqual([[1, 10], [2, 20], [3, -7]]);
    });

    it('a line that is not a metrics row is reported and skipped; following goes on', async () => {
      const s = newStudy();
      const c = await follow(s.dir);
      appendFileSync(s.metrics(0), line(row(1)) + '{"oops": tru\n' + line(row(2)));
      await c.until(() => c.rowsOf(0).length === 2, 'the two good rows');
      expect(c.events.filter((e) => e.type === 'error' && e.index === 0)).toHaveLength(1);
    });
  });
}

describe('followStudy on a folder that becomes a study', () => {
  it('starts following when plan.json appears', async () => {
    const dir = mkdtempSync(join(root, 'late-'));
    const c = collector();
    const f = followStudy(dir, c.on, { usePolling: false });
    followers.push(f);
    await f.ready;
    expect(c.events).toEqual([]);
    const plan = createStudyFolder(dir, validateStudy(STUDY));
    await c.until(() => c.events.some((e) => e.type === 'plan'), 'the plan');
    appendFileSync(join(studyFiles.trialDir(dir, plan.trials[1]), 'metrics.jsonl'), line(row(1)));
    await c.until(() => c.rowsOf(1).length === 1, 'a row of trial 1');
  });
});

describe('AppendedLines: reading only what was appended', () => {
  it('returns every complete line exactly once, whatever the append boundaries (also inside a UTF-8 character)', () => {
    const dir = mkdtempSync(join(root, 'lines-'));
    let n = 0;
    fc.assert(fc.property(
      fc.array(fc.string({ unit: 'grapheme', maxLength: 40 }).map((x) => x.replace(/\n/g, ' ')), { maxLength: 12 }),
      fc.array(fc.nat(), { maxLength: 12 }),
      (lines, cuts) => {
        const path = join(dir, `f${n++}`);
        const bytes = Buffer.from(lines.map((l) => l + '\n').join(''), 'utf8');
        const points = [...new Set(cuts.map((c) => (bytes.length ? c % (bytes.length + 1) : 0)))].sort((a, b) => a - b);
        const r = new AppendedLines(path);
        expect(r.read()).toBeNull(); // no file yet
        writeFileSync(path, '');
        const got: string[] = [];
        let prev = 0;
        for (const p of [...points, bytes.length]) {
          appendFileSync(path, bytes.subarray(prev, p));
          prev = p;
          const x = r.read()!;
          expect(x.reset).toBe(false);
          got.push(...x.lines);
          // Never a line before its newline has been written.
          expect(got.length).toBe(bytes.subarray(0, p).toString('latin1').split('\n').length - 1);
        }
        expect(got).toEqual(lines);
        expect(r.read()).toEqual({ reset: false, lines: [] });
      },
    ), { seed: 20261201, numRuns: 150 });
  });

  it('a file replaced or cut shorter is read again from the start, with reset', () => {
    const dir = mkdtempSync(join(root, 'reset-'));
    const path = join(dir, 'm.jsonl');
    const r = new AppendedLines(path);
    writeFileSync(path, 'a\nb\nc\n');
    expect(r.read()).toEqual({ reset: false, lines: ['a', 'b', 'c'] });
    writeFileSync(path, 'a\n'); // same inode, shorter
    expect(r.read()).toEqual({ reset: true, lines: ['a'] });
    writeFileSync(join(dir, 'new'), 'x\ny\nz\nw\n');
    renameSync(join(dir, 'new'), path); // an atomic rewrite: a new inode, even if longer
    expect(r.read()).toEqual({ reset: true, lines: ['x', 'y', 'z', 'w'] });
    appendFileSync(path, 'v');
    expect(r.read()).toEqual({ reset: false, lines: [] });
    appendFileSync(path, '\n');
    expect(r.read()).toEqual({ reset: false, lines: ['v'] });
  });
});

describe('network filesystem detection', () => {
  const mounts = [
    'sysfs /sys sysfs rw 0 0',
    '/dev/sda1 / ext4 rw 0 0',
    'fs1:/export/home /home nfs4 rw 0 0',
    'lfs@o2ib:/scratch /scratch lustre rw 0 0',
    '/dev/sdb1 /home/local ext4 rw 0 0',
    'tmpfs /my\\040dir tmpfs rw 0 0',
  ].join('\n');
  it('takes the longest mount point holding the path', () => {
    expect(filesystemType('/home/ada/study', mounts)).toBe('nfs4');
    expect(filesystemType('/home/local/study', mounts)).toBe('ext4');
    expect(filesystemType('/homework', mounts)).toBe('ext4');
    expect(filesystemType('/my dir/x', mounts)).toBe('tmpfs');
    expect(isNetworkFilesystem('/scratch/u/s', mounts)).toBe(true);
    expect(isNetworkFilesystem('/home/ada', mounts)).toBe(true);
    expect(isNetworkFilesystem('/tmp/s', mounts)).toBe(false);
  });
});
