// Serve mode's children from the app's build (src/backend/built-children.ts): a build is used
// only when every child entry exists and none is older than a source file, and a real build's
// trainer and viewer — plain Node on out/main's entries, no tsx — train and play, and its study
// trial entry runs a trial.
import { utimesSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { LabEvent } from '../src/backend/api.js';
import { builtChildren, childProgramsIn } from '../src/backend/built-children.js';
import { createLabBackend } from '../src/backend/default-deps.js';
import { createDispatcher } from '../src/backend/dispatch.js';
import { LocalExecutor } from '../src/core/studies/local-executor.js';
import { createStudyFolder, readFinalEval, studyFiles } from '../src/core/studies/study-folder.js';
import { validateStudy } from '../src/core/studies/study-file.js';
import { buildApp, PACKAGE_ROOT } from '../src/serve/renderer-build.js';
import { descendants } from './proc-tree.js';

const ENTRIES = ['trainer.js', 'viewer.js', 'study-trial.js', 'a3c-worker.js'];
const SECOND = 1000;

/** A package tree: src/a.ts and the lockfile at time 1000 s, the entries at builtAt. */
async function tree(builtAt: number, entries = ENTRIES) {
  const root = await mkdtemp(path.join(tmpdir(), 'lab-built-'));
  await mkdir(path.join(root, 'src', 'core'), { recursive: true });
  await mkdir(path.join(root, 'out', 'main'), { recursive: true });
  for (const f of ['src/core/a.ts', 'package-lock.json']) {
    await writeFile(path.join(root, f), '');
    utimesSync(path.join(root, f), 1000, 1000);
  }
  for (const e of entries) {
    await writeFile(path.join(root, 'out', 'main', e), '');
    utimesSync(path.join(root, 'out', 'main', e), builtAt, builtAt);
  }
  return root;
}

describe('builtChildren', () => {
  it('uses a complete build newer than every source, with the task models named for its children', async () => {
    const root = await tree(2000);
    const b = builtChildren(root);
    expect(b.ok).toBe(true);
    if (!b.ok) return;
    expect(b.children.trainer.entry).toBe(path.join(root, 'out', 'main', 'trainer.js'));
    expect(b.children.viewer.entry).toBe(path.join(root, 'out', 'main', 'viewer.js'));
    expect(b.children.study.entry).toBe(path.join(root, 'out', 'main', 'study-trial.js'));
    if (!process.env.POLICY_LAB_ASSETS) expect(b.children.trainer.env?.POLICY_LAB_ASSETS).toBe(path.join(root, 'src/core/envs/assets'));
    await rm(root, { recursive: true, force: true });
  });

  it('refuses a build older than a source file, the lockfile, or with an entry missing', async () => {
    let root = await tree(2000);
    utimesSync(path.join(root, 'src/core/a.ts'), 3000, 3000);
    expect(builtChildren(root)).toEqual({ ok: false, reason: expect.stringMatching(/src[/\\]core[/\\]a\.ts is newer than the build/) });
    await rm(root, { recursive: true, force: true });

    root = await tree(2000);
    utimesSync(path.join(root, 'package-lock.json'), 3000, 3000);
    expect(builtChildren(root)).toEqual({ ok: false, reason: expect.stringMatching(/package-lock\.json is newer/) });
    await rm(root, { recursive: true, force: true });

    // One entry older than the sources is enough to refuse the build (a partial rebuild).
    root = await tree(2000);
    utimesSync(path.join(root, 'out/main/viewer.js'), 500, 500);
    expect(builtChildren(root).ok).toBe(false);
    await rm(root, { recursive: true, force: true });

    root = await tree(2000, ENTRIES.filter((e) => e !== 'a3c-worker.js'));
    expect(builtChildren(root)).toEqual({ ok: false, reason: expect.stringMatching(/a3c-worker\.js is missing/) });
    await rm(root, { recursive: true, force: true });
  });
});

describe('childProgramsIn (the desktop app\'s children)', () => {
  it('names the three entries of a build folder, each with the given env and execArgv', () => {
    const env = { ELECTRON_RUN_AS_NODE: '1' };
    const c = childProgramsIn('/app/out/main', env, []);
    expect(c.trainer).toEqual({ entry: path.join('/app/out/main', 'trainer.js'), env, execArgv: [] });
    expect(c.viewer).toEqual({ entry: path.join('/app/out/main', 'viewer.js'), env, execArgv: [] });
    expect(c.study).toEqual({ entry: path.join('/app/out/main', 'study-trial.js'), env, execArgv: [] });
    // Without execArgv the fork decides (tsx only for a .ts entry).
    expect(childProgramsIn('/x', env).trainer).not.toHaveProperty('execArgv');
  });
});

describe('a lab whose children come from a real build', () => {
  let outDir = '';
  afterAll(async () => { if (outDir) await rm(path.dirname(outDir), { recursive: true, force: true }); });

  it('trains with the built trainer and plays with the built viewer, no tsx in either', async () => {
    // A private build (the package's own out/ is left alone): electron-vite, as `npm run build`.
    // Inside the package, where its children resolve the engine packages left external.
    const cache = path.join(PACKAGE_ROOT, 'node_modules', '.cache');
    await mkdir(cache, { recursive: true });
    outDir = path.join(await mkdtemp(path.join(cache, 'lab-build-')), 'out');
    await buildApp(outDir);
    const b = builtChildren(PACKAGE_ROOT, outDir);
    expect(b).toMatchObject({ ok: true });
    if (!b.ok) return;
    const runs = await mkdtemp(path.join(tmpdir(), 'lab-built-runs-'));
    const backend = createLabBackend(runs, b.children.trainer, b.children.viewer, b.children.study);
    const events: LabEvent[] = [];
    backend.onEvent((e) => events.push(e));
    try {
      const call = createDispatcher(backend);
      await call('start', {
        task: 'InvertedPendulum', algo: 'ppo', seed: 4, totalSteps: 50_000_000, backend: 'cpu', checkpointEvery: 1000,
        algoConfig: { numSteps: 256, numEnvs: 1, numMinibatches: 4, updateEpochs: 2 },
      });
      for (const t0 = Date.now(); !(events.some((e) => e.type === 'metrics') && events.some((e) => e.type === 'viewer-states' && e.states.some((x) => x.update >= 1)));) {
        if (Date.now() - t0 > 120 * SECOND) throw new Error(`no metrics or played policy; events: ${[...new Set(events.map((e) => e.type))].join(', ')}`);
        const err = events.find((e) => e.type === 'error');
        if (err) throw new Error(`lab error: ${JSON.stringify(err)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const cmds = descendants().map((d) => d.cmd);
      const trainers = cmds.filter((c) => c.includes(path.join(outDir, 'main', 'trainer.js')));
      // The run's trainer and the spare the lab keeps ready.
      expect(trainers.length).toBeGreaterThanOrEqual(2);
      expect(cmds.some((c) => c.includes(path.join(outDir, 'main', 'viewer.js')))).toBe(true);
      expect(cmds.filter((c) => /tsx|child\.ts/.test(c))).toEqual([]);
      await call('stop', null);
    } finally {
      backend.dispose();
      await rm(runs, { recursive: true, force: true });
    }
  }, 240_000);

  it('runs a study trial with the built trial entry', async () => {
    const b = builtChildren(PACKAGE_ROOT, outDir);
    if (!b.ok) throw new Error(`the build of the previous test is not usable: ${b.reason}`);
    const root = await mkdtemp(path.join(tmpdir(), 'lab-built-study-'));
    try {
      const dir = path.join(root, 'study');
      const plan = createStudyFolder(dir, validateStudy({ name: 'built', task: 'InvertedPendulum', algo: 'ppo', steps: 2048, seeds: [1], evalEpisodes: 1, numSteps: 1024 }));
      const res = await new LocalExecutor({ ...b.children.study, workers: 1, spare: false }).run(dir, plan.trials.map((t) => t.index));
      expect(res.finished).toEqual([0]);
      expect(readFinalEval(studyFiles.trialDir(dir, plan.trials[0]))?.mean).toBeGreaterThan(0);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  }, 120_000);
});
